"""One slow chat does not hold up the others; one chat's updates keep their order; an update
whose database stays away past the retry window is apologised for; a press answered too late
for Telegram still acts."""

import asyncio
import contextlib
import json
import sqlite3
import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from telegram import Chat, Message, Update

from bot import texts
from bot.app import build_application
from bot.concurrency import PerChatUpdateProcessor
from bot.config import BotSettings
from bot.inbox import quick_factory
from community import lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory
from community.lifecycle import NewRequest
from community.models import InboxUpdate, Person, Request, RequestKind, RequestState
from tests.bot.fake_telegram import FakeRequest, message, press
from tests.builders import build_world
from tests.faults.tcp_cutter import TcpCutter


def update(chat_id: int, n: int) -> Update:
    return Update(n, message=Message(n, None, Chat(chat_id, "private")))


def test_chats_overlap_but_each_chat_keeps_its_order():
    log: list[str] = []

    async def handle(name: str, delay: float):
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    async def go():
        processor = PerChatUpdateProcessor(8)
        async with processor:
            await asyncio.gather(
                processor.process_update(update(1, 1), handle("a1", 0.2)),  # slow, like a Rasa call
                processor.process_update(update(1, 2), handle("a2", 0.0)),
                processor.process_update(update(2, 3), handle("b1", 0.0)),
            )
        return processor

    processor = asyncio.run(go())
    assert log.index("end b1") < log.index("end a1")  # chat 2 did not wait for chat 1
    assert log.index("end a1") < log.index("start a2")  # chat 1's second update waited for its first
    assert processor._locks == {} and processor._users == {}  # idle chats are forgotten


# --- the whole application's processor (fake Telegram transport), on both databases ----------

TOKEN = "123456:" + "A" * 30


async def through_the_processor(app, update_) -> None:
    """As PTB hands a fetched update on (Application.__process_update_wrapper)."""
    await app.update_processor.process_update(update_, app.process_update(update_))


@contextlib.contextmanager
def database_away(db):
    """(factory, cut, restore) on `db`: cut() makes the database stop answering, PostgreSQL
    behind a cut TCP cutter; SQLite write-locked by another connection (this factory waits 1 s,
    not 30) and, since WAL readers do not wait for a writer (community/db.py), this factory's
    reads failing as a locked database's do."""
    if db.backend == "sqlite":
        lock = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        factory, away = quick_factory(db.factory), threading.Event()

        @event.listens_for(factory.kw["bind"], "before_cursor_execute")
        def _locked(*_args) -> None:
            if away.is_set():
                raise sqlite3.OperationalError("database is locked")

        def cut() -> None:
            lock.execute("BEGIN EXCLUSIVE")
            away.set()

        def restore() -> None:
            away.clear()
            lock.execute("ROLLBACK")

        yield factory, cut, restore
        lock.close()
    else:
        with TcpCutter("127.0.0.1", make_url(db.url).port or 5432) as cutter:
            url = cutter.url_for(db.url)
            yield session_factory(make_engine(url, connect_args={"connect_timeout": 3})), cutter.cut, cutter.restore


@pytest.mark.anyio
async def test_after_the_retry_window_the_resident_is_told_and_the_update_is_not_marked(db):
    with db.factory() as s, s.begin():
        wang = build_world(s).residents["王奶奶"].person.telegram_id
    request = FakeRequest()
    settings = BotSettings(telegram_bot_token=TOKEN, rasa_url="", update_retry_seconds=3, busy_notice_seconds=0.5)
    with database_away(db) as (factory, cut, restore):
        app = build_application(settings, factory, request=request)
        await app.initialize()
        cut()
        await through_the_processor(app, message(app, wang, "/my"))
        restore()
        await app.shutdown()
    said = [p["text"] for p in request.of("sendMessage") if p["chat_id"] == wang]
    assert said == [texts.BUSY, texts.SOMETHING_WRONG]  # told it is slow, then that it failed
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_not(None))) == 0


class LateAnswers(FakeRequest):
    """Telegram refusing every answerCallbackQuery: the press waited too long."""

    async def do_request(self, url, method, request_data=None, **kwargs):
        if url.endswith("/answerCallbackQuery"):
            self.calls.append(("answerCallbackQuery", request_data.parameters if request_data else {}))
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: query is too old and response timeout expired or query ID is invalid",
            }
            return 400, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, **kwargs)


@pytest.mark.anyio
async def test_a_press_answered_too_late_still_acts_and_its_answer_goes_to_the_chat(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        rid = lifecycle.submit(
            s,
            actor_for_person(s, s.get(Person, world.residents["王奶奶"].person_id)),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        ).id
        zhang = world.volunteers["张师傅"].person.telegram_id
    request = LateAnswers()
    app = build_application(BotSettings(telegram_bot_token=TOKEN, rasa_url=""), db.factory, request=request)
    await app.initialize()
    await through_the_processor(app, press(app, zhang, f"claim:{rid}"))
    await app.shutdown()
    with db.factory() as s:
        assert s.get(Request, rid).state == RequestState.CLAIMED
    said = [p["text"] for p in request.of("sendMessage") if p["chat_id"] == zhang]
    assert said == [texts.DONE["claim"]]  # the toast Telegram refused, as a message; no apology
