"""community/handoff.py: a resident put through to a person (转人工), on both databases.

Who answers (duty roster, else the building's grid leader), the queue out of hours, the
messages both ways as outbox rows, who may end, take and order, 代下单 from the
conversation, and the waiting time in the statistics."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from community import clock, handoff, lifecycle
from community.actors import actor_for_person
from community.errors import Forbidden, IllegalTransition
from community.lifecycle import NewRequest
from community.models import DutyShift, HandoffState, OutboxMessage, Request, RequestKind
from tests.builders import build_world

# A Wednesday, 10:00 in Shanghai (02:00 UTC).
WEDNESDAY_10 = datetime(2026, 12, 2, 2, 0)


@pytest.fixture
def fake(db):
    c = clock.FakeClock(WEDNESDAY_10)
    with clock.use_clock(c):
        yield c


def outbox_to(s, person) -> list[OutboxMessage]:
    return list(s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person.id).order_by(OutboxMessage.id)))


def test_without_a_roster_the_grid_leader_gets_the_conversation_and_messages_go_both_ways(db, fake):
    with db.factory() as s, s.begin():
        w = build_world(s)
        wang = w.residents["王奶奶"].person
        leader = w.leaders["G1"]  # 王奶奶 lives in 1号楼, first grid
        resident = actor_for_person(s, wang)
        lifecycle.submit(
            s, resident, NewRequest(RequestKind.SERVICE, "厨房水管漏水", category="维修", phone="13900000001")
        )
        opened = handoff.request(
            s, resident, "asked", [("resident", "水管又漏了"), ("assistant", "不好意思，我没太明白。")]
        )
        assert (opened.staff.id, opened.existing, opened.handoff.state) == (leader.id, False, HandoffState.ACTIVE)
        card = outbox_to(s, leader)[-1]
        assert "王奶奶（1号楼" in card.text and "水管又漏了" in card.text and "维修" in card.text
        assert [b["action"] for b in card.buttons[0]] == ["hoend", "hoorder"]
        assert "电话：" not in card.text  # a grid leader who is not staff gets no phone (redaction rules)
        again = handoff.request(s, resident, "button")  # asking twice opens nothing new
        assert again.existing and again.handoff.id == opened.handoff.id

        fake.advance(minutes=1)
        staff = actor_for_person(s, leader)
        for text in ("您好，我是网格长", "师傅下午到", "还有别的吗"):
            assert handoff.from_staff(s, staff, text) is not None
        for text in ("谢谢", "好的", "没有了"):
            assert handoff.from_resident(s, resident, text) is not None
        to_wang = [m.text for m in outbox_to(s, wang) if m.kind == "handoff_message"]
        to_leader = [m.text for m in outbox_to(s, leader) if m.kind == "handoff_message"]
        assert to_wang == [f"社区工作人员{leader.name}：{t}" for t in ("您好，我是网格长", "师傅下午到", "还有别的吗")]
        assert to_leader == [f"居民王奶奶：{t}" for t in ("谢谢", "好的", "没有了")]

        # somebody else cannot end it; the staff member can, and the resident is told
        chen = actor_for_person(s, w.residents["陈大爷"].person)
        with pytest.raises(Forbidden):
            handoff.end(s, chen, opened.handoff.id)
        handoff.end(s, staff, opened.handoff.id)
        assert outbox_to(s, wang)[-1].kind == "handoff_ended"
        assert handoff.from_resident(s, resident, "还在吗") is None  # no longer relayed
        with pytest.raises(IllegalTransition):
            handoff.end(s, resident, opened.handoff.id)


def test_out_of_hours_it_waits_in_the_queue_until_a_staff_member_takes_it(db, fake):
    with db.factory() as s, s.begin():
        w = build_world(s)
        staff_person = w.staff.person
        # on duty only on Thursdays 08:30-17:30: on a Wednesday nobody is
        s.add(
            DutyShift(
                community_id=w.community.id, person_id=staff_person.id, weekday=4, start_minute=510, end_minute=1050
            )
        )
        s.flush()
        resident = actor_for_person(s, w.residents["陈大爷"].person)
        opened = handoff.request(s, resident, "menu")
        assert opened.staff is None and opened.handoff.state == HandoffState.WAITING
        assert opened.opens_at == "明天 08:30"
        waiting = handoff.from_resident(s, resident, "我家灯坏了")
        assert waiting.state == HandoffState.WAITING
        assert [h.id for h in handoff.queue(s, w.community.id)] == [opened.handoff.id]

        with pytest.raises(Forbidden):  # a resident cannot take it
            handoff.take(s, actor_for_person(s, w.residents["王奶奶"].person), opened.handoff.id)
        fake.advance(minutes=30)
        staff = actor_for_person(s, staff_person)
        handoff.take(s, staff, opened.handoff.id)
        assert handoff.queue(s, w.community.id) == []
        texts_to_staff = [m.text for m in outbox_to(s, staff_person)]
        assert any("陈大爷（4号楼" in t for t in texts_to_staff)
        assert "居民陈大爷：我家灯坏了" in texts_to_staff  # what was said while waiting
        with pytest.raises(IllegalTransition):
            handoff.take(s, staff, opened.handoff.id)
        summary = handoff.stats(s, w.community.id)
        assert (summary.total, summary.answered, summary.waiting, summary.median_wait_minutes) == (1, 1, 0, 30.0)


def test_on_duty_follows_the_roster(db, fake):
    with db.factory() as s, s.begin():
        w = build_world(s)
        p = w.staff.person
        s.add(
            DutyShift(community_id=w.community.id, person_id=p.id, weekday=3, start_minute=9 * 60, end_minute=12 * 60)
        )
        s.flush()
        assert [x.id for x in handoff.on_duty(s, w.community.id)] == [p.id]  # Wednesday 10:00
        assert handoff.on_duty(s, w.community.id, WEDNESDAY_10 + timedelta(hours=2)) == []  # 12:00: ended
        opened = handoff.request(s, actor_for_person(s, w.residents["王奶奶"].person), "asked")
        assert opened.staff.id == p.id  # the roster wins over the grid leader
        card = outbox_to(s, p)[-1]
        assert "电话：" in card.text or not w.residents["王奶奶"].person.phone  # staff see the phone


def test_staff_places_an_order_for_the_resident_from_the_conversation_once(db, fake):
    with db.factory() as s, s.begin():
        w = build_world(s)
        wang = w.residents["王奶奶"].person
        wang.phone = "13900000009"
        w.residents["王奶奶"].unit, w.residents["王奶奶"].room = 2, "301"
        resident = actor_for_person(s, wang)
        opened = handoff.request(s, resident, "asked")
        handoff.from_resident(s, resident, "卫生间的灯泡坏了")
        leader = actor_for_person(s, w.leaders["G1"])
        volunteer = actor_for_person(s, w.volunteers["张师傅"].person)
        with pytest.raises(Forbidden):
            handoff.place_order(s, volunteer, opened.handoff.id, w.categories["repair"].id)
        # a grid leader who is not staff and not connected may not either; the connected one may
        req = handoff.place_order(s, leader, opened.handoff.id, w.categories["repair"].id)
        assert (req.kind, req.category_id, req.resident_id) == (
            RequestKind.SERVICE,
            w.categories["repair"].id,
            w.residents["王奶奶"].id,
        )
        assert "灯泡坏了" in req.description and req.contact_phone == "13900000009" and req.room == "301"
        with pytest.raises(IllegalTransition):
            handoff.place_order(s, leader, opened.handoff.id, w.categories["repair"].id)
        assert s.scalar(select(Request.id).where(Request.id == req.id)) == req.id
        assert handoff.stats(s, w.community.id).orders == 1
