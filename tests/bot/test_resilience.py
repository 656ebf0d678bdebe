"""The real bot process (`python -m sim.emulated_bot`) against the Bot API emulator, on SQLite
and PostgreSQL: half-filled conversations survive `kill -9`; a message received but not yet
handled when the process dies is handled after the restart; a database outage loses and
doubles nothing (every message answered afterwards, in order, once, after one "系统繁忙");
a real database error gets the error handler's apology, logged with the update id.

Residents talk to a stand-in for Rasa that echoes (回声：<message>), so every answer can be
matched to its message."""

import asyncio
import re
import sqlite3
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot import texts
from community import clock, lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, upgrade
from community.lifecycle import NewRequest
from community.models import InboxUpdate, Person, Request, RequestKind, RequestState
from sim.emulator import User
from tests.bot.live_bot import BotProcess, RasaStub, bot_env, scaled
from tests.builders import build_world
from tests.faults.tcp_cutter import TcpCutter
from tests.live import daytime_clock

OUTAGE_SECONDS = 15  # the fault's length, not a wait for progress


def user(person) -> User:
    return User(id=person.telegram_id, first_name=person.name)


@pytest.fixture(autouse=True)
def day():
    """The test's clock and the bot process's: 10:00 in Shanghai when the test starts."""
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.fixture
def community(db_url, day):
    """The test community on a migrated database; (factory, world, users)."""
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        world = build_world(s)
        people = {
            "wang": world.residents["王奶奶"].person,
            "chen": world.residents["陈大爷"].person,
            "zhang": world.volunteers["张师傅"].person,
            "staff": world.staff.person,
        }
        users = {key: user(p) for key, p in people.items()}
    yield factory, world, users
    engine.dispose()


def _submit(factory, resident, kind, description, category=None) -> int:
    with factory() as s, s.begin():
        actor = actor_for_person(s, s.get(Person, resident.person_id))
        return lifecycle.submit(s, actor, NewRequest(kind=kind, description=description, category=category)).id


async def tap(client, who: User, data: str):
    """Press the newest message in the chat that carries this button."""

    async def latest():
        return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

    message = await client.until(latest, what=f"a button {data} for {who.first_name}")
    return await client.press(who, who.id, data, message.message_id)


@pytest.mark.anyio
@pytest.mark.timeout(300)
async def test_half_filled_conversations_survive_kill_9(db_url, community, emulator, tmp_path, day):
    factory, world, u = community
    wish = _submit(factory, world.residents["陈大爷"], RequestKind.WISH, "想要一台收音机")
    job = _submit(factory, world.residents["王奶奶"], RequestKind.SERVICE, "厨房水龙头坏了", "维修")
    with factory() as s, s.begin():
        lifecycle.claim(s, actor_for_person(s, s.get(Person, world.volunteers["张师傅"].person_id)), job)
    wang, staff, zhang = u["wang"], u["staff"], u["zhang"]
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(20)) as client:
        bot.start()
        try:
            # The resident is half-way through a guided order: the address is asked.
            await client.send_command(wang, wang.id, "/menu")
            await tap(client, wang, "order:0")
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_ASK_DESCRIPTION)
            await client.send_text(wang, wang.id, "想要一副老花镜，看报纸看不清")
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_ASK_ADDRESS)
            # Staff pressed 驳回: the reason is asked.
            await tap(client, staff, f"reject:{wish}")
            await client.wait_for(staff.id, lambda m: m.text == texts.ASK_REJECT_REASON.format(id=wish))
            # The volunteer finished and gave the hours: a note is asked.
            await tap(client, zhang, f"finish:{job}")
            hours = await client.wait_for(zhang.id, lambda m: "用了多长时间" in m.text)
            await client.press(zhang, zhang.id, hours.callback_data[0], hours.message_id)
            await client.wait_for(zhang.id, lambda m: m.text == texts.ASK_NOTE.format(id=job))
            # Each answer is followed by the state it leaves being saved; kill once that is done
            # (a kill in between replays the update: the next test).
            await client.until(lambda: _async(_unhandled(factory) == 0), what="the updates marked handled")

            bot.kill9()
            bot.start()

            await client.send_text(wang, wang.id, "2号楼3单元301")
            await client.wait_for(wang.id, lambda m: "请确认" in m.text and "老花镜" in m.text and "301" in m.text)
            await tap(client, wang, "submit:0")
            await client.wait_for(wang.id, lambda m: "已收到您的微心愿" in m.text)
            await client.send_text(staff, staff.id, "已经有邻居送了")
            await client.wait_for(staff.id, lambda m: m.text.startswith(f"已驳回编号 {wish}"))
            await client.send_text(zhang, zhang.id, "换了新水龙头，不漏了")
            await client.wait_for(zhang.id, lambda m: m.text == texts.NOTE_SAVED)
        finally:
            bot.stop()
    with factory() as s:
        assert s.get(Request, wish).state == RequestState.REJECTED and s.get(Request, wish).reason == "已经有邻居送了"
        assert s.get(Request, job).finish_note == "换了新水龙头，不漏了"
        new = s.scalars(select(Request).where(Request.description.contains("老花镜"))).one()
        assert new.address_text.endswith("301") and new.resident_id == world.residents["王奶奶"].id
    assert "Traceback" not in bot.output()


@pytest.mark.anyio
@pytest.mark.timeout(300)
async def test_a_message_received_but_not_handled_when_the_bot_dies_is_handled_after_the_restart(
    db_url, community, emulator, tmp_path, day
):
    factory, world, u = community
    wang = u["wang"]
    with RasaStub() as rasa:
        bot = BotProcess(tmp_path, bot_env(db_url, emulator, rasa.url, day=day))
        async with emulator.client(timeout=scaled(30)) as client:
            bot.start()
            try:
                rasa.hold.set()  # Rasa is thinking about the first message when the bot dies
                await client.send_text(wang, wang.id, "第一句")
                await client.until(lambda: _async((str(wang.id), "第一句") in rasa.received), what="Rasa got it")
                await client.send_text(wang, wang.id, "第二句")  # waits behind the first (same chat)
                await client.until(lambda: _async(_recorded(factory) == 2), what="both recorded")
                bot.kill9()
                rasa.hold.clear()
                bot.start()
                await client.wait_for(wang.id, lambda m: m.text == "回声：第一句")
                await client.wait_for(wang.id, lambda m: m.text == "回声：第二句")
                await client.send_text(wang, wang.id, "第三句")
                await client.wait_for(wang.id, lambda m: m.text == "回声：第三句")
            finally:
                bot.stop()
            answers = [m.text for m in await client.updates_for(wang.id)]
    assert answers == ["回声：第一句", "回声：第二句", "回声：第三句"]  # in order, each once
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))) == 0


async def _async(value):
    return value


def _unhandled(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None)))


def _recorded(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(InboxUpdate))


class SqliteLock:
    """Another connection holding SQLite's write lock (what a long admin job or a backup does)."""

    def __init__(self, url: str) -> None:
        self.path = make_url(url).database

    def __enter__(self) -> "SqliteLock":
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.mark.anyio
@pytest.mark.timeout(360)
async def test_a_database_outage_loses_and_doubles_nothing(db_url, community, emulator, tmp_path, day):
    """15 s without the database (SQLite: locked by another connection; PostgreSQL: every
    connection cut): the residents' messages sent meanwhile are all answered afterwards, in
    order, once each, after one "系统繁忙" per resident."""
    factory, world, u = community
    residents = [u["wang"], u["chen"]]
    sqlite = db_url.startswith("sqlite")
    with RasaStub() as rasa, TcpCutter("127.0.0.1", make_url(db_url).port or 5432) as cutter:
        url = db_url if sqlite else cutter.url_for(db_url)
        bot = BotProcess(tmp_path, bot_env(url, emulator, rasa.url, day=day))
        async with emulator.client(timeout=scaled(60)) as client:
            bot.start()
            try:
                for who in residents:  # the chats work before the outage
                    await client.send_text(who, who.id, "你好")
                    await client.wait_for(who.id, lambda m: m.text == "回声：你好")
                outage = SqliteLock(db_url) if sqlite else cutter.outage()
                with outage:
                    started = time.monotonic()
                    for n in range(1, 4):
                        for who in residents:
                            await client.send_text(who, who.id, f"{who.first_name}的第{n}句")
                    for who in residents:
                        await client.wait_for(who.id, lambda m: m.text == texts.BUSY)
                    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
                for who in residents:
                    last = f"回声：{who.first_name}的第3句"
                    await client.until(
                        lambda who=who, last=last: _has(client, who.id, last), what=f"{who.first_name}'s answers"
                    )
                    await client.send_text(who, who.id, "好了吗")
                    await client.until(lambda who=who: _has(client, who.id, "回声：好了吗"), what="the last answer")
            finally:
                bot.stop()
            for who in residents:
                said = [m.text for m in await client.updates_for(who.id)]
                # SQLite's WAL readers do not wait for the lock holder (community/db.py): a message
                # that needs only reads may be answered before the "系统繁忙" its inbox write brings.
                assert said.count(texts.BUSY) == 1
                assert (said if not sqlite else [t for t in said if t != texts.BUSY]) == [
                    "回声：你好",
                    *([] if sqlite else [texts.BUSY]),
                    *(f"回声：{who.first_name}的第{n}句" for n in range(1, 4)),
                    "回声：好了吗",
                ]
    assert "Traceback" not in _handler_logs(bot.output())


async def _has(client, chat_id: int, text: str) -> bool:
    return any(m.text == text for m in await client.updates_for(chat_id))


def _handler_logs(output: str) -> str:
    """The bot's log without the outbox sender's and the scheduler's own lines (their outage
    handling is theirs, not the update handlers')."""
    keep, skipping = [], False
    for line in output.splitlines():
        if re.match(r"^\d{4}-\d\d-\d\d ", line):
            skipping = " bot.sender" in line or " bot.scheduler" in line or " apscheduler" in line
        if not skipping:
            keep.append(line)
    return "\n".join(keep)


@pytest.mark.anyio
@pytest.mark.timeout(300)
async def test_a_real_database_error_is_apologised_for_and_logged_with_the_update_id(
    db_url, community, emulator, tmp_path, day
):
    factory, world, u = community
    wang, zhang, staff = u["wang"], u["zhang"], u["staff"]
    job = _submit(factory, world.residents["王奶奶"], RequestKind.SERVICE, "水管漏水，电话13912345678", "维修")
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(20)) as client:
        bot.start()
        try:
            card = await client.wait_for(zhang.id, lambda m: f"claim:{job}" in m.callback_data)
            # Bad input first: answered, and no traceback for any of it.
            mark = len(bot.output())
            await client.send_text(wang, wang.id, "😀😀")
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_NO_WORDS)
            await client.send_command(staff, staff.id, "/order")
            await client.wait_for(staff.id, lambda m: m.text == texts.STAFF_ORDER_ASK_PHONE)
            await client.send_text(staff, staff.id, "12345")
            await client.wait_for(staff.id, lambda m: "12345" in m.text)  # not a phone number: asked again
            await client.send_command(staff, staff.id, "/cancel")
            await client.wait_for(staff.id, lambda m: m.text == texts.STAFF_INPUT_CANCELLED)
            await client.send_command(staff, staff.id, "/export 2024-13-01 2024-13-02")
            await client.wait_for(staff.id, lambda m: m.text == texts.STAFF_EXPORT_USAGE)
            assert "Traceback" not in bot.output()[mark:]

            with _table_gone(factory, "requests"):
                await client.send_command(wang, wang.id, "/my")
                await client.wait_for(wang.id, lambda m: m.text == texts.SOMETHING_WRONG)
                pressed = await client.press(zhang, zhang.id, f"claim:{job}", card.message_id)
                answer = await client.until(lambda: client.callback_answer(pressed), what="an answer")
                assert answer["text"] == texts.SOMETHING_WRONG and answer["show_alert"]
                await client.send_command(staff, staff.id, "/queue")
                await client.wait_for(staff.id, lambda m: m.text == texts.SOMETHING_WRONG)
                await client.until(lambda: _async(len(re.findall(r"update \d+ failed", bot.output())) == 3))
            await client.send_command(wang, wang.id, "/my")  # the table is back: answered as usual
            await client.wait_for(wang.id, lambda m: f"编号 {job}" in m.text)
        finally:
            bot.stop()
    log = bot.output()
    assert len(re.findall(r"ERROR bot\.errors: update \d+ failed:\nTraceback", log)) == 3
    assert emulator.token not in log and "13912345678" not in log
    with factory() as s:
        assert s.get(Request, job).state == RequestState.OPEN  # the failed claim changed nothing


class _table_gone:
    """The table renamed away (a botched migration, a restore in progress): every statement
    on it fails, and not because the database is unreachable."""

    def __init__(self, factory, table: str) -> None:
        self.factory, self.table = factory, table

    def _rename(self, old: str, new: str) -> None:
        with self.factory() as s, s.begin():
            s.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    def __enter__(self) -> None:
        self._rename(self.table, f"{self.table}_away")

    def __exit__(self, *exc: object) -> None:
        self._rename(f"{self.table}_away", self.table)


@pytest.mark.anyio
@pytest.mark.timeout(120)
async def test_an_abandoned_draft_is_dropped_politely_and_the_next_message_is_handled_afresh(
    db_url, community, emulator, tmp_path, day
):
    """DRAFT_TIMEOUT_SECONDS (24 h by default; 2 s here) after the last step the resident is told
    the draft is gone; what she sends next is not taken as the old step's answer."""
    factory, world, u = community
    wang = u["wang"]
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, DRAFT_TIMEOUT_SECONDS="2"))
    async with emulator.client(timeout=scaled(20)) as client:
        bot.start()
        try:
            await client.send_command(wang, wang.id, "/menu")
            await tap(client, wang, "order:0")
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_ASK_DESCRIPTION)
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_DRAFT_EXPIRED)
            await client.send_text(wang, wang.id, "想要一副老花镜")  # no Rasa here: the guided menu
            await client.wait_for(wang.id, lambda m: m.text == texts.RES_GUIDED)
        finally:
            bot.stop()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Request).where(Request.description.contains("老花镜"))) == 0
