"""The bot process end to end against the local Bot API emulator (telegram-test-api under
node): real HTTP, real polling, real callback queries. Volunteers race for a card, the
loser's card turns into "已被认领", the winner finishes, the resident rates; a forged press
is refused. What each party received is read back from the emulator."""

from datetime import datetime

import pytest

from bot.app import build_application
from bot.config import BotSettings
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Request, RequestKind, RequestState
from sim.emulator import EmulatorRequest, User, polling
from tests.builders import build_world
from tests.timing import scaled


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):  # 10:00 Shanghai, outside quiet hours
        yield


def user(person) -> User:
    return User(id=person.telegram_id, first_name=person.name)


@pytest.mark.anyio
@pytest.mark.timeout(60)
async def test_race_finish_and_rate_through_the_emulator(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        wang = world.residents["王奶奶"].person
        rid = lifecycle.submit(
            s,
            actor_for_person(s, wang),
            NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水", category="维修"),
        ).id
        zhang, liu, resident = (
            user(world.volunteers["张师傅"].person),
            user(world.volunteers["刘师傅"].person),
            user(wang),
        )

    settings = BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )
    app = build_application(settings, db.factory, request=EmulatorRequest())
    client = emulator.client(timeout=scaled(15))
    async with polling(app):
        await app.post_init(app)
        try:
            card_z = await client.wait_for(zhang.id, lambda m: f"claim:{rid}" in m.callback_data)
            card_l = await client.wait_for(liu.id, lambda m: f"claim:{rid}" in m.callback_data)
            assert "13912345678" not in card_z.text and "维修" in card_z.text  # no phone before claiming

            first = await client.press(zhang, zhang.id, f"claim:{rid}", card_z.message_id)
            # 刘师傅 presses at the same moment, on the card as his phone still shows it. The bot
            # handles different chats concurrently: either may win, exactly one does.
            second = await press_as_shown(client, liu, card_l, f"claim:{rid}")
            answers = {
                who: await client.until(lambda q=q: client.callback_answer(q), what="an answer")
                for who, q in ((zhang, first), (liu, second))
            }
            [winner] = [who for who, a in answers.items() if "接单成功" in a["text"]]
            loser, loser_card = (liu, card_l) if winner is zhang else (zhang, card_z)
            assert "已被其他志愿者认领" in answers[loser]["text"]
            contact = await client.wait_for(winner.id, lambda m: "13912345678" in m.text)
            assert "1号楼1单元101" in contact.text
            edited = await client.until(
                lambda: _find(
                    client.history(loser.id), lambda m: m.message_id == loser_card.message_id and "已被认领" in m.text
                ),
                what="the loser's card edited",
            )
            assert edited.callback_data == []  # the 接单 button is gone
            await client.wait_for(resident.id, lambda m: winner.first_name in m.text and "接单" in m.text)

            # A forged press: the resident's client sends publish for this request.
            received = await client.updates_for(resident.id)
            forged = await press_as_shown(client, resident, received[-1], f"publish:{rid}")
            refusal = await client.until(lambda: client.callback_answer(forged), what="refusal")
            assert "只有社区工作人员" in refusal["text"]

            await client.press(winner, winner.id, f"finish:{rid}", contact.message_id)
            question = await client.wait_for(winner.id, lambda m: "用了多长时间" in m.text)
            await client.press(winner, winner.id, question.callback_data[0], question.message_id)
            done = await client.wait_for(resident.id, lambda m: f"rate:{rid}:5" in m.callback_data)
            await client.press(resident, resident.id, f"rate:{rid}:5", done.message_id)
            await client.wait_for(winner.id, lambda m: "5 星" in m.text)
        finally:
            await app.post_shutdown(app)
    with db.factory() as s:
        req = s.get(Request, rid)
        assert req.state == RequestState.CLOSED and req.volunteer_id == world.volunteers[winner.first_name].id
        assert req.hours == 1.5  # the 维修 default, the first choice offered


async def press_as_shown(client, who: User, card, data: str) -> str:
    """A callback query for `card` as it was received, with any callback_data: what a phone
    showing a stale card, or a tampered client, sends."""
    query = {
        "botToken": client.token,
        "from": who.as_dict(),
        "data": data,
        "message": {
            "message_id": card.message_id,
            "date": 0,
            "chat": {"id": who.id, "type": "private"},
            "text": card.text,
        },
    }
    return (await client._post("/sendCallback", query))["callback_query_id"]


async def _find(history_coro, predicate):
    return next((m for m in await history_coro if predicate(m)), None)


@pytest.mark.anyio
@pytest.mark.timeout(90)
async def test_wish_from_a_new_resident_to_rating_and_an_order_cancelled(db, emulator):
    """The whole story by buttons (Rasa switched off): a new resident gives consent and makes
    a wish, staff publish it from the review card, two volunteers race, the winner finishes,
    the resident rates; a second resident orders a service and cancels it."""
    with db.factory() as s, s.begin():
        world = build_world(s)
        staff = user(world.staff.person)
        zhang, liu = user(world.volunteers["张师傅"].person), user(world.volunteers["刘师傅"].person)
        chen = user(world.residents["陈大爷"].person)
    newcomer = User(id=990_001, first_name="李奶奶")
    settings = BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )
    app = build_application(settings, db.factory, request=EmulatorRequest())
    client = emulator.client(timeout=scaled(15))

    async def tap(who: User, data: str):
        """Press the newest message in the chat (as it is now) that carries this button."""

        async def latest():
            return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

        message = await client.until(latest, what=f"a button {data} for {who.first_name}")
        return await client.press(who, who.id, data, message.message_id)

    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_command(newcomer, newcomer.id, "/start")
            await tap(newcomer, "consent:1")
            await tap(newcomer, "order:0")  # 许个微心愿
            await client.wait_for(newcomer.id, lambda m: "需要什么帮助" in m.text)
            await client.send_text(newcomer, newcomer.id, "想要一副老花镜，看报纸看不清")
            await client.wait_for(newcomer.id, lambda m: "地址" in m.text)
            await client.send_text(newcomer, newcomer.id, "2号楼3单元301")
            await client.wait_for(newcomer.id, lambda m: "联系电话" in m.text)
            await client.send_contact(newcomer, newcomer.id, "13922223333")
            await tap(newcomer, "submit:0")
            received = await client.wait_for(newcomer.id, lambda m: "已收到您的微心愿" in m.text)
            wish_id = int(received.text.split("编号 ")[1].split("）")[0])

            await tap(staff, f"publish:{wish_id}")
            await client.wait_for(newcomer.id, lambda m: "审核通过" in m.text)
            card_z = await client.wait_for(zhang.id, lambda m: f"claim:{wish_id}" in m.callback_data)
            card_l = await client.wait_for(liu.id, lambda m: f"claim:{wish_id}" in m.callback_data)
            assert "13922223333" not in card_z.text and "301" not in card_z.text
            won = await client.press(liu, liu.id, f"claim:{wish_id}", card_l.message_id)
            assert "接单成功" in (await client.until(lambda: client.callback_answer(won)))["text"]
            # a little later 张师傅 presses the card his phone still shows
            lost = await press_as_shown(client, zhang, card_z, f"claim:{wish_id}")
            assert "已被其他志愿者认领" in (await client.until(lambda: client.callback_answer(lost)))["text"]
            await client.wait_for(liu.id, lambda m: "13922223333" in m.text and "2号楼3单元301" in m.text)
            await tap(liu, f"finish:{wish_id}")
            hours = await client.wait_for(liu.id, lambda m: "用了多长时间" in m.text)
            await client.press(liu, liu.id, hours.callback_data[0], hours.message_id)
            await tap(newcomer, f"rate:{wish_id}:4")
            await client.wait_for(liu.id, lambda m: "4 星" in m.text)

            await client.send_command(chen, chen.id, "/menu")
            await tap(chen, "menu:1")
            category = await client.wait_for(chen.id, lambda m: "请选择服务项目" in m.text)
            await client.press(chen, chen.id, category.callback_data[0], category.message_id)
            await client.send_text(chen, chen.id, "客厅灯不亮了")
            await tap(chen, "myaddr:0")
            await tap(chen, "submit:0")
            order = await client.wait_for(chen.id, lambda m: "预约（编号" in m.text)
            order_id = int(order.text.split("编号 ")[1].split("）")[0])
            await client.send_command(chen, chen.id, "/my")
            await tap(chen, f"mycancel:{order_id}")
            await client.wait_for(chen.id, lambda m: f"编号 {order_id} 已取消" in m.text)
        finally:
            await app.post_shutdown(app)
    with db.factory() as s:
        assert s.get(Request, wish_id).state == RequestState.CLOSED
        assert s.get(Request, order_id).state == RequestState.CANCELLED
