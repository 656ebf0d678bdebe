"""台账 export on a hand-built November (Asia/Shanghai), on SQLite and PostgreSQL.

request  submitted (UTC)     local           what happens
A        10-31 15:59         10-31 23:59     October: not in the November sheet
B        10-31 16:30         11-01 00:30     张师傅 1.5 h (finished 11-02), 没解决, 刘师傅 2 h (11-03), 1 star
C        11-10 02:00         11-10 10:00     wish, waiting for review
D        11-30 15:00         11-30 23:00     赵阿姨 助老 2 h, finished 12-01 01:00 local: in the sheet, not in
                                             November's hours (hours count when the work was recorded)
plus a request in another community in the same week.
"""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.ledger_export import ledger_rows, monthly_summary, neutralise, to_csv, to_xlsx, volunteer_totals
from community.lifecycle import NewRequest
from community.models import (
    Community,
    Grid,
    Person,
    Request,
    RequestKind,
    RequestState,
    Resident,
)
from tests.builders import build_world

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


@pytest.fixture
def november(db):
    c = clock.FakeClock(datetime(2026, 10, 31, 15, 59))
    ids = {}
    with clock.use_clock(c):
        with db.factory() as s, s.begin():
            build_world(s)

        def act(who, fn, *args):
            with db.factory() as s, s.begin():
                person = s.scalar(select(Person).where(Person.name == who))
                return fn(s, actor_for_person(s, person), *args)

        def order(who, text, category="维修", kind=RequestKind.SERVICE):
            return act(who, lifecycle.submit, NewRequest(kind=kind, description=text, category=category)).id

        ids["A"] = order("王奶奶", "十月的水管")
        c.current = datetime(2026, 10, 31, 16, 30)
        ids["B"] = order("王奶奶", "卫生间漏水")
        c.current = datetime(2026, 11, 1, 2, 0)
        act("张师傅", lifecycle.claim, ids["B"])
        c.current = datetime(2026, 11, 2, 2, 0)
        act("张师傅", lifecycle.finish, ids["B"], 1.5)
        act("王奶奶", lifecycle.reopen, ids["B"], "还在漏")
        c.current = datetime(2026, 11, 3, 2, 0)
        act("刘师傅", lifecycle.claim, ids["B"])
        act("刘师傅", lifecycle.finish, ids["B"], 2.0)
        act("王奶奶", lifecycle.rate, ids["B"], 1, "修了两次")
        c.current = datetime(2026, 11, 10, 2, 0)
        ids["C"] = order("陈大爷", "想要一台收音机", category=None, kind=RequestKind.WISH)
        c.current = datetime(2026, 11, 30, 15, 0)
        ids["D"] = order("陈大爷", "陪我去医院", category="助老")
        act("周大姐", lifecycle.claim, ids["D"])
        c.current = datetime(2026, 11, 30, 17, 0)
        act("周大姐", lifecycle.finish, ids["D"], 2.0)

        with db.factory() as s, s.begin():  # another community, same week: never exported here
            other = Community(code="OTHER", name="别的社区")
            s.add(other)
            s.flush()
            p = Person(community_id=other.id, name="外人", phone="13500000000")
            s.add(p)
            s.flush()
            r = Resident(person=p, consent_at=clock.now())
            s.add(r)
            s.flush()
            s.add(
                Request(
                    community_id=other.id,
                    kind=RequestKind.SERVICE,
                    state=RequestState.OPEN,
                    resident_id=r.id,
                    description="别处的诉求",
                    submitted_at=datetime(2026, 11, 5, 2, 0),
                )
            )
            community_id = s.scalar(select(Community.id).where(Community.code == "XFL"))
    return community_id, ids


def test_rows_cover_requests_submitted_in_the_local_month(db, november):
    community_id, ids = november
    with db.factory() as s:
        rows = ledger_rows(s, community_id, NOV, DEC)
    assert [r.request_id for r in rows] == [ids["B"], ids["C"], ids["D"]]
    b, c, d = rows
    assert (b.kind, b.category, b.grid, b.building, b.resident, b.state) == (
        "便民服务",
        "维修",
        "第一网格",
        "1号楼",
        "王奶奶",
        "已完结",
    )
    assert b.submitted_at == datetime(2026, 11, 1, 0, 30)  # Shanghai time
    assert b.claimed_at == datetime(2026, 11, 3, 10, 0) and b.done_at == datetime(2026, 11, 3, 10, 0)
    assert b.volunteer == "张师傅、刘师傅"  # both were credited
    assert (b.hours, b.points, b.rating, b.comment, b.needs_followup) == (3.5, 35, 1, "修了两次", True)
    assert (c.kind, c.category, c.state, c.published_at, c.volunteer, c.hours, c.points) == (
        "微心愿",
        "",
        "待审核",
        None,
        "",
        None,
        None,
    )
    assert (d.volunteer, d.hours, d.state, d.done_at) == ("周大姐", 2.0, "待确认", datetime(2026, 12, 1, 1, 0))


def test_volunteer_totals_count_work_recorded_in_the_period(db, november):
    community_id, _ = november
    with db.factory() as s:
        nov = volunteer_totals(s, community_id, NOV, DEC)
        dec = volunteer_totals(s, community_id, DEC, date(2027, 1, 1))
    assert [(t.volunteer, t.team, t.services, t.hours, t.points) for t in nov] == [
        ("刘师傅", "一网格维修队", 1, 2.0, 20),
        ("张师傅", "一网格维修队", 1, 1.5, 15),
    ]
    assert [(t.volunteer, t.team, t.hours) for t in dec] == [("周大姐", "社区助老服务队", 2.0)]


def test_csv_and_xlsx_carry_the_same_rows_with_chinese_headers(db, november):
    community_id, ids = november
    with db.factory() as s:
        rows = ledger_rows(s, community_id, NOV, DEC)
        totals = volunteer_totals(s, community_id, NOV, DEC)

    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:3] == ["编号", "类型", "服务类别"] and "需回访" in table[0]
    first = dict(zip(table[0], table[1], strict=False))
    assert first["编号"] == str(ids["B"]) and first["提交时间"] == "2026-11-01 00:30"
    assert first["发布时间"] == "2026-11-01 00:30" and first["取消时间"] == "" and first["需回访"] == "是"
    assert first["服务时长（小时）"] == "3.5"

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, totals)))
    assert book.sheetnames == ["台账", "志愿者时长"]
    sheet = list(book["台账"].iter_rows(values_only=True))
    assert [r[0] for r in sheet[1:]] == [ids["B"], ids["C"], ids["D"]]
    assert dict(zip(sheet[0], sheet[1], strict=False))["提交时间"] == datetime(2026, 11, 1, 0, 30)
    hours = list(book["志愿者时长"].iter_rows(values_only=True))
    assert hours[0] == ("志愿者", "电话", "服务队", "服务次数", "服务时长（小时）", "积分")
    assert hours[-1] == ("合计", None, None, 2, 3.5, 35)


def test_an_empty_period_gives_headers_only(db, november):
    community_id, _ = november
    with db.factory() as s:
        rows = ledger_rows(s, community_id, date(2025, 1, 1), date(2025, 2, 1))
        totals = volunteer_totals(s, community_id, date(2025, 1, 1), date(2025, 2, 1))
    assert rows == [] and totals == []
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, totals)))
    assert book["台账"].max_row == 1
    assert list(book["志愿者时长"].iter_rows(values_only=True))[-1] == ("合计", None, None, 0, 0, 0)


def test_rows_carry_content_building_unit_and_a_masked_phone_unless_full(db, november):
    community_id, ids = november
    with db.factory() as s:
        masked = {r.request_id: r for r in ledger_rows(s, community_id, NOV, DEC)}
        full = {r.request_id: r for r in ledger_rows(s, community_id, NOV, DEC, full_phone=True)}
        g2 = s.scalar(select(Grid.id).where(Grid.code == "G2"))
        only_g2 = ledger_rows(s, community_id, NOV, DEC, grid_ids=frozenset({g2}))
    b = masked[ids["B"]]
    assert (b.content, b.building, b.unit, b.phone) == ("卫生间漏水", "1号楼", "1单元", "139****5678")
    assert full[ids["B"]].phone == "13912345678"
    assert [r.request_id for r in only_g2] == [ids["C"], ids["D"]]  # 陈大爷 lives in building 4 (G2)


def test_the_monthly_summary_per_grid_and_team_against_the_target(db, november):
    community_id, ids = november
    with db.factory() as s:
        summary = monthly_summary(s, community_id, NOV, DEC)
    by_name = {(r.scope_kind, r.name): r for r in summary}
    assert {r.month for r in summary} == {"2026-11"}
    whole = by_name[("全社区", "全社区")]
    assert (whole.requests, whole.finished, whole.rated, whole.satisfied, whole.target) == (3, 2, 1, 0, 0.95)
    assert whole.satisfaction == 0.0 and whole.target_met is False
    g1 = by_name[("网格", "第一网格")]  # B: claimed 10:00 local on 11-03 after the reopen, done at once
    assert (g1.requests, g1.finished, g1.median_finish_minutes) == (1, 1, 0.0)
    assert by_name[("服务队", "社区助老服务队")].requests == 1  # D
    assert by_name[("网格", "第二网格")].target_met is None  # nothing rated: not "met"


def test_a_period_across_months_is_summarised_month_by_month(db, november):
    community_id, _ = november
    with db.factory() as s:
        months = sorted({r.month for r in monthly_summary(s, community_id, date(2026, 10, 15), date(2027, 1, 1))})
    assert months == ["2026-10", "2026-11", "2026-12"]


def test_the_workbook_has_the_summary_sheet_and_a_chart_of_the_month(db, november):
    community_id, _ = november
    with db.factory() as s:
        rows = ledger_rows(s, community_id, NOV, DEC)
        totals = volunteer_totals(s, community_id, NOV, DEC)
        summary = monthly_summary(s, community_id, NOV, DEC)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, totals, summary)))
    assert book.sheetnames == ["台账", "志愿者时长", "月度汇总"]
    sheet = book["月度汇总"]
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("月份", "范围", "名称", "诉求数")
    assert ("2026-11", "网格", "第一网格") in {r[:3] for r in table[1:]}
    assert len(sheet._charts) == 1  # openpyxl keeps the charts it read


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
)
def test_formula_injection_is_neutralised_in_csv_and_xlsx(db, hostile):
    with db.factory() as s, s.begin():
        world = build_world(s)
        wang = s.get(Resident, world.residents["王奶奶"].id).person
        wang.name = hostile
        req = lifecycle.submit(
            s, actor_for_person(s, wang), NewRequest(kind=RequestKind.SERVICE, description=hostile, category="维修")
        )
        community_id, submitted = world.community.id, clock.to_local(req.submitted_at).date()
    with db.factory() as s:
        rows = ledger_rows(s, community_id, submitted, date.fromordinal(submitted.toordinal() + 1), full_phone=True)
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    header = table[0]
    assert table[1][header.index("居民")] == "'" + hostile
    stored = hostile.strip()  # descriptions are stored trimmed
    assert table[1][header.index("内容")] == "'" + stored
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, [])))
    cells = [cell for row in book["台账"].iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula cell anywhere
    assert "'" + stored in {c.value for c in cells}


def test_neutralise_follows_owasp():
    for text in ("=1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    for harmless in ("水管漏水", "1号楼", 3.5, None, "a=b"):
        assert neutralise(harmless) == harmless
