"""Writing notifications. Rows are added to the caller's session, so they commit or roll
back together with the state change that caused them; the bot's sender delivers them."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

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
) -> OutboxMessage | None:
    """Queue a message to a person; people without Telegram get nothing (returns None).

    In quiet hours a message waits (`not_before`) until they end, unless it is urgent
    (or about a request staff flagged urgent), a reply to what this person just did, or
    an edit of an earlier card (edits make no sound)."""
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
