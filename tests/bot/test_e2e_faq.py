"""The information desk as residents meet it: the bot on the Bot API emulator, the real Rasa
with the trained model, the real action server, and a community loaded from the sample
spreadsheets with `python -m community load`. Residents ask in their own words, Simplified
and Traditional; the replies are the spreadsheets' answers as stored in the database. An
answer edited in faq.csv and reloaded is given at once, by the same Rasa process and model
(no retraining); a question the desk cannot answer offers a person and shows up in staff's
/faqgaps. /faq answers with Rasa out of the picture."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import texts
from bot.app import build_application
from bot.config import BotSettings
from community import clock, faq
from community import texts as core
from community.db import make_engine, session_factory
from community.models import Community, FaqEntry, Person
from sim.emulator import EmulatorClient, EmulatorRequest, EmulatorServer, User, polling
from tests.live import ROOT, LiveRasa, daytime_clock, live_rasa
from tests.test_loader import edit, set_cell

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(420)]

STAFF_TELEGRAM_ID = 770_001  # 李淑芬 in the sample staff.csv, bound through the spreadsheet


@dataclass
class Desk:
    rasa: LiveRasa
    factory: object
    directory: Path
    database_url: str
    clock: object


def load(directory: Path, database_url: str) -> str:
    """`python -m community load DIR`, as staff run it."""
    result = subprocess.run(
        [sys.executable, "-m", "community", "load", str(directory)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faq-live")
    directory = Path(shutil.copytree(ROOT / "data" / "community", workdir / "community"))
    edit(directory, "staff.csv", lambda rows: set_cell(rows, "李淑芬", "TelegramID", str(STAFF_TELEGRAM_ID)))
    url = f"sqlite:///{workdir / 'desk.db'}"
    load(directory, url)
    engine = make_engine(url)
    day = daytime_clock()
    try:
        with live_rasa(url, workdir, day) as rasa:
            yield Desk(rasa, session_factory(engine), directory, url, day)
    finally:
        engine.dispose()


@pytest.fixture
def daytime(desk):
    with clock.use_clock(desk.clock):
        yield


def bot(desk: Desk, emulator: EmulatorServer, rasa_url: str | None = None):
    settings = BotSettings(
        telegram_bot_token=emulator.token,
        telegram_base_url=emulator.base_url,
        outbox_idle_seconds=0.05,
        rasa_url=desk.rasa.rasa_url if rasa_url is None else rasa_url,
    )
    return build_application(settings, desk.factory, request=EmulatorRequest()), emulator.client(timeout=60)


async def join(client: EmulatorClient, who: User, first: str) -> None:
    """A newcomer writes, agrees to the consent question, and is a resident."""
    await client.send_text(who, who.id, first)
    consent = await client.wait_for(who.id, lambda m: "consent:1" in m.callback_data)
    await client.press(who, who.id, "consent:1", consent.message_id)
    await client.wait_for(who.id, lambda m: m.text == texts.RES_MENU)


def stored_answer(desk: Desk, key: str) -> str:
    """What the database says the reply to an entry is (faq.csv row or community.csv field)."""
    with desk.factory() as s:
        community = s.scalar(select(Community))
        entry = next(e for e in faq.entries(s, community) if e.key == key)
        return faq.render(entry)


async def ask(client: EmulatorClient, who: User, question: str) -> str:
    await client.send_text(who, who.id, question)
    return (await client.wait_for(who.id, lambda m: bool(m.text))).text


# Each resident's own words, none of them a training example or a question variant.
SIMPLIFIED = [
    ("社区的电话号码是多少", "office_phone"),
    ("请问居委会电话多少啊", "office_phone"),
    ("居委会几点上班啊", "office_hours"),
    ("请问社区周六上班不", "office_hours"),
    ("我要开个证明 要带什么", "开证明"),
    ("请问开居住证明去哪里办", "开证明"),
]
TRADITIONAL = [
    ("社區的電話號碼是多少", "office_phone"),
    ("社區幾點開門", "office_hours"),
    ("開證明需要帶什麼證件", "开证明"),
]


async def test_residents_asking_in_their_own_words_get_the_spreadsheets_answers(desk, emulator, daytime):
    wang = User(id=991_001, first_name="王阿姨")
    chen = User(id=991_002, first_name="陳伯伯")
    app, client = bot(desk, emulator)
    async with polling(app):
        await app.post_init(app)
        try:
            await join(client, wang, "你好")
            await join(client, chen, "你好")
            for who, questions in ((wang, SIMPLIFIED), (chen, TRADITIONAL)):
                for question, key in questions:
                    reply = await ask(client, who, question)
                    assert reply == stored_answer(desk, key), (question, reply)
        finally:
            await app.post_shutdown(app)
    office = stored_answer(desk, "office_phone")
    assert "0371-67881234" in office and "周一至周五" in stored_answer(desk, "office_hours")


async def test_an_answer_changed_in_faq_csv_is_given_after_a_reload_without_retraining(desk, emulator, daytime):
    li = User(id=991_003, first_name="李大姐")
    model = ROOT / "models" / "nuanxin.tar.gz"
    trained = model.stat().st_mtime if model.exists() else None
    rasa_pid = next(p.popen.pid for p in desk.rasa.processes if p.name == "rasa")
    new_answer = "开证明请到社区党群服务中心二楼 203 室，带上身份证和户口本，周三下午不办理。"
    app, client = bot(desk, emulator)
    async with polling(app):
        await app.post_init(app)
        try:
            await join(client, li, "您好")
            before = await ask(client, li, "怎么开个证明啊")
            assert before == stored_answer(desk, "开证明") and "203" not in before

            edit(
                desk.directory,
                "faq.csv",
                lambda rows: set_cell(rows, next(r[0] for r in rows if r[0].startswith("开证明|")), "答案", new_answer),
            )
            report = load(desk.directory, desk.database_url)
            assert "问答" in report

            after = await ask(client, li, "怎么开个证明啊")
            assert after == new_answer
        finally:
            await app.post_shutdown(app)
    # The same Rasa process and the same model file answered both times.
    assert next(p.popen.pid for p in desk.rasa.processes if p.name == "rasa") == rasa_pid
    assert desk.rasa.processes[-1].popen.poll() is None
    assert (model.stat().st_mtime if model.exists() else None) == trained
    with desk.factory() as s:
        assert s.scalar(select(FaqEntry.answer).where(FaqEntry.key == "开证明")) == new_answer


async def test_an_unanswerable_question_offers_a_person_and_staff_see_it(desk, emulator, daytime):
    zhou = User(id=991_004, first_name="周大爷")
    staff = User(id=STAFF_TELEGRAM_ID, first_name="李淑芬")
    app, client = bot(desk, emulator)
    async with polling(app):
        await app.post_init(app)
        try:
            await join(client, zhou, "你好")
            await client.send_text(zhou, zhou.id, "请问小区的狗证在哪里办理")
            reply = await client.wait_for(zhou.id, lambda m: bool(m.text))
            with desk.factory() as s:
                community = s.scalar(select(Community))
                offer = core.FAQ_UNKNOWN_WITH_PHONE.format(name=community.name, phone=community.office_phone)
            assert reply.text == offer  # the office's phone, not "帮不上忙"
            assert texts.HO_BUTTON_HUMAN in reply.button_texts  # and the person on call, one tap away
            await client.send_command(staff, staff.id, "/faqgaps")
            gaps = await client.wait_for(staff.id, lambda m: "faq.csv" in m.text or "没有答不上来" in m.text)
            assert "狗证" in gaps.text and "1 次" in gaps.text

            await client.send_command(zhou, zhou.id, "/faqgaps")  # residents do not see the report
            refused = await client.wait_for(zhou.id, lambda m: bool(m.text))
            assert refused.text == texts.STAFF_ONLY
        finally:
            await app.post_shutdown(app)


async def test_faq_command_answers_while_rasa_is_down(desk, emulator, daytime):
    sun = User(id=991_005, first_name="孙奶奶")
    with desk.factory() as s, s.begin():
        s.add(Person(community_id=s.scalar(select(Community.id)), name="孙奶奶", telegram_id=sun.id))
    dead = "http://127.0.0.1:9"  # nothing listens there: the relay fails, /faq does not need it
    app, client = bot(desk, emulator, rasa_url=dead)
    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_command(sun, sun.id, "/faq 社區幾點上班")
            reply = await client.wait_for(sun.id, lambda m: bool(m.text))
            assert reply.text == stored_answer(desk, "office_hours")
            await client.send_command(sun, sun.id, "/faq")
            topics = await client.wait_for(sun.id, lambda m: bool(m.text))
            assert "开证明" in topics.text and "老年卡" in topics.text
        finally:
            await app.post_shutdown(app)
