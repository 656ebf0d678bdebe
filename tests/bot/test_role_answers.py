"""Every message is answered, by the sender's role, through the Bot API emulator and the
real bot process on default settings: `/start`, `/help` and an unknown command from a
newcomer, a resident, a volunteer, a grid leader and a staff member; a volunteer's free
text. Staff and volunteers never get the resident consent prompt."""

import pytest

from bot import texts
from community import clock
from community.db import make_engine, session_factory, upgrade
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.builders import build_world
from tests.live import daytime_clock

CONSENT = "您同意吗"


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.mark.anyio
@pytest.mark.timeout(300)
async def test_start_help_and_unknown_commands_by_role(db_url, emulator, tmp_path, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        users = {
            "resident": w.residents["王奶奶"].person,
            "volunteer": w.volunteers["孙师傅"].person,
            "leader": w.leaders["G1"],
            "staff": w.staff.person,
        }
        users = {k: User(id=p.telegram_id, first_name=p.name) for k, p in users.items()}
    users["newcomer"] = User(id=880_001, first_name="新邻居")
    expected = {  # what each role's /start, /help and an unknown command lead to
        "newcomer": CONSENT,
        "resident": texts.RES_MENU,
        "volunteer": "（志愿者）",
        "leader": "（网格长）",
        "staff": "（社区工作人员）",
    }
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(30)) as client:
        with bot:
            for role, who in users.items():
                for command in ("/start", "/help", "/unknowncommand"):
                    await client.send_command(who, who.id, command)
                    if command == "/unknowncommand":
                        await client.wait_for(who.id, lambda m: "没有“/unknowncommand”这个命令" in m.text)
                    # A newcomer's /help and unknown command show the menu; consent comes with /start.
                    want = texts.RES_MENU if role == "newcomer" and command != "/start" else expected[role]
                    said = await client.wait_for(who.id, lambda m, want=want: want in m.text)
                    if role in ("volunteer", "leader", "staff"):
                        assert CONSENT not in said.text
            # A volunteer's free text: the volunteer help, not the consent prompt.
            volunteer = users["volunteer"]
            await client.send_text(volunteer, volunteer.id, "你好，我今天下午有空")
            said = await client.wait_for(volunteer.id, lambda m: "（志愿者）" in m.text)
            assert CONSENT not in said.text
            for role in ("volunteer", "leader", "staff"):
                assert not any(CONSENT in m.text for m in await client.history(users[role].id)), role
        log = bot.output()
    assert "Traceback" not in log
    engine.dispose()
