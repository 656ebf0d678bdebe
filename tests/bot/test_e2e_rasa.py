"""Everything at once, as in production: the bot (polling the local Bot API emulator), the
real Rasa server with the trained model, the real action server, one community database.
Residents type Chinese; what every party received is read back from the emulator and the
outcome from the database."""

import asyncio
import re

import pytest
from sqlalchemy import select

from actions import texts as dialogue
from bot import texts
from bot.app import build_application
from bot.config import BotSettings
from community import clock
from community.models import Person, Rating, Request, RequestKind, RequestState, Resident
from sim.emulator import EmulatorClient, EmulatorRequest, EmulatorServer, User, polling
from tests.timing import scaled

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]


@pytest.fixture
def daytime(rasa_stack):
    """The bot on the action server's clock (10:00 in Shanghai), outside quiet hours."""
    with clock.use_clock(rasa_stack.clock):
        yield


def bot_and_client(rasa_stack, emulator: EmulatorServer):
    """The bot on the emulator and the live Rasa, and a client for the users."""
    settings = BotSettings(
        telegram_bot_token=emulator.token,
        telegram_base_url=emulator.base_url,
        outbox_idle_seconds=0.05,
        rasa_url=rasa_stack.rasa.rasa_url,
        # RasaRelay.watch probes both before the relay is used: the live action server, not
        # the default 127.0.0.1:5055 (nothing listens there, and residents got the guided order)
        action_server_url=rasa_stack.rasa.action_url,
    )
    return build_application(settings, rasa_stack.factory, request=EmulatorRequest()), emulator.client(
        timeout=scaled(30)
    )


def user_of(person) -> User:
    return User(id=person.telegram_id, first_name=person.name)


async def tap(client: EmulatorClient, who: User, message, title: str) -> str:
    """Press the button titled `title` on `message`."""
    data = next((b.callback_data for row in message.buttons for b in row if b.text == title), None)
    assert data, f"no button {title!r} on {message.text!r}: {message.button_texts}"
    return await client.press(who, who.id, data, message.message_id)


async def answer_until_read_back(client: EmulatorClient, who: User, address: str, phone: str) -> object:
    """Answer what the assistant asks, as a resident would, until it reads the request back."""
    for _ in range(8):
        asked = await client.wait_for(who.id, lambda m: bool(m.text) and m.text != texts.RES_CONSENT_THANKS)
        if dialogue.BUTTON_CONFIRM in asked.button_texts:
            return asked
        if "哪项服务" in asked.text:
            await tap(client, who, asked, "维修")
        elif "几号楼" in asked.text:
            await client.send_text(who, who.id, address)
        elif "什么时间" in asked.text:
            await tap(client, who, asked, dialogue.TIME_TOMORROW_MORNING)
        elif "电话" in asked.text:
            assert any(b.request_contact for row in asked.keyboard for b in row), "no share-contact keyboard"
            await client.send_contact(who, who.id, phone)
        elif "具体情况" in asked.text or "什么心愿" in asked.text:
            await client.send_text(who, who.id, "腿脚不好，想要一台轮椅")
        else:
            continue  # e.g. a validation message before the repeated question
    raise AssertionError("the assistant never read the request back")


def request_number(message_text: str) -> int:
    return int(re.search(r"编号 (\d+)", message_text).group(1))


async def test_a_new_resident_makes_a_wish_by_text_volunteers_race_and_she_rates(rasa_stack, emulator, daytime):
    world, factory = rasa_stack.world, rasa_stack.factory
    staff, zhang, liu = (
        user_of(world.staff.person),
        user_of(world.volunteers["张师傅"].person),
        user_of(world.volunteers["刘师傅"].person),
    )
    li = User(id=990_201, first_name="李奶奶")
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_text(li, li.id, "想给我妈许个心愿")  # before consent: kept, consent asked first
            consent = await client.wait_for(li.id, lambda m: "consent:1" in m.callback_data)
            await client.press(li, li.id, "consent:1", consent.message_id)
            await client.wait_for(li.id, lambda m: m.text == texts.RES_MENU)
            await client.send_text(li, li.id, "想给我妈许个心愿 她腿脚不好 想要一台轮椅")
            summary = await answer_until_read_back(client, li, "2号楼1单元201", "13800001111")
            assert "轮椅" in summary.text and "2号楼1单元201" in summary.text and "13800001111" in summary.text
            await tap(client, li, summary, dialogue.BUTTON_CONFIRM)
            received = await client.wait_for(li.id, lambda m: "已收到您的微心愿" in m.text)
            rid = request_number(received.text)

            review = await client.wait_for(staff.id, lambda m: f"publish:{rid}" in m.callback_data)
            await client.press(staff, staff.id, f"publish:{rid}", review.message_id)
            await client.wait_for(li.id, lambda m: "已审核通过" in m.text)

            card_z = await client.wait_for(zhang.id, lambda m: f"claim:{rid}" in m.callback_data)
            card_l = await client.wait_for(liu.id, lambda m: f"claim:{rid}" in m.callback_data)
            assert "13800001111" not in card_z.text and "201" not in card_z.text  # no phone, no door number
            first = await client.press(zhang, zhang.id, f"claim:{rid}", card_z.message_id)
            second = await client.press(liu, liu.id, f"claim:{rid}", card_l.message_id)
            answers = [
                await client.until(lambda q=q: client.callback_answer(q), what="an answer") for q in (first, second)
            ]
            winners = [a for a in answers if "接单成功" in a["text"]]
            assert len(winners) == 1, answers
            winner = zhang if winners[0] is answers[0] else liu
            contact = await client.wait_for(winner.id, lambda m: "13800001111" in m.text)
            assert "2号楼1单元201" in contact.text
            await client.wait_for(li.id, lambda m: winner.first_name in m.text and "接单" in m.text)

            await client.press(winner, winner.id, f"finish:{rid}", contact.message_id)
            hours = await client.wait_for(winner.id, lambda m: "用了多长时间" in m.text)
            await client.press(winner, winner.id, hours.callback_data[0], hours.message_id)
            done = await client.wait_for(li.id, lambda m: f"rate:{rid}:5" in m.callback_data)
            await client.press(li, li.id, f"rate:{rid}:5", done.message_id)
            await client.wait_for(winner.id, lambda m: "5 星" in m.text)
        finally:
            await app.post_shutdown(app)
    with factory() as s:
        req = s.get(Request, rid)
        assert (req.kind, req.state, req.address_text, req.contact_phone) == (
            RequestKind.WISH,
            RequestState.CLOSED,
            "2号楼1单元201",
            "13800001111",
        )
        assert req.volunteer.person.name == winner.first_name
        assert s.scalar(select(Rating.score).where(Rating.request_id == rid)) == 5


async def test_a_service_ordered_by_text_is_cancelled_and_a_forged_button_refused(rasa_stack, emulator, daytime):
    world, factory = rasa_stack.world, rasa_stack.factory
    chen, wang = user_of(world.residents["陈大爷"].person), user_of(world.residents["王奶奶"].person)
    app, client = bot_and_client(rasa_stack, emulator)
    with factory() as s:
        before = len(requests_of(s, chen.id))  # the session's other tests may have used 陈大爷
    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_text(chen, chen.id, "家里水管漏水了 麻烦派个师傅来修修")
            summary = await answer_until_read_back(client, chen, "4号楼1单元101", "13912345678")
            assert "维修" in summary.text and "4号楼1单元101" in summary.text  # his address on record

            # 王奶奶's client sends the callback of 陈大爷's 确认提交 button: refused, nothing submitted.
            confirm = next(b.callback_data for row in summary.buttons for b in row if b.text == dialogue.BUTTON_CONFIRM)
            forged = await client.press(wang, chen.id, confirm, summary.message_id)
            refusal = await client.until(lambda: client.callback_answer(forged), what="the refusal")
            assert refusal["text"] == texts.STALE_BUTTON
            with factory() as s:
                assert len(requests_of(s, chen.id)) == before

            await tap(client, chen, summary, dialogue.BUTTON_CONFIRM)
            received = await client.wait_for(chen.id, lambda m: "已收到您的维修预约" in m.text)
            rid = request_number(received.text)

            await client.send_text(chen, chen.id, "不用了 取消订单吧")
            asked = await client.wait_for(
                chen.id, lambda m: dialogue.BUTTON_YES_CANCEL in m.button_texts or "哪一个" in m.text
            )
            if "哪一个" in asked.text:  # he has other open requests (the session's other tests)
                mine = next(t for t in asked.button_texts if t.startswith(f"编号 {rid} 维修："))  # and a summary
                await tap(client, chen, asked, mine)
                asked = await client.wait_for(chen.id, lambda m: dialogue.BUTTON_YES_CANCEL in m.button_texts)
            sure = asked
            assert str(rid) in sure.text
            await tap(client, chen, sure, dialogue.BUTTON_YES_CANCEL)
            await client.wait_for(chen.id, lambda m: "已取消" in m.text and str(rid) in m.text)
        finally:
            await app.post_shutdown(app)
    with factory() as s:
        assert s.get(Request, rid).state == RequestState.CANCELLED


def requests_of(session, telegram_id: int) -> list[Request]:
    return list(
        session.scalars(
            select(Request)
            .join(Resident, Request.resident_id == Resident.id)
            .join(Person, Resident.person_id == Person.id)
            .where(Person.telegram_id == telegram_id)
        )
    )


async def test_an_open_form_survives_a_restart_of_rasa(rasa_stack, emulator, daytime):
    """Rasa keeps its trackers in its SQL tracker store (endpoints.yml): killed in the middle of
    a form and started again, it goes on with the same form."""
    zhao = User(id=rasa_stack.telegram["zhao"], first_name="小赵")
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_text(zhao, zhao.id, "我想预约理发")
            await client.wait_for(zhao.id, lambda m: "几号楼" in m.text)
            # kill -9, then a new server on the same trackers (in a thread: the bot keeps polling)
            await asyncio.to_thread(rasa_stack.rasa.restart_rasa, kill=True)
            await client.send_text(zhao, zhao.id, "2号楼1单元201")
            await client.wait_for(zhao.id, lambda m: "什么时间" in m.text)  # the form's next question
            await client.send_text(zhao, zhao.id, "不填了")  # leave nothing open for the other tests
            await client.wait_for(zhao.id, lambda m: "没有提交" in m.text)
        finally:
            await app.post_shutdown(app)
