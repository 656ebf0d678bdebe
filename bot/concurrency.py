"""Updates from different chats are handled at the same time; updates from one chat, one
after the other, in the order they came; and none is dropped because the database was away.

PTB handles updates strictly one at a time by default, so one resident waiting 300 ms for
Rasa holds up everyone behind them (50 residents at once: 19 s per turn, bench/bot.py).
Fully concurrent updates would let a resident's quick second message overtake the first.

While a chat's update holds the chat's lock:

- its handlers run; if the error handler saw the database not answering (bot/errors.py),
  they run again with exponential backoff (0.5 s doubling to 5 s) for up to
  UPDATE_RETRY_SECONDS (10 min), so the chat's later messages wait their turn and are
  answered after the outage, in order; after that the person is told "系统开小差了…";
- if it is still not done after BUSY_NOTICE_SECONDS and the database does not answer a quick
  probe, the chat is told once "系统繁忙，稍后为您处理" (once per chat until it is answered);
- then the conversation state it produced and the inbox mark "handled" are written in one
  transaction (bot/persistence.py, bot/inbox.py), so a crash before that replays the update
  on the next start and a crash after it does not.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor
from tenacity import AsyncRetrying, retry_if_exception, retry_if_exception_type, stop_after_delay, wait_exponential

from bot import texts
from bot.errors import ATTEMPT, Attempt, apologize, describe, is_database_outage
from bot.persistence import save_state

log = logging.getLogger(__name__)


class DatabaseAway(Exception):
    """An attempt at an update ended because the database did not answer."""


def _backoff(seconds: float, retry: Any) -> AsyncRetrying:
    return AsyncRetrying(
        retry=retry, wait=wait_exponential(multiplier=0.5, max=5), stop=stop_after_delay(seconds), reraise=True
    )


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = 64, *, retry_seconds: float = 600.0, busy_notice_seconds: float = 5.0
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.retry_seconds = retry_seconds
        self.busy_notice_seconds = busy_notice_seconds
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # how many updates of a chat are waiting or running
        self._told_busy: set[int] = set()
        # Set by bot.app.build_application; without them updates are only run, in order.
        self.app: Application | None = None
        self.inbox: Any = None  # bot.inbox.Inbox
        self.database_answers: Callable[[], bool] = lambda: True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await self._handle(update, coroutine)
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:
                await self._handle(update, coroutine)
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:  # forget idle chats: the dict stays as small as the traffic
                del self._users[chat.id], self._locks[chat.id]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.app is None or not isinstance(update, Update):
            await coroutine
            return
        if self.inbox is not None and not self.inbox.knows(update.update_id):
            await self._record(update)  # webhook mode: not fetched by InboxBot
        watch = asyncio.create_task(self._tell_if_slow(update))
        try:
            if await self._run(update, coroutine):
                await self._checkpoint(update)
        finally:
            watch.cancel()
            if self.inbox is not None:
                self.inbox.finished(update.update_id)
        if update.effective_chat is not None:
            self._told_busy.discard(update.effective_chat.id)

    async def _record(self, update: Update) -> None:
        try:
            await asyncio.to_thread(self.inbox.record_one, update)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            log.warning("update %s: not recorded, the database is not answering", update.update_id)

    async def _run(self, update: Update, first: Awaitable[Any]) -> bool:
        """The update's handlers, again while the database is away. False if it never came back."""
        started, run = time.monotonic(), first
        try:
            async for attempt in _backoff(self.retry_seconds, retry_if_exception_type(DatabaseAway)):
                with attempt:
                    outcome = Attempt(update=update)
                    token = ATTEMPT.set(outcome)
                    try:
                        await (run or self.app.process_update(update))
                    finally:
                        ATTEMPT.reset(token)
                        run = None
                    if outcome.outage is not None:
                        raise DatabaseAway from outcome.outage
        except DatabaseAway as exc:
            log.error(
                "update %s: the database did not answer for %.0f s; giving up:\n%s",
                update.update_id,
                time.monotonic() - started,
                describe(exc.__cause__ or exc, self.app.bot.token),
            )
            await apologize(update, self.app)
            return False
        if time.monotonic() - started > self.busy_notice_seconds:
            log.info("update %s handled after %.1f s", update.update_id, time.monotonic() - started)
        return True

    async def _checkpoint(self, update: Update) -> None:
        """The state this update produced and "handled", in one transaction."""

        def mark(s: Any) -> None:
            if self.inbox is not None:
                self.inbox.mark_handled(s, update)

        try:
            async for attempt in _backoff(self.retry_seconds, retry_if_exception(is_database_outage)):
                with attempt:
                    await save_state(self.app, also=mark)
        except Exception as exc:  # noqa: BLE001 - logged; the update was answered, a restart may repeat it
            log.error("update %s: its state was not saved:\n%s", update.update_id, describe(exc, self.app.bot.token))
            return
        if self.inbox is not None:
            self.inbox.handled(update.update_id)

    async def _tell_if_slow(self, update: Update) -> None:
        await asyncio.sleep(self.busy_notice_seconds)
        chat = update.effective_chat
        if chat is None or chat.id in self._told_busy:
            return
        if await asyncio.to_thread(self.database_answers):
            return  # slow for another reason (Rasa thinking): nothing to say
        self._told_busy.add(chat.id)
        log.info("update %s: waiting for the database; the chat is told", update.update_id)
        try:
            await self.app.bot.send_message(chat.id, texts.BUSY)
        except TelegramError as exc:
            log.warning("update %s: could not send the busy notice (%s)", update.update_id, type(exc).__name__)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
