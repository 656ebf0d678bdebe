"""A street (街道) of 20 communities in one database, through the real bot process
(`python -m sim.emulated_bot`) and the Bot API emulator, on SQLite and PostgreSQL: the
supervisor (督查) asks /district and sees every community side by side; the bot's own
scheduler runs the daily check and the supervisor is warned, in chat, about the community
whose week fell below the 95% satisfaction bar; staff of a community are refused."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community import clock
from community import texts as core
from community.db import make_engine, session_factory, upgrade
from community.district_sample import community_name
from community.models import Person, Staff
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.district_world import community, load_sample, resident, serve
from tests.live import daytime_clock

SUPERVISOR = User(id=880001, first_name="周督查")
STAFF = User(id=880002, first_name="李淑芬")


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.fixture
def street(db_url, day, tmp_path):
    engine = make_engine(db_url)
    upgrade(engine)  # the migrations, as every process runs them on start
    factory = session_factory(engine)
    load_sample(factory, tmp_path, count=20, supervisor_telegram=SUPERVISOR.id)
    with factory() as s, s.begin():
        c01 = community(s, "C01")
        staff = s.scalars(
            select(Person).join(Staff, Staff.person_id == Person.id).where(Person.community_id == c01.id)
        ).first()
        staff.telegram_id = STAFF.id
        resident(s, c01, "王奶奶", 771001)
    start = day() - timedelta(days=4)
    for i, score in enumerate((2, 3, 5)):  # C01: one satisfied of three, 33%
        serve(factory, "C01", 771001, at=start + timedelta(hours=3 * i), claim_after=timedelta(minutes=10), score=score)
    yield factory
    engine.dispose()


def _check_at(day) -> str:
    """A local HH:MM for the daily check a little after now, so the bot's scheduler plans it
    at start and fires it during the test."""
    local = clock.to_local(day() + timedelta(seconds=80), "Asia/Shanghai")
    return local.strftime("%H:%M")


@pytest.mark.anyio
@pytest.mark.timeout(420)
async def test_a_supervisor_sees_twenty_communities_and_is_warned_in_chat(db_url, street, emulator, tmp_path, day):
    env = bot_env(
        db_url,
        emulator,
        day=day,
        OUTBOX_IDLE_SECONDS="0.05",
        SCHEDULER_MAX_SLEEP_SECONDS="1",
        DISTRICT_CHECK_AT=_check_at(day),
    )
    bot = BotProcess(tmp_path, env)
    async with emulator.client(timeout=scaled(30)) as client:
        bot.start()
        try:
            await client.send_command(SUPERVISOR, SUPERVISOR.id, "/district")
            head = await client.wait_for(SUPERVISOR.id, lambda m: "和平街道 各社区概况" in m.text)
            assert "共 20 个社区" in head.text and "1 个社区需关注" in head.text
            for i in range(20):
                assert community_name(i) in head.text
            assert "⚠️ 幸福里社区：待处理 0，超期 0，红色预警 0；满意率 33%（3 条）" in head.text
            assert "【满意率低】" in head.text

            await client.send_command(STAFF, STAFF.id, "/district")
            await client.wait_for(STAFF.id, lambda m: m.text == core.ERR_NOT_SUPERVISOR)
            assert not [m for m in await client.history(STAFF.id) if "各社区概况" in m.text]

            # The bot's scheduler fires the day's check: the warning arrives by itself.
            warning = await client.wait_for(
                SUPERVISOR.id, lambda m: m.text.startswith("【自动预警】幸福里社区"), timeout=scaled(240)
            )
            assert "33%" in warning.text and "95%" in warning.text

            await client.send_command(SUPERVISOR, SUPERVISOR.id, "/district")
            again = await client.wait_for(SUPERVISOR.id, lambda m: "和平街道 各社区概况" in m.text)
            assert "近 7 天自动预警" in again.text and "幸福里社区：满意率低于目标" in again.text
            # One warning, however many scheduler ticks ran meanwhile.
            history = await client.history(SUPERVISOR.id)
            assert len([m for m in history if m.text.startswith("【自动预警】")]) == 1
        finally:
            bot.stop()
    assert "Traceback" not in bot.output()
