"""Answer at once after start: the real bot process (`python -m sim.emulated_bot`, what
`make run` starts) against the Bot API emulator, with a Rasa that is still loading its model.
The bot takes messages at once and answers with the guided order, without even trying Rasa;
when Rasa has loaded, the same process (no restart) relays residents to Rasa."""

import time

import pytest

from bot import texts
from community import clock
from community.db import make_engine, session_factory, upgrade
from sim.emulator import User
from tests.bot.live_bot import BotProcess, RasaStub, bot_env, scaled
from tests.builders import build_world
from tests.live import daytime_clock

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]


@pytest.fixture
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.fixture
def residents(tmp_path, day):
    url = f"sqlite:///{tmp_path / 'startup.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as s, s.begin():
        world = build_world(s)
        people = [world.residents[name].person for name in ("王奶奶", "陈大爷")]
        users = [User(id=p.telegram_id, first_name=p.name) for p in people]
    engine.dispose()
    return url, users


async def test_the_bot_answers_while_rasa_loads_then_switches_to_rasa_without_a_restart(
    residents, emulator, tmp_path, day
):
    url, (wang, chen) = residents
    client = emulator.client(timeout=scaled(60))
    with RasaStub(loading=True) as rasa:
        started = time.monotonic()
        with BotProcess(tmp_path, bot_env(url, emulator, rasa.url, day=day)) as bot:
            await client.send_text(wang, wang.id, "家里厨房水管漏水了")
            guided = await client.wait_for(wang.id, lambda m: bool(m.buttons))
            first_answer = time.monotonic() - started
            assert "维修" in guided.button_texts  # the guided order's service menu
            history = [m.text for m in await client.history(wang.id)]
            assert texts.RES_FALLBACK in history
            assert rasa.received == [] and rasa.refused == 0  # not even tried while it loads
            assert bot.popen.poll() is None

            rasa.loading.clear()  # the model has loaded
            await client.until(
                lambda: _said(bot, "Rasa is answering residents now"), timeout=scaled(60), what="the switch to Rasa"
            )
            await client.send_text(chen, chen.id, "你好")
            answer = await client.wait_for(chen.id, lambda m: m.text.startswith("回声"))
            assert answer.text == "回声：你好"
            assert rasa.received == [(str(chen.id), "你好")]
            assert bot.starts == 1 and bot.popen.poll() is None  # the same process, never restarted
    print(f"first answer {first_answer:.1f} s after the bot process was started")  # reported, not asserted


async def _said(bot: BotProcess, line: str) -> bool:
    return line in bot.output(since_start=True)
