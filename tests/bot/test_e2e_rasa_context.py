"""Issue 14 through everything at once: the bot polling the Bot API emulator, the real Rasa
with the trained model, the real action server, one community database.

- A resident with one open request asks "師傅到哪了" in Traditional and reads that request's
  status in Traditional; "先停一停" gets the cancel question for that request, and 确定取消
  cancels it (the outbox's 已取消).
- A resident sends a photo in the middle of a Rasa order: it is kept, attached when she
  confirms, and forwarded to the volunteer who claims, after the contact details; the other
  volunteer who got the card never receives it."""

import itertools

import pytest
from sqlalchemy import select

from actions import texts as dialogue
from bot import chinese, texts
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Offer, Person, Request, RequestKind, RequestPhoto, RequestState, Resident, Volunteer
from sim.emulator import User
from tests.bot.test_e2e_rasa import answer_until_read_back, bot_and_client, daytime, request_number, tap  # noqa: F401
from tests.bot.test_e2e_rasa_handoff import polling_app

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]
_ids = itertools.count(774_001)


def resident(rasa_stack, name: str, orders: tuple[str, ...] = ()) -> tuple[User, list[int]]:
    world = rasa_stack.world
    with clock.use_clock(rasa_stack.clock), rasa_stack.factory() as s, s.begin():
        person = Person(community_id=world.community.id, name=name, telegram_id=next(_ids), phone="13800005555")
        consent = world.residents["王奶奶"].consent_at
        s.add(Resident(person=person, building_id=world.buildings[2].id, unit=1, room="401", consent_at=consent))
        s.flush()
        actor = actor_for_person(s, person)
        ids = [lifecycle.submit(s, actor, NewRequest(RequestKind.SERVICE, d, category="维修")).id for d in orders]
    return User(id=person.telegram_id, first_name=name), ids


def traditional(text: str) -> str:
    return chinese.for_reader({chinese.TRADITIONAL: True}, text)


async def test_where_is_it_in_traditional_and_a_stop_word_cancel_the_only_open_request(rasa_stack, emulator, daytime):  # noqa: F811
    lin, [rid] = resident(rasa_stack, "林婆婆", ("卫生间水管漏水",))
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling_app(app), client:
        await client.send_text(lin, lin.id, "師傅到哪了")
        status = await client.wait_for(lin.id, lambda m: traditional(f"编号 {rid}｜") in m.text)
        assert status.text.startswith(traditional(dialogue.STATUS_HEAD_ONE)), status.text  # 您問的訴求：
        assert traditional(f"编号 {rid}｜维修｜待接单") in status.text, status.text  # 編號 N｜維修｜待接單

        await client.send_text(lin, lin.id, "先停一停")
        sure = await client.wait_for(lin.id, lambda m: dialogue.BUTTON_YES_CANCEL in m.button_texts)
        assert sure.text == dialogue.ASK_CANCEL_CONFIRM.format(id=rid, what="维修"), sure.text
        await tap(client, lin, sure, dialogue.BUTTON_YES_CANCEL)
        await client.wait_for(lin.id, lambda m: "已取消" in m.text and str(rid) in m.text)
    with rasa_stack.factory() as s:
        assert s.get(Request, rid).state == RequestState.CANCELLED


async def test_a_photo_sent_during_a_rasa_order_reaches_only_the_claimer(rasa_stack, emulator, daytime):  # noqa: F811
    he, _ = resident(rasa_stack, "何阿姨")
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling_app(app), client:
        await client.send_text(he, he.id, "家里水管漏水了 麻烦派个师傅来修修")
        asked = await client.wait_for(he.id, lambda m: bool(m.text))
        await client.send_photo(he, he.id)  # while the form is asking
        await client.wait_for(he.id, lambda m: m.text == texts.PHOTO_KEPT)
        assert "什么时间" in asked.text or "具体情况" in asked.text or dialogue.BUTTON_CONFIRM in asked.button_texts
        if dialogue.BUTTON_CONFIRM in asked.button_texts:
            summary = asked
        else:
            # the question again (the photo was no answer): answer until the read-back
            if "什么时间" in asked.text:
                await tap(client, he, asked, dialogue.TIME_TOMORROW_MORNING)
            else:
                await client.send_text(he, he.id, "厨房的水管一直在漏水")
            summary = await answer_until_read_back(client, he, "2号楼1单元401", "13800005555")
        await tap(client, he, summary, dialogue.BUTTON_CONFIRM)
        received = await client.wait_for(he.id, lambda m: "已收到您的维修预约" in m.text)
        rid = request_number(received.text)
        await client.wait_for(he.id, lambda m: m.text == texts.PHOTO_ATTACHED.format(id=rid))

        with rasa_stack.factory() as s:
            offered = [
                (v.person.telegram_id, v.person.name)
                for v in s.scalars(
                    select(Volunteer).join(Offer, Offer.volunteer_id == Volunteer.id).where(Offer.request_id == rid)
                )
            ]
        assert len(offered) >= 2, offered
        (winner_id, winner_name), others = offered[0], offered[1:]
        winner = User(id=winner_id, first_name=winner_name)
        card = await client.wait_for(winner.id, lambda m: f"claim:{rid}" in m.callback_data)
        assert "photo" not in card.raw["message"]
        await client.press(winner, winner.id, f"claim:{rid}", card.message_id)
        contact = await client.wait_for(winner.id, lambda m: "接单成功" in m.text and f"编号 {rid}" in m.text)
        forwarded = await client.wait_for(winner.id, lambda m: "photo" in m.raw["message"])
        assert forwarded.raw["message"]["forward_from_chat_id"] == he.id
        assert contact.message_id < forwarded.message_id
        for other_id, _ in others:
            # the card, or (if the claim came first) its 已被认领 line
            await client.wait_for(other_id, lambda m: f"编号 {rid}" in m.text)
            assert not any(
                "photo" in m.raw["message"] and m.raw["message"].get("forward_from_chat_id") == he.id
                for m in await client.history(other_id)
            )
    with rasa_stack.factory() as s:
        assert len(s.scalars(select(RequestPhoto).where(RequestPhoto.request_id == rid)).all()) == 1
