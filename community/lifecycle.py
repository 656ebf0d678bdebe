"""The request lifecycle: every state change of a request happens here and nowhere else.

    submitted → [review: wishes only] → open → claimed → in_progress → done → closed
        └→ rejected                       │        │                    │
    cancelled ◄── (resident/staff, any time before done)  released → open   not fixed → open

Each public function takes the caller's session and an `Actor` (looked up from the
database, never from a message), checks the actor's role and ownership, locks the request
row, checks the transition against `TRANSITIONS`, applies it, appends an `Event` and writes
the notifications to the outbox, all in the caller's transaction. Errors are
`community.errors.DomainError` subclasses with a Chinese message; on error nothing is
written (the caller rolls back).

"draft" (docs/ARCHITECTURE.md, "Request states") lives in the resident's dialogue (the Rasa form), not in the
database: a request exists from the moment the resident confirms it.

Concurrency: the request row is read with SELECT … FOR UPDATE (PostgreSQL) or inside a
BEGIN IMMEDIATE transaction (SQLite, see community.db), so of many volunteers claiming
the same request exactly one sees it `open`; the rest get AlreadyClaimed. Volunteer rows
are locked after the request row, always in that order, so claims cannot deadlock.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import clock, followups, routing, texts
from community.actors import SYSTEM as SYSTEM_ACTOR
from community.actors import Actor
from community.errors import (
    AlreadyClaimed,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OverLoad,
    TooSoon,
)
from community.models import (
    ACTIVE_STATES,
    Building,
    Event,
    Grid,
    LedgerEntry,
    Offer,
    OfferStatus,
    OutboxMessage,
    Person,
    Rating,
    Request,
    RequestKind,
    RequestPhoto,
    RequestState,
    Resident,
    ServiceCategory,
    Volunteer,
)
from community.outbox import button, leader_or_staff, notify, staff_of
from community.redaction import redact
from community.settings import get_settings
from community.validation import check_description, normalize_phone, normalize_text

S = RequestState

# action → (states it may start from, state it leads to). The one table of legal moves.
TRANSITIONS: dict[str, tuple[frozenset[RequestState], RequestState]] = {
    "publish": (frozenset({S.SUBMITTED}), S.OPEN),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "claim": (frozenset({S.OPEN}), S.CLAIMED),
    "dispatch": (frozenset({S.OPEN, S.CLAIMED, S.IN_PROGRESS}), S.CLAIMED),
    "start": (frozenset({S.CLAIMED}), S.IN_PROGRESS),
    "release": (frozenset({S.CLAIMED, S.IN_PROGRESS}), S.OPEN),
    "unassign": (frozenset({S.CLAIMED, S.IN_PROGRESS}), S.OPEN),  # 改派: offered again, as after 放弃
    # A volunteer between shifts may forget 出发了: finishing straight from claimed is allowed.
    "finish": (frozenset({S.CLAIMED, S.IN_PROGRESS}), S.DONE),
    "confirm": (frozenset({S.DONE}), S.CLOSED),
    "reopen": (frozenset({S.DONE}), S.OPEN),
    "close_unrated": (frozenset({S.DONE}), S.CLOSED),
    "cancel": (frozenset({S.SUBMITTED, S.OPEN, S.CLAIMED, S.IN_PROGRESS}), S.CANCELLED),
}
# Actions that change no state but still need the request in one of these states.
BEFORE_DONE = frozenset({S.SUBMITTED, S.OPEN, S.CLAIMED, S.IN_PROGRESS})
PRECONDITIONS: dict[str, frozenset[RequestState]] = {
    "rate": frozenset({S.DONE, S.CLOSED}),
    "urge": BEFORE_DONE,
    "escalate": frozenset({S.OPEN, S.CLAIMED}),
    "decline": frozenset({S.OPEN}),
    "flag_urgent": BEFORE_DONE,
    "unflag_urgent": BEFORE_DONE,
    "edit": BEFORE_DONE,
    "note": frozenset(RequestState),
    "complete_followup": frozenset(RequestState),
    "attach_photo": BEFORE_DONE,
}

# Who may take each action (besides the state it needs). The relations an actor can have
# to a request, all looked up in the database:
#   owner     the resident the request is for
#   offered   a volunteer holding an offer card for it (or, once the offer was widened,
#             eligible by the routing tiers)
#   assignee  the volunteer holding it now (or who did the work, after done)
#   leader    grid leader of the request's grid
#   staff     active staff of the request's community (the scheduler acts as staff)
ROLES: dict[str, frozenset[str]] = {
    "publish": frozenset({"staff"}),
    "reject": frozenset({"staff"}),
    "claim": frozenset({"offered"}),
    "decline": frozenset({"offered"}),
    "dispatch": frozenset({"staff", "leader"}),
    "unassign": frozenset({"staff", "leader"}),
    "start": frozenset({"assignee"}),
    "release": frozenset({"assignee"}),
    "finish": frozenset({"assignee"}),
    "confirm": frozenset({"owner", "staff"}),
    "reopen": frozenset({"owner", "staff"}),
    "close_unrated": frozenset({"staff"}),
    "cancel": frozenset({"owner", "staff"}),
    "rate": frozenset({"owner"}),
    "urge": frozenset({"owner"}),
    "escalate": frozenset({"staff"}),
    "flag_urgent": frozenset({"staff"}),
    "unflag_urgent": frozenset({"staff"}),
    "edit": frozenset({"staff"}),
    "note": frozenset({"staff", "assignee"}),
    "complete_followup": frozenset({"staff", "leader"}),
    "attach_photo": frozenset({"owner"}),
}
# A role that may take an action only in some of the states the action allows.
ROLE_STATES: dict[tuple[str, str], frozenset[RequestState]] = {
    ("note", "assignee"): frozenset({S.DONE, S.CLOSED}),  # the volunteer's note comes after the work
}
# The order adapters show actions in (buttons, lists). Scheduler-only actions are left out.
DISPLAY_ORDER = (
    "claim",
    "decline",
    "start",
    "finish",
    "release",
    "publish",
    "reject",
    "dispatch",
    "unassign",
    "confirm",
    "reopen",
    "rate",
    "urge",
    "flag_urgent",
    "unflag_urgent",
    "edit",
    "note",
    "complete_followup",
    "cancel",
)
_FORBIDDEN_MESSAGES = {
    frozenset({"staff"}): texts.ERR_NOT_STAFF,
    frozenset({"staff", "leader"}): texts.ERR_NOT_STAFF_OR_LEADER,
    frozenset({"assignee"}): texts.ERR_NOT_YOUR_TASK,
    frozenset({"staff", "assignee"}): texts.ERR_NOT_YOUR_TASK,
    frozenset({"owner"}): texts.ERR_NOT_YOUR_REQUEST,
    frozenset({"owner", "staff"}): texts.ERR_NOT_YOUR_REQUEST,
}

RATING_EMA_WEIGHT = 0.3  # weight of the newest rating in Volunteer.rating_recent
MAX_HOURS = 24.0
APPOINTMENT_GRACE_HOURS = 1  # after an appointment's expected end before it counts as overdue


@dataclass(frozen=True)
class NewRequest:
    """What a resident (or staff on their behalf) asks for."""

    kind: RequestKind
    description: str
    category: str | None = None  # code, name or synonym from the service menu
    item: str | None = None
    address: str | None = None  # free text; the resident's registered address if None
    preferred_time: datetime | None = None  # naive UTC
    asap: bool = False  # 尽快: shown as such (no preferred time)
    phone: str | None = None


class Duplicate(IllegalTransition):
    """The same request was submitted moments ago; `request_id` is the one that exists."""

    code = "duplicate"

    def __init__(self, request_id: int) -> None:
        super().__init__(texts.ERR_DUPLICATE.format(id=request_id))
        self.request_id = request_id


# --- helpers ----------------------------------------------------------------------------


def _lock(session: Session, actor: Actor, request_id: int) -> Request:
    req = session.scalar(
        select(Request).where(Request.id == request_id).with_for_update().execution_options(populate_existing=True)
    )
    if req is None or (not actor.is_system and req.community_id != actor.community_id):
        raise NotFound(texts.ERR_NOT_FOUND.format(request_id=request_id))
    return req


def _lock_volunteer(session: Session, volunteer_id: int) -> Volunteer:
    return session.scalars(
        select(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _assignee(req: Request) -> Volunteer:
    """The volunteer of a request whose state says it has one (claimed, in progress, done)."""
    if req.volunteer is None:
        raise LookupError(f"request {req.id} in {req.state} has no volunteer")
    return req.volunteer


def _check(req: Request, action: str) -> None:
    allowed = TRANSITIONS[action][0] if action in TRANSITIONS else PRECONDITIONS[action]
    if req.state not in allowed:
        raise IllegalTransition(
            texts.ERR_WRONG_STATE.format(state=texts.STATE_NAMES[req.state], action=texts.ACTION_NAMES[action])
        )


# --- the one authority: what may this actor do with this request now ------------------------


def _holds_offer(session: Session, actor: Actor, req: Request) -> bool:
    """An offer card was sent to this volunteer (declining it does not take it back; a
    card withdrawn because someone else claimed still counts, so its holder hears "already
    claimed"), or the offer was widened and the volunteer is eligible by the routing tiers.
    The volunteer who accepted and then released it is not offered it again."""
    if actor.volunteer_id is None:
        return False
    status = session.scalar(
        select(Offer.status).where(Offer.request_id == req.id, Offer.volunteer_id == actor.volunteer_id)
    )
    if status in (OfferStatus.OFFERED, OfferStatus.DECLINED, OfferStatus.WITHDRAWN):
        return True
    if status is None and req.escalation_level >= 1:
        return routing.is_candidate(
            session,
            actor.volunteer_id,
            grid_id=req.grid_id,
            category_id=req.category_id,
            community_id=req.community_id,
        )
    return False


def _has_role(session: Session, actor: Actor, req: Request, role: str) -> bool:
    match role:
        case "staff":
            return actor.is_system or (actor.is_staff and actor.community_id == req.community_id)
        case "owner":
            return actor.resident_id is not None and actor.resident_id == req.resident_id
        case "assignee":
            return actor.volunteer_id is not None and actor.volunteer_id == req.volunteer_id
        case "leader":
            return req.grid_id is not None and req.grid_id in actor.leader_grid_ids
        case "offered":
            return _holds_offer(session, actor, req)
    raise ValueError(f"unknown role {role}")


def denial(session: Session, actor: Actor, req: Request, action: str) -> DomainError | None:
    """Why `actor` may not take `action` on `req` now, or None if they may. Role and
    ownership come first (someone with no business here learns nothing about the state),
    then the state, then what else the action needs."""
    needed = ROLES[action]
    if action == "claim" and req.state in ACTIVE_STATES and _has_role(session, actor, req, "assignee"):
        return IllegalTransition(texts.ERR_ALREADY_YOURS)
    roles = [role for role in sorted(needed) if _has_role(session, actor, req, role)]
    if not roles:
        if action in ("claim", "decline"):
            return Forbidden(texts.ERR_NOT_OFFERED if actor.volunteer_id else texts.ERR_NOT_VOLUNTEER)
        return Forbidden(_FORBIDDEN_MESSAGES[needed])
    states = TRANSITIONS[action][0] if action in TRANSITIONS else PRECONDITIONS[action]
    role_states = frozenset().union(*(ROLE_STATES.get((action, role), states) for role in roles))
    if req.state not in states & role_states:
        if action == "claim" and req.state in (S.CLAIMED, S.IN_PROGRESS, S.DONE, S.CLOSED):
            return AlreadyClaimed(texts.ERR_ALREADY_CLAIMED)
        return IllegalTransition(
            texts.ERR_WRONG_STATE.format(state=texts.STATE_NAMES[req.state], action=texts.ACTION_NAMES[action])
        )
    if action == "rate" and session.scalar(select(Rating.id).where(Rating.request_id == req.id)):
        return IllegalTransition(texts.ERR_ALREADY_RATED)
    if action == "flag_urgent" and req.priority:
        return IllegalTransition(texts.ERR_ALREADY_URGENT)
    if action == "unflag_urgent" and not req.priority:
        return IllegalTransition(texts.ERR_NOT_URGENT)
    if action == "complete_followup" and not req.needs_followup:
        return IllegalTransition(texts.ERR_NO_FOLLOWUP_PENDING.format(id=req.id))
    return None


def allowed_actions(session: Session, actor: Actor, req: Request) -> list[str]:
    """Every action `actor` may take on `req` now, in display order. Adapters (bot
    buttons, the web's action forms, Rasa actions) render from this and never re-derive it;
    each action re-checks with `denial` when it is taken."""
    if not actor.is_system and req.community_id != actor.community_id:
        return []
    return [action for action in DISPLAY_ORDER if denial(session, actor, req, action) is None]


def _authorize(session: Session, actor: Actor, req: Request, action: str) -> None:
    refusal = denial(session, actor, req, action)
    if refusal is not None:
        raise refusal


def _record(
    session: Session,
    req: Request,
    actor: Actor,
    role: str,
    action: str,
    from_state: RequestState | None,
    note: str = "",
) -> None:
    session.add(
        Event(
            request_id=req.id,
            at=clock.now(),
            actor_person_id=actor.person_id,
            actor_role="system" if actor.is_system else role,
            channel=actor.channel,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=req.state.value,
            note=note,
        )
    )


def _move(session: Session, req: Request, actor: Actor, role: str, action: str, note: str = "") -> None:
    """Apply a checked transition: state, stage timestamp, volunteer load, event."""
    _check(req, action)
    before, now = req.state, clock.now()
    req.state = TRANSITIONS[action][1]
    req.updated_at = now
    stamp = {
        S.OPEN: "published_at",
        S.CLAIMED: "claimed_at",
        S.IN_PROGRESS: "started_at",
        S.DONE: "done_at",
        S.CLOSED: "closed_at",
        S.REJECTED: "rejected_at",
        S.CANCELLED: "cancelled_at",
    }[req.state]
    if not (stamp == "published_at" and req.published_at):  # claim latency counts from the first publish
        setattr(req, stamp, now)
    if before in ACTIVE_STATES and req.state not in ACTIVE_STATES and req.volunteer_id:
        _lock_volunteer(session, req.volunteer_id).active_load -= 1
    _record(session, req, actor, role, action, before, note)
    followups.replan(session, req, before)


def _owner_or_staff(actor: Actor, req: Request) -> str:
    """The role an event records for an action open to the resident and to staff."""
    return "staff" if actor.is_staff else "resident"


def _staff_or_leader(session: Session, actor: Actor, req: Request) -> str:
    return "staff" if _has_role(session, actor, req, "staff") else "grid_leader"


def sees_private(session: Session, person: Person | None, req: Request) -> bool:
    """May `person` read the resident's phone and door numbers in this request's free text?
    Only the resident, whoever placed the order for them, the volunteer holding it (or who
    did the work) and active staff of its community; everyone else (volunteers offered it,
    a grid leader who is not staff) reads it through `community.redaction.redact`."""
    if person is None:
        return False
    if person.staff is not None and person.staff.active and person.community_id == req.community_id:
        return True
    if person.resident is not None and person.resident.id == req.resident_id:
        return True
    if req.created_by_person_id is not None and req.created_by_person_id == person.id:
        return True
    return person.volunteer is not None and req.volunteer_id is not None and person.volunteer.id == req.volunteer_id


def shown_to(session: Session, person: Person | None, req: Request, text: str | None) -> str:
    """Free text of (or about) `req` as `person` may read it."""
    return (text or "") if sees_private(session, person, req) else redact(text)


def _summary(req: Request, length: int = 40, *, private: bool = True) -> str:
    """The request in a line; `private=False` masks phone and door numbers (before cutting,
    so no half number survives the cut)."""
    text = req.description
    if req.item and req.item not in text:
        text = f"{req.item}：{text}"
    if not private:
        text = redact(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _summary_for(session: Session, person: Person | None, req: Request, length: int = 40) -> str:
    return _summary(req, length, private=sees_private(session, person, req))


def _category_name(req: Request) -> str:
    return req.category.name if req.category else texts.KIND_NAMES[req.kind]


def _time_text(req: Request) -> str:
    if req.preferred_time:
        return clock.local_text(req.preferred_time)
    return texts.ASAP if req.asap else texts.ANY_TIME


def _resident_person(session: Session, req: Request) -> Person:
    return session.get_one(Resident, req.resident_id).person


def _notify_resident(session: Session, req: Request, kind: str, text: str, **kwargs: Any) -> None:
    """Tell the resident; for a resident without Telegram tell whoever placed the order."""
    person = _resident_person(session, req)
    if person.telegram_id is None and req.created_by_person_id:
        text = f"（代{person.name}）{text}"
        person = session.get_one(Person, req.created_by_person_id)
    notify(session, person, kind, text, request=req, **kwargs)


def _task_buttons(req: Request) -> list[list[dict[str, Any]]]:
    return [
        [button(texts.BUTTON_START, "start", req.id), button(texts.BUTTON_FINISH, "finish", req.id)],
        [button(texts.BUTTON_RELEASE, "release", req.id)],
    ]


def _contact_text(session: Session, req: Request, template: str) -> str:
    resident = _resident_person(session, req)
    return template.format(
        id=req.id,
        summary=_summary(req, 200),
        resident=resident.name,
        phone=req.contact_phone or resident.phone or texts.UNKNOWN,
        address=req.address_text or texts.UNKNOWN,
        time=_time_text(req),
    )


def _withdraw_offers(session: Session, req: Request, keep_volunteer_id: int | None = None) -> None:
    """Turn every outstanding offer card into "已被认领" (or "已取消"…)."""
    offers = session.scalars(select(Offer).where(Offer.request_id == req.id, Offer.status == OfferStatus.OFFERED)).all()
    for offer in offers:
        if offer.volunteer_id == keep_volunteer_id:
            offer.status = OfferStatus.ACCEPTED
            continue
        offer.status = OfferStatus.WITHDRAWN
        if offer.outbox_id is None:
            continue
        original = session.get_one(OutboxMessage, offer.outbox_id)
        text = (
            texts.N_OFFER_TAKEN.format(id=req.id)
            if req.state in ACTIVE_STATES
            else texts.N_OFFER_GONE.format(id=req.id, state=texts.STATE_NAMES[req.state])
        )
        notify(
            session, session.get(Person, original.person_id), "offer_withdrawn", text, request=req, edit_of=original.id
        )


def offer(session: Session, req: Request, *, widen: bool = False) -> int:
    """Send the request card to the best candidates the bot can reach (a Telegram account,
    not paused, not blocked the bot). At escalation level 0 only the nearest non-empty tier
    is offered; `widen` (after T1) offers every tier. Volunteers already offered are
    skipped. When nobody reachable matches and nobody holds an offer, staff and the grid
    leader are told, with the volunteers they could call. Returns how many new offers were sent."""
    settings = get_settings()
    already = frozenset(session.scalars(select(Offer.volunteer_id).where(Offer.request_id == req.id)))
    candidates = _candidates(session, req, already, settings.offer_top_k, routing.REACH_TELEGRAM)
    if not widen and candidates:
        candidates = [c for c in candidates if c.tier == candidates[0].tier]
    if not candidates:
        if not _offer_outstanding(session, req):
            _alert_nobody_reachable(session, req)
        return 0
    card = _offer_card(req)
    for c in candidates:
        msg = notify(session, session.get(Person, c.person_id), "offer", card, request=req, buttons=_offer_buttons(req))
        session.add(
            Offer(request_id=req.id, volunteer_id=c.volunteer_id, outbox_id=msg.id if msg else None, tier=c.tier)
        )
    session.flush()
    return len(candidates)


def _candidates(
    session: Session, req: Request, exclude: frozenset[int], limit: int, reach: str
) -> list[routing.Candidate]:
    return routing.rank_candidates(
        session,
        grid_id=req.grid_id,
        building_id=req.building_id,
        category_id=req.category_id,
        community_id=req.community_id,
        exclude=exclude,
        limit=limit,
        reach=reach,
    )


def _offer_card(req: Request) -> str:
    return texts.N_OFFER.format(
        kind=texts.KIND_NAMES[req.kind],
        id=req.id,
        category=_category_name(req),
        building=req.building.name if req.building else texts.NO_BUILDING,  # no door number before claiming
        time=_time_text(req),
        summary=_summary(req, private=False),  # nobody offered it has claimed it yet
    )


def _offer_buttons(req: Request) -> list[list[dict[str, Any]]]:
    return [[button(texts.BUTTON_CLAIM, "claim", req.id), button(texts.BUTTON_DECLINE, "decline", req.id)]]


def _offer_outstanding(session: Session, req: Request) -> bool:
    return (
        session.scalar(select(Offer.id).where(Offer.request_id == req.id, Offer.status == OfferStatus.OFFERED).limit(1))
        is not None
    )


def _alert_nobody_reachable(session: Session, req: Request) -> None:
    """Nobody the bot can reach matches: the grid leader and staff hear it, with the matching
    volunteers who have only a phone (spreadsheet volunteers not yet linked) to call."""
    by_phone = _candidates(session, req, frozenset(), get_settings().offer_top_k, routing.REACH_PHONE)
    phones = "、".join(f"{c.name} {session.get_one(Person, c.person_id).phone}" for c in by_phone)
    text = texts.N_NO_CANDIDATES.format(
        id=req.id,
        category=_category_name(req),
        building=req.building.name if req.building else texts.NO_BUILDING,
        call=texts.N_NO_CANDIDATES_CALL.format(volunteers=phones) if phones else "",
    )
    recipients = {p.id: p for p in [*leader_or_staff(session, req), *staff_of(session, req.community_id)]}
    for person in recipients.values():
        notify(session, person, "no_candidates", text, request=req)


def _reoffer_earlier(session: Session, req: Request, skip_volunteer_id: int | None) -> int:
    """放弃 or 没解决 put the request back to open: the volunteers whose cards turned into
    "已被认领" get a fresh card (if the bot can still reach them and they can take it)."""
    earlier = session.scalars(
        select(Offer).where(
            Offer.request_id == req.id,
            Offer.status == OfferStatus.WITHDRAWN,
            Offer.volunteer_id != (skip_volunteer_id or 0),
        )
    ).all()
    sent = 0
    for row in earlier:
        volunteer = session.get_one(Volunteer, row.volunteer_id)
        person = volunteer.person
        if (
            person.telegram_id is None
            or person.telegram_blocked_at is not None
            or not volunteer.available
            or volunteer.deactivated_at is not None
            or volunteer.active_load >= volunteer.load_limit
        ):
            continue
        msg = notify(session, person, "offer", _offer_card(req), request=req, buttons=_offer_buttons(req))
        row.status, row.outbox_id = OfferStatus.OFFERED, msg.id if msg else None
        sent += 1
    session.flush()
    return sent


def find_category(session: Session, community_id: int, name: str) -> ServiceCategory:
    """A menu entry by code, name or synonym; unknown names list the menu."""
    wanted = normalize_text(name)
    menu = session.scalars(
        select(ServiceCategory).where(ServiceCategory.community_id == community_id, ServiceCategory.active.is_(True))
    ).all()
    for cat in menu:
        if wanted in (cat.code, cat.name) or wanted in [s for s in cat.synonyms.split("|") if s]:
            return cat
    raise InvalidInput(texts.ERR_UNKNOWN_CATEGORY.format(name=name, menu="、".join(c.name for c in menu)))


# --- submission --------------------------------------------------------------------------


def submit(session: Session, actor: Actor, new: NewRequest, *, for_resident_id: int | None = None) -> Request:
    """A resident submits, or staff/a grid leader places an order for a resident (代下单).
    Service and care requests are published at once; wishes wait for review."""
    settings = get_settings()
    if for_resident_id is not None and for_resident_id != actor.resident_id:
        if not (actor.is_staff or actor.leader_grid_ids):
            raise Forbidden(texts.ERR_NOT_STAFF)
        resident_id = for_resident_id
    elif actor.resident_id is not None:
        resident_id = actor.resident_id
    else:
        raise Forbidden(texts.ERR_NOT_YOUR_REQUEST)
    # Lock the resident row: two identical submissions racing (a double tap) serialise here.
    resident = session.scalar(
        select(Resident).where(Resident.id == resident_id).with_for_update().execution_options(populate_existing=True)
    )
    if resident is None or resident.person.community_id != (actor.community_id or resident.person.community_id):
        raise NotFound(texts.ERR_NOT_FOUND.format(request_id=resident_id))
    if resident.consent_at is None:
        raise InvalidInput(texts.ERR_NO_CONSENT)

    description = check_description(new.description)
    category = find_category(session, resident.person.community_id, new.category) if new.category else None
    if new.kind == RequestKind.SERVICE and category is None:
        raise InvalidInput(texts.ERR_UNKNOWN_CATEGORY.format(name=texts.UNKNOWN, menu=_menu(session, resident)))
    phone = normalize_phone(new.phone) if new.phone else None
    community_id = resident.person.community_id
    if new.address:
        addr = routing.resolve_address(session, community_id, new.address)
        building_id, unit, room, label = addr.building_id, addr.unit, addr.room, addr.label
    elif resident.building_id:
        building_id, unit, room = resident.building_id, resident.unit, resident.room
        label = routing.address_label(session.get_one(Building, resident.building_id).name, unit, room)
    else:
        routing.resolve_address(session, community_id, "")  # raises the "which building?" question

    now = clock.now()
    recent = session.scalar(
        select(Request.id).where(
            Request.resident_id == resident_id,
            Request.kind == new.kind,
            Request.description == description,
            Request.submitted_at >= now - timedelta(seconds=settings.duplicate_window_seconds),
            Request.state.not_in([S.CANCELLED, S.REJECTED]),
        )
    )
    if recent:
        raise Duplicate(recent)

    grid_id = session.get_one(Building, building_id).grid_id
    req = Request(
        community_id=community_id,
        kind=new.kind,
        state=S.SUBMITTED,
        resident_id=resident_id,
        created_by_person_id=actor.person_id,
        description=description,
        item=(normalize_text(new.item)[:100] or None) if new.item else None,
        category_id=category.id if category else None,
        address_text=label,
        building_id=building_id,
        unit=unit,
        room=room,
        grid_id=grid_id,
        team_id=routing.team_for(session, category.id if category else None, grid_id),
        contact_phone=phone,
        preferred_time=new.preferred_time,
        asap=new.asap and new.preferred_time is None,
        submitted_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    role = "resident" if resident_id == actor.resident_id else "staff"
    _record(session, req, actor, role, "submit", None)
    if phone and resident.person.phone is None:
        resident.person.phone = phone

    if resident_id != actor.resident_id and actor.person_id is not None:
        notify(
            session,
            session.get(Person, actor.person_id),
            "received",
            texts.N_RECEIVED_FOR_OTHER.format(name=resident.person.name, id=req.id, summary=_summary(req)),
            request=req,
            reply=True,
        )
    if req.kind == RequestKind.WISH:
        if resident_id == actor.resident_id:
            _notify_resident(
                session, req, "received", texts.N_RECEIVED_WISH.format(id=req.id, summary=_summary(req)), reply=True
            )
        grid_name = session.get_one(Grid, grid_id).name
        for person in staff_of(session, community_id):
            notify(
                session,
                person,
                "review",
                texts.N_STAFF_REVIEW.format(id=req.id, grid=grid_name, summary=_summary_for(session, person, req, 100)),
                request=req,
                buttons=[
                    [button(texts.BUTTON_PUBLISH, "publish", req.id), button(texts.BUTTON_REJECT, "reject", req.id)]
                ],
            )
    else:
        if resident_id == actor.resident_id:
            _notify_resident(
                session,
                req,
                "received",
                texts.N_RECEIVED_SERVICE.format(category=_category_name(req), id=req.id, summary=_summary(req)),
                reply=True,
            )
        if not _publish(session, req, actor, "system"):
            _notify_resident(session, req, "no_volunteer_yet", texts.N_NOBODY_YET_RESIDENT.format(id=req.id))
    return req


def _menu(session: Session, resident: Resident) -> str:
    names = session.scalars(
        select(ServiceCategory.name).where(
            ServiceCategory.community_id == resident.person.community_id, ServiceCategory.active.is_(True)
        )
    ).all()
    return "、".join(names)


def _publish(session: Session, req: Request, actor: Actor, role: str) -> bool:
    """Open the request and offer it; whether a volunteer card went out."""
    _move(session, req, actor, role, "publish")
    due_hours = req.category.due_hours if req.category else 72
    assert req.published_at is not None  # set by the publish transition
    due_at = req.published_at + timedelta(hours=due_hours)
    if req.preferred_time:  # an appointment is not overdue before it has even happened
        service_hours = req.category.default_hours if req.category else 1
        due_at = max(due_at, req.preferred_time + timedelta(hours=service_hours + APPOINTMENT_GRACE_HOURS))
    req.due_at = due_at
    offer(session, req)
    return _offer_outstanding(session, req)


# --- staff review ------------------------------------------------------------------------


def publish(session: Session, actor: Actor, request_id: int) -> Request:
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "publish")
    reached = _publish(session, req, actor, "staff")
    template = texts.N_PUBLISHED if reached else texts.N_PUBLISHED_NOBODY_YET
    _notify_resident(session, req, "published", template.format(id=req.id))
    return req


def reject(session: Session, actor: Actor, request_id: int, reason: str) -> Request:
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "reject")
    reason = normalize_text(reason)
    if not reason:
        raise InvalidInput(texts.ERR_REASON_REQUIRED)
    _move(session, req, actor, "staff", "reject", reason)
    req.reason = reason
    _notify_resident(session, req, "rejected", texts.N_REJECTED.format(id=req.id, reason=reason))
    return req


# --- volunteers ----------------------------------------------------------------------------


def claim(session: Session, actor: Actor, request_id: int) -> Request:
    """接单: first one wins; the rest get AlreadyClaimed ("已被其他志愿者认领")."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "claim")
    assert actor.volunteer_id is not None  # only a volunteer is authorized to claim
    volunteer = _lock_volunteer(session, actor.volunteer_id)
    _check_can_take(volunteer)
    req.volunteer_id = volunteer.id
    _move(session, req, actor, "volunteer", "claim")
    volunteer.active_load += 1
    _after_assign(session, req, volunteer, texts.N_CLAIMED_VOLUNTEER, reply=True)
    return req


def _check_can_take(volunteer: Volunteer) -> None:
    if not volunteer.available:
        raise Forbidden(texts.ERR_VOLUNTEER_PAUSED)
    if volunteer.active_load >= volunteer.load_limit:
        raise OverLoad(texts.ERR_OVER_LOAD.format(load=volunteer.active_load, limit=volunteer.load_limit))


def _after_assign(session: Session, req: Request, volunteer: Volunteer, template: str, reply: bool) -> None:
    _withdraw_offers(session, req, keep_volunteer_id=volunteer.id)
    notify(
        session,
        volunteer.person,
        "assigned",
        _contact_text(session, req, template),
        request=req,
        buttons=_task_buttons(req),
        reply=reply,
    )
    _forward_photos(session, req, volunteer.person, _photos(session, req), reply=reply)
    _notify_resident(
        session, req, "claimed", texts.N_CLAIMED_RESIDENT.format(id=req.id, volunteer=volunteer.person.name)
    )


def _photos(session: Session, req: Request) -> list[RequestPhoto]:
    return list(
        session.scalars(select(RequestPhoto).where(RequestPhoto.request_id == req.id).order_by(RequestPhoto.id))
    )


def _forward_photos(
    session: Session, req: Request, person: Person, photos: list[RequestPhoto], reply: bool = False
) -> None:
    """The resident's photos to the volunteer who holds the request, after the contact
    details: a line naming the request, then each photo forwarded from the resident's chat."""
    if not photos:
        return
    notify(session, person, "photo_intro", texts.N_PHOTO_TO_VOLUNTEER.format(id=req.id), request=req, reply=reply)
    for photo in photos:
        notify(
            session,
            person,
            "photo",
            texts.EVENT_NAMES["attach_photo"],
            request=req,
            reply=reply,
            forward={"from_chat_id": photo.chat_id, "message_id": photo.message_id},
        )


def attach_photo(
    session: Session, actor: Actor, request_id: int, *, file_id: str, chat_id: int, message_id: int
) -> RequestPhoto:
    """A photo the resident sent while ordering, or just after, joins their request: in its
    history (staff see it there) and forwarded to the volunteer holding it, now or when
    someone claims it. Never on an offer card (it may show a door number)."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "attach_photo")
    assert actor.person_id is not None  # only the owner may attach
    photo = RequestPhoto(
        request_id=req.id,
        at=clock.now(),
        person_id=actor.person_id,
        file_id=file_id[:200],
        chat_id=chat_id,
        message_id=message_id,
    )
    session.add(photo)
    session.flush()
    _record(session, req, actor, "resident", "attach_photo", req.state, note=f"照片 #{photo.id}")
    if req.state in ACTIVE_STATES and req.volunteer is not None:
        _forward_photos(session, req, req.volunteer.person, [photo])
    return photo


def recent_request(
    session: Session, actor: Actor, within_minutes: int | None, *, since: datetime | None = None
) -> Request | None:
    """The resident's newest request that may still take a photo, if it was submitted in
    the last `within_minutes` (a photo sent right after ordering belongs to that order) or
    at or after `since` (photos kept while the order was being filled in)."""
    if actor.resident_id is None:
        return None
    if since is None:
        since = clock.now() - timedelta(minutes=within_minutes or 0)
    req = session.scalar(
        select(Request)
        .where(Request.resident_id == actor.resident_id, Request.submitted_at >= since)
        .order_by(Request.id.desc())
        .limit(1)
    )
    if req is None or denial(session, actor, req, "attach_photo") is not None:
        return None
    return req


def decline(session: Session, actor: Actor, request_id: int) -> None:
    """不方便: the volunteer passes on an offer; the card is edited, the request unchanged."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "decline")
    offer_row = session.scalar(
        select(Offer).where(Offer.request_id == req.id, Offer.volunteer_id == actor.volunteer_id)
    )
    if offer_row is not None and offer_row.status == OfferStatus.OFFERED:
        offer_row.status = OfferStatus.DECLINED
        _record(session, req, actor, "volunteer", "decline", req.state)


def dispatch(session: Session, actor: Actor, request_id: int, volunteer_id: int) -> Request:
    """派单/改派 by staff or the grid leader of the request's grid."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "dispatch")
    target = session.get(Volunteer, volunteer_id)
    if target is None or target.person.community_id != req.community_id:
        raise InvalidInput(texts.ERR_TARGET_NOT_VOLUNTEER)
    if target.id == req.volunteer_id:
        raise IllegalTransition(texts.ERR_ALREADY_ASSIGNED.format(name=target.person.name))
    previous_id = req.volunteer_id if req.state in ACTIVE_STATES else None
    locked = {v: _lock_volunteer(session, v) for v in sorted(filter(None, {previous_id, target.id}))}
    new = locked[target.id]
    _check_can_take(new)
    before = req.state
    req.state, req.volunteer_id = S.CLAIMED, new.id
    req.claimed_at = req.claimed_at or clock.now()
    req.started_at = None
    req.updated_at = clock.now()
    new.active_load += 1
    note = new.person.name
    if previous_id:
        old = locked[previous_id]
        old.active_load -= 1
        note = f"{old.person.name} → {new.person.name}"
        _take_task_card(session, req, old, texts.N_TAKEN_FROM_VOLUNTEER.format(id=req.id))
    _record(session, req, actor, _staff_or_leader(session, actor, req), "dispatch", before, note)
    _after_assign(session, req, new, texts.N_DISPATCHED_VOLUNTEER, reply=False)
    followups.replan(session, req, before, reassigned=True)
    return req


def _take_task_card(session: Session, req: Request, volunteer: Volunteer, text: str) -> None:
    """The volunteer no longer holds `req`: their task card (出发/完成/放弃) is edited into
    `text` without buttons, or, if it was never delivered, they are told in a new message."""
    card = session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.request_id == req.id,
            OutboxMessage.person_id == volunteer.person_id,
            OutboxMessage.kind == "assigned",
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    notify(session, volunteer.person, "reassigned", text, request=req, edit_of=card.id if card else None)


def unassign(session: Session, actor: Actor, request_id: int, reason: str = "") -> Request:
    """改派 by staff or the grid leader without naming someone: the volunteer is taken off,
    their task card loses its buttons, and the request is open again and offered the way
    放弃 does (the earlier offer holders get a fresh card, then the next reachable
    candidates), never again to the volunteer taken off."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "unassign")
    volunteer = _assignee(req)
    _move(session, req, actor, _staff_or_leader(session, actor, req), "unassign", normalize_text(reason))
    req.volunteer_id, req.claimed_at, req.started_at = None, None, None
    _take_task_card(session, req, volunteer, texts.N_TAKEN_FROM_VOLUNTEER.format(id=req.id))
    row = session.scalar(select(Offer).where(Offer.request_id == req.id, Offer.volunteer_id == volunteer.id))
    if row is None:  # dispatched without an offer: a row, so `offer` skips them
        row = Offer(request_id=req.id, volunteer_id=volunteer.id)
        session.add(row)
    row.status = OfferStatus.DECLINED
    session.flush()
    _notify_resident(session, req, "released", texts.N_RELEASED_RESIDENT.format(id=req.id))
    _reoffer_earlier(session, req, skip_volunteer_id=volunteer.id)
    offer(session, req)
    return req


def start(session: Session, actor: Actor, request_id: int) -> Request:
    """出发了."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "start")
    _move(session, req, actor, "volunteer", "start")
    _notify_resident(session, req, "started", texts.N_STARTED.format(id=req.id, volunteer=_assignee(req).person.name))
    return req


def release(session: Session, actor: Actor, request_id: int, reason: str = "") -> Request:
    """放弃: the request goes back to open and is offered again (not to the same person)."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "release")
    reason = normalize_text(reason)
    volunteer = _assignee(req)
    _move(session, req, actor, "volunteer", "release", reason)
    req.volunteer_id, req.claimed_at, req.started_at = None, None, None
    _notify_resident(session, req, "released", texts.N_RELEASED_RESIDENT.format(id=req.id))
    for person in leader_or_staff(session, req):
        notify(
            session,
            person,
            "released",
            texts.N_RELEASED_LEADER.format(
                id=req.id,
                volunteer=volunteer.person.name,
                reason=shown_to(session, person, req, reason or texts.UNKNOWN),
            ),
            request=req,
        )
    _reoffer_earlier(session, req, skip_volunteer_id=volunteer.id)
    offer(session, req)
    return req


def finish(session: Session, actor: Actor, request_id: int, hours: float | None = None, note: str = "") -> Request:
    """已完成, with hours spent (default from the category) and an optional note."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "finish")
    if hours is None:
        hours = req.category.default_hours if req.category else 1.0
    if not 0 < hours <= MAX_HOURS:
        raise InvalidInput(texts.ERR_HOURS)
    note = normalize_text(note)
    _move(session, req, actor, "volunteer", "finish", note)
    req.hours, req.finish_note = hours, note or None
    volunteer = _assignee(req)
    points = round(hours * get_settings().points_per_hour)
    volunteer.hours_total += hours
    volunteer.points_total += points
    session.add(
        LedgerEntry(
            volunteer_id=volunteer.id,
            request_id=req.id,
            team_id=req.team_id,
            hours=hours,
            points=points,
            reason="service",
            at=clock.now(),
        )
    )
    stars = [button(label, "rate", req.id, score=i + 1) for i, label in enumerate(texts.BUTTON_STARS)]
    _notify_resident(
        session,
        req,
        "done",
        texts.N_DONE_RESIDENT.format(id=req.id, volunteer=volunteer.person.name),
        buttons=[
            [button(texts.BUTTON_CONFIRM, "confirm", req.id), button(texts.BUTTON_REOPEN, "reopen", req.id)],
            stars,
        ],
    )
    return req


# --- residents -----------------------------------------------------------------------------


def confirm(session: Session, actor: Actor, request_id: int) -> Request:
    """已解决: the resident (or staff after a 回访 call) closes a done request."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "confirm")
    role = _owner_or_staff(actor, req)
    _move(session, req, actor, role, "confirm")
    if req.volunteer:
        notify(
            session,
            req.volunteer.person,
            "confirmed",
            texts.N_CONFIRMED_VOLUNTEER.format(
                id=req.id, hours=req.hours, points=round((req.hours or 0) * get_settings().points_per_hour)
            ),
            request=req,
        )
    stars = [button(label, "rate", req.id, score=i + 1) for i, label in enumerate(texts.BUTTON_STARS)]
    _notify_resident(
        session, req, "closed", texts.N_CLOSED_ASK_RATING.format(id=req.id), buttons=[stars], reply=role == "resident"
    )
    return req


def reopen(session: Session, actor: Actor, request_id: int, note: str = "") -> Request:
    """没解决: back to open for another try, flagged for the grid leader's follow-up."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "reopen")
    role = _owner_or_staff(actor, req)
    _move(session, req, actor, role, "reopen", normalize_text(note))
    req.needs_followup = True
    previous = req.volunteer
    req.volunteer_id, req.claimed_at, req.started_at, req.done_at = None, None, None, None
    _notify_resident(session, req, "reopened", texts.N_REOPENED_RESIDENT.format(id=req.id))
    recipients = {p.id: p for p in [*leader_or_staff(session, req), *staff_of(session, req.community_id)]}
    if previous:
        recipients[previous.person.id] = previous.person
    for person in recipients.values():
        notify(session, person, "reopened", texts.N_REOPENED.format(id=req.id), request=req)
    _reoffer_earlier(session, req, skip_volunteer_id=previous.id if previous else None)
    offer(session, req)
    return req


def rate(session: Session, actor: Actor, request_id: int, score: int | None, comment: str = "") -> Rating:
    """微评价 1–5. Rating a done request also closes it. 1–2 stars flag it for 回访."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(texts.ERR_SCORE)
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "rate")
    comment = normalize_text(comment)[:500]
    rating = Rating(
        request_id=req.id, volunteer_id=req.volunteer_id, score=score, comment=comment, created_at=clock.now()
    )
    session.add(rating)
    if req.state == S.DONE:
        _move(session, req, actor, "resident", "confirm", f"{score}星")
    _record(session, req, actor, "resident", "rate", req.state, f"{score}星 {comment}".strip())
    if req.volunteer_id:
        volunteer = _lock_volunteer(session, req.volunteer_id)
        volunteer.rating_sum += score
        volunteer.rating_count += 1
        volunteer.rating_recent = (1 - RATING_EMA_WEIGHT) * volunteer.rating_recent + RATING_EMA_WEIGHT * score
        notify(
            session,
            volunteer.person,
            "rated",
            texts.N_RATED_VOLUNTEER.format(id=req.id, score=score, comment=comment),
            request=req,
        )
    if score <= 2:
        req.needs_followup = True
        _record(session, req, actor, "resident", "followup_requested", req.state, f"{score}星")
        recipients = {p.id: p for p in [*leader_or_staff(session, req), *staff_of(session, req.community_id)]}
        for person in recipients.values():
            notify(
                session,
                person,
                "low_rating",
                texts.N_LOW_RATING.format(
                    id=req.id, score=score, comment=shown_to(session, person, req, comment or texts.UNKNOWN)
                ),
                request=req,
            )
    _notify_resident(session, req, "rating_thanks", texts.N_RATING_THANKS, reply=True)
    session.flush()
    return rating


def cancel(session: Session, actor: Actor, request_id: int, reason: str = "") -> Request:
    """The resident (own requests only) or staff cancels any time before done."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "cancel")
    role = _owner_or_staff(actor, req)
    reason = normalize_text(reason)
    if role == "staff" and not reason and not actor.is_system:
        raise InvalidInput(texts.ERR_REASON_REQUIRED_STAFF)
    volunteer = req.volunteer if req.state in ACTIVE_STATES else None
    _move(session, req, actor, role, "cancel", reason)
    req.reason = reason or None
    _withdraw_offers(session, req)
    if volunteer:
        notify(session, volunteer.person, "cancelled", texts.N_CANCELLED_VOLUNTEER.format(id=req.id), request=req)
    _notify_resident(session, req, "cancelled", texts.N_CANCELLED_RESIDENT.format(id=req.id), reply=role == "resident")
    return req


def urge(session: Session, actor: Actor, request_id: int) -> Request:
    """催一下: tells the grid leader (staff if none), at most once per interval."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "urge")
    now = clock.now()
    interval = timedelta(seconds=get_settings().urge_interval_seconds)
    if req.last_urged_at and now - req.last_urged_at < interval:
        minutes = max(1, int((now - req.last_urged_at).total_seconds() // 60))
        raise TooSoon(texts.ERR_URGE_TOO_SOON.format(minutes=minutes))
    req.last_urged_at = now
    waited = now - req.submitted_at
    hours, minutes = int(waited.total_seconds() // 3600), int(waited.total_seconds() % 3600 // 60)
    _record(session, req, actor, "resident", "urge", req.state)
    for person in leader_or_staff(session, req):
        notify(
            session,
            person,
            "urged",
            texts.N_URGED.format(
                id=req.id,
                state=texts.STATE_NAMES[req.state],
                waited=texts.WAITED.format(hours=hours, minutes=minutes),
                summary=_summary_for(session, person, req),
            ),
            request=req,
        )
    _notify_resident(session, req, "urge_ack", texts.N_URGE_ACK.format(id=req.id), reply=True)
    return req


def complain(session: Session, actor: Actor, text: str) -> Request | None:
    """A resident's complaint (投诉): recorded on their latest request, which is flagged for
    回访; the grid leader and staff are told. Without any request, staff are told only."""
    if actor.resident_id is None:
        raise Forbidden(texts.ERR_NOT_YOUR_REQUEST)
    text = normalize_text(text)[:500] or texts.UNKNOWN
    req = session.scalar(
        select(Request)
        .where(Request.resident_id == actor.resident_id)
        .order_by(Request.submitted_at.desc(), Request.id.desc())
        .limit(1)
    )
    resident = session.get_one(Resident, actor.resident_id)
    if req is None:
        for person in staff_of(session, resident.person.community_id):
            notify(
                session, person, "complaint", texts.N_COMPLAINT_NO_REQUEST.format(name=resident.person.name, text=text)
            )
        return None
    req = _lock(session, actor, req.id)
    req.needs_followup = True
    _record(session, req, actor, "resident", "complain", req.state, text)
    recipients = {p.id: p for p in [*leader_or_staff(session, req), *staff_of(session, req.community_id)]}
    for person in recipients.values():
        notify(
            session,
            person,
            "complaint",
            texts.N_COMPLAINT.format(id=req.id, name=resident.person.name, text=shown_to(session, person, req, text)),
            request=req,
        )
    return req


# --- system (scheduler) and staff flags ----------------------------------------------------


def close_unrated(session: Session, actor: Actor, request_id: int) -> Request:
    """No answer 72 h after done: closed as 未评价, never counted as satisfied."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "close_unrated")
    _move(session, req, actor, "staff", "close_unrated", "未评价")
    req.closed_unrated = True
    _notify_resident(session, req, "closed", texts.N_CLOSED_UNRATED.format(id=req.id))
    return req


def add_note(session: Session, actor: Actor, request_id: int, note: str) -> Request:
    """Staff note a request in any state (a call, a visit); the volunteer who did the work
    adds a note or a photo (a Telegram file id) after finishing."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "note")
    role = "staff" if _has_role(session, actor, req, "staff") else "volunteer"
    note = normalize_text(note)[:1000]
    if not note:
        raise InvalidInput(texts.ERR_NOTE_EMPTY)
    if role == "volunteer":
        req.finish_note = f"{req.finish_note}\n{note}" if req.finish_note else note
    _record(session, req, actor, role, "note", req.state, note)
    return req


def escalate(session: Session, actor: Actor, request_id: int, level: int, hours_waited: int) -> Request:
    """Unclaimed too long. Level 1: widen the offer and tell the grid leader; level 2:
    red flag in the staff queue and tell staff. Levels only go up."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "escalate")
    if level not in (1, 2) or level <= req.escalation_level:
        return req
    req.escalation_level = level
    _record(session, req, actor, "staff", "escalate", req.state, f"level {level}")
    grid_name = req.grid.name if req.grid else texts.UNKNOWN
    if level == 1:
        if req.state == S.OPEN:
            offer(session, req, widen=True)
        for person in leader_or_staff(session, req):
            notify(
                session,
                person,
                "escalated",
                texts.N_ESCALATED_LEADER.format(
                    id=req.id, hours=hours_waited, summary=_summary_for(session, person, req)
                ),
                request=req,
            )
    else:
        for person in staff_of(session, req.community_id):
            notify(
                session,
                person,
                "red_flag",
                texts.N_ESCALATED_STAFF.format(
                    id=req.id, hours=hours_waited, grid=grid_name, summary=_summary_for(session, person, req)
                ),
                request=req,
                urgent=True,
            )
    return req


def complete_followup(session: Session, actor: Actor, request_id: int, note: str) -> Request:
    """回访 done: staff or the grid leader called the resident back and record what came of it."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "complete_followup")
    note = normalize_text(note)
    if not note:
        raise InvalidInput(texts.ERR_FOLLOWUP_NOTE)
    req.needs_followup = False
    _record(session, req, actor, _staff_or_leader(session, actor, req), "followup_done", req.state, note)
    return req


def flag_urgent(session: Session, actor: Actor, request_id: int, urgent: bool = True) -> Request:
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "flag_urgent" if urgent else "unflag_urgent")
    req.priority = 1 if urgent else 0
    _record(session, req, actor, "staff", "flag_urgent" if urgent else "unflag_urgent", req.state)
    return req


def edit(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    description: str | None = None,
    address: str | None = None,
    preferred_time: datetime | None = None,
    phone: str | None = None,
) -> Request:
    """Staff correct what a request says (after a call with the resident, a typo): its
    description, address (re-routed to the new grid), preferred time or contact phone. The
    volunteer holding it gets the corrected details."""
    req = _lock(session, actor, request_id)
    _authorize(session, actor, req, "edit")
    changed = []
    if description is not None and (text := check_description(description)) != req.description:
        req.description = text
        changed.append("description")
    if address is not None:
        addr = routing.resolve_address(session, req.community_id, address)
        if (addr.building_id, addr.unit, addr.room) != (req.building_id, req.unit, req.room):
            req.building_id, req.unit, req.room, req.address_text = addr.building_id, addr.unit, addr.room, addr.label
            req.grid_id = addr.grid_id
            req.team_id = routing.team_for(session, req.category_id, addr.grid_id)
            changed.append("address")
    if preferred_time is not None and preferred_time != req.preferred_time:
        req.preferred_time = preferred_time
        changed.append("preferred_time")
    if phone is not None and (number := normalize_phone(phone)) != req.contact_phone:
        req.contact_phone = number
        changed.append("phone")
    if not changed:
        raise InvalidInput(texts.ERR_NOTHING_TO_EDIT)
    req.updated_at = clock.now()
    names = "、".join(texts.EDIT_FIELDS[name] for name in changed)
    _record(session, req, actor, "staff", "edit", req.state, names)
    if "preferred_time" in changed:
        followups.replan(session, req, req.state, reassigned=True)  # reminders follow the new time
    if req.volunteer is not None and req.state in ACTIVE_STATES:
        template = texts.N_EDITED_VOLUNTEER.replace("{changes}", names)
        notify(session, req.volunteer.person, "edited", _contact_text(session, req, template), request=req)
    return req


# --- reminders (fired by community.followups; no state change) ---------------------------------


def remind(session: Session, req: Request, kind: str) -> None:
    """Appointment reminders, the due-time nudge and the overdue call to the grid leader."""
    time = _time_text(req)
    if kind == "remind_volunteer":
        notify(
            session,
            _assignee(req).person,
            kind,
            texts.N_REMIND_VOLUNTEER.format(id=req.id, time=time, address=req.address_text, summary=_summary(req)),
            request=req,
            buttons=_task_buttons(req),
        )
    elif kind == "remind_resident":
        template = texts.N_REMIND_RESIDENT_CLAIMED if req.state in ACTIVE_STATES else texts.N_REMIND_RESIDENT_OPEN
        name = req.volunteer.person.name if req.volunteer else ""
        _notify_resident(session, req, kind, template.format(id=req.id, time=time, volunteer=name))
    elif kind == "nudge_volunteer":
        notify(
            session,
            _assignee(req).person,
            kind,
            texts.N_NUDGE_VOLUNTEER.format(id=req.id, summary=_summary(req)),
            request=req,
            buttons=[[button(texts.BUTTON_FINISH, "finish", req.id), button(texts.BUTTON_RELEASE, "release", req.id)]],
        )
    elif kind == "overdue_leader":
        _record(session, req, SYSTEM_ACTOR, "system", "overdue", req.state, _assignee(req).person.name)
        for person in leader_or_staff(session, req):
            notify(
                session,
                person,
                kind,
                texts.N_OVERDUE_LEADER.format(
                    id=req.id, volunteer=_assignee(req).person.name, summary=_summary_for(session, person, req)
                ),
                request=req,
                buttons=[[button(texts.BUTTON_REASSIGN, "reassign", req.id)]],
            )
    else:
        raise ValueError(f"unknown reminder {kind}")


def remind_to_rate(session: Session, req: Request) -> None:
    stars = [button(label, "rate", req.id, score=i + 1) for i, label in enumerate(texts.BUTTON_STARS)]
    _notify_resident(
        session,
        req,
        "rate_reminder",
        texts.N_RATE_REMINDER.format(id=req.id),
        buttons=[
            [button(texts.BUTTON_CONFIRM, "confirm", req.id), button(texts.BUTTON_REOPEN, "reopen", req.id)],
            stars,
        ],
    )
