"""转人工 through the bot and the Bot API emulator (no Rasa: the menu's 找人工 button; the
dialogue's own way in is tests/bot/test_e2e_rasa.py). The grid leader of the resident's
building gets the conversation; three messages go each way; a voice message is forwarded
with who sent it; the leader places an order for the resident and ends the conversation;
out of hours the resident is queued and a staff member takes it from /queue."""

from datetime import datetime

import pytest
from sqlalchemy import select

from bot import texts
from community import clock
from community.models import DutyShift, Handoff, HandoffState, Request, RequestKind
from sim.emulator import User, polling
from tests.bot.in_process import app_for, user
from tests.builders import build_world

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]
WEDNESDAY_10 = datetime(2026, 12, 2, 2, 0)  # 10:00 in Shanghai, outside quiet hours


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: WEDNESDAY_10):
        yield


async def press(client, who: User, message, title: str) -> str:
    data = next((b.callback_data for row in message.buttons for b in row if b.text == title), None)
    assert data, f"no button {title!r} on {message.text!r}: {message.button_texts}"
    return await client.press(who, who.id, data, message.message_id)


async def test_a_resident_talks_to_the_grid_leader_who_orders_for_her_and_ends(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        wang_person = world.residents["王奶奶"].person
        wang_person.phone = "13900000001"
        wang, leader = user(wang_person), user(world.leaders["G1"])
        repair = world.categories["repair"].id
    app, client = app_for(db, emulator), emulator.client(timeout=60)
    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_command(wang, wang.id, "/menu")
            menu = await client.wait_for(wang.id, lambda m: m.text == texts.RES_MENU)
            await press(client, wang, menu, texts.HO_BUTTON_HUMAN)
            connected = await client.wait_for(wang.id, lambda m: "已为您接通" in m.text)
            assert leader.first_name in connected.text and texts.HO_BUTTON_END in connected.button_texts
            card = await client.wait_for(leader.id, lambda m: "转人工" in m.text)
            assert "王奶奶（1号楼" in card.text and card.button_texts == [texts.HO_BUTTON_END, "代下单"]

            for said in ("卫生间灯泡坏了", "天黑了看不见", "能不能今天来"):
                await client.send_text(wang, wang.id, said)
                await client.wait_for(leader.id, lambda m, said=said: m.text == f"居民王奶奶：{said}")
            for said in ("您好，我来安排", "师傅下午到", "别着急"):
                await client.send_text(leader, leader.id, said)
                await client.wait_for(
                    wang.id, lambda m, said=said: m.text == f"社区工作人员{leader.first_name}：{said}"
                )

            await client.send_voice(wang, wang.id)
            intro = await client.wait_for(leader.id, lambda m: "发来一条语音" in m.text)
            assert "王奶奶（1号楼" in intro.text
            forwarded = await client.wait_for(leader.id, lambda m: "voice" in m.raw["message"])
            assert forwarded.raw["message"]["forward_from_chat_id"] == wang.id
            await client.wait_for(wang.id, lambda m: m.text.startswith("已转给社区工作人员"))

            await press(client, leader, card, "代下单")
            choose = await client.wait_for(leader.id, lambda m: m.text == texts.HO_CHOOSE_CATEGORY)
            pressed = await client.press(
                leader, leader.id, f"hocat:{choose.callback_data[0].split(':')[1]}:{repair}", choose.message_id
            )
            ordered = await client.until(lambda: client.callback_answer(pressed), what="the 代下单 answer")
            assert ordered["text"].startswith("已为居民代下单")
            told = await client.wait_for(wang.id, lambda m: m.text.startswith("社区工作人员已为您下单"))
            assert "维修" in told.text

            await press(client, leader, card, texts.HO_BUTTON_END)
            await client.wait_for(leader.id, lambda m: m.text == texts.HO_ENDED_STAFF)
            await client.wait_for(wang.id, lambda m: "结束了这次对话" in m.text)
        finally:
            await app.post_shutdown(app)
    with db.factory() as s:
        h = s.scalar(select(Handoff))
        assert h.state == HandoffState.ENDED and h.staff_person_id == world.leaders["G1"].id
        req = s.get(Request, h.request_id)
        assert (
            str(req.id) in ordered["text"]
            and str(req.id) in told.text
            and req.kind == RequestKind.SERVICE
            and req.category_id == repair
        )
        assert "灯泡坏了" in req.description and req.contact_phone == "13900000001"
        said = [(e["who"], e["text"]) for e in h.transcript if not e.get("context")]
        assert said[:6] == [
            ("resident", "卫生间灯泡坏了"),
            ("resident", "天黑了看不见"),
            ("resident", "能不能今天来"),
            ("staff", "您好，我来安排"),
            ("staff", "师傅下午到"),
            ("staff", "别着急"),
        ]


async def test_out_of_hours_the_resident_is_queued_and_staff_take_it_from_the_queue(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        staff_person = world.staff.person
        s.add(
            DutyShift(
                community_id=world.community.id, person_id=staff_person.id, weekday=4, start_minute=510, end_minute=1050
            )
        )
        chen, staff, wang = (
            user(world.residents["陈大爷"].person),
            user(staff_person),
            user(world.residents["王奶奶"].person),
        )
    app, client = app_for(db, emulator), emulator.client(timeout=60)
    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_command(chen, chen.id, "/menu")
            menu = await client.wait_for(chen.id, lambda m: m.text == texts.RES_MENU)
            await press(client, chen, menu, texts.HO_BUTTON_HUMAN)
            queued = await client.wait_for(chen.id, lambda m: "排上队" in m.text)
            assert "明天 08:30" in queued.text
            await client.send_voice(chen, chen.id)  # kept for whoever takes it
            await client.wait_for(chen.id, lambda m: m.text.startswith("已转给社区工作人员") and "明天 08:30" in m.text)

            await client.send_command(wang, wang.id, "/waiting")  # residents see no queue
            await client.wait_for(wang.id, lambda m: m.text == texts.HO_QUEUE_STAFF_ONLY)
            await client.send_command(staff, staff.id, "/queue 转人工")
            listing = await client.wait_for(staff.id, lambda m: m.text.startswith("排队等待的居民"))
            assert "陈大爷（4号楼" in listing.text
            await client.press(staff, staff.id, listing.callback_data[0], listing.message_id)
            await client.wait_for(staff.id, lambda m: "转人工" in m.text and "陈大爷" in m.text)
            await client.wait_for(staff.id, lambda m: "voice" in m.raw["message"])  # the voice sent while waiting
            await client.wait_for(chen.id, lambda m: "来了" in m.text)
            await client.send_text(chen, chen.id, "谢谢")
            await client.wait_for(staff.id, lambda m: m.text == "居民陈大爷：谢谢")
        finally:
            await app.post_shutdown(app)


async def test_a_shared_location_picks_the_nearest_building_and_asks_to_confirm(db, emulator):
    with db.factory() as s, s.begin():
        world = build_world(s)
        for number, b in world.buildings.items():
            b.latitude, b.longitude = 39.9000 + number * 0.001, 116.4000
        wang = user(world.residents["王奶奶"].person)
    app, client = app_for(db, emulator), emulator.client(timeout=60)
    async with polling(app), client:
        await app.post_init(app)
        try:
            await client.send_location(wang, wang.id, 39.90301, 116.40002)  # beside 3号楼
            asked = await client.wait_for(wang.id, lambda m: m.text == texts.LOC_CONFIRM.format(building="3号楼"))
            await press(client, wang, asked, texts.LOC_YES)
            await client.wait_for(wang.id, lambda m: m.text == texts.LOC_NOTED.format(building="3号楼"))
            await client.send_location(wang, wang.id, 31.2304, 121.4737)  # Shanghai: no building near
            await client.wait_for(wang.id, lambda m: m.text == texts.LOC_NONE)
        finally:
            await app.post_shutdown(app)
