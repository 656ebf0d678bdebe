"""The 转人工 page through HTTP: the queue and the conversations with the waiting-time
statistics; staff take a waiting resident and end a conversation; a forged CSRF token, an
unknown id and a grid leader are refused."""

from datetime import datetime

import pytest
from sqlalchemy import select

from community import clock, handoff
from community.actors import actor_for_person
from community.db import transaction
from community.models import DutyShift, Handoff, HandoffState, OutboxMessage, Person


@pytest.fixture(autouse=True)
def wednesday_morning():
    with clock.use_clock(lambda: datetime(2026, 12, 2, 2, 0)):  # 10:00 in Shanghai, a Wednesday
        yield


def csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_staff_see_the_queue_take_a_resident_and_end(web):
    with transaction(web.db.factory) as s:
        staff_id = web.world.staff.person_id
        s.add(
            DutyShift(
                community_id=web.world.community.id, person_id=staff_id, weekday=4, start_minute=510, end_minute=1050
            )
        )
        s.flush()
        resident = actor_for_person(s, s.get(Person, web.world.residents["陈大爷"].person_id))
        hid = handoff.request(s, resident, "menu").handoff.id
        handoff.from_resident(s, resident, "家里灯坏了")
    client = web.staff_client()
    page = client.get("/handoffs")
    assert page.status_code == 200
    assert "陈大爷（4号楼" in page.text and "排队中" in page.text and "家里灯坏了" in page.text
    assert "转人工 1 次，已接通 0 次，排队中 1 个" in page.text
    assert client.post(f"/handoffs/{hid}/take", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/handoffs/x/take", data={"csrf_token": csrf(page.text)}).status_code == 404
    taken = client.post(f"/handoffs/{hid}/take", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "已接待" in taken.text and "与李主任对话中" in taken.text
    with web.db.factory() as s:
        h = s.get(Handoff, hid)
        assert h.state == HandoffState.ACTIVE and h.staff_person_id == staff_id
        assert s.scalar(
            select(OutboxMessage.id).where(OutboxMessage.person_id == staff_id, OutboxMessage.kind == "handoff")
        )
    again = client.post(f"/handoffs/{hid}/take", data={"csrf_token": csrf(page.text)})
    assert "已经有工作人员在接待" in again.text  # the refusal, as community.handoff words it
    ended = client.post(f"/handoffs/{hid}/end", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "对话已结束" in ended.text and "现在没有排队或对话中的居民" in ended.text
    assert "已接通 1 次" in ended.text


def test_a_grid_leader_signed_in_does_not_get_the_page(web):
    leader = web.world.leaders["G1"].id
    response = web.staff_client(leader).get("/handoffs")
    assert response.status_code in (403, 404)
