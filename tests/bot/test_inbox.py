"""The inbox under a locked database: fetched updates are handed on at once, the offset that
would acknowledge them holds until they are recorded or handled, redeliveries are dropped, and
what a crash left unhandled is replayed first, in order."""

import asyncio
import sqlite3

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram import Update

from bot.inbox import Inbox
from community.db import make_engine, session_factory, upgrade
from community.models import InboxUpdate
from tests.bot.fake_telegram import make_app


def updates(bot, *ids):
    return tuple(
        Update.de_json(
            {
                "update_id": i,
                "message": {
                    "message_id": i,
                    "date": 0,
                    "text": f"第{i}句",
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": False, "first_name": "王"},
                },
            },
            bot,
        )
        for i in ids
    )


def _sqlite_inbox(tmp_path):
    """A migrated SQLite file and the bot's inbox on it (its URL, for a second connection)."""
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    return url, factory, Inbox(factory, bot_id=666)


def test_a_locked_database_holds_the_offset_and_loses_nothing(tmp_path):
    url, factory, inbox = _sqlite_inbox(tmp_path)

    async def go():
        app, _ = await make_app()
        lock = sqlite3.connect(make_url(url).database, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        handed = await inbox.receive(updates(app.bot, 10, 11), offset=None)
        assert [u.update_id for u in handed] == [10, 11]  # handled anyway
        assert inbox.offset(12) == 10  # Telegram keeps them
        again = await inbox.receive(updates(app.bot, 10, 11, 12), offset=10)  # redelivered, and a new one
        assert [u.update_id for u in again] == [12]
        lock.execute("ROLLBACK")
        lock.close()
        await inbox.receive((), offset=10)  # the next poll records what was held
        assert inbox.offset(13) == 13
        with factory() as s, s.begin():
            inbox.mark_handled(s, handed[0])
        inbox.handled(10)
        queue: asyncio.Queue = asyncio.Queue()
        restarted = Inbox(factory, bot_id=666)  # after a crash: 11 and 12 were never handled
        assert await restarted.replay(app.bot, queue) == 2
        replayed = [queue.get_nowait().update_id, queue.get_nowait().update_id]
        redelivered = await restarted.receive(updates(app.bot, 11, 12, 13), offset=None)
        return replayed, [u.update_id for u in redelivered]

    replayed, redelivered = asyncio.run(go())
    assert replayed == [11, 12] and redelivered == [13]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(InboxUpdate)) == 4


def test_an_id_seen_before_with_other_content_is_a_new_update(tmp_path):
    """Telegram never reuses an update id within days; a restarted test emulator does."""
    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.db'}")
    upgrade(engine)
    factory = session_factory(engine)

    async def go():
        app, _ = await make_app()
        first = Inbox(factory, bot_id=666)
        [old] = await first.receive(updates(app.bot, 1), offset=None)
        with factory() as s, s.begin():
            first.mark_handled(s, old)
        again = await Inbox(factory, bot_id=666).receive(updates(app.bot, 1), offset=None)  # the same update
        other = Update.de_json({**old.to_dict(), "message": {**old.to_dict()["message"], "text": "别的话"}}, app.bot)
        new = await Inbox(factory, bot_id=666).receive((other,), offset=None)
        return again, new

    again, new = asyncio.run(go())
    assert again == () and [u.message.text for u in new] == ["别的话"]


def test_a_replay_after_the_poll_lease_came_back_skips_what_is_still_being_handled(tmp_path):
    """A database outage on PostgreSQL loses the poll lease; taking it back replays what is
    recorded and unhandled. The updates held during the outage are recorded when the database
    returns while this process still works through them: they must not be queued twice."""
    url, factory, inbox = _sqlite_inbox(tmp_path)

    async def go():
        app, _ = await make_app()
        lock = sqlite3.connect(make_url(url).database, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        handed = await inbox.receive(updates(app.bot, 20, 21), offset=None)
        lock.execute("ROLLBACK")
        lock.close()
        await inbox.receive((), offset=20)  # the database is back: 20 and 21 recorded, unhandled
        with factory() as s, s.begin():
            inbox.mark_handled(s, handed[0])
        inbox.handled(20)
        inbox.finished(20)
        queue: asyncio.Queue = asyncio.Queue()
        while_handling = await inbox.replay(app.bot, queue)  # 21 is still in the processor's hands
        inbox.finished(21)  # given up on (the database never came back for it): a replay takes it
        after_giving_up = await inbox.replay(app.bot, queue)
        return while_handling, after_giving_up, [queue.get_nowait().update_id for _ in range(queue.qsize())]

    while_handling, after_giving_up, queued = asyncio.run(go())
    assert (while_handling, after_giving_up, queued) == (0, 1, [21])
