"""A person on call (转人工): a resident is put through to a staff member, in chat, both ways.

Who answers: the staff member on duty now (the duty roster, data/community/duty.csv →
`DutyShift`); with no roster loaded, the grid leader of the resident's building, else the
community's staff. With a roster but nobody on duty now, the resident is told when someone
will answer and the handoff waits in the queue (`queue`; /queue in chat, the web's 转人工
page) until a staff member takes it (`take`).

While a handoff is active, what the resident writes reaches the staff member and what the
staff member writes reaches the resident (`from_resident`, `from_staff`: outbox rows, in
the same transaction as the transcript), until either side ends it (`end`). The staff
member can turn it into an order for the resident in one step (`place_order`: 代下单 with
what the resident said, their registered address and phone). Every handoff is a row with
its waiting time (`stats`).

Who may do what (`allowed_actions`, `denial`), as community.lifecycle does for requests:
adapters render buttons from it, and every action re-checks when taken.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import clock, lifecycle, outbox, texts
from community.actors import Actor
from community.errors import DomainError, Forbidden, IllegalTransition, NotFound
from community.lifecycle import NewRequest
from community.models import (
    FINAL_STATES,
    Building,
    Community,
    DutyShift,
    Grid,
    Handoff,
    HandoffState,
    Person,
    Request,
    RequestKind,
    Resident,
    ServiceCategory,
)
from community.redaction import redact

S = HandoffState
OPEN_STATES = (S.WAITING, S.ACTIVE)
REASONS = ("asked", "menu", "button", "auto", "offer", "media")
TURNS_SHOWN = 6  # the last turns of the conversation with the assistant the staff member sees
TRANSCRIPT_MAX = 200  # entries kept per handoff
TEXT_MAX = 1000  # characters of one relayed message
ORDER_DESCRIPTION_MAX = 500
DISPLAY_ORDER = ("take", "end", "order")


@dataclass(frozen=True)
class Opened:
    """What `request` did: the handoff, who was put through (None: it waits in the queue),
    when someone will answer (local text, for a queued one) and whether it already existed."""

    handoff: Handoff
    staff: Person | None
    opens_at: str | None
    existing: bool


# --- the duty roster --------------------------------------------------------------------


def _local(now: datetime, community: Community) -> datetime:
    return clock.to_local(now, community.timezone)


def has_roster(session: Session, community_id: int) -> bool:
    return session.scalar(select(DutyShift.id).where(DutyShift.community_id == community_id).limit(1)) is not None


def on_duty(session: Session, community_id: int, now: datetime | None = None) -> list[Person]:
    """The staff on duty at `now` (naive UTC), by the roster; [] if nobody is."""
    community = session.get_one(Community, community_id)
    local = _local(now or clock.now(), community)
    minute = local.hour * 60 + local.minute
    return list(
        session.scalars(
            select(Person)
            .join(DutyShift, DutyShift.person_id == Person.id)
            .where(
                DutyShift.community_id == community_id,
                DutyShift.weekday == local.isoweekday(),
                DutyShift.start_minute <= minute,
                DutyShift.end_minute > minute,
            )
            .order_by(DutyShift.id)
        ).unique()
    )


def next_opening(session: Session, community_id: int, now: datetime | None = None) -> datetime | None:
    """The local time the next shift starts (within a week), or None without a roster."""
    community = session.get_one(Community, community_id)
    local = _local(now or clock.now(), community)
    shifts = session.scalars(select(DutyShift).where(DutyShift.community_id == community_id)).all()
    best: datetime | None = None
    for shift in shifts:
        for days in range(8):
            day = local + timedelta(days=days)
            if day.isoweekday() != shift.weekday:
                continue
            start = day.replace(hour=shift.start_minute // 60, minute=shift.start_minute % 60, second=0, microsecond=0)
            if start > local and (best is None or start < best):
                best = start
    return best


def _opening_text(opens: datetime | None, now_local: datetime) -> str:
    if opens is None:
        return texts.HO_SOON
    if opens.date() == now_local.date():
        day = texts.HO_TODAY
    elif opens.date() == (now_local + timedelta(days=1)).date():
        day = texts.HO_TOMORROW
    else:
        day = texts.HO_WEEKDAYS[opens.isoweekday() - 1]
    return f"{day} {opens:%H:%M}"


def _busy(session: Session) -> dict[int, int]:
    """Active handoffs per staff person, to spread residents over those on duty."""
    rows = session.execute(
        select(Handoff.staff_person_id, func.count())
        .where(Handoff.state == S.ACTIVE, Handoff.staff_person_id.is_not(None))
        .group_by(Handoff.staff_person_id)
    ).all()
    return {pid: n for pid, n in rows if pid is not None}


def answerer(session: Session, resident: Person, now: datetime | None = None) -> tuple[Person | None, bool]:
    """Who answers this resident now, and whether a roster decided it. With a roster:
    the least busy staff member on duty, or None (out of hours). Without one: the grid
    leader of the resident's building, else the first active staff member."""
    if has_roster(session, resident.community_id):
        duty = on_duty(session, resident.community_id, now)
        if not duty:
            return None, True
        busy = _busy(session)
        return min(duty, key=lambda p: busy.get(p.id, 0)), True
    building = resident.resident.building if resident.resident else None
    if building is not None:
        grid = session.get(Grid, building.grid_id)
        if grid is not None and grid.leader_person_id:
            leader = session.get(Person, grid.leader_person_id)
            if leader is not None and leader.telegram_id is not None:
                return leader, False
    staff = [p for p in outbox.staff_of(session, resident.community_id) if p.telegram_id is not None]
    return (staff[0] if staff else None), False


# --- who may do what ------------------------------------------------------------------------


def _is_staff_here(actor: Actor, handoff: Handoff) -> bool:
    return actor.is_staff and (actor.is_system or actor.community_id == handoff.community_id)


def _is_connected(actor: Actor, handoff: Handoff) -> bool:
    return actor.person_id is not None and actor.person_id == handoff.staff_person_id


def denial(session: Session, actor: Actor, handoff: Handoff, action: str) -> DomainError | None:
    """Why `actor` may not take `action` (take | end | order) on `handoff` now, or None."""
    resident = actor.person_id is not None and actor.person_id == handoff.resident_person_id
    connected = _is_connected(actor, handoff)
    staff = _is_staff_here(actor, handoff)
    if action == "take":
        if not (staff or connected):
            return Forbidden(texts.HO_ERR_NOT_STAFF)
        if handoff.state != S.WAITING:
            return IllegalTransition(texts.HO_ERR_TAKEN if handoff.state == S.ACTIVE else texts.HO_ERR_ENDED)
        return None
    if action == "end":
        if not (resident or connected or staff):
            return Forbidden(texts.HO_ERR_NOT_YOURS)
        if handoff.state == S.ENDED:
            return IllegalTransition(texts.HO_ERR_ENDED)
        return None
    if action == "order":
        if not (connected or staff):
            return Forbidden(texts.HO_ERR_NOT_STAFF)
        if handoff.request_id is not None:
            return IllegalTransition(texts.HO_ERR_ORDERED.format(id=handoff.request_id))
        return None
    return Forbidden(texts.HO_ERR_NOT_STAFF)


def allowed_actions(session: Session, actor: Actor, handoff: Handoff) -> list[str]:
    if not actor.is_system and handoff.community_id != actor.community_id:
        return []
    return [a for a in DISPLAY_ORDER if denial(session, actor, handoff, a) is None]


def _authorize(session: Session, actor: Actor, handoff: Handoff, action: str) -> None:
    refusal = denial(session, actor, handoff, action)
    if refusal is not None:
        raise refusal


def _lock(session: Session, actor: Actor, handoff_id: int) -> Handoff:
    handoff = session.scalar(
        select(Handoff).where(Handoff.id == handoff_id).with_for_update().execution_options(populate_existing=True)
    )
    if handoff is None or (not actor.is_system and handoff.community_id != actor.community_id):
        raise NotFound(texts.HO_ERR_NOT_FOUND)
    return handoff


# --- what the staff member sees -------------------------------------------------------------


def who(session: Session, person: Person) -> str:
    """王奶奶（3号楼2单元）: the name and the building (the door number stays out)."""
    r: Resident | None = person.resident
    if r is None or r.building_id is None:
        return texts.HO_WHO_NO_ADDRESS.format(name=person.name)
    building = session.get_one(Building, r.building_id)
    where = building.name + (f"{r.unit}单元" if r.unit else "")
    return texts.HO_WHO.format(name=person.name, where=where)


def open_requests(session: Session, person: Person) -> list[Request]:
    if person.resident is None:
        return []
    return list(
        session.scalars(
            select(Request)
            .where(Request.resident_id == person.resident.id, Request.state.not_in(FINAL_STATES))
            .order_by(Request.id)
        )
    )


def _is_staff_person(person: Person | None) -> bool:
    return person is not None and person.staff is not None and person.staff.active


def _for(person: Person | None, text: str) -> str:
    """Phones and door numbers reach staff only (community/redaction.py): a grid leader on
    call who is not staff reads them masked."""
    return text if _is_staff_person(person) else redact(text)


def _context_text(session: Session, handoff: Handoff, turns: list[tuple[str, str]]) -> str:
    resident = handoff.resident
    lines = [texts.HO_TO_STAFF.format(who=who(session, resident), id=handoff.id)]
    if turns:
        lines.append(texts.HO_TURNS_HEAD)
        for speaker, said in turns[-TURNS_SHOWN:]:
            label = texts.HO_LABEL_RESIDENT if speaker == "resident" else texts.HO_LABEL_ASSISTANT
            lines.append(f"{label}：{_for(handoff.staff, said[:200])}")
    requests = open_requests(session, resident)
    if requests:
        lines.append(texts.HO_OPEN_HEAD)
        for req in requests:
            category = req.category.name if req.category else texts.KIND_NAMES[req.kind]
            lines.append(
                texts.HO_OPEN_LINE.format(
                    id=req.id,
                    category=category,
                    state=texts.STATE_NAMES[req.state],
                    summary=_for(handoff.staff, req.description[:30]),
                )
            )
    else:
        lines.append(texts.HO_NO_OPEN)
    if resident.phone and _is_staff_person(handoff.staff):
        lines.append(texts.HO_PHONE.format(phone=resident.phone))
    lines.append(texts.HO_HOW_TO_REPLY)
    return "\n".join(lines)


def staff_buttons(handoff: Handoff) -> list[list[dict[str, Any]]]:
    return [
        [
            outbox.button(texts.HO_BUTTON_END, "hoend", handoff.id),
            outbox.button(texts.HO_BUTTON_ORDER, "hoorder", handoff.id),
        ]
    ]


def resident_buttons(handoff: Handoff) -> list[list[dict[str, Any]]]:
    return [[outbox.button(texts.HO_BUTTON_END, "hoend", handoff.id)]]


def _note(handoff: Handoff, speaker: str, text: str, media: str | None = None, **extra: Any) -> None:
    entry = {"who": speaker, "text": text[:TEXT_MAX], "at": clock.now().isoformat(timespec="seconds")}
    if media:
        entry["media"] = media
    entry.update(extra)
    handoff.transcript = [*(handoff.transcript or []), entry][-TRANSCRIPT_MAX:]


# --- opening, relaying, ending ---------------------------------------------------------------


def current(session: Session, person_id: int) -> Handoff | None:
    """The resident's open handoff (waiting or active), if any."""
    return session.scalar(
        select(Handoff)
        .where(Handoff.resident_person_id == person_id, Handoff.state.in_(OPEN_STATES))
        .order_by(Handoff.id.desc())
        .limit(1)
    )


def serving(session: Session, staff_person_id: int) -> Handoff | None:
    """The active handoff a staff member's next message goes to: the one most recently
    connected (a staff member serving two residents answers the newest)."""
    return session.scalar(
        select(Handoff)
        .where(Handoff.staff_person_id == staff_person_id, Handoff.state == S.ACTIVE)
        .order_by(Handoff.connected_at.desc(), Handoff.id.desc())
        .limit(1)
    )


def request(session: Session, actor: Actor, reason: str, turns: list[tuple[str, str]] | None = None) -> Opened:
    """The resident asks for a person. Connects the one who answers now, or queues the
    handoff; an open one is returned as it is (asking twice opens nothing new)."""
    if actor.resident_id is None or actor.person_id is None:
        raise Forbidden(texts.HO_ERR_NOT_RESIDENT)
    person = session.get_one(Person, actor.person_id)
    existing = current(session, person.id)
    if existing is not None:
        opens = None
        if existing.state == S.WAITING:
            community = session.get_one(Community, person.community_id)
            opens = _opening_text(next_opening(session, person.community_id), _local(clock.now(), community))
        return Opened(existing, existing.staff, opens, True)
    now = clock.now()
    handoff = Handoff(
        community_id=person.community_id,
        resident_person_id=person.id,
        state=S.WAITING,
        reason=reason if reason in REASONS else "asked",
        requested_at=now,
        transcript=[],
    )
    session.add(handoff)
    session.flush()
    for speaker, said in (turns or [])[-TURNS_SHOWN:]:
        _note(handoff, "assistant" if speaker != "resident" else "resident", said, context=True)
    staff, _ = answerer(session, person, now)
    if staff is None:
        community = session.get_one(Community, person.community_id)
        opens = _opening_text(next_opening(session, person.community_id, now), _local(now, community))
        for p in outbox.staff_of(session, person.community_id):  # they see it in /queue tomorrow
            outbox.notify(session, p, "handoff_queued", texts.HO_QUEUED_TO_STAFF.format(who=who(session, person)))
        return Opened(handoff, None, opens, False)
    _connect(session, handoff, staff, turns or [])
    return Opened(handoff, staff, None, False)


def _connect(session: Session, handoff: Handoff, staff: Person, turns: list[tuple[str, str]]) -> None:
    handoff.state = S.ACTIVE
    handoff.staff_person_id = staff.id
    handoff.staff = staff
    handoff.connected_at = clock.now()
    outbox.notify(session, staff, "handoff", _context_text(session, handoff, turns), buttons=staff_buttons(handoff))
    # what the resident said while waiting
    for entry in handoff.transcript or []:
        if entry.get("who") == "resident" and not entry.get("context") and not entry.get("media"):
            outbox.notify(
                session,
                staff,
                "handoff_message",
                texts.HO_FROM_RESIDENT.format(name=handoff.resident.name, text=_for(staff, entry["text"])),
            )


def take(session: Session, actor: Actor, handoff_id: int) -> Handoff:
    """A staff member takes a queued handoff (from /queue or the web)."""
    handoff = _lock(session, actor, handoff_id)
    _authorize(session, actor, handoff, "take")
    staff = session.get_one(Person, actor.person_id)
    turns = [(e["who"], e["text"]) for e in handoff.transcript or [] if e.get("context")]
    _connect(session, handoff, staff, turns)
    outbox.notify(
        session,
        handoff.resident,
        "handoff_connected",
        texts.HO_CONNECTED_LATER.format(name=staff.name),
        buttons=resident_buttons(handoff),
    )
    return handoff


def from_resident(
    session: Session, actor: Actor, text: str, media: str | None = None, message: tuple[int, int] | None = None
) -> Handoff | None:
    """A message from a resident with an open handoff: to the staff member (active), or
    kept for whoever takes it (waiting). None if the resident has no open handoff."""
    if actor.person_id is None:
        return None
    handoff = current(session, actor.person_id)
    if handoff is None:
        return None
    handoff = _lock(session, actor, handoff.id)
    if handoff.state not in OPEN_STATES:
        return None
    extra = {"chat": message[0], "message": message[1]} if message else {}
    _note(handoff, "resident", text, media, **extra)
    if handoff.state == S.ACTIVE and not media:
        outbox.notify(
            session,
            handoff.staff,
            "handoff_message",
            texts.HO_FROM_RESIDENT.format(name=handoff.resident.name, text=_for(handoff.staff, text[:TEXT_MAX])),
            reply=True,
        )
    return handoff


def from_staff(session: Session, actor: Actor, text: str) -> Handoff | None:
    """A staff member's message while serving a resident: to that resident. None if they
    serve nobody now (the message is not a reply to a resident)."""
    if actor.person_id is None:
        return None
    handoff = serving(session, actor.person_id)
    if handoff is None:
        return None
    handoff = _lock(session, actor, handoff.id)
    if handoff.state != S.ACTIVE:
        return None
    _note(handoff, "staff", text)
    staff = session.get_one(Person, actor.person_id)
    outbox.notify(
        session,
        handoff.resident,
        "handoff_message",
        texts.HO_FROM_STAFF.format(name=staff.name, text=text[:TEXT_MAX]),
        buttons=resident_buttons(handoff),
        reply=True,
    )
    return handoff


def end(session: Session, actor: Actor, handoff_id: int) -> Handoff:
    """Either side (or any staff member) ends it; the other side is told."""
    handoff = _lock(session, actor, handoff_id)
    _authorize(session, actor, handoff, "end")
    handoff.state = S.ENDED
    handoff.ended_at = clock.now()
    handoff.ended_by_person_id = actor.person_id
    by_resident = actor.person_id == handoff.resident_person_id
    if by_resident:
        if handoff.staff is not None:
            outbox.notify(
                session,
                handoff.staff,
                "handoff_ended",
                texts.HO_ENDED_BY_RESIDENT.format(who=who(session, handoff.resident), id=handoff.id),
                reply=True,
            )
    else:
        outbox.notify(session, handoff.resident, "handoff_ended", texts.HO_ENDED_TO_RESIDENT, reply=True)
    return handoff


def place_order(session: Session, actor: Actor, handoff_id: int, category_id: int | None) -> Request:
    """代下单 from the conversation in one step: what the resident said is the description,
    their registered address and phone are used (`category_id` None: a wish)."""
    handoff = _lock(session, actor, handoff_id)
    _authorize(session, actor, handoff, "order")
    said = [e["text"] for e in handoff.transcript or [] if e.get("who") == "resident" and not e.get("media")]
    description = "；".join(said)[-ORDER_DESCRIPTION_MAX:] or texts.HO_ORDER_NO_TEXT
    category = None
    if category_id is not None:
        cat = session.get(ServiceCategory, category_id)
        if cat is None or cat.community_id != handoff.community_id or not cat.active:
            raise NotFound(texts.HO_ERR_NOT_FOUND)
        category = cat.code
    resident = handoff.resident
    if resident.resident is None:
        raise NotFound(texts.HO_ERR_NOT_FOUND)
    new = NewRequest(
        kind=RequestKind.SERVICE if category else RequestKind.WISH,
        description=description,
        category=category,
        item=None if category else description[:30],
        phone=resident.phone,
    )
    req = lifecycle.submit(session, actor, new, for_resident_id=resident.resident.id)
    handoff.request_id = req.id
    _note(handoff, "staff", texts.HO_ORDER_NOTE.format(id=req.id))
    what = req.category.name if req.category else texts.KIND_NAMES[req.kind]
    outbox.notify(
        session, resident, "handoff_order", texts.HO_ORDERED_TO_RESIDENT.format(id=req.id, what=what), request=req
    )
    return req


def media_to_forward(handoff: Handoff) -> list[tuple[str, int, int]]:
    """(kind, chat id, message id) of the media the resident sent while the handoff waited:
    the bot forwards them to whoever takes it."""
    return [
        (e["media"], e["chat"], e["message"])
        for e in handoff.transcript or []
        if e.get("who") == "resident" and e.get("media") and e.get("chat") and e.get("message")
    ]


def queue(session: Session, community_id: int) -> list[Handoff]:
    """Waiting handoffs, oldest first."""
    return list(
        session.scalars(
            select(Handoff)
            .where(Handoff.community_id == community_id, Handoff.state == S.WAITING)
            .order_by(Handoff.requested_at, Handoff.id)
        )
    )


def queue_line(session: Session, handoff: Handoff, now: datetime | None = None) -> str:
    waited = int(((now or clock.now()) - handoff.requested_at).total_seconds() // 60)
    said = next((e["text"] for e in reversed(handoff.transcript or []) if e.get("who") == "resident"), "")
    return texts.HO_QUEUE_LINE.format(
        id=handoff.id, who=who(session, handoff.resident), minutes=waited, said=said[:30] or "—"
    )


# --- statistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffStats:
    total: int
    answered: int
    waiting: int
    active: int
    median_wait_minutes: float | None
    orders: int


def stats(session: Session, community_id: int, since: datetime | None = None) -> HandoffStats:
    query = select(Handoff).where(Handoff.community_id == community_id)
    if since is not None:
        query = query.where(Handoff.requested_at >= since)
    rows = session.scalars(query).all()
    waits = [(h.connected_at - h.requested_at).total_seconds() / 60 for h in rows if h.connected_at is not None]
    return HandoffStats(
        total=len(rows),
        answered=len(waits),
        waiting=sum(1 for h in rows if h.state == S.WAITING),
        active=sum(1 for h in rows if h.state == S.ACTIVE),
        median_wait_minutes=round(statistics.median(waits), 1) if waits else None,
        orders=sum(1 for h in rows if h.request_id is not None),
    )


def stats_text(s: HandoffStats) -> str:
    wait = texts.HO_STATS_NO_WAIT if s.median_wait_minutes is None else f"{s.median_wait_minutes:g} 分钟"
    return texts.HO_STATS.format(
        total=s.total, answered=s.answered, waiting=s.waiting, active=s.active, wait=wait, orders=s.orders
    )
