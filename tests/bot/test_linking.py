"""Invite-joined and spreadsheet volunteers get cards, through the Bot API emulator and the
real bot process on default settings (SQLite and PostgreSQL).

Grid 1's repair team has five volunteers from the spreadsheets (a phone, no Telegram) living
in the resident's building: they rank first, and used to take every offer slot. A newcomer
joins with staff's invite link; one spreadsheet volunteer links their account with a code
from staff's /linkcode and their shared contact (no second person); a contact shared with a
code but the wrong phone is refused. A new order's card reaches both."""

import pytest
from sqlalchemy import func, select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, upgrade
from community.lifecycle import NewRequest
from community.models import Person, RequestKind
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.builders import add_volunteer, build_world
from tests.live import daytime_clock

SPREADSHEET_PHONE = "13855550001"


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.mark.anyio
@pytest.mark.timeout(400)
async def test_invited_and_linked_volunteers_receive_cards(db_url, emulator, tmp_path, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        for i in range(5):
            v = add_volunteer(s, w, f"表格志愿者{i}", "G1", ["repair1"], building=1)
            v.person.telegram_id = None
            v.person.phone = f"1385555000{i + 1}"
        s.flush()
        staff = User(id=w.staff.person.telegram_id, first_name=w.staff.person.name)
        wang_id = w.residents["王奶奶"].person_id
        linked_person = w.volunteers["表格志愿者0"].person_id
        persons_before = s.scalar(select(func.count(Person.id)))
    newcomer = User(id=770_001, first_name="新志愿者")
    spreadsheet = User(id=770_002, first_name="表格志愿者0")
    stranger = User(id=770_003, first_name="冒充的")

    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(40)) as client:
        with bot:
            # The newcomer joins with an invite link to grid 1's repair team.
            await client.send_command(staff, staff.id, "/invite 1 repair1")
            link = await client.wait_for(staff.id, lambda m: "start=join-" in m.text)
            code = link.text.split("start=join-")[1].split()[0]
            await client.send_command(newcomer, newcomer.id, f"/start join-{code}")
            await client.wait_for(newcomer.id, lambda m: "欢迎您加入志愿服务" in m.text)

            # A spreadsheet volunteer shares their contact with no code: told how to link.
            await client.send_contact(spreadsheet, spreadsheet.id, SPREADSHEET_PHONE)
            await client.wait_for(spreadsheet.id, lambda m: "绑定码" in m.text)
            # Staff issue a code for their phone; someone else trying it with their own phone is refused.
            await client.send_command(staff, staff.id, f"/linkcode {SPREADSHEET_PHONE}")
            issued = await client.wait_for(staff.id, lambda m: "start=link-" in m.text)
            assert "表格志愿者0" in issued.text
            link_code = issued.text.split("start=link-")[1].split()[0]
            await client.send_command(stranger, stranger.id, f"/link {link_code}")
            await client.wait_for(stranger.id, lambda m: "分享我的手机号" in m.text)
            await client.send_contact(stranger, stranger.id, "13966660000")
            await client.wait_for(stranger.id, lambda m: "没有找到" in m.text)
            # The volunteer opens the link and shares their own contact: linked.
            await client.send_command(spreadsheet, spreadsheet.id, f"/start link-{link_code}")
            await client.wait_for(spreadsheet.id, lambda m: "分享我的手机号" in m.text)
            await client.send_contact(spreadsheet, spreadsheet.id, f"+86 {SPREADSHEET_PHONE}")
            await client.wait_for(spreadsheet.id, lambda m: "绑定成功" in m.text and "一网格维修队" in m.text)
            await client.send_command(spreadsheet, spreadsheet.id, "/start")
            await client.wait_for(spreadsheet.id, lambda m: "（志愿者）" in m.text)

            with factory() as s, s.begin():
                wang = s.get_one(Person, wang_id)
                job = lifecycle.submit(
                    s,
                    actor_for_person(s, wang),
                    NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水", category="维修"),
                ).id
            for volunteer in (newcomer, spreadsheet):
                await client.wait_for(volunteer.id, lambda m: f"claim:{job}" in m.callback_data)
        log = bot.output()
    assert "Traceback" not in log, log[-3000:]
    with factory() as s:
        assert s.get_one(Person, linked_person).telegram_id == spreadsheet.id
        # one new person (the invited newcomer); neither the linked volunteer nor the stranger added one
        assert s.scalar(select(func.count(Person.id))) == persons_before + 1
    engine.dispose()
