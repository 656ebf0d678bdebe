"""The one authority: `lifecycle.allowed_actions` says what each actor may do with a request
in each state, and every lifecycle function agrees with it.

The expected table is written out here as a literal, not read from the code: a change to
the transition table, the role table or a precondition (say, cancelling a finished
request) fails this test until the table below is changed too, on purpose.
"""

from dataclasses import replace
from datetime import datetime

import pytest

from community import clock, lifecycle
from community.actors import SYSTEM, actor_for_person
from community.errors import DomainError
from community.lifecycle import NewRequest
from community.models import Event, OutboxMessage, Person, Request, RequestKind, RequestState
from tests.builders import build_world

S = RequestState
REPAIR = NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水了，麻烦来修一下", category="维修")
WISH = NewRequest(kind=RequestKind.WISH, description="想要一副老花镜", item="老花镜")

# Who is who in tests.builders' world. The request is 王奶奶's (building 1, grid G1);
# 张师傅 and 刘师傅 (G1 repair team) get the offer cards, 张师傅 claims it.
ROLES = {
    "owner": "王奶奶",
    "other_resident": "陈大爷",
    "assignee": "张师傅",
    "offered": "刘师傅",
    "not_offered": "孙师傅",  # repair volunteer of the other grid: no card at first
    "staff": "staff",
    "leader": "G1",
    "other_leader": "G2",
}
NOBODY = {role: [] for role in ROLES}
EXPECTED = {
    S.SUBMITTED: {
        **NOBODY,
        "owner": ["urge", "cancel"],
        "staff": ["publish", "reject", "flag_urgent", "edit", "note", "cancel"],
    },
    S.OPEN: {
        **NOBODY,
        "owner": ["urge", "cancel"],
        "assignee": ["claim", "decline"],  # not yet: holds a card like 刘师傅
        "offered": ["claim", "decline"],
        "staff": ["dispatch", "flag_urgent", "edit", "note", "cancel"],
        "leader": ["dispatch"],
    },
    S.CLAIMED: {
        **NOBODY,
        "owner": ["urge", "cancel"],
        "assignee": ["start", "finish", "release"],
        "staff": ["dispatch", "unassign", "flag_urgent", "edit", "note", "cancel"],
        "leader": ["dispatch", "unassign"],
    },
    S.IN_PROGRESS: {
        **NOBODY,
        "owner": ["urge", "cancel"],
        "assignee": ["finish", "release"],
        "staff": ["dispatch", "unassign", "flag_urgent", "edit", "note", "cancel"],
        "leader": ["dispatch", "unassign"],
    },
    S.DONE: {
        **NOBODY,
        "owner": ["confirm", "reopen", "rate"],
        "assignee": ["note"],
        "staff": ["confirm", "reopen", "note"],
    },
    S.CLOSED: {**NOBODY, "owner": ["rate"], "assignee": ["note"], "staff": ["note"]},
    S.REJECTED: {**NOBODY, "staff": ["note"]},
    S.CANCELLED: {**NOBODY, "staff": ["note"]},
}


@pytest.fixture(autouse=True)
def fixed_clock():
    with clock.use_clock(clock.FakeClock(datetime(2026, 11, 23, 2, 0))):
        yield


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        return build_world(s)


def person_id(world, name: str) -> int:
    if name in world.volunteers:
        return world.volunteers[name].person_id
    if name in world.residents:
        return world.residents[name].person_id
    if name == "staff":
        return world.staff.person_id
    return world.leaders[name].id


def act(db, world, name: str | None, fn, *args, **kwargs):
    with db.factory() as s, s.begin():
        actor = SYSTEM if name is None else actor_for_person(s, s.get(Person, person_id(world, name)))
        return fn(s, actor, *args, **kwargs)


def request_in(db, world, state: RequestState, note: str = "") -> int:
    """A request of 王奶奶's brought to `state` through the lifecycle itself (`note` makes
    a second one differ from the first, which would be refused as a duplicate)."""
    wish = state in (S.SUBMITTED, S.REJECTED)
    new = WISH if wish else REPAIR
    rid = act(db, world, "王奶奶", lifecycle.submit, replace(new, description=new.description + note)).id
    steps = {
        S.SUBMITTED: [],
        S.REJECTED: [("staff", lifecycle.reject, "内容不清楚")],
        S.OPEN: [],
        S.CANCELLED: [("王奶奶", lifecycle.cancel, "不需要了")],
        S.CLAIMED: [("张师傅", lifecycle.claim)],
        S.IN_PROGRESS: [("张师傅", lifecycle.claim), ("张师傅", lifecycle.start)],
        S.DONE: [("张师傅", lifecycle.claim), ("张师傅", lifecycle.finish, 1.0)],
        S.CLOSED: [("张师傅", lifecycle.claim), ("张师傅", lifecycle.finish, 1.0), ("王奶奶", lifecycle.confirm)],
    }[state]
    for name, fn, *args in steps:
        act(db, world, name, fn, rid, *args)
    return rid


def allowed(db, world, name: str, rid: int) -> list[str]:
    with db.factory() as s:
        actor = actor_for_person(s, s.get(Person, person_id(world, name)))
        return lifecycle.allowed_actions(s, actor, s.get(Request, rid))


@pytest.mark.parametrize("state", list(EXPECTED), ids=lambda st: st.value)
def test_allowed_actions_per_state_and_role_match_the_written_table(db, world, state):
    rid = request_in(db, world, state)
    with db.factory() as s:
        assert s.get(Request, rid).state == state
    got = {role: allowed(db, world, name, rid) for role, name in ROLES.items()}
    assert got == EXPECTED[state]


# What each action is called with when the test below takes it.
CALLS = {
    "claim": (lifecycle.claim,),
    "decline": (lifecycle.decline,),
    "start": (lifecycle.start,),
    "finish": (lifecycle.finish, 1.0),
    "release": (lifecycle.release, "临时有事"),
    "publish": (lifecycle.publish,),
    "reject": (lifecycle.reject, "内容不清楚"),
    "dispatch": (lambda s, a, rid, w: lifecycle.dispatch(s, a, rid, w.volunteers["赵阿姨"].id),),
    "unassign": (lifecycle.unassign,),
    "confirm": (lifecycle.confirm,),
    "reopen": (lifecycle.reopen,),
    "rate": (lifecycle.rate, 5),
    "urge": (lifecycle.urge,),
    "flag_urgent": (lifecycle.flag_urgent, True),
    "unflag_urgent": (lifecycle.flag_urgent, False),
    "edit": (lambda s, a, rid, w: lifecycle.edit(s, a, rid, description="厨房水管漏水，水表也在滴"),),
    "note": (lifecycle.add_note, "电话联系过居民"),
    "complete_followup": (lifecycle.complete_followup, "已回访，居民满意"),
    "cancel": (lifecycle.cancel, "居民来电说不需要了"),
}


def _counts(s) -> tuple[int, int]:
    from sqlalchemy import func, select

    return s.scalar(select(func.count()).select_from(Event)), s.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.mark.parametrize("state", list(EXPECTED), ids=lambda st: st.value)
def test_every_action_succeeds_exactly_when_it_is_allowed_and_a_refusal_writes_nothing(db, world, state):
    assert set(CALLS) == set(lifecycle.DISPLAY_ORDER)
    rid = request_in(db, world, state)
    for role, name in ROLES.items():
        for action, (fn, *args) in CALLS.items():
            with db.factory() as s:
                s.begin()
                actor = actor_for_person(s, s.get(Person, person_id(world, name)))
                before = _counts(s)
                call_args = [world] if fn.__name__ == "<lambda>" else args
                try:
                    fn(s, actor, rid, *call_args)
                    outcome = "done"
                except DomainError:
                    outcome = "refused"
                    assert _counts(s) == before, f"{role} {action} in {state}: a refusal wrote something"
                s.rollback()
            expected = "done" if action in EXPECTED[state][role] else "refused"
            assert outcome == expected, f"{role} ({name}) {action} in {state}"


def test_urgent_flag_and_pending_followup_change_what_staff_and_the_leader_see(db, world):
    rid = request_in(db, world, S.OPEN)
    act(db, world, "staff", lifecycle.flag_urgent, rid, True)
    assert "unflag_urgent" in allowed(db, world, "staff", rid)
    assert "flag_urgent" not in allowed(db, world, "staff", rid)
    done = request_in(db, world, S.DONE, note="，第二次")
    act(db, world, "王奶奶", lifecycle.rate, done, 1)  # a low rating asks for 回访
    assert "complete_followup" in allowed(db, world, "staff", done)
    assert allowed(db, world, "G1", done) == ["complete_followup"]
    assert allowed(db, world, "G2", done) == []
    assert "rate" not in allowed(db, world, "王奶奶", done)  # rated once is enough


def test_a_widened_offer_lets_eligible_volunteers_claim_but_not_others(db, world):
    rid = request_in(db, world, S.OPEN)
    assert allowed(db, world, "孙师傅", rid) == []  # other grid: no card yet
    with db.factory() as s, s.begin():
        s.get(Request, rid).escalation_level = 1  # widened after two hours: every tier may claim
    assert allowed(db, world, "孙师傅", rid) == ["claim", "decline"]  # the repair skill, other grid
    assert allowed(db, world, "周大姐", rid) == []  # other grid and no repair skill


def test_staff_must_give_a_reason_to_cancel_and_the_resident_need_not(db, world):
    rid = request_in(db, world, S.OPEN)
    with pytest.raises(DomainError, match="原因"):
        act(db, world, "staff", lifecycle.cancel, rid, "")
    assert act(db, world, "王奶奶", lifecycle.cancel, rid, "").state == S.CANCELLED


def test_staff_of_another_community_see_nothing(db, world):
    from community.models import Community, Staff

    rid = request_in(db, world, S.OPEN)
    with db.factory() as s, s.begin():
        other = Community(code="OTHER", name="别的社区")
        s.add(other)
        s.flush()
        outsider = Person(community_id=other.id, name="外社区干部", telegram_id=99_000_001)
        s.add(Staff(person=outsider))
    with db.factory() as s:
        actor = actor_for_person(s, s.get(Person, outsider.id))
        assert lifecycle.allowed_actions(s, actor, s.get(Request, rid)) == []
