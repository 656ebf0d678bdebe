"""Nothing Telegram sent is lost to a crash: updates are recorded before they are acknowledged.

With polling, Telegram forgets an update once a later getUpdates passes its id as `offset`.
PTB's Updater sends that offset as soon as it fetches the next batch, while the handlers of
the last one may still be running (or waiting behind a chat's earlier message), so a crash
then would lose them. Two measures, both here:

- `InboxBot.get_updates` writes every fetched update to `inbox_updates` before returning it
  to the Updater, i.e. before the next call acknowledges it. The update processor marks it
  handled in the same transaction as the conversation state it produced
  (bot/concurrency.py). On start, what is recorded but not handled is handled again, first,
  in order (`replay`); a redelivered update already recorded is dropped.
- If the database cannot take the record (it is down), the update is handled anyway (the
  processor retries it until the database answers) and the offset is held at the oldest
  such update, so Telegram keeps it and redelivers it after a crash; redeliveries within this
  process are recognised and dropped.

The emulator used in tests ignores `offset` (an update is gone once fetched), so the first
measure is what its kill -9 test shows. Webhook mode: PTB answers Telegram when the update is
queued; it is recorded when processing starts, so a crash while it waits in the queue can
lose it (use polling where that matters).
"""

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.errors import ATTEMPT, describe, is_database_outage, is_late_answer
from community import clock
from community.db import make_engine, session_factory
from community.models import InboxUpdate

log = logging.getLogger(__name__)
KEEP_HANDLED = timedelta(days=2)  # Telegram keeps an unacknowledged update for 24 hours
REDELIVERY_PAUSE_SECONDS = 1.0  # while held updates come back again and again during an outage
RECORD_LOCK_TIMEOUT_MS = 1000  # SQLite: give up recording after 1 s of "locked" rather than 30 s


def _insert(s: Session):  # the dialect's INSERT, which has ON CONFLICT
    return (postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert)(InboxUpdate)


def quick_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the same database that give up within about a second when it is locked or
    unreachable, so a database outage never stalls fetching updates."""
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    if not url.startswith("sqlite"):
        return session_factory(make_engine(url, connect_args={"connect_timeout": 3}))
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _short_wait(dbapi_conn: Any, _record: Any) -> None:  # after make_engine's own connect hook
        dbapi_conn.execute(f"PRAGMA busy_timeout = {RECORD_LOCK_TIMEOUT_MS}")

    return session_factory(engine)


def database_answers(quick: sessionmaker[Session]) -> bool:
    """Does the database take a (write) transaction within about a second?"""
    try:
        with quick() as s, s.begin():
            s.execute(select(1))
    except Exception:  # noqa: BLE001 - any failure means "not now"
        return False
    return True


class Inbox:
    def __init__(self, factory: sessionmaker[Session], bot_id: int, token: str = "") -> None:
        self.factory = factory
        self.token = token  # kept out of logs
        self.quick = quick_factory(factory)
        self.bot_id = bot_id
        self._seen: set[int] = set()  # handed on by this process and not yet acknowledged
        self._unrecorded: dict[int, dict] = {}  # handed on without a record: the offset holds here
        # Handed on to the processor and not finished yet. A replay after the poll lease came
        # back (a database outage on PostgreSQL loses it) must not queue these a second time:
        # an update recorded when the database returned is "unhandled" until its turn comes.
        self._in_hand: set[int] = set()

    # --- receiving (the Updater's task) ---------------------------------------------------

    def offset(self, requested: int | None) -> int | None:
        """The offset to send: never past an update that is neither recorded nor handled."""
        if not self._unrecorded:
            return requested
        oldest = min(self._unrecorded)
        return oldest if requested is None else min(requested, oldest)

    async def receive(self, updates: tuple[Update, ...], offset: int | None) -> tuple[Update, ...]:
        """Record `updates` and return those to handle (not seen before in this process or
        the last). Called by InboxBot.get_updates with the offset it sent."""
        if offset is not None:
            self._seen = {i for i in self._seen if i >= offset}  # Telegram will not send these again
        fresh = [u for u in updates if u.update_id not in self._seen]
        if self._unrecorded or fresh:
            pending = {**self._unrecorded, **{u.update_id: u.to_dict() for u in fresh}}
            try:
                known = await asyncio.to_thread(self._record, pending)
            except Exception as exc:  # noqa: BLE001 - never lose a fetched update: hold it instead
                if is_database_outage(exc):
                    log.warning("could not record %d update(s) (%s): holding them", len(pending), type(exc).__name__)
                else:
                    log.error(
                        "could not record %d update(s); holding them:\n%s", len(pending), describe(exc, self.token)
                    )
                self._unrecorded.update({u.update_id: u.to_dict() for u in fresh})
                known = set()
            else:
                self._unrecorded.clear()
            fresh = [u for u in fresh if u.update_id not in known]
        if updates and not fresh:
            await asyncio.sleep(REDELIVERY_PAUSE_SECONDS)  # only redeliveries: do not spin
        self._seen.update(u.update_id for u in fresh)
        self._in_hand.update(u.update_id for u in fresh)
        return tuple(fresh)

    def _record(self, payloads: dict[int, dict]) -> set[int]:
        """Insert what is not there yet; returns the ids that were already recorded before
        this process handed them on (a redelivery after a restart). A redelivery is the same
        update again: an id recorded with other content is a new update (a Bot API server that
        started counting again, as the test emulator does) and replaces the old row."""
        with self.quick() as s, s.begin():
            recorded = dict(
                s.execute(
                    select(InboxUpdate.update_id, InboxUpdate.payload).where(
                        InboxUpdate.bot_id == self.bot_id, InboxUpdate.update_id.in_(payloads)
                    )
                ).all()
            )
            there = {i for i, p in payloads.items() if recorded.get(i) == p}
            reused = [i for i in payloads if i in recorded and i not in there]
            if reused:
                s.execute(
                    delete(InboxUpdate).where(InboxUpdate.bot_id == self.bot_id, InboxUpdate.update_id.in_(reused))
                )
            now = clock.now()
            rows = [
                {"bot_id": self.bot_id, "update_id": i, "payload": p, "received_at": now}
                for i, p in payloads.items()
                if i not in there
            ]
            if rows:  # the processor may have marked one handled meanwhile: that row stays as it is
                s.execute(_insert(s).values(rows).on_conflict_do_nothing())
        return there

    # --- handling (the update processor) ----------------------------------------------------

    def mark_handled(self, s: Session, handled: Update) -> None:
        """In the processor's transaction: the update is done (recorded now if it was not)."""
        now = clock.now()
        row = {"bot_id": self.bot_id, "update_id": handled.update_id, "received_at": now, "handled_at": now}
        insert = _insert(s).values(payload=handled.to_dict(), **row)
        s.execute(insert.on_conflict_do_update(index_elements=["bot_id", "update_id"], set_={"handled_at": now}))

    def handled(self, update_id: int) -> None:
        """After mark_handled's transaction committed: the offset need not hold for it."""
        self._unrecorded.pop(update_id, None)

    def finished(self, update_id: int) -> None:
        """The processor is done with it (handled, or given up on: a restart replays that)."""
        self._in_hand.discard(update_id)

    def knows(self, update_id: int) -> bool:
        """Fetched (and recorded or held) or replayed by this process."""
        return update_id in self._seen or update_id in self._in_hand

    def close(self) -> None:
        self.quick.kw["bind"].dispose()

    def record_one(self, received: Update) -> None:
        """Webhook mode (or an update not fetched by InboxBot): recorded when processing starts."""
        if received.update_id in self._seen:
            return
        self._seen.add(received.update_id)
        self._in_hand.add(received.update_id)
        self._record({received.update_id: received.to_dict()})

    # --- on start ------------------------------------------------------------------------

    def unhandled(self) -> list[dict]:
        """What a crash left recorded but not handled, oldest first; old handled rows go."""
        with self.factory() as s, s.begin():
            s.execute(
                delete(InboxUpdate).where(
                    InboxUpdate.bot_id == self.bot_id, InboxUpdate.handled_at < clock.now() - KEEP_HANDLED
                )
            )
            rows = s.scalars(
                select(InboxUpdate.payload)
                .where(InboxUpdate.bot_id == self.bot_id, InboxUpdate.handled_at.is_(None))
                .order_by(InboxUpdate.update_id)
            ).all()
        return list(rows)

    async def replay(self, bot: ExtBot, queue: "asyncio.Queue[object]") -> int:
        """Queue the unhandled updates before anything new is fetched; returns how many."""
        payloads = [p for p in await asyncio.to_thread(self.unhandled) if p["update_id"] not in self._in_hand]
        for payload in payloads:
            replayed = Update.de_json(payload, bot)
            self._seen.add(replayed.update_id)
            self._in_hand.add(replayed.update_id)
            await queue.put(replayed)
        if payloads:
            log.info("handling %d update(s) received before the last stop", len(payloads))
        return len(payloads)


class InboxBot(ExtBot):
    """PTB's bot with getUpdates going through the inbox (see the module's docstring)."""

    __slots__ = ("_inbox",)

    def __init__(self, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._inbox = inbox

    async def get_updates(self, offset: int | None = None, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        sent = self._inbox.offset(offset)
        updates = await super().get_updates(sent, *args, **kwargs)
        return await self._inbox.receive(updates, sent)

    async def answer_callback_query(
        self, callback_query_id: str, text: str | None = None, *args: Any, **kwargs: Any
    ) -> bool:
        """A press handled after a wait (the database was away) may be too old for Telegram to
        take an answer: the handler goes on, and the answer's text is sent to the chat."""
        try:
            return await super().answer_callback_query(callback_query_id, text, *args, **kwargs)
        except BadRequest as exc:
            if not is_late_answer(exc):
                raise
            attempt = ATTEMPT.get()
            update = attempt.update if attempt else None
            log.info("update %s: a press answered too late for Telegram", getattr(update, "update_id", None))
            if text and isinstance(update, Update) and update.effective_chat is not None:
                await self.send_message(update.effective_chat.id, text)
            return False
