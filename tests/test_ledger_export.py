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
from community.ledger_export import ledger_rows, to_csv, to_xlsx, volunteer_totals
from community.lifecycle import NewRequest
from community.models import (
    Community,
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
