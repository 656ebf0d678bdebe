"""Statistics and staff queues on a hand-built scenario whose answers are worked out below.

NOW = 2024-05-10 12:00 (naive UTC). The scenario (times are May 2024; minutes in brackets):

 id  kind    state        grid  team     category  published   claim    finish  rating  notes
 R1  service closed       G1    repair1  维修      01 08:00    +10      +60     5
 R2  service closed       G1    care     助老      02 08:00    +30      +120    4
 R3  service closed       G2    repair2  维修      03 08:00    +60      +180    2       needs_followup
 R4  service closed       G2    care     理发      04 08:00    +120     +240    -       closed_unrated
 R5  wish    submitted    G1    -        代购      (submitted 10 09:00)
 R6  service open         G2    repair2  维修      09 10:00                              26h old -> red flag; needs_followup
 R7  service open         G1    repair1  维修      10 11:00                              escalation 2 -> red flag
 R8  wish    open         G1    care     助老      10 10:00                              escalation 1, urgent;
                                                                                         submitted 07 10:00 (slow review:
                                                                                         its red-flag clock starts at 10 10:00)
 R9  service in_progress  G1    repair1  维修      09 20:00    +20                       due 10 11:00 -> past due
 R10 service claimed      G2    care     代购      10 08:00    +5                        due 11 08:00
 R11 service done         G2    repair2  维修      08 08:00    +40      +120
 R12 service cancelled    -     -        -         (submitted 05 09:00)
 R13 wish    submitted    G2    -        助老      (submitted 10 07:00)
 plus one request in another community (open, escalation 2, rated 1) that must never show.

submitted_at = published_at where published. Hand-worked figures:
 claim minutes  5,10,20,30,40,60,120 -> median 30 (7 samples)
 finish minutes 60,120,120,180,240   -> median 120 (5 samples)
 satisfaction   rated 3 (5,4,2), satisfied 2, rate 2/3, unrated-closed 1 (R4)
"""

from datetime import datetime, timedelta

import pytest

from community import texts
from community.errors import InvalidInput
from community.models import Community, Rating, Request, RequestKind, RequestState
from community.queues import QUEUE_NAMES, queue
from community.stats import Overdue, Satisfaction, compute_stats
from tests.builders import build_world

NOW = datetime(2024, 5, 10, 12, 0)
G1, G2 = "第一网格", "第二网格"
REPAIR1, REPAIR2, CARE = "一网格维修队", "二网格维修队", "社区助老服务队"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute)


def plus(t: datetime, minutes: int) -> datetime:
    return t + timedelta(minutes=minutes)


class Scenario:
    """Builds the table above and remembers request ids by label."""

    def __init__(self, s):
        self.s = s
        self.w = build_world(s)
        self.ids: dict[str, int] = {}

    def add(
        self,
        label,
        state,
        *,
        grid=None,
        team=None,
        category=None,
        building=None,
        volunteer=None,
        kind=RequestKind.SERVICE,
        published=None,
        submitted=None,
        claim=None,
        finish=None,
        rating=None,
        description=None,
        community_id=None,
        **extra,
    ) -> Request:
        w = self.w
        claimed_at = plus(published, claim) if claim is not None else None
        r = Request(
            community_id=community_id or w.community.id,
            kind=kind,
            state=state,
            resident_id=w.residents["王奶奶"].id,
            description=description or f"{label} 的诉求内容",
            grid_id=w.grids[grid].id if grid else None,
            team_id=w.teams[team].id if team else None,
            category_id=w.categories[category].id if category else None,
            building_id=w.buildings[building].id if building else None,
            volunteer_id=w.volunteers[volunteer].id if volunteer else None,
            submitted_at=submitted or published,
            published_at=published,
            claimed_at=claimed_at,
            done_at=plus(claimed_at, finish) if finish is not None else None,
            **extra,
        )
        self.s.add(r)
        self.s.flush()
        if rating is not None:
            score, rated_at = rating
            self.s.add(Rating(request_id=r.id, score=score, volunteer_id=r.volunteer_id, created_at=rated_at))
        self.ids[label] = r.id
        return r


def build_scenario(s) -> Scenario:
    sc = Scenario(s)
    C = RequestState
    sc.add(
        "R1",
        C.CLOSED,
        grid="G1",
        team="repair1",
        category="repair",
        building=1,
        volunteer="张师傅",
        published=at(1, 8),
        claim=10,
        finish=60,
        rating=(5, at(1, 10)),
        closed_at=at(1, 10),
    )
    sc.add(
        "R2",
        C.CLOSED,
        grid="G1",
        team="care",
        category="elderly",
        building=2,
        volunteer="赵阿姨",
        published=at(2, 8),
        claim=30,
        finish=120,
        rating=(4, at(2, 11)),
        closed_at=at(2, 11),
    )
    sc.add(
        "R3",
        C.CLOSED,
        grid="G2",
        team="repair2",
        category="repair",
        building=4,
        volunteer="孙师傅",
        published=at(3, 8),
        claim=60,
        finish=180,
        rating=(2, at(3, 13)),
        closed_at=at(3, 13),
        needs_followup=True,
    )
    sc.add(
        "R4",
        C.CLOSED,
        grid="G2",
        team="care",
        category="haircut",
        building=5,
        volunteer="周大姐",
        published=at(4, 8),
        claim=120,
        finish=240,
        closed_unrated=True,
        closed_at=at(7, 14),
    )
    sc.add("R5", C.SUBMITTED, kind=RequestKind.WISH, grid="G1", category="shopping", building=1, submitted=at(10, 9))
    sc.add(
        "R6", C.OPEN, grid="G2", team="repair2", category="repair", building=4, published=at(9, 10), needs_followup=True
    )
    sc.add(
        "R7", C.OPEN, grid="G1", team="repair1", category="repair", building=1, published=at(10, 11), escalation_level=2
    )
    sc.add(
        "R8",
        C.OPEN,
        kind=RequestKind.WISH,
        grid="G1",
        team="care",
        category="elderly",
        building=2,
        submitted=at(7, 10),
        published=at(10, 10),
        escalation_level=1,
        priority=1,
    )
    sc.add(
        "R9",
        C.IN_PROGRESS,
        grid="G1",
        team="repair1",
        category="repair",
        building=3,
        volunteer="刘师傅",
        published=at(9, 20),
        claim=20,
        due_at=at(10, 11),
        description="三号楼二单元厨房水管爆裂，水流到楼下邻居家，请尽快上门维修，谢谢师傅",
    )
    sc.add(
        "R10",
        C.CLAIMED,
        grid="G2",
        team="care",
        category="shopping",
        building=5,
        volunteer="周大姐",
        published=at(10, 8),
        claim=5,
        due_at=at(11, 8),
    )
    sc.add(
        "R11",
        C.DONE,
        grid="G2",
        team="repair2",
        category="repair",
        building=4,
        volunteer="孙师傅",
        published=at(8, 8),
        claim=40,
        finish=120,
    )
    sc.add("R12", C.CANCELLED, submitted=at(5, 9), cancelled_at=at(5, 10))
    sc.add("R13", C.SUBMITTED, kind=RequestKind.WISH, grid="G2", category="elderly", building=4, submitted=at(10, 7))

    other = Community(code="OTHER", name="别的社区")
    s.add(other)
    s.flush()
    sc.add(
        "X",
        C.OPEN,
        published=at(1, 8),
        escalation_level=2,
        rating=(1, at(1, 9)),
        needs_followup=True,
        community_id=other.id,
    )
    return sc


@pytest.fixture
def scenario(db):
    with db.factory() as s, s.begin():
        sc = build_scenario(s)
    return sc


def stats(db, sc, **kw):
    with db.factory() as s:
        return compute_stats(s, sc.w.community.id, now=NOW, **kw)


# --- statistics -----------------------------------------------------------------------


def test_counts(db, scenario):
    st = stats(db, scenario)
    assert st.total == 13
    assert st.by_state == {
        "submitted": 2,
        "open": 3,
        "claimed": 1,
        "in_progress": 1,
        "done": 1,
        "closed": 4,
        "rejected": 0,
        "cancelled": 1,
    }
    assert st.by_grid == {G1: 6, G2: 6, texts.STATS_NO_GRID: 1}
    assert st.by_team == {REPAIR1: 3, CARE: 4, REPAIR2: 3, texts.STATS_NO_TEAM: 3}
    assert st.by_category == {"维修": 6, "助老": 3, "代购": 2, "理发": 1, texts.STATS_NO_CATEGORY: 1}


def test_medians(db, scenario):
    t = stats(db, scenario).timing
    assert (t.median_minutes_to_claim, t.claim_samples) == (30, 7)
    assert (t.median_minutes_to_finish, t.finish_samples) == (120, 5)


def test_satisfaction_overall_and_unrated_never_satisfied(db, scenario):
    st = stats(db, scenario)
    # R4 closed unrated is neither rated nor satisfied: 2 of 3, not 3 of 4.
    assert st.satisfaction == Satisfaction(rated=3, satisfied=2, rate=2 / 3, unrated_closed=1)


def test_satisfaction_per_grid_and_team(db, scenario):
    st = stats(db, scenario)
    # R12 has no grid and no team, R5/R13 no team: they are left out, not bucketed.
    assert st.satisfaction_by_grid == {
        G1: Satisfaction(2, 2, 1.0, 0),  # R1 5, R2 4
        G2: Satisfaction(1, 0, 0.0, 1),  # R3 2, R4 unrated
    }
    assert st.satisfaction_by_team == {
        REPAIR1: Satisfaction(1, 1, 1.0, 0),  # R1
        CARE: Satisfaction(1, 1, 1.0, 1),  # R2; R4 unrated
        REPAIR2: Satisfaction(1, 0, 0.0, 0),  # R3
    }


def test_overdue(db, scenario):
    st = stats(db, scenario)
    # red: R6 (26h since publishing), R7 (level 2); past due: R9; low: R3; follow-up: R3, R6.
    assert st.overdue == Overdue(red_flag=2, past_due=1, low_rated=1, needs_followup=2)
    # With a 48-hour threshold R6 is no longer red; R7 stays red on its escalation level.
    assert stats(db, scenario, red_flag_hours=48).overdue.red_flag == 1
    # A day earlier nothing was past due yet, and R6 was only 2h old (R7 is level 2 regardless).
    with db.factory() as s:
        st = compute_stats(s, scenario.w.community.id, now=at(9, 12))
    assert (st.overdue.red_flag, st.overdue.past_due) == (1, 0)


def test_scope_by_grid(db, scenario):
    st = stats(db, scenario, grid_id=scenario.w.grids["G1"].id)  # R1 R2 R5 R7 R8 R9
    assert st.total == 6
    assert st.by_state == {
        "submitted": 1,
        "open": 2,
        "claimed": 0,
        "in_progress": 1,
        "done": 0,
        "closed": 2,
        "rejected": 0,
        "cancelled": 0,
    }
    assert st.by_grid == {G1: 6}
    assert st.by_team == {REPAIR1: 3, CARE: 2, texts.STATS_NO_TEAM: 1}
    assert st.satisfaction == Satisfaction(2, 2, 1.0, 0)
    # claims 10, 30, 20 -> 20; finishes 60, 120 -> 90 (even count: mean of the middle two)
    assert (st.timing.median_minutes_to_claim, st.timing.claim_samples) == (20, 3)
    assert (st.timing.median_minutes_to_finish, st.timing.finish_samples) == (90, 2)
    assert st.overdue == Overdue(red_flag=1, past_due=1, low_rated=0, needs_followup=0)

    st = stats(db, scenario, grid_id=scenario.w.grids["G2"].id)  # R3 R4 R6 R10 R11 R13
    assert st.total == 6
    assert st.satisfaction == Satisfaction(1, 0, 0.0, 1)
    # claims 60, 120, 5, 40 -> 5 40 60 120 -> 50; finishes 180, 240, 120 -> 180
    assert (st.timing.median_minutes_to_claim, st.timing.median_minutes_to_finish) == (50, 180)
    assert st.overdue == Overdue(red_flag=1, past_due=0, low_rated=1, needs_followup=2)


def test_scope_by_team(db, scenario):
    st = stats(db, scenario, team_id=scenario.w.teams["care"].id)  # R2 R4 R8 R10
    assert st.total == 4
    assert st.by_grid == {G1: 2, G2: 2}
    assert st.by_team == {CARE: 4}
    assert st.by_category == {"助老": 2, "理发": 1, "代购": 1}
    assert st.satisfaction == Satisfaction(1, 1, 1.0, 1)
    assert st.satisfaction_by_team == {CARE: Satisfaction(1, 1, 1.0, 1)}
    # claims 30, 120, 5 -> 30; finishes 120, 240 -> 180
    assert (st.timing.median_minutes_to_claim, st.timing.median_minutes_to_finish) == (30, 180)
    assert st.overdue == Overdue(red_flag=0, past_due=0, low_rated=0, needs_followup=0)


def test_only_unrated_gives_no_rate(db, scenario):
    # G2 + care: R4 (closed unrated) and R10 (claimed): nothing rated, so no rate at all.
    st = stats(db, scenario, grid_id=scenario.w.grids["G2"].id, team_id=scenario.w.teams["care"].id)
    assert st.total == 2
    assert st.satisfaction == Satisfaction(rated=0, satisfied=0, rate=None, unrated_closed=1)


def test_scope_by_time(db, scenario):
    st = stats(db, scenario, since=at(8, 0))  # R5 R6 R7 R9 R10 R11 R13 (R8 was submitted on the 7th)
    assert st.total == 7
    st = stats(db, scenario, since=at(8, 0), until=at(10, 0))  # R6 R9 R11
    assert st.total == 3
    assert st.by_state["open"] == 1 and st.by_state["in_progress"] == 1 and st.by_state["done"] == 1
    # claims R9 20, R11 40 -> 30; finish R11 120
    assert (st.timing.median_minutes_to_claim, st.timing.claim_samples) == (30, 2)
    assert (st.timing.median_minutes_to_finish, st.timing.finish_samples) == (120, 1)
    assert st.satisfaction == Satisfaction(0, 0, None, 0)
    # `until` is exclusive: R7 submitted exactly at 10 11:00 is out, R5 at 09:00 is in ...
    assert stats(db, scenario, since=at(10, 9), until=at(10, 11)).total == 1
    # ... and `since` inclusive: R7 is in.
    assert stats(db, scenario, since=at(10, 11), until=at(10, 12)).total == 1


def test_empty_community(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
    with db.factory() as s:
        st = compute_stats(s, w.community.id, now=NOW)
    assert st.total == 0
    assert set(st.by_state.values()) == {0} and len(st.by_state) == 8
    assert st.by_grid == st.by_team == st.by_category == {}
    assert st.timing.median_minutes_to_claim is None and st.timing.claim_samples == 0
    assert st.timing.median_minutes_to_finish is None and st.timing.finish_samples == 0
    assert st.satisfaction == Satisfaction(0, 0, None, 0)
    assert st.satisfaction_by_grid == st.satisfaction_by_team == {}
    assert st.overdue == Overdue(0, 0, 0, 0)


# --- queues ---------------------------------------------------------------------------


def page(db, sc, name, **kw):
    with db.factory() as s:
        return queue(s, sc.w.community.id, name, now=NOW, **kw)


def labels(sc, p):
    by_id = {v: k for k, v in sc.ids.items()}
    return [by_id[i.request_id] for i in p.items]


def test_queue_names():
    assert QUEUE_NAMES == {
        "review": "待审核",
        "unclaimed": "待接单",
        "overdue": "超时",
        "awaiting_rating": "待评价",
        "low_rating": "差评",
    }


def test_review_queue_oldest_first(db, scenario):
    p = page(db, scenario, "review")
    assert labels(scenario, p) == ["R13", "R5"]  # submitted 07:00, 09:00
    assert p.total == 2
    assert p.items[0].kind == "wish" and p.items[0].state == "submitted"
    assert p.items[0].category == "助老" and p.items[0].grid == G2 and p.items[0].building == "4号楼"
    assert p.items[0].age == timedelta(hours=5) and p.items[0].volunteer is None


def test_unclaimed_queue_red_flags_first(db, scenario):
    p = page(db, scenario, "unclaimed")
    # R6 and R7 are red (R6 older first); R8 was published before R7 but is not red (its
    # red-flag clock runs from publication, not from its submission three days ago): last.
    assert labels(scenario, p) == ["R6", "R7", "R8"]
    assert p.total == 3
    assert [i.flags for i in p.items] == [("red_flag", "needs_followup"), ("red_flag",), ("urgent", "escalated")]
    g1 = page(db, scenario, "unclaimed", grid_id=scenario.w.grids["G1"].id)
    assert labels(scenario, g1) == ["R7", "R8"] and g1.total == 2


def test_overdue_queue(db, scenario):
    p = page(db, scenario, "overdue")
    assert labels(scenario, p) == ["R6", "R9", "R7"]  # submitted 09 10:00, 09 20:00, 10 11:00
    assert p.total == 3
    r9 = p.items[1]
    assert r9.state == "in_progress" and r9.volunteer == "刘师傅" and r9.flags == ("past_due",)
    assert r9.category == "维修" and r9.grid == G1 and r9.building == "3号楼"
    assert r9.summary == "三号楼二单元厨房水管爆裂，水流到楼下邻居家，请尽快上门维修，谢谢师傅"[:30]
    assert len(r9.summary) == 30
    assert r9.age == timedelta(hours=16)


def test_awaiting_rating_queue(db, scenario):
    p = page(db, scenario, "awaiting_rating")
    assert labels(scenario, p) == ["R11"] and p.total == 1
    assert p.items[0].volunteer == "孙师傅"


def test_low_rating_queue_newest_first(db, scenario):
    p = page(db, scenario, "low_rating")
    # R6: follow-up without a rating (submitted 09 10:00); R3: rated 2 on 03 13:00. R1 (5) is not here.
    assert labels(scenario, p) == ["R6", "R3"]
    assert p.total == 2
    assert p.items[1].flags == ("needs_followup", "low_rating")


def test_paging(db):
    with db.factory() as s, s.begin():
        sc = Scenario(s)
        for n in range(5):  # D0 done longest ago ... D4 most recently
            sc.add(
                f"D{n}",
                RequestState.DONE,
                grid="G1",
                team="repair1",
                category="repair",
                building=1,
                volunteer="张师傅",
                published=at(1 + n, 8),
                claim=10,
                finish=60,
            )
    full = page(db, sc, "awaiting_rating")
    assert labels(sc, full) == ["D0", "D1", "D2", "D3", "D4"] and full.total == 5
    second = page(db, sc, "awaiting_rating", limit=2, offset=2)
    assert labels(sc, second) == ["D2", "D3"] and second.total == 5
    last = page(db, sc, "awaiting_rating", limit=2, offset=4)
    assert labels(sc, last) == ["D4"] and last.total == 5
    beyond = page(db, sc, "awaiting_rating", limit=2, offset=10)
    assert beyond.items == [] and beyond.total == 5
    assert page(db, sc, "awaiting_rating", grid_id=sc.w.grids["G2"].id).total == 0


def test_unknown_queue(db, scenario):
    with pytest.raises(InvalidInput) as exc:
        page(db, scenario, "nonsense")
    message = exc.value.message
    assert "nonsense" in message
    for name, label in [
        ("review", "待审核"),
        ("unclaimed", "待接单"),
        ("overdue", "超时"),
        ("awaiting_rating", "待评价"),
        ("low_rating", "差评"),
    ]:
        assert name in message and label in message
