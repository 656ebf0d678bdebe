"""The outbox sender: delivers what the domain wrote to the `outbox` table, one row at a time.

- Claims (community.outbox.claim_due): a row is claimed (pending → sending, with this
  sender's id and a lease) in a short transaction, sent, and recorded (sent, retry or
  failed) in its own short transaction right after Telegram answered. Several senders, in
  one process or several, share the queue; at most one row per chat is in flight, so a
  chat's messages go out in order and a crash (kill -9) can double at most the rows that
  were in flight, one per chat. An expired lease (a sender that died) returns its row to
  pending; a late record of a row another sender has since claimed is refused.
- Throughput: up to `concurrency` chats at once; the pace is the application's rate limiter
  (bot/ratelimit.py: 30/s per bot, 1/s per chat after a burst of 3, shared through Redis
  when configured), which every Bot API call goes through.
- Retries: a 429 pauses the chat and the bot for `retry_after` (the limiter) and the row is
  retried after it, in real seconds (not the domain clock, which the demo accelerates);
  timeouts and 5xx back off exponentially; after MAX_ATTEMPTS, or at once for permanent
  errors (bot blocked, chat not found), the row is marked failed with the error.
- Quiet hours: rows with `not_before` in the future wait (domain clock).
- Edits: a row with `edit_of` replaces the text of an earlier message (an offer card that
  becomes "已被认领"). A card not yet delivered when its edit is queued is never delivered.
  A card whose delivery is in doubt (a timeout after Telegram accepted it, a crash mid-send)
  has no message id to edit: its edit is sent as a message of its own instead of dropped.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from bot.keyboards import markup
from bot.poll_lease import holder_id, holder_is_dead
from bot.ratelimit import SENDER, Limiter, retry_after_seconds
from community import outbox, people
from community.outbox import Claim

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CONCURRENCY = 1
LEASE_SECONDS = 60.0
RECORD_FOR_SECONDS = 600.0  # how long a result is kept trying to be written while the database is away


def worker_id() -> str:
    """Who holds a claim: host, pid and a random part (a restarted pid is someone else)."""
    return holder_id(uuid.uuid4().hex[:8])


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str  # sent | retry | failed
    message_id: int | None = None
    error: str | None = None
    retry_after: float | None = None
    maybe_delivered: bool = False  # the request may have reached Telegram before it failed
    blocked: bool = False  # a private chat answered 403: the person blocked the bot


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        factory: sessionmaker[Session],
        *,
        limiter: Limiter | None = None,
        concurrency: int = CONCURRENCY,
        lease_seconds: float = LEASE_SECONDS,
        worker: str | None = None,
        wall: Callable[[], datetime] = outbox.wall_now,
    ) -> None:
        self.bot = bot
        self.factory = factory
        self.limiter = limiter
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.worker = worker or worker_id()
        self.wall = wall
        self.wake = asyncio.Event()  # set by handlers after they commit, to send at once
        self._in_flight: dict[asyncio.Task, int] = {}  # task → chat
        self.delivered = 0

    # --- the loop --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        try:
            await asyncio.to_thread(self.release_dead)
        except Exception:
            log.exception("outbox: releasing the rows of dead senders failed")
        idle_rounds = 0
        try:
            while not stop.is_set():
                idle_rounds += 1
                if idle_rounds % 30 == 0:  # now and then: senders of this host that died
                    with contextlib.suppress(Exception):
                        await asyncio.to_thread(self.release_dead)
                claimed = 0
                free = self.concurrency - len(self._in_flight)
                if free > 0:
                    try:
                        claimed = await self._start(free)
                    except Exception:
                        log.exception("outbox: claiming failed")
                if claimed:
                    continue  # claim more at once while chats are free
                self.wake.clear()
                waits = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
                await asyncio.wait(
                    [*waits, *self._in_flight], timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for w in waits:
                    w.cancel()
        finally:
            if self._in_flight:  # a clean stop finishes what is in flight (and records it)
                await asyncio.wait(list(self._in_flight), timeout=30)

    async def deliver_once(self) -> int:
        """Send everything due now (each chat's rows one after another) and return how many
        rows were handled. For tests and one-shot use; `run` is the loop."""
        handled = 0
        while True:
            claims = await asyncio.to_thread(self._claim, self.concurrency, frozenset())
            if not claims:
                return handled
            await asyncio.gather(*(self._deliver(c) for c in claims))
            handled += len(claims)

    async def _start(self, free: int) -> int:
        busy = frozenset(self._in_flight.values())
        claims = await asyncio.to_thread(self._claim, free, busy)
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim))
            self._in_flight[task] = claim.chat_id
            task.add_done_callback(self._done)
        return len(claims)

    def _done(self, task: asyncio.Task) -> None:
        self._in_flight.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox: delivery task failed", exc_info=task.exception())
        self.wake.set()  # a chat is free again: its next row may go

    def release_dead(self) -> int:
        """Rows a sender on this host held when it died (kill -9): pending again at once."""
        with self.factory() as s, s.begin():
            released = outbox.release_dead(s, holder_is_dead)
        if released:
            log.warning("outbox: %d rows a dead sender held are pending again", released)
        return released

    def _claim(self, limit: int, busy: frozenset[int]) -> list[Claim]:
        with self.factory() as s, s.begin():
            return outbox.claim_due(s, self.worker, limit, lease=self.lease, wall=self.wall(), busy_chats=busy)

    # --- one row ---------------------------------------------------------------------------

    async def _deliver(self, claim: Claim) -> None:
        if self.limiter is not None:
            paused = await self.limiter.paused_for(claim.chat_id)
            if paused > self.lease.total_seconds() / 2:  # do not sit on a lease through a long 429 pause
                await self._record(
                    claim, Outcome(claim.id, "retry", error="paused by a 429", retry_after=paused), False
                )
                return
        outcome = await self._send(claim)
        await self._record(claim, outcome, True)
        if outcome.status == "sent":
            self.delivered += 1

    async def _send(self, job: Claim) -> Outcome:
        try:
            if job.edit_message_id:
                await self.bot.edit_message_text(
                    job.text,
                    chat_id=job.chat_id,
                    message_id=job.edit_message_id,
                    reply_markup=markup(job.buttons),
                    rate_limit_args=SENDER,
                )
                return Outcome(job.id, "sent", job.edit_message_id)
            if job.forward:  # a resident's photo, to the volunteer holding the request
                message = await self.bot.forward_message(
                    job.chat_id,
                    from_chat_id=job.forward["from_chat_id"],
                    message_id=job.forward["message_id"],
                    rate_limit_args=SENDER,
                )
                return Outcome(job.id, "sent", message.message_id)
            message = await self.bot.send_message(
                job.chat_id, job.text, reply_markup=markup(job.buttons), rate_limit_args=SENDER
            )
            return Outcome(job.id, "sent", message.message_id)
        except RetryAfter as exc:  # not delivered: Telegram refused it
            return Outcome(job.id, "retry", error=str(exc), retry_after=retry_after_seconds(exc))
        except Forbidden as exc:  # blocked by the user, or kicked: permanent
            return Outcome(job.id, "failed", error=str(exc), blocked=job.chat_id > 0)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # the edit was already applied
                return Outcome(job.id, "sent", job.edit_message_id)
            return Outcome(job.id, "failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:  # transient, including 5xx; it may have arrived
            return Outcome(job.id, "retry", error=f"{type(exc).__name__}: {exc}", maybe_delivered=True)
        except TelegramError as exc:
            return Outcome(job.id, "failed", error=f"{type(exc).__name__}: {exc}")

    async def _record(self, claim: Claim, o: Outcome, count_attempt: bool) -> None:
        """Write the outcome in its own transaction; while the database is away, keep trying
        (the row stays claimed by us meanwhile, so nobody sends it again)."""
        if o.status == "sent":
            # Right here, without a hop to a thread: the shorter the time between Telegram's
            # answer and this commit, the fewer messages a crash can leave sent but unrecorded.
            try:
                if self._write(claim, o, count_attempt):
                    return
                log.warning("outbox %s: the claim was lost before it was recorded sent", o.id)
                return
            except (OperationalError, InterfaceError):
                pass  # the database is away: keep trying below, off the event loop
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((OperationalError, InterfaceError)),
            wait=wait_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(RECORD_FOR_SECONDS),
            reraise=True,
        ):
            with attempt:
                kept = await asyncio.to_thread(self._write, claim, o, count_attempt)
        if not kept:
            log.warning("outbox %s: the claim was lost before its outcome (%s) was recorded", o.id, o.status)

    def _write(self, claim: Claim, o: Outcome, count_attempt: bool) -> bool:
        with self.factory() as s, s.begin():
            if o.status == "sent":
                return outbox.mark_sent(s, self.worker, o.id, o.message_id)
            if o.status == "failed":
                if o.blocked:  # offers skip them until they /start again (community.people.set_blocked)
                    people.set_blocked(s, claim.chat_id, True)
                return outbox.mark_failed(s, self.worker, o.id, o.error or "")
            attempts = claim.attempts + (1 if count_attempt else 0)
            delay = o.retry_after if o.retry_after is not None else min(300, 2**attempts)
            status = outbox.mark_retry(
                s,
                self.worker,
                o.id,
                o.error or "",
                retry_at=self.wall() + timedelta(seconds=delay),
                maybe_delivered=o.maybe_delivered,
                max_attempts=MAX_ATTEMPTS,
                count_attempt=count_attempt,
            )
            return status is not None
