"""A photo sent during an order (issue 14, item 3) through the bot and the Bot API emulator
(the guided order; Rasa switched off): the resident orders and sends a photo, a volunteer
claims and receives it after the contact details; the other volunteer, whose card said
nothing of it, never receives it; staff see it in the request's history. A photo right after
an order joins that order; a photo long after goes to the person on call, as before."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot import texts
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Event, Offer, Request, RequestKind, RequestPhoto, Volunteer
from sim.emulator import User, polling
from tests.bot.in_process import app_for, user
from tests.builders import build_world
from tests.timing import scaled

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]
NOW = datetime(2026, 12, 2, 2, 0)  # 10:00 in Shanghai, outside quiet hours


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: NOW):
        yield


def photos_in(messages) -> list:
    return [m for m in messages if "photo" in m.raw["message"]]


def offered(db, request_id: int) -> list[User]:
    with db.factory() as s:
        rows = s.scalars(
            select(Volunteer).join(Offer, Offer.volunteer_id == Volunteer.id).where(Offer.request_id == request_id)
        )
        return [user(v.person) for v in rows]


async def _edited(client, chat_id: int, message_id: int):
    return next((m for m in await client.history(chat_id) if m.message_id == message_id and "已被认领" in m.text), None)


async def test_a_photo_sent_during_the_guided_order_reaches_only_the_volunteer_who_claims(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        chen = user(world.residents["王奶奶"].person)  # G1: two repair volunteers get the card
    app, client = app_for(db, emulator), emulator.client(timeout=scaled(20))

    async def tap(who: User, data: str):
        async def latest():
            return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

        message = await client.until(latest, what=f"a button {data} for {who.first_name}")
        return await client.press(who, who.id, data, message.message_id)

    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_command(chen, chen.id, "/menu")
            await tap(chen, "menu:1")
            category = await client.wait_for(chen.id, lambda m: "请选择服务项目" in m.text)
            repair = next(d for b, d in zip(category.button_texts, category.callback_data, strict=True) if b == "维修")
            await client.press(chen, chen.id, repair, category.message_id)
            await client.send_text(chen, chen.id, "卫生间水管接口漏水了")
            await client.send_photo(chen, chen.id)  # in the middle of the order
            await client.wait_for(chen.id, lambda m: m.text == texts.PHOTO_KEPT)
            await tap(chen, "myaddr:0")
            await tap(chen, "submit:0")
            order = await client.wait_for(chen.id, lambda m: "预约（编号" in m.text)
            rid = int(order.text.split("编号 ")[1].split("）")[0])
            await client.wait_for(chen.id, lambda m: m.text == texts.PHOTO_ATTACHED.format(id=rid))

            volunteers = offered(db, rid)
            assert len(volunteers) >= 2, volunteers
            winner, other = volunteers[0], volunteers[1]
            cards = {v: await client.wait_for(v.id, lambda m: f"claim:{rid}" in m.callback_data) for v in volunteers}
            assert all("照片" not in c.text and "photo" not in c.raw["message"] for c in cards.values())
            assert photos_in(await client.history(winner.id)) == []  # nothing before the claim

            pressed = await client.press(winner, winner.id, f"claim:{rid}", cards[winner].message_id)
            assert "接单成功" in (await client.until(lambda: client.callback_answer(pressed)))["text"]
            contact = await client.wait_for(winner.id, lambda m: "接单成功" in m.text and "电话" in m.text)
            intro = await client.wait_for(winner.id, lambda m: m.text.startswith(f"编号 {rid}：居民发来的照片"))
            forwarded = await client.wait_for(winner.id, lambda m: "photo" in m.raw["message"])
            assert forwarded.raw["message"]["forward_from_chat_id"] == chen.id
            assert contact.message_id < intro.message_id < forwarded.message_id  # after the contact details
            await client.until(lambda: _edited(client, other.id, cards[other].message_id), what="the card edited")
        finally:
            await app.post_shutdown(app)
        for v in volunteers[1:]:
            assert photos_in(await client.history(v.id)) == [], v  # never to another volunteer
    with db.factory() as s:
        [photo] = s.scalars(select(RequestPhoto).where(RequestPhoto.request_id == rid)).all()
        assert photo.chat_id == chen.id and photo.file_id.startswith(f"photo-{chen.id}-")
        history = [e.action for e in s.scalars(select(Event).where(Event.request_id == rid).order_by(Event.id))]
        assert "attach_photo" in history  # staff read it on the request page


async def test_a_photo_right_after_ordering_joins_that_order_and_later_goes_to_the_person_on_call(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        wang_person = world.residents["王奶奶"].person
        wang = user(wang_person)
        rid = lifecycle.submit(
            s,
            actor_for_person(s, wang_person),
            NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水", category="维修"),
        ).id
    app, client = app_for(db, emulator), emulator.client(timeout=scaled(20))
    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_photo(wang, wang.id)
            await client.wait_for(wang.id, lambda m: m.text == texts.PHOTO_ATTACHED.format(id=rid))
            with db.factory() as s, s.begin():  # an hour later: no longer "right after"
                s.get(Request, rid).submitted_at = NOW - timedelta(hours=1)
            await client.send_photo(wang, wang.id)
            await client.wait_for(wang.id, lambda m: m.text.startswith("已转给社区工作人员"))
        finally:
            await app.post_shutdown(app)
    with db.factory() as s:
        assert len(s.scalars(select(RequestPhoto).where(RequestPhoto.request_id == rid)).all()) == 1
