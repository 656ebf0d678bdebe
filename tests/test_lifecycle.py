"""The request lifecycle on SQLite and PostgreSQL: every transition legal and illegal, the
role checks, the events and the notifications each party receives."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from community import clock, lifecycle
from community.actors import SYSTEM, actor_for_person
from community.errors import (
    AddressQuestion,
    AlreadyClaimed,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    OverLoad,
    TooSoon,
)
from community.lifecycle import TRANSITIONS, Duplicate, NewRequest
from community.models import (
    Event,
    LedgerEntry,
    Offer,
    OutboxMessage,
    Person,
    Rating,
    Request,
    RequestKind,
    RequestState,
    Volunteer,
)
from tests.builders import build_world

S = RequestState
REPAIR = NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水了，麻烦来修一下", category="维修")


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
    return w


@pytest.fixture(autouse=True)
def fixed_clock():
    fake = clock.FakeClock(datetime(2026, 11, 23, 2, 0))
    with clock.use_clock(fake):
        yield fake


def act(db, person_id, fn, *args, **kwargs):
    """Run one lifecycle call as the given person in its own transaction."""
    with db.factory() as s, s.begin():
        actor = SYSTEM if person_id is None else actor_for_person(s, s.get(Person, person_id))
        return fn(s, actor, *args, **kwargs)


def pid(world, name):
    if name in world.volunteers:
        return world.volunteers[name].person_id
    if name in world.residents:
        return world.residents[name].person_id
    if name == "staff":
        return world.staff.person_id
    return world.leaders[name].id


def get(db, request_id) -> Request:
    with db.factory() as s:
        req = s.get(Request, request_id)
        s.expunge(req)
        return req


def inbox(db, person_id) -> list[OutboxMessage]:
    with db.factory() as s:
        return list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person_id).order_by(OutboxMessage.id))
        )


def counts(db):
    with db.factory() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m))
            for m in (Request, Event, OutboxMessage, Offer, Rating, LedgerEntry)
        )


def new_service(db, world, resident="王奶奶", request=REPAIR) -> int:
    return act(db, pid(world, resident), lifecycle.submit, request).id


# --- submission and routing into offers ---------------------------------------------------


def test_service_order_is_published_and_offered_to_nearest_skilled_volunteers(db, world):
    rid = new_service(db, world)
    req = get(db, rid)
    assert req.state == S.OPEN and req.published_at is not None and req.due_at is not None
    assert req.grid_id == world.grids["G1"].id and req.team_id == world.teams["repair1"].id
    with db.factory() as s:
        offered = s.scalars(select(Offer.volunteer_id).where(Offer.request_id == rid).order_by(Offer.id)).all()
    # G1 repair team only; 张师傅 lives in the same building, so he comes first.
    assert offered == [world.volunteers["张师傅"].id, world.volunteers["刘师傅"].id]
    card = inbox(db, pid(world, "张师傅"))[-1]
    assert "维修" in card.text and "1号楼" in card.text
    assert "13912345678" not in card.text and "101" not in card.text  # no phone, no door number
    assert [b["action"] for b in card.buttons[0]] == ["claim", "decline"]
    received = inbox(db, pid(world, "王奶奶"))
    assert len(received) == 1 and f"编号 {rid}" in received[0].text
    with db.factory() as s:
        actions = s.scalars(select(Event.action).where(Event.request_id == rid).order_by(Event.id)).all()
    assert actions == ["submit", "publish"]


def test_wish_waits_for_staff_review_then_publish_offers_it(db, world):
    wish = NewRequest(kind=RequestKind.WISH, description="想要一副老花镜", item="老花镜")
    rid = act(db, pid(world, "陈大爷"), lifecycle.submit, wish).id
    assert get(db, rid).state == S.SUBMITTED
    review = inbox(db, pid(world, "staff"))[-1]
    assert review.kind == "review" and [b["action"] for b in review.buttons[0]] == ["publish", "reject"]
    with pytest.raises(Forbidden):
        act(db, pid(world, "张师傅"), lifecycle.publish, rid)
    act(db, pid(world, "staff"), lifecycle.publish, rid)
    req = get(db, rid)
    assert req.state == S.OPEN
    assert any("审核通过" in m.text for m in inbox(db, pid(world, "陈大爷")))
    # No category: the G2 volunteers (tier 0 for a wish) get it.
    assert inbox(db, pid(world, "孙师傅"))[-1].kind == "offer"


def test_reject_needs_a_reason_and_tells_the_resident(db, world):
    rid = act(
        db, pid(world, "王奶奶"), lifecycle.submit, NewRequest(kind=RequestKind.WISH, description="想要一台电视")
    ).id
    with pytest.raises(InvalidInput):
        act(db, pid(world, "staff"), lifecycle.reject, rid, "  ")
    assert get(db, rid).state == S.SUBMITTED
    act(db, pid(world, "staff"), lifecycle.reject, rid, "超出微心愿范围")
    assert get(db, rid).state == S.REJECTED
    assert "超出微心愿范围" in inbox(db, pid(world, "王奶奶"))[-1].text


# --- claims -------------------------------------------------------------------------------


def test_claim_gives_winner_the_contact_and_turns_other_cards_into_taken(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "刘师傅"), lifecycle.claim, rid)
    req = get(db, rid)
    assert req.state == S.CLAIMED and req.volunteer_id == world.volunteers["刘师傅"].id
    contact = inbox(db, pid(world, "刘师傅"))[-1]
    assert "13912345678" in contact.text and "1号楼1单元101" in contact.text
    assert [b["action"] for row in contact.buttons for b in row] == ["start", "finish", "release"]
    edit = inbox(db, pid(world, "张师傅"))[-1]
    assert edit.kind == "offer_withdrawn" and "已被认领" in edit.text and edit.edit_of is not None
    assert "刘师傅" in inbox(db, pid(world, "王奶奶"))[-1].text
    with pytest.raises(AlreadyClaimed) as err:
        act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    assert "已被其他志愿者认领" in err.value.message
    with pytest.raises(IllegalTransition, match="已经认领"):
        act(db, pid(world, "刘师傅"), lifecycle.claim, rid)
    with db.factory() as s:
        assert s.get(Volunteer, world.volunteers["刘师傅"].id).active_load == 1


def test_volunteer_over_load_limit_cannot_claim_and_nothing_changes(db, world):
    with db.factory() as s, s.begin():
        s.get(Volunteer, world.volunteers["张师傅"].id).max_load = 1
    first = new_service(db, world)
    second = new_service(
        db, world, request=NewRequest(kind=RequestKind.SERVICE, description="灯泡坏了", category="维修")
    )
    act(db, pid(world, "张师傅"), lifecycle.claim, first)
    before = counts(db)
    with pytest.raises(OverLoad) as err:
        act(db, pid(world, "张师傅"), lifecycle.claim, second)
    assert "上限 1 单" in err.value.message
    assert counts(db) == before and get(db, second).state == S.OPEN


def test_paused_volunteer_and_non_volunteer_cannot_claim(db, world):
    rid = new_service(db, world)
    with db.factory() as s, s.begin():
        s.get(Volunteer, world.volunteers["张师傅"].id).available = False
    with pytest.raises(Forbidden, match="暂停"):
        act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    with pytest.raises(Forbidden, match="志愿者"):
        act(db, pid(world, "陈大爷"), lifecycle.claim, rid)
    assert get(db, rid).state == S.OPEN


def test_decline_marks_the_offer_and_leaves_the_request_open(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.decline, rid)
    with db.factory() as s:
        offer = s.scalar(select(Offer).where(Offer.volunteer_id == world.volunteers["张师傅"].id))
        assert offer.status == "declined"
    assert get(db, rid).state == S.OPEN


# --- the volunteer's task -----------------------------------------------------------------


def test_only_the_claimer_can_start_finish_or_release(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    for fn in (lifecycle.start, lifecycle.finish, lifecycle.release):
        with pytest.raises(Forbidden, match="不是由您认领"):
            act(db, pid(world, "刘师傅"), fn, rid)
    assert get(db, rid).state == S.CLAIMED


def test_finish_records_hours_points_and_asks_resident_to_rate(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    act(db, pid(world, "张师傅"), lifecycle.start, rid)
    assert "已出发" in inbox(db, pid(world, "王奶奶"))[-1].text
    for bad in (0, -1, 25):
        with pytest.raises(InvalidInput):
            act(db, pid(world, "张师傅"), lifecycle.finish, rid, bad)
    act(db, pid(world, "张师傅"), lifecycle.finish, rid, None, "换了阀门")
    req = get(db, rid)
    assert req.state == S.DONE and req.hours == 1.5 and req.finish_note == "换了阀门"  # 维修 default 1.5 h
    with db.factory() as s:
        v = s.get(Volunteer, world.volunteers["张师傅"].id)
        assert (v.active_load, v.hours_total, v.points_total) == (0, 1.5, 15)
        assert s.scalar(select(LedgerEntry.hours).where(LedgerEntry.request_id == rid)) == 1.5
    done = inbox(db, pid(world, "王奶奶"))[-1]
    assert [b["action"] for b in done.buttons[0]] == ["confirm", "reopen"]
    assert [b["score"] for b in done.buttons[1]] == [1, 2, 3, 4, 5]


def test_release_reoffers_to_others_not_the_releaser(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    with db.factory() as s, s.begin():  # a new G1 repairer joins after the first offer
        from tests.builders import World, add_volunteer

        w2 = World(
            community=world.community,
            grids=world.grids,
            buildings=world.buildings,
            teams={k: s.merge(t) for k, t in world.teams.items()},
        )
        new_v = add_volunteer(s, w2, "钱师傅", "G1", ["repair1"], building=2)
        new_person = new_v.person_id
    act(db, pid(world, "张师傅"), lifecycle.release, rid, "临时要加班")
    req = get(db, rid)
    assert req.state == S.OPEN and req.volunteer_id is None
    assert inbox(db, new_person)[-1].kind == "offer"
    assert "临时要加班" in inbox(db, pid(world, "G1"))[-1].text
    assert "重新安排" in inbox(db, pid(world, "王奶奶"))[-1].text
    with db.factory() as s:
        assert s.get(Volunteer, world.volunteers["张师傅"].id).active_load == 0


# --- residents: confirm, rate, reopen, cancel, urge ------------------------------------------


def finished(db, world) -> int:
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    act(db, pid(world, "张师傅"), lifecycle.finish, rid, 2)
    return rid


def test_rating_closes_and_updates_the_volunteer(db, world):
    rid = finished(db, world)
    with pytest.raises(InvalidInput):
        act(db, pid(world, "王奶奶"), lifecycle.rate, rid, 6)
    with pytest.raises(Forbidden):
        act(db, pid(world, "陈大爷"), lifecycle.rate, rid, 5)
    act(db, pid(world, "王奶奶"), lifecycle.rate, rid, 5, "师傅很耐心")
    req = get(db, rid)
    assert req.state == S.CLOSED and not req.needs_followup and not req.closed_unrated
    with db.factory() as s:
        v = s.get(Volunteer, world.volunteers["张师傅"].id)
        assert (v.rating_count, v.rating_sum) == (1, 5) and v.rating_recent == pytest.approx(4.3)
    assert "5 星" in inbox(db, pid(world, "张师傅"))[-1].text
    with pytest.raises(IllegalTransition, match="评价过"):
        act(db, pid(world, "王奶奶"), lifecycle.rate, rid, 4)


def test_low_rating_flags_for_followup_and_tells_leader_and_staff(db, world):
    rid = finished(db, world)
    act(db, pid(world, "王奶奶"), lifecycle.rate, rid, 2, "还是漏水")
    assert get(db, rid).needs_followup
    for who in ("G1", "staff"):
        assert any(m.kind == "low_rating" and "还是漏水" in m.text for m in inbox(db, pid(world, who)))


def test_followup_call_is_recorded_by_staff_or_own_leader_only(db, world):
    rid = finished(db, world)
    act(db, pid(world, "王奶奶"), lifecycle.rate, rid, 1, "没修好")
    with pytest.raises(Forbidden):
        act(db, pid(world, "G2"), lifecycle.complete_followup, rid, "已回访")
    with pytest.raises(InvalidInput):
        act(db, pid(world, "G1"), lifecycle.complete_followup, rid, " ")
    act(db, pid(world, "G1"), lifecycle.complete_followup, rid, "已电话回访，约好明天再修")
    assert not get(db, rid).needs_followup
    with pytest.raises(IllegalTransition, match="没有待回访"):
        act(db, pid(world, "staff"), lifecycle.complete_followup, rid, "再次回访")
    with db.factory() as s:
        actions = s.scalars(select(Event.action).where(Event.request_id == rid).order_by(Event.id)).all()
    assert actions[-3:] == ["rate", "followup_requested", "followup_done"]


def test_not_fixed_reopens_and_offers_again(db, world):
    rid = finished(db, world)
    with pytest.raises(Forbidden):
        act(db, pid(world, "陈大爷"), lifecycle.reopen, rid)
    act(db, pid(world, "王奶奶"), lifecycle.reopen, rid, "还在漏")
    req = get(db, rid)
    assert req.state == S.OPEN and req.needs_followup and req.volunteer_id is None
    assert inbox(db, pid(world, "G1"))[-1].kind == "reopened"
    assert inbox(db, pid(world, "张师傅"))[-1].kind == "reopened"
    act(db, pid(world, "刘师傅"), lifecycle.claim, rid)  # can be claimed again
    assert get(db, rid).state == S.CLAIMED


def test_resident_cancels_only_their_own_and_the_volunteer_is_told(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    with pytest.raises(Forbidden, match="不是您提交"):
        act(db, pid(world, "陈大爷"), lifecycle.cancel, rid)
    act(db, pid(world, "王奶奶"), lifecycle.cancel, rid, "已经自己修好了")
    assert get(db, rid).state == S.CANCELLED
    assert inbox(db, pid(world, "张师傅"))[-1].kind == "cancelled"
    with db.factory() as s:
        assert s.get(Volunteer, world.volunteers["张师傅"].id).active_load == 0
    with pytest.raises(IllegalTransition, match="已取消"):
        act(db, pid(world, "王奶奶"), lifecycle.cancel, rid)


def test_urge_tells_the_grid_leader_at_most_once_an_hour(db, world, fixed_clock):
    rid = new_service(db, world)
    act(db, pid(world, "王奶奶"), lifecycle.urge, rid)
    assert inbox(db, pid(world, "G1"))[-1].kind == "urged"
    fixed_clock.advance(minutes=20)
    with pytest.raises(TooSoon, match="20 分钟前"):
        act(db, pid(world, "王奶奶"), lifecycle.urge, rid)
    fixed_clock.advance(minutes=41)
    act(db, pid(world, "王奶奶"), lifecycle.urge, rid)
    assert sum(m.kind == "urged" for m in inbox(db, pid(world, "G1"))) == 2


# --- staff and grid leaders --------------------------------------------------------------------


def test_dispatch_by_staff_or_own_grid_leader_moves_the_load(db, world):
    rid = new_service(db, world)
    with pytest.raises(Forbidden):
        act(db, pid(world, "G2"), lifecycle.dispatch, rid, world.volunteers["刘师傅"].id)
    act(db, pid(world, "G1"), lifecycle.dispatch, rid, world.volunteers["刘师傅"].id)
    act(db, pid(world, "staff"), lifecycle.dispatch, rid, world.volunteers["张师傅"].id)
    req = get(db, rid)
    assert req.state == S.CLAIMED and req.volunteer_id == world.volunteers["张师傅"].id
    with db.factory() as s:
        assert s.get(Volunteer, world.volunteers["刘师傅"].id).active_load == 0
        assert s.get(Volunteer, world.volunteers["张师傅"].id).active_load == 1
    assert inbox(db, pid(world, "刘师傅"))[-1].kind == "reassigned"
    assert "13912345678" in inbox(db, pid(world, "张师傅"))[-1].text


def test_escalation_widens_then_red_flags(db, world):
    rid = new_service(
        db,
        world,
        resident="陈大爷",
        request=NewRequest(kind=RequestKind.SERVICE, description="帮忙买菜", category="代购"),
    )
    # 代购 is only the community-wide care team: 周大姐 (G2, tier 0) then 赵阿姨 (G1, tier 2).
    assert inbox(db, pid(world, "周大姐"))[-1].kind == "offer"
    assert not [m for m in inbox(db, pid(world, "赵阿姨")) if m.kind == "offer"]
    act(db, None, lifecycle.escalate, rid, 1, 2)
    assert inbox(db, pid(world, "赵阿姨"))[-1].kind == "offer"
    assert inbox(db, pid(world, "G2"))[-1].kind == "escalated"
    act(db, None, lifecycle.escalate, rid, 2, 24)
    red = inbox(db, pid(world, "staff"))[-1]
    assert red.kind == "red_flag" and red.urgent
    assert get(db, rid).escalation_level == 2


def test_staff_places_an_order_for_a_resident_without_telegram(db, world):
    resident = world.residents["没有手机的吴奶奶"]
    with pytest.raises(Forbidden):
        act(db, pid(world, "陈大爷"), lifecycle.submit, REPAIR, for_resident_id=resident.id)
    rid = act(db, pid(world, "staff"), lifecycle.submit, REPAIR, for_resident_id=resident.id).id
    assert get(db, rid).created_by_person_id == pid(world, "staff")
    act(db, pid(world, "张师傅"), lifecycle.claim, rid)
    # The resident has no chat; the staff member who placed the order hears for her.
    assert "（代没有手机的吴奶奶）" in inbox(db, pid(world, "staff"))[-1].text


# --- bad input leaves everything unchanged ---------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "error", "fragment"),
    [
        (NewRequest(kind=RequestKind.SERVICE, description="   ", category="维修"), InvalidInput, "需要什么帮助"),
        (NewRequest(kind=RequestKind.SERVICE, description="漏" * 501, category="维修"), InvalidInput, "500 字以内"),
        (
            NewRequest(kind=RequestKind.SERVICE, description="帮我遛狗", category="遛狗"),
            InvalidInput,
            "没有“遛狗”这项服务",
        ),
        (
            NewRequest(kind=RequestKind.SERVICE, description="修水管", category="维修", address="99号楼"),
            AddressQuestion,
            "没有找到“99号楼”",
        ),
        (
            NewRequest(kind=RequestKind.SERVICE, description="修水管", category="维修", address="隔壁小区"),
            AddressQuestion,
            "几号楼",
        ),
        (
            NewRequest(kind=RequestKind.SERVICE, description="修水管", category="维修", address="3号楼9单元"),
            AddressQuestion,
            "只有 3 个单元",
        ),
        (
            NewRequest(kind=RequestKind.SERVICE, description="修水管", category="维修", phone="12345"),
            InvalidInput,
            "不是有效的电话号码",
        ),
    ],
)
def test_bad_submissions_get_a_clear_message_and_change_nothing(db, world, request_, error, fragment):
    before = counts(db)
    with pytest.raises(error) as err:
        act(db, pid(world, "王奶奶"), lifecycle.submit, request_)
    assert fragment in err.value.message
    assert counts(db) == before


def test_duplicate_within_a_minute_is_one_request(db, world, fixed_clock):
    rid = new_service(db, world)
    before = counts(db)
    fixed_clock.advance(seconds=30)
    with pytest.raises(Duplicate) as err:
        new_service(db, world)
    assert err.value.request_id == rid and f"编号 {rid}" in err.value.message
    assert counts(db) == before
    fixed_clock.advance(seconds=31)
    assert new_service(db, world) != rid


def test_submission_without_consent_is_refused(db, world):
    with db.factory() as s, s.begin():
        from community.models import Resident

        s.get(Resident, world.residents["王奶奶"].id).consent_at = None
    with pytest.raises(InvalidInput, match="同意"):
        new_service(db, world)


def test_address_text_routes_to_the_named_building(db, world):
    rid = act(
        db,
        pid(world, "王奶奶"),
        lifecycle.submit,
        NewRequest(kind=RequestKind.SERVICE, description="帮我妈修灯", category="灯泡", address="四号楼二单元五零二"),
    ).id
    req = get(db, rid)
    assert req.building_id == world.buildings[4].id and req.grid_id == world.grids["G2"].id
    assert (req.unit, req.room, req.address_text) == (2, "502", "4号楼2单元502")


# --- the transition table, exhaustively --------------------------------------------------------

# Who may perform each action in the matrix below.
PERFORMER = {
    "publish": "staff",
    "reject": "staff",
    "claim": "刘师傅",
    "dispatch": "staff",
    "start": "张师傅",
    "release": "张师傅",
    "unassign": "staff",
    "finish": "张师傅",
    "confirm": "王奶奶",
    "reopen": "王奶奶",
    "close_unrated": None,
    "cancel": "王奶奶",
}
ARGS = {"reject": ("不符合条件",), "dispatch": None, "finish": (1,)}


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("state", list(S))
def test_transition_matrix(db, world, action, state):
    """Put a request in `state` (assigned to 张师傅 where that makes sense) and try `action`
    as someone entitled to it: it succeeds exactly when the table allows it, and a refusal
    writes nothing."""
    rid = new_service(db, world)
    with db.factory() as s, s.begin():
        req = s.get(Request, rid)
        req.state = state
        if state in (S.CLAIMED, S.IN_PROGRESS, S.DONE):
            req.volunteer_id = world.volunteers["张师傅"].id
            if state != S.DONE:
                s.get(Volunteer, req.volunteer_id).active_load = 1
    args = ARGS.get(action, ())
    if action == "dispatch":
        args = (world.volunteers["刘师傅"].id,)
    allowed, target = TRANSITIONS[action]
    before = counts(db)
    performer = PERFORMER[action]
    fn = getattr(lifecycle, action)
    if state in allowed:
        act(db, None if performer is None else pid(world, performer), fn, rid, *args)
        after = get(db, rid)
        assert after.state == target
        with db.factory() as s:
            last = s.scalars(select(Event).where(Event.request_id == rid).order_by(Event.id.desc())).first()
            assert (last.action, last.from_state, last.to_state) == (action, state.value, target.value)
    else:
        with pytest.raises(DomainError):
            act(db, None if performer is None else pid(world, performer), fn, rid, *args)
        assert get(db, rid).state == state
        assert counts(db) == before


def test_staff_note_any_request_but_a_resident_cannot(db, world):
    rid = new_service(db, world)
    act(db, pid(world, "staff"), lifecycle.add_note, rid, "电话联系过，居民下午在家")
    with pytest.raises(Forbidden):
        act(db, pid(world, "王奶奶"), lifecycle.add_note, rid, "我自己加一句")
    with db.factory() as s:
        notes = s.execute(
            select(Event.actor_role, Event.note).where(Event.request_id == rid, Event.action == "note")
        ).all()
        assert notes == [("staff", "电话联系过，居民下午在家")]
        assert s.get(Request, rid).finish_note is None  # the volunteer's finishing note stays theirs
