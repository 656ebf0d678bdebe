"""Recognition through the bot process against the Bot API emulator, on a simulated month
(tests/recognition_month.py) on SQLite and PostgreSQL: `/me` shows the month's and the
year's hours and ranks; `/rank` shows the boards without the volunteer who opted out, and
a volunteer leaves them with `/rank 退出` or the button (a forged press changes nothing);
`/certificate` sends a PDF whose text has the volunteer's name and hours per month, whose
code `python -m community verify` accepts and a wrong code does not; staff get
`/workunits`; the month-end thank-you arrives in chat on 1 December from the bot's own
scheduler and sender."""

import io
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app import build_application
from bot.config import BotSettings
from community import clock, recognition
from community.db import make_engine, session_factory, upgrade
from community.models import Certificate, Person, Volunteer
from sim.emulator import EmulatorRequest, User, polling
from tests.recognition_month import OPTED_OUT, simulate_month
from tests.timing import SCALE

ROOT = Path(__file__).resolve().parents[2]
# Waits grow with the machine's load (SCALE, tests/timing.py); nothing here is timed.


@pytest.fixture
def fake_clock():
    fake = clock.FakeClock(datetime(2026, 10, 1, 2, 0))
    with clock.use_clock(fake):
        yield fake


@pytest.fixture
def migrated(db_url):
    """The database as the product makes it (migrations, not create_all): the CLI runs on it."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield db_url, session_factory(engine)
    engine.dispose()


def users(factory, world) -> dict[str, User]:
    with factory() as s:
        people = {name: s.get(Volunteer, v.id).person for name, v in world.volunteers.items()}
        people["王奶奶"] = s.get(Person, world.residents["王奶奶"].person_id)
        people["李主任"] = s.get(Person, world.staff.person_id)
        return {name: User(id=p.telegram_id, first_name=name) for name, p in people.items()}


def bot_settings(emulator) -> BotSettings:
    return BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )


def verify_cli(url: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "community", "verify", code],
        env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.anyio
@pytest.mark.timeout(180)  # times the load factor (tests/conftest.py)
async def test_me_rank_certificate_and_work_units_in_chat(migrated, emulator, fake_clock, caplog):
    url, factory = migrated
    world = simulate_month(factory, fake_clock)
    fake_clock.current = datetime(2026, 11, 28, 2, 0)  # 10:00 in Shanghai, late November
    who = users(factory, world)
    zhang, zhao, liu, resident, staff = (who[n] for n in ("张师傅", "赵阿姨", OPTED_OUT, "王奶奶", "李主任"))

    app = build_application(bot_settings(emulator), factory, request=EmulatorRequest())
    client = emulator.client(timeout=30 * SCALE)
    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_command(zhang, zhang.id, "/me")
            me = await client.wait_for(zhang.id, lambda m: "本月排名" in m.text)
            assert "2026年11月服务：4.5 小时（3 次）  2026年累计：6.5 小时" in me.text
            assert "幸福里社区本月排名：第 1 名（共 3 人上榜）" in me.text
            assert "一网格维修队本月排名：第 1 名（共 1 人上榜）" in me.text

            await client.send_command(zhao, zhao.id, "/rank")
            board = await client.wait_for(zhao.id, lambda m: "志愿服务榜" in m.text)
            assert (
                "【幸福里社区 2026年11月志愿服务榜】\n1. 张师傅  4.5 小时（3 次）\n1. 周大姐  4.5 小时（2 次）\n3. 赵阿姨  3 小时（1 次）"
                in board.text
            )
            assert (
                "【社区助老服务队 2026年11月志愿服务榜】\n1. 周大姐  4.5 小时（2 次）\n2. 赵阿姨  3 小时（1 次）"
                in board.text
            )
            assert OPTED_OUT not in board.text
            assert board.callback_data == ["rankopt:1"]

            # 赵阿姨 leaves the boards with the button; the resident's forged press changes nothing.
            pressed = await client.press(zhao, zhao.id, "rankopt:1", board.message_id)
            answer = await client.until(lambda: client.callback_answer(pressed), what="the opt-out answer")
            assert "不再显示" in answer["text"]
            edited = await client.until(
                lambda: _card(client, zhao.id, board.message_id, "rankopt:0"), what="the button turned into 显示我"
            )
            assert edited.button_texts == ["在排行榜上显示我"]
            again = await _press_as(client, zhao, board, "rankopt:1")  # a second tap on the stale card
            answer = await client.until(lambda: client.callback_answer(again), what="the second answer")
            assert "不再显示" in answer["text"]
            forged = await _press_as(client, resident, board, "rankopt:0")
            refusal = await client.until(lambda: client.callback_answer(forged), what="a refusal")
            assert "仅供志愿者和社区工作人员" in refusal["text"]
            await client.send_command(staff, staff.id, "/rank")
            staff_board = await client.wait_for(staff.id, lambda m: "志愿服务榜" in m.text)
            assert "赵阿姨" not in staff_board.text and "1. 张师傅" in staff_board.text
            assert (
                "【二网格维修队 2026年11月志愿服务榜】\n本月还没有服务记录。" in staff_board.text
            )  # staff: every team
            await client.send_command(zhao, zhao.id, "/rank 加入")
            await client.wait_for(zhao.id, lambda m: "重新出现在排行榜上" in m.text)

            await client.send_command(resident, resident.id, "/rank")
            await client.wait_for(resident.id, lambda m: "排行榜仅供志愿者和社区工作人员查看" in m.text)
            await client.send_command(resident, resident.id, "/certificate")
            await client.wait_for(resident.id, lambda m: "服务证明只为志愿者本人开具" in m.text)
            await client.send_command(zhang, zhang.id, "/certificate 去年")
            await client.wait_for(zhang.id, lambda m: "/certificate 2025" in m.text)
            await client.send_command(zhang, zhang.id, "/certificate 2025")
            await client.wait_for(zhang.id, lambda m: "2025 年还没有您的服务记录" in m.text)

            await client.send_command(zhang, zhang.id, "/certificate")
            sent = await client.wait_for(zhang.id, lambda m: m.document is not None)
            assert sent.document["mime_type"] == "application/pdf"
            assert sent.document["file_name"].startswith("志愿服务证明-张师傅-")
            pdf = await client.document(sent)

            await client.send_command(staff, staff.id, "/workunits 2026-11")
            report = await client.wait_for(staff.id, lambda m: "在职党员双报到" in m.text)
            assert "区人民医院：登记 2 人，本月服务 2 人，5 次，8.5 小时" in report.text
            await client.send_command(zhang, zhang.id, "/workunits")
            await client.wait_for(zhang.id, lambda m: "仅供社区工作人员使用" in m.text)
        finally:
            await app.post_shutdown(app)

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing a user did logged a failure
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "志愿服务证明" in flat and "张师傅" in flat and "幸福里社区" in flat
    assert "累计服务时长6.5小时" in flat and "参加志愿服务4次" in flat
    assert "2026年10月12" in flat and "2026年11月34.5" in flat  # month, services, hours per row
    code = re.search(r"验证码：([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)
    assert code in sent.caption
    with factory() as s:
        assert s.query(Certificate).count() == 1

    ok = verify_cli(url, code)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "证明有效" in ok.stdout and "张师傅" in ok.stdout and "累计 6.5 小时" in ok.stdout
    assert "2026年11月：3 次，4.5 小时" in ok.stdout
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    bad = verify_cli(url, wrong)
    assert bad.returncode == 1 and "不存在" in bad.stdout and "张师傅" not in bad.stdout


async def _card(client, chat_id: int, message_id: int, data: str):
    return next(
        (m for m in await client.history(chat_id) if m.message_id == message_id and data in m.callback_data), None
    )


async def _press_as(client, who: User, card, data: str) -> str:
    """What a tampered client sends: a press with any callback_data on someone's card."""
    query = {
        "botToken": client.token,
        "from": who.as_dict(),
        "data": data,
        "message": {"message_id": card.message_id, "date": 0, "chat": {"id": who.id, "type": "private"}, "text": ""},
    }
    return (await client._post("/sendCallback", query))["callback_query_id"]


@pytest.mark.anyio
@pytest.mark.timeout(180)  # times the load factor (tests/conftest.py)
async def test_the_month_end_thank_you_arrives_from_the_bots_scheduler(migrated, emulator, fake_clock):
    url, factory = migrated
    world = simulate_month(factory, fake_clock)
    fake_clock.current = datetime(2026, 11, 28, 2, 0)
    recognition.ensure_month_summaries(factory)  # the bot running in November planned it
    who = users(factory, world)
    fake_clock.current = datetime(2026, 12, 1, 1, 5)  # 09:05 on 1 December in Shanghai

    app = build_application(bot_settings(emulator), factory, request=EmulatorRequest())
    client = emulator.client(timeout=30 * SCALE)
    async with polling(app):
        await app.post_init(app)  # starts the scheduler (fires what is due) and the sender
        try:
            zhang = await client.wait_for(who["张师傅"].id, lambda m: "服务小结" in m.text)
            assert zhang.text == (
                "【2026年11月服务小结】张师傅，您好！这个月您完成服务 3 次，服务时长 4.5 小时，获得积分 45。"
                "在本月社区志愿服务榜上排第 1 名（共 3 人上榜）。感谢您为邻里付出的每一份心意！"
            )
            liu = await client.wait_for(who[OPTED_OUT].id, lambda m: "服务小结" in m.text)
            assert "4 小时" in liu.text and "排第" not in liu.text  # opted out: thanked, not ranked
            await client.wait_for(who["周大姐"].id, lambda m: "服务小结" in m.text and "排第 1 名" in m.text)
            await client.wait_for(who["赵阿姨"].id, lambda m: "服务小结" in m.text and "排第 3 名" in m.text)
        finally:
            await app.post_shutdown(app)
    history = await client.history(who["孙师傅"].id)
    assert not any("服务小结" in m.text for m in history)  # served in October only
    assert sum("服务小结" in m.text for m in await client.history(who["张师傅"].id)) == 1
