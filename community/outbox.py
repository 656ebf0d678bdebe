"""Writing notifications, and handing them to senders one row at a time.

Rows are added to the caller's session, so they commit or roll back together with the
state change that caused them; the bot's sender (bot/sender.py) delivers them.

Delivery is a per-row claim, so several senders in several processes share the queue and
a crash leaves at most the rows in flight in doubt:

    pending ──claim_due──► sending (claimed_by, lease_until) ──mark_sent──► sent
       ▲                      │ mark_retry (retry_at) / lease expired      └─► failed | skipped
       └──────────────────────┘

- `claim_due` runs in one short transaction: it returns expired leases to pending (flagged
  `maybe_delivered`: the sender may have died after Telegram took the message), skips cards
  an edit has superseded before delivery, and claims at most one row per chat (the chat's
  oldest due row, urgent first), never a chat that already has a row in flight, so a chat's
  messages go out in order and a crash can double at most one message per chat. Claims are
  conditional UPDATEs (`status = 'pending'`); on PostgreSQL the candidate rows are read
  `FOR UPDATE SKIP LOCKED` under a transaction-scoped advisory lock that serialises claimers
  (so the one-per-chat rule holds across processes); on SQLite every transaction takes the
  write lock first (community/db.py), which serialises them the same way.
- `mark_sent` / `mark_retry` / `mark_failed` each run in their own short transaction right
  after Telegram answered, and only while the row is still this sender's claim.
- Leases and retries are wall-clock times (`wall_now`): they measure real seconds (a
  sender's death, Telegram's retry_after), whatever clock the domain runs on (the demo's is
  accelerated); `not_before` (quiet hours) stays on the domain clock.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from community import clock
from community.models import Grid, OutboxMessage, OutboxStatus, Person, Request, Staff
from community.settings import Settings, get_settings


def button(text: str, action: str, request_id: int, **args: Any) -> dict[str, Any]:
    """A button naming a domain action. The bot stores it server-side under a short key;
    the action is re-checked against the database when pressed."""
    return {"text": text, "action": action, "request_id": request_id, **args}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def quiet_until(now: datetime, settings: Settings | None = None) -> datetime | None:
    """If `now` (naive UTC) falls in quiet hours, the UTC time they end; else None.
    The window may cross midnight (21:30–08:00)."""
    settings = settings or get_settings()
    local = clock.to_local(now, settings.timezone)
    start, end = _minutes(settings.quiet_start), _minutes(settings.quiet_end)
    minute = local.hour * 60 + local.minute
    inside = (minute >= start or minute < end) if start > end else (start <= minute < end)
    if not inside:
        return None
    release = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(UTC).replace(tzinfo=None)


def notify(
    session: Session,
    person: Person | None,
    kind: str,
    text: str,
    *,
    request: Request | None = None,
    buttons: list[list[dict[str, Any]]] | None = None,
    urgent: bool = False,
    edit_of: int | None = None,
    reply: bool = False,
    forward: dict[str, int] | None = None,
) -> OutboxMessage | None:
    """Queue a message to a person; people without Telegram get nothing (returns None).

    In quiet hours a message waits (`not_before`) until they end, unless it is urgent
    (or about a request staff flagged urgent), a reply to what this person just did, or
    an edit of an earlier card (edits make no sound). With `forward` ({"from_chat_id",
    "message_id"}) the row forwards that message instead of sending `text` (which then
    names it in the history of the outbox)."""
    if person is None or person.telegram_id is None:
        return None
    urgent = urgent or bool(request is not None and request.priority)
    not_before = None if (urgent or reply or edit_of) else quiet_until(clock.now())
    msg = OutboxMessage(
        person_id=person.id,
        chat_id=person.telegram_id,
        kind=kind,
        text=text,
        buttons=buttons,
        request_id=request.id if request else None,
        urgent=urgent,
        edit_of=edit_of,
        not_before=not_before,
        created_at=clock.now(),
        forward=forward,
    )
    session.add(msg)
    session.flush()
    return msg


def staff_of(session: Session, community_id: int) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(Staff, Staff.person_id == Person.id)
            .where(Person.community_id == community_id, Staff.active.is_(True))
            .order_by(Person.id)
        )
    )


def leader_or_staff(session: Session, request: Request) -> list[Person]:
    """The grid leader of the request's grid, or all staff when the grid has none."""
    grid = session.get(Grid, request.grid_id) if request.grid_id else None
    if grid and grid.leader_person_id:
        return [session.get_one(Person, grid.leader_person_id)]
    return staff_of(session, request.community_id)


def due_messages(session: Session, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Pending messages the sender may deliver now (quiet-hour ones wait), oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
            )
            .order_by(OutboxMessage.urgent.desc(), OutboxMessage.id)
            .limit(limit)
        )
    )


def notify_many(session: Session, messages: list[tuple[Person, str, str]]) -> int:
    """Queue many ordinary messages (person, kind, text) at once, with one flush: the
    same quiet-hours rule as `notify` (none of them urgent, a reply or an edit). For the
    month-end summaries, thousands at a time. Returns how many were queued."""
    now = clock.now()
    not_before = quiet_until(now)
    rows = [
        OutboxMessage(
            person_id=person.id,
            chat_id=person.telegram_id,
            kind=kind,
            text=text,
            not_before=not_before,
            created_at=now,
        )
        for person, kind, text in messages
        if person.telegram_id is not None
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


# --- delivery: claims ------------------------------------------------------------------------

CLAIM_LOCK = 0x6E78_6F62  # pg_advisory_xact_lock key for claimers ("nxob")


def rows_changed(session: Session, statement: Executable) -> int:
    """How many rows an UPDATE changed (its claim won)."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def wall_now() -> datetime:
    """Real time, naive UTC (leases, retry_at): never the domain's (possibly scaled) clock."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Claim:
    id: int
    chat_id: int
    text: str
    buttons: list[list[dict[str, Any]]] | None
    edit_message_id: int | None  # an edit of this delivered message
    attempts: int
    forward: dict[str, int] | None = None  # forward this message instead of sending text


def claim_due(
    session: Session,
    worker: str,
    limit: int,
    *,
    lease: timedelta = timedelta(seconds=60),
    now: datetime | None = None,
    wall: datetime | None = None,
    busy_chats: frozenset[int] = frozenset(),
) -> list[Claim]:
    """Claim up to `limit` due rows for `worker`, one per chat (see the module docstring).
    Call inside a transaction and commit at once; `busy_chats` are chats this worker is
    still sending to."""
    now = now or clock.now()
    wall = wall or wall_now()
    M = OutboxMessage
    # A write first: on SQLite it takes the write lock, so what is read next is current.
    session.execute(
        update(M)
        .where(M.status == OutboxStatus.SENDING, M.lease_until < wall)
        .values(status=OutboxStatus.PENDING, lease_until=None, maybe_delivered=True, last_error="lease expired")
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
    # A card whose edit is already queued is never delivered late (the edit decides below).
    superseded = select(M.edit_of).where(M.edit_of.is_not(None), M.status == OutboxStatus.PENDING)
    session.execute(
        update(M)
        .where(M.status == OutboxStatus.PENDING, M.id.in_(superseded.scalar_subquery()))
        .values(status=OutboxStatus.SKIPPED, last_error="superseded before delivery")
        .execution_options(synchronize_session=False)
    )
    in_flight = set(session.scalars(select(M.chat_id).where(M.status == OutboxStatus.SENDING).distinct()))
    due = (M.status == OutboxStatus.PENDING) & or_(M.not_before.is_(None), M.not_before <= now)
    # Each chat's head: its oldest urgent due row, else its oldest due row.
    heads: dict[int, int] = {}
    for urgent in (True, False):
        for chat_id, head in session.execute(
            select(M.chat_id, func.min(M.id)).where(due, M.urgent.is_(urgent)).group_by(M.chat_id)
        ):
            heads.setdefault(chat_id, head)
    wanted = [head for chat_id, head in heads.items() if chat_id not in in_flight and chat_id not in busy_chats]
    if not wanted:
        return []
    rows = session.scalars(
        select(M)
        .where(M.id.in_(wanted), M.status == OutboxStatus.PENDING, or_(M.retry_at.is_(None), M.retry_at <= wall))
        .order_by(M.urgent.desc(), M.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    claims = []
    for row in rows:
        edit_message_id = None
        if row.edit_of is not None:
            original = session.get_one(M, row.edit_of)
            if original.status == OutboxStatus.SENT and original.telegram_message_id:
                edit_message_id = original.telegram_message_id
            elif not original.maybe_delivered:  # the card never reached the chat: nothing to edit
                row.status, row.last_error = OutboxStatus.SKIPPED, "the message it edits was never delivered"
                continue
            # else: the card may have arrived (a timeout after Telegram accepted it, a crash
            # mid-send) without a message id to edit: the new text goes as a message of its own.
        claimed = rows_changed(
            session,
            update(M)
            .where(M.id == row.id, M.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claimed_by=worker, lease_until=wall + lease)
            .execution_options(synchronize_session=False),
        )
        if claimed:
            buttons = None if (row.edit_of is not None and edit_message_id is None) else row.buttons
            claims.append(Claim(row.id, row.chat_id, row.text, buttons, edit_message_id, row.attempts, row.forward))
    session.flush()
    return claims


def release_dead(session: Session, is_dead: Callable[[str], bool]) -> int:
    """Return to pending the rows held by senders `is_dead(worker)` says are gone (a kill -9
    on this host), without waiting for their leases; flagged maybe_delivered."""
    M = OutboxMessage
    workers = session.scalars(select(M.claimed_by).where(M.status == OutboxStatus.SENDING).distinct()).all()
    dead = [w for w in workers if w and is_dead(w)]
    if not dead:
        return 0
    return rows_changed(
        session,
        update(M)
        .where(M.status == OutboxStatus.SENDING, M.claimed_by.in_(dead))
        .values(status=OutboxStatus.PENDING, lease_until=None, maybe_delivered=True, last_error="sender died")
        .execution_options(synchronize_session=False),
    )


def _mine(worker: str, message_id: int) -> ColumnElement[bool]:
    M = OutboxMessage
    # Still ours: sending under our claim, or returned to pending by an expired lease but not
    # claimed by anyone else since (recording late beats sending twice).
    return (M.id == message_id) & (M.claimed_by == worker) & M.status.in_([OutboxStatus.SENDING, OutboxStatus.PENDING])


def mark_sent(session: Session, worker: str, message_id: int, telegram_message_id: int | None) -> bool:
    """Record that Telegram took the message; False if the claim was lost meanwhile."""
    return bool(
        rows_changed(
            session,
            update(OutboxMessage)
            .where(_mine(worker, message_id))
            .values(
                status=OutboxStatus.SENT,
                sent_at=clock.now(),
                telegram_message_id=telegram_message_id,
                lease_until=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False),
        )
    )


def mark_failed(session: Session, worker: str, message_id: int, error: str) -> bool:
    return bool(
        rows_changed(
            session,
            update(OutboxMessage)
            .where(_mine(worker, message_id))
            .values(status=OutboxStatus.FAILED, lease_until=None, last_error=error[:1000])
            .execution_options(synchronize_session=False),
        )
    )


def mark_retry(
    session: Session,
    worker: str,
    message_id: int,
    error: str,
    *,
    retry_at: datetime,
    maybe_delivered: bool,
    max_attempts: int,
    count_attempt: bool = True,
) -> str | None:
    """Back to pending, not before `retry_at` (wall clock); failed after `max_attempts`.
    Returns the new status, or None if the claim was lost."""
    row = session.scalar(select(OutboxMessage).where(_mine(worker, message_id)).with_for_update())
    if row is None:
        return None
    if count_attempt:
        row.attempts += 1
    row.last_error = error[:1000]
    row.maybe_delivered = row.maybe_delivered or maybe_delivered
    row.lease_until = None
    if row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED
    else:
        row.status = OutboxStatus.PENDING
        row.retry_at = retry_at
    session.flush()
    return row.status
