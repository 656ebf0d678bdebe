"""The action server's door to `community/`: one engine per process, one short transaction
per call, and the resident looked up from the conversation's sender (the Telegram user
id the bot relays), never from anything the message claims.

`read` and `write` are awaited: the synchronous database work runs in a worker thread
(`asyncio.to_thread`), so one action waiting on the database (SQLite's write lock, a slow
query) does not stall every other conversation on the action server's event loop. `read`
is a deferred transaction (never waits for a writer on SQLite), `write` takes the write lock
at BEGIN (community/db.py)."""

import asyncio
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from community.actors import Actor, actor_for_telegram
from community.db import make_engine, session_factory
from community.settings import get_settings

T = TypeVar("T")

_factory_override: sessionmaker[Session] | None = None


@lru_cache(maxsize=1)
def _default_factory() -> sessionmaker[Session]:
    return session_factory(make_engine(get_settings().database_url))


def factory() -> sessionmaker[Session]:
    return _factory_override or _default_factory()


def use_factory(value: sessionmaker[Session] | None) -> None:
    """Tests point the actions at their own database."""
    global _factory_override
    _factory_override = value


def resident_actor(session: Session, sender_id: str | None) -> Actor | None:
    """The resident behind a conversation, or None (unknown sender, or no consent yet)."""
    try:
        telegram_id = int(sender_id or "")
    except ValueError:
        return None
    actor = actor_for_telegram(session, telegram_id)
    if actor is None or actor.resident_id is None:
        return None
    return actor


def _read(fn: Callable[[Session], T]) -> T:
    with factory()() as session:
        return fn(session)


def _write(fn: Callable[[Session], T]) -> T:
    with factory()() as session, session.begin():
        return fn(session)


async def read(fn: Callable[[Session], T]) -> T:
    return await asyncio.to_thread(_read, fn)


async def write(fn: Callable[[Session], T]) -> T:
    return await asyncio.to_thread(_write, fn)
