"""Staff 改派 → 收回 through the Bot API emulator and the real bot process, on default
settings, on SQLite and PostgreSQL: the request goes back to the offers the way 放弃 does.

王奶奶's repair is offered to 张师傅 and 刘师傅; 张师傅 claims it (刘师傅's card turns into
"已被认领"). Staff open it from /queue, press 改派 and then 收回: 张师傅's task card is
edited (no buttons left) and his old buttons are refused, 刘师傅 gets a fresh card and can
claim it, the resident is told it is being rearranged, and 张师傅 is not offered it again."""

import pytest

from community import clock, lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, upgrade
from community.lifecycle import NewRequest
from community.models import Person, Request, RequestKind
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.builders import build_world
from tests.live import daytime_clock


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


async def _tap(client, who: User, data: str) -> dict:
    """Press the newest button `data` in the presser's chat; the answer."""

    async def latest():
        return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

    message = await client.until(latest, what=f"a button {data} for {who.first_name}")
    qid = await client.press(who, who.id, data, message.message_id)
    return await client.until(lambda: client.callback_answer(qid), what=f"the answer to {data}")


async def _edited(client, who: User, message, predicate):
    """`message` as it is now in the chat (edits applied), once it satisfies `predicate`."""

    async def now():
        shown = next((m for m in await client.history(who.id) if m.message_id == message.message_id), None)
        return shown if shown is not None and predicate(shown) else None

    return await client.until(now, what=f"message {message.message_id} to {who.first_name} edited")


@pytest.mark.anyio
@pytest.mark.timeout(600)
async def test_staff_take_a_request_back_and_it_is_offered_again(db_url, emulator, tmp_path, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        wang = w.residents["王奶奶"]
        zhang, liu, staff, resident = (
            User(id=p.telegram_id, first_name=p.name)
            for p in (w.volunteers["张师傅"].person, w.volunteers["刘师傅"].person, w.staff.person, wang.person)
        )
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(40)) as client:
        with bot:
            for who in (zhang, liu):  # both have talked to the bot before
                await client.send_command(who, who.id, "/tasks")
                await client.wait_for(who.id, lambda m: bool(m.text))
            with factory() as s, s.begin():  # the resident's order, as any adapter places it
                job = lifecycle.submit(
                    s,
                    actor_for_person(s, s.get(Person, wang.person_id)),
                    NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水", category="维修"),
                ).id
            await client.wait_for(zhang.id, lambda m: f"claim:{job}" in m.callback_data)
            liu_card = await client.wait_for(liu.id, lambda m: f"claim:{job}" in m.callback_data)
            await client.send_command(staff, staff.id, "/queue unclaimed")
            await _tap(client, staff, f"detail:{job}")
            assert "接单成功" in (await _tap(client, zhang, f"claim:{job}"))["text"]
            task = await client.wait_for(zhang.id, lambda m: f"release:{job}" in m.callback_data)
            await _edited(client, liu, liu_card, lambda m: "已被认领" in m.text and not m.callback_data)

            offered_before = [m.message_id for m in await client.history(zhang.id) if f"claim:{job}" in m.callback_data]
            await _tap(client, staff, f"detail:{job}")  # 刷新: now held by 张师傅, so 改派
            await _tap(client, staff, f"reassign:{job}")
            answer = await _tap(client, staff, f"unassign:{job}")
            assert "已收回" in answer["text"]

            # 张师傅's task card is edited: told, and nothing left to press on it.
            edited = await _edited(client, zhang, task, lambda m: "改派" in m.text and not m.callback_data)
            assert f"编号 {job}" in edited.text
            # 刘师傅's card comes back, and he can claim it; the resident hears it is being rearranged.
            await client.wait_for(liu.id, lambda m: f"claim:{job}" in m.callback_data and "已被认领" not in m.text)
            await client.wait_for(resident.id, lambda m: "重新安排" in m.text and f"编号 {job}" in m.text)
            assert "接单成功" in (await _tap(client, liu, f"claim:{job}"))["text"]
            # 张师傅 was never offered it again.
            offered_after = [m.message_id for m in await client.history(zhang.id) if f"claim:{job}" in m.callback_data]
            assert offered_after == offered_before
        log = bot.output()
    assert "Traceback" not in log, log[-3000:]
    with factory() as s:
        req = s.get(Request, job)
        assert req.volunteer_id == w.volunteers["刘师傅"].id
    engine.dispose()
