"""Recognition on a simulated month (tests/recognition_month.py), on SQLite and PostgreSQL:
boards and ranks, the opt-out, the month-end thank-you fired by the follow-up runner on a
fake clock (once, quiet hours respected), certificates and their codes, and the work-unit
report."""

from datetime import datetime

import pytest
from sqlalchemy import select

from community import clock, followup_runner, recognition
from community.errors import InvalidInput
from community.models import FollowUp, FollowUpStatus, OutboxMessage
from community.recognition import Month
from tests.recognition_month import OPTED_OUT, simulate_month

NOVEMBER = Month(2026, 11)


@pytest.fixture
def fake_clock():
    fake = clock.FakeClock(datetime(2026, 10, 1, 2, 0))
    with clock.use_clock(fake):
        yield fake


@pytest.fixture
def month(db, fake_clock):
    return simulate_month(db.factory, fake_clock)


def _board(board):
    return [(line.rank, line.name, line.hours, line.services) for line in board.lines]


def test_month_bounds_follow_the_community_calendar():
    start, end = NOVEMBER.bounds("Asia/Shanghai")
    assert (start, end) == (datetime(2026, 10, 31, 16, 0), datetime(2026, 11, 30, 16, 0))
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2027, 1).previous() == Month(2026, 12)
    assert Month.parse("2026-11") == Month.parse("2026年11月") == Month.parse("202611") == NOVEMBER
    with pytest.raises(InvalidInput, match="不是有效的月份"):
        Month.parse("2026-13")


def test_community_and_team_boards_rank_by_hours_and_leave_out_who_opted_out(db, month):
    with db.factory() as s:
        board = recognition.leaderboard(s, month.community.id, NOVEMBER)
        assert board.scope == "幸福里社区"
        assert _board(board) == [(1, "张师傅", 4.5, 3), (1, "周大姐", 4.5, 2), (3, "赵阿姨", 3.0, 1)]
        assert OPTED_OUT not in {line.name for line in board.lines}
        repair = recognition.leaderboard(s, month.community.id, NOVEMBER, team_id=month.teams["repair1"].id)
        assert repair.scope == "一网格维修队" and _board(repair) == [(1, "张师傅", 4.5, 3)]
        october = recognition.leaderboard(s, month.community.id, Month(2026, 10))
        assert _board(october) == [(1, "张师傅", 2.0, 1), (2, "孙师傅", 1.0, 1)]


def test_me_shows_month_and_year_hours_and_ranks(db, month, fake_clock):
    fake_clock.current = datetime(2026, 11, 28, 2, 0)
    with db.factory() as s:
        zhang = recognition.standing(s, month.volunteers["张师傅"].id)
        assert (zhang.month, zhang.month_hours, zhang.month_services, zhang.year_hours) == (NOVEMBER, 4.5, 3, 6.5)
        assert (zhang.community.rank, zhang.community.of) == (1, 3)
        assert [(t.scope, t.rank, t.of) for t in zhang.teams] == [("一网格维修队", 1, 1)]
        zhao = recognition.standing(s, month.volunteers["赵阿姨"].id)
        assert (zhao.community.rank, zhao.teams[0].rank, zhao.teams[0].of) == (3, 2, 2)
        liu = recognition.standing(s, month.volunteers[OPTED_OUT].id)
        assert liu.opted_out and liu.month_hours == 4.0 and liu.community.rank is None
        sun = recognition.standing(s, month.volunteers["孙师傅"].id)  # served in October only
        assert sun.month_hours == 0 and sun.year_hours == 1.0 and sun.community.rank is None


def _summaries(db):
    with db.factory() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == recognition.MONTH_SUMMARY).order_by(OutboxMessage.id)
        ).all()
        return [(r.person_id, r.text, r.not_before) for r in rows]


def test_month_end_summary_fires_once_on_the_first_and_plans_the_next(db, month, fake_clock):
    fake_clock.current = datetime(2026, 11, 20, 2, 0)
    recognition.ensure_month_summaries(db.factory)
    recognition.ensure_month_summaries(db.factory)  # a second process, or a restart: still one
    with db.factory() as s:
        planned = s.scalars(select(FollowUp).where(FollowUp.kind == recognition.MONTH_SUMMARY)).all()
        # 1 December 09:00 in Shanghai
        assert [(p.due_at, p.status) for p in planned] == [(datetime(2026, 12, 1, 1, 0), FollowUpStatus.PENDING)]

    fake_clock.current = datetime(2026, 12, 1, 0, 59)  # a minute early: nothing
    assert followup_runner.run_due(db.factory).fired.get(recognition.MONTH_SUMMARY) is None
    fake_clock.current = datetime(2026, 12, 1, 1, 0)
    assert followup_runner.run_due(db.factory).fired[recognition.MONTH_SUMMARY] == 1
    sent = _summaries(db)
    people = {v: month.volunteers[v].person_id for v in month.volunteers}
    by_person = {pid: text for pid, text, _ in sent}
    assert set(by_person) == {people[n] for n in ("张师傅", "周大姐", "刘师傅", "赵阿姨")}  # 孙师傅: not in November
    assert by_person[people["张师傅"]] == (
        "【2026年11月服务小结】张师傅，您好！这个月您完成服务 3 次，服务时长 4.5 小时，获得积分 45。"
        "在本月社区志愿服务榜上排第 1 名（共 3 人上榜）。感谢您为邻里付出的每一份心意！"
    )
    assert "排第 3 名" in by_person[people["赵阿姨"]]
    assert "4 小时" in by_person[people[OPTED_OUT]] and "排第" not in by_person[people[OPTED_OUT]]
    assert all(not_before is None for _, _, not_before in sent)  # 09:00: not quiet hours

    assert followup_runner.run_due(db.factory).total == 0  # fired once
    with db.factory() as s:
        pending = s.scalars(
            select(FollowUp.due_at).where(
                FollowUp.kind == recognition.MONTH_SUMMARY, FollowUp.status == FollowUpStatus.PENDING
            )
        ).all()
        assert pending == [datetime(2027, 1, 1, 1, 0)]  # next: 1 January 09:00


def test_a_late_summary_is_of_its_own_month_and_waits_for_morning(db, month, fake_clock):
    fake_clock.current = datetime(2026, 11, 20, 2, 0)
    recognition.ensure_month_summaries(db.factory)
    fake_clock.current = datetime(2026, 12, 2, 15, 0)  # the bot was down until 23:00 on 2 December
    followup_runner.run_due(db.factory)
    sent = _summaries(db)
    assert sent and all("2026年11月" in text for _, text, _ in sent)
    assert all(not_before == datetime(2026, 12, 3, 0, 0) for _, _, not_before in sent)  # 08:00 next morning


def test_certificate_states_hours_per_month_and_its_code_verifies(db, month, fake_clock):
    fake_clock.current = datetime(2026, 11, 28, 2, 0)
    with db.factory() as s, s.begin():
        cert = recognition.issue_certificate(s, month.volunteers["张师傅"].id)
        code = cert.code
        shown = recognition.view(s, cert)
    assert (shown.name, shown.community, shown.hours, shown.services) == ("张师傅", "幸福里社区", 6.5, 4)
    assert [(m.month, m.hours, m.services) for m in shown.months] == [("2026-10", 2.0, 1), ("2026-11", 4.5, 3)]
    assert shown.period == "2026年1月至2026年11月"
    with db.factory() as s:
        assert recognition.verify(s, recognition.format_code(code).lower()).id == cert.id  # as typed
        assert recognition.verify(s, code[:-1] + ("A" if code[-1] != "A" else "B")) is None
        assert recognition.verify(s, "") is None
    with db.factory() as s, s.begin(), pytest.raises(InvalidInput, match="还没有您的服务记录"):
        recognition.issue_certificate(s, month.volunteers["张师傅"].id, year=2025)


def test_work_unit_report_sums_members_hours_and_ratings(db, month):
    with db.factory() as s:
        report = recognition.work_unit_report(s, month.community.id, NOVEMBER)
    units = {u.work_unit: u for u in report}
    assert set(units) == {"区人民医院", "市第一中学"}
    hospital = units["区人民医院"]
    assert [(m.name, m.services, m.hours) for m in hospital.members] == [("刘师傅", 2, 4.0), ("张师傅", 3, 4.5)]
    assert (hospital.serving, hospital.services, hospital.hours) == (2, 5, 8.5)
    assert (units["市第一中学"].services, units["市第一中学"].hours) == (1, 3.0)
