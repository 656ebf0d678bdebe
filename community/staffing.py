"""Staff actions on people and keys that are not request events: offboarding a staff
member, pausing or deactivating a volunteer, revoking an Open311 API key, and the audit
log they (and sign-ins, registrations, invites) write to.

Every function checks its actor the way `community.lifecycle` does: roles come from the
database (`community.actors`), only active staff of the same community may act, and the
refusal is a `DomainError` with a Chinese message. Each change appends an `AuditEntry` in
the caller's transaction, so the change and its record commit together.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import clock, texts
from community.actors import Actor
from community.errors import Forbidden, IllegalTransition, NotFound
from community.models import (
    ACTIVE_STATES,
    ApiKey,
    AuditEntry,
    Person,
    Request,
    Staff,
    Volunteer,
    WebSession,
)
from community.validation import normalize_text


def record(
    session: Session,
    actor: Actor,
    community_id: int,
    action: str,
    *,
    target_person_id: int | None = None,
    target_key_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one audit row (action: a key of texts.AUDIT_ACTIONS)."""
    if action not in texts.AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action}")
    entry = AuditEntry(
        community_id=community_id,
        at=clock.now(),
        actor_person_id=actor.person_id,
        channel=actor.channel,
        action=action,
        target_person_id=target_person_id,
        target_key_id=target_key_id,
        note=normalize_text(note)[:500],
    )
    session.add(entry)
    session.flush()
    return entry


def _require_staff(actor: Actor, community_id: int) -> None:
    if not (actor.staff_id is not None and actor.community_id == community_id):
        raise Forbidden(texts.ERR_NOT_STAFF)


def _person_in(session: Session, actor: Actor, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.community_id != actor.community_id:
        raise NotFound(texts.ERR_PERSON_UNKNOWN)
    return person


def offboard_staff(session: Session, actor: Actor, person_id: int, note: str = "") -> Staff:
    """A staff member leaves: their role is switched off, their dashboard sessions end at
    once, and the Open311 keys they issued stop working (check_api_key needs an active
    issuer). Nobody offboards themselves, and the last active staff member stays."""
    _require_staff(actor, actor.community_id or -1)
    person = _person_in(session, actor, person_id)
    staff = session.scalar(select(Staff).where(Staff.person_id == person.id).with_for_update())
    if staff is None:
        raise NotFound(texts.ERR_PERSON_UNKNOWN)
    if not staff.active:
        raise IllegalTransition(texts.ERR_ALREADY_INACTIVE.format(name=person.name))
    if person.id == actor.person_id:
        raise Forbidden(texts.ERR_OFFBOARD_SELF)
    others = session.scalar(
        select(func.count())
        .select_from(Staff)
        .join(Person, Person.id == Staff.person_id)
        .where(Person.community_id == person.community_id, Staff.active.is_(True), Staff.id != staff.id)
    )
    if not others:
        raise Forbidden(texts.ERR_OFFBOARD_LAST)
    staff.active = False
    now = clock.now()
    for row in session.scalars(
        select(WebSession).where(WebSession.person_id == person.id, WebSession.revoked_at.is_(None))
    ):
        row.revoked_at = now
    record(session, actor, person.community_id, "staff_offboarded", target_person_id=person.id, note=note)
    return staff


def _volunteer(session: Session, actor: Actor, volunteer_id: int) -> Volunteer:
    _require_staff(actor, actor.community_id or -1)
    volunteer = session.scalar(
        select(Volunteer)
        .where(Volunteer.id == volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if volunteer is None or volunteer.person.community_id != actor.community_id:
        raise NotFound(texts.ERR_PERSON_UNKNOWN)
    return volunteer


def set_volunteer_paused(session: Session, actor: Actor, volunteer_id: int, paused: bool, note: str = "") -> Volunteer:
    """暂停/恢复接单 on the volunteer's behalf (they can do the same with /pause, /resume)."""
    volunteer = _volunteer(session, actor, volunteer_id)
    if volunteer.deactivated_at is not None:
        raise IllegalTransition(texts.ERR_VOLUNTEER_DEACTIVATED)
    volunteer.available = not paused
    if note:
        volunteer.availability_note = normalize_text(note)[:100]
    action = "volunteer_paused" if paused else "volunteer_resumed"
    record(session, actor, actor.community_id or 0, action, target_person_id=volunteer.person_id, note=note)
    return volunteer


def deactivate_volunteer(session: Session, actor: Actor, volunteer_id: int, note: str = "") -> Volunteer:
    """停用: the volunteer gets no more offers and cannot claim (community.actors gives a
    deactivated volunteer no volunteer role). Refused while they hold requests, which staff
    reassign first, so nobody is left waiting on a volunteer who has gone."""
    volunteer = _volunteer(session, actor, volunteer_id)
    name = volunteer.person.name
    if volunteer.deactivated_at is not None:
        raise IllegalTransition(texts.ERR_ALREADY_INACTIVE.format(name=name))
    held = session.scalars(
        select(Request.id).where(Request.volunteer_id == volunteer.id, Request.state.in_(ACTIVE_STATES))
    ).all()
    if held:
        raise IllegalTransition(texts.ERR_VOLUNTEER_HAS_TASKS.format(name=name, ids="、".join(map(str, held))))
    volunteer.deactivated_at = clock.now()
    volunteer.available = False
    record(
        session,
        actor,
        actor.community_id or 0,
        "volunteer_deactivated",
        target_person_id=volunteer.person_id,
        note=note,
    )
    return volunteer


def reactivate_volunteer(session: Session, actor: Actor, volunteer_id: int, note: str = "") -> Volunteer:
    volunteer = _volunteer(session, actor, volunteer_id)
    if volunteer.deactivated_at is None:
        raise IllegalTransition(texts.ERR_NOT_INACTIVE.format(name=volunteer.person.name))
    volunteer.deactivated_at = None
    volunteer.available = True
    record(
        session,
        actor,
        actor.community_id or 0,
        "volunteer_reactivated",
        target_person_id=volunteer.person_id,
        note=note,
    )
    return volunteer


def revoke_api_key(session: Session, actor: Actor, key_id: int, note: str = "") -> ApiKey:
    """An Open311 key stops working at once (check_api_key refuses revoked keys)."""
    _require_staff(actor, actor.community_id or -1)
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id).with_for_update())
    if key is None or key.community_id != actor.community_id:
        raise NotFound(texts.ERR_KEY_UNKNOWN)
    if key.revoked_at is not None:
        raise IllegalTransition(texts.ERR_KEY_REVOKED)
    key.revoked_at = clock.now()
    record(session, actor, key.community_id, "api_key_revoked", target_key_id=key.id, note=note or key.name)
    return key
