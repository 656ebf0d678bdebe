"""The one outbox sender: delivers what the domain wrote to the `outbox` table.

- Throughput: PTB's AIORateLimiter (configured on the Application) keeps under Telegram's
  limits (~30 messages/s overall, 1/s per chat); this sender sends a batch concurrently.
- Exactly once: a row is marked sent with `UPDATE … WHERE status = 'pending'` right after
  Telegram accepted it, so it is marked once and never re-sent by this process. (A crash
  between Telegram's answer and that update would send it again on restart: at-least-once
  is the most any client of the Bot API can promise, and the window is one round trip.)
- Retries: 429 waits the `retry_after` Telegram asks for; timeouts and 5xx back off
  exponentially; after MAX_ATTEMPTS, or at once for permanent errors (bot blocked, chat
  not found), the row is marked failed with the error and never retried.
- Quiet hours: rows with `not_before` in the future wait (community.outbox.due_messages).
- Edits: a row with `edit_of` replaces the text of an earlier message (an offer card that
  becomes "已被认领"). If that earlier message was never sent, it is skipped instead: a
  stale card is better not sent at all.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.keyboards import markup
from community import clock
from community.models import OutboxMessage, OutboxStatus
from community.outbox import due_messages

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 50


@dataclass(frozen=True)
class Job:
    id: int
    chat_id: int
    text: str
    buttons: list | None
    edit_message_id: int | None  # set for edits of a sent message


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str  # sent | retry | failed | skipped
    message_id: int | None = None
    error: str | None = None
    retry_after: float | None = None


class OutboxSender:
    def __init__(self, bot: Bot, factory: sessionmaker[Session]) -> None:
        self.bot = bot
        self.factory = factory
        self.wake = asyncio.Event()  # set by handlers after they commit, to send at once

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                sent = await self.deliver_once()
            except Exception:
                log.exception("outbox delivery failed")
                sent = 0
            if not sent:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), idle_seconds)

    async def deliver_once(self) -> int:
        jobs = await asyncio.to_thread(self._take)
        outcomes = await asyncio.gather(*(self._send(job) for job in jobs))
        await asyncio.to_thread(self._record, outcomes)
        return len(outcomes)

    def _take(self) -> list[Job]:
        jobs, skipped = [], set()
        with self.factory() as s, s.begin():
            rows = due_messages(s, clock.now(), BATCH)
            for row in rows:  # edits first: an edit can cancel a card in this same batch
                if row.edit_of is None:
                    continue
                original = s.get(OutboxMessage, row.edit_of)
                if original.status == OutboxStatus.SENT and original.telegram_message_id:
                    jobs.append(Job(row.id, row.chat_id, row.text, row.buttons, original.telegram_message_id))
                    continue
                # The card was never delivered: do not deliver it late, nor its edit.
                for stale in (original, row):
                    if stale.status == OutboxStatus.PENDING:
                        stale.status, stale.last_error = OutboxStatus.SKIPPED, "superseded before delivery"
                    skipped.add(stale.id)
            jobs += [
                Job(r.id, r.chat_id, r.text, r.buttons, None) for r in rows if r.edit_of is None and r.id not in skipped
            ]
        return jobs

    async def _send(self, job: Job) -> Outcome:
        try:
            if job.edit_message_id:
                await self.bot.edit_message_text(
                    job.text, chat_id=job.chat_id, message_id=job.edit_message_id, reply_markup=markup(job.buttons)
                )
                return Outcome(job.id, "sent", job.edit_message_id)
            message = await self.bot.send_message(job.chat_id, job.text, reply_markup=markup(job.buttons))
            return Outcome(job.id, "sent", message.message_id)
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, timedelta) else float(exc.retry_after)
            return Outcome(job.id, "retry", error=str(exc), retry_after=wait)
        except Forbidden as exc:  # blocked by the user, or kicked: permanent
            return Outcome(job.id, "failed", error=str(exc))
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # the edit was already applied
                return Outcome(job.id, "sent", job.edit_message_id)
            return Outcome(job.id, "failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:  # transient, including 5xx
            return Outcome(job.id, "retry", error=f"{type(exc).__name__}: {exc}")
        except TelegramError as exc:
            return Outcome(job.id, "failed", error=f"{type(exc).__name__}: {exc}")

    def _record(self, outcomes: list[Outcome]) -> None:
        now = clock.now()
        with self.factory() as s, s.begin():
            for o in outcomes:
                pending = (OutboxMessage.id == o.id) & (OutboxMessage.status == OutboxStatus.PENDING)
                if o.status == "sent":
                    values = {"status": OutboxStatus.SENT, "sent_at": now, "telegram_message_id": o.message_id}
                elif o.status == "failed":
                    values = {"status": OutboxStatus.FAILED, "last_error": o.error}
                else:
                    row = s.get(OutboxMessage, o.id)
                    attempts = row.attempts + 1
                    if attempts >= MAX_ATTEMPTS:
                        values = {"status": OutboxStatus.FAILED, "attempts": attempts, "last_error": o.error}
                    else:
                        delay = o.retry_after if o.retry_after is not None else min(300, 2**attempts)
                        values = {
                            "attempts": attempts,
                            "last_error": o.error,
                            "not_before": now + timedelta(seconds=delay),
                        }
                s.execute(update(OutboxMessage).where(pending).values(**values))
