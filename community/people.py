"""Registering people: the first staff member, volunteer invites, residents.

Volunteers arrive through a one-time invite link (`/start join-<code>`) that staff issue.
Residents arrive by messaging the bot and giving consent; residents without Telegram are
registered by staff or a grid worker, who record their consent (代下单).
"""

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import clock, texts
from community.actors import Actor
from community.errors import Forbidden, InvalidInput, NotFound
from community.models import Building, Community, Invite, Person, Resident, Staff, Volunteer, VolunteerTeam
from community.validation import normalize_phone, normalize_text

# No 0/O, 1/I/L: codes are read aloud and typed by hand as often as they are tapped.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8


def community_by_code(session: Session, code: str | None = None) -> Community:
    """The community with this code, or the only one when no code is given."""
    query = select(Community) if code is None else select(Community).where(Community.code == code)
    found = session.scalars(query.limit(2)).all()
    if code is None and len(found) > 1:  # a district: which one must be said
        raise NotFound(texts.ERR_COMMUNITY_CODE_NEEDED)
    if len(found) != 1:
        raise NotFound(texts.ERR_COMMUNITY_UNKNOWN.format(code=code or ""))
    return found[0]


def all_communities(session: Session) -> list[Community]:
    """Every community of the deployment, by name (what a new resident chooses from)."""
    return list(session.scalars(select(Community).order_by(Community.name, Community.id)))


def match_communities(session: Session, text: str) -> list[Community]:
    """The communities a resident's typed answer names: its code, or its name with or
    without 社区/小区 ("幸福里", "我住幸福里社区"). Several when the text is vague."""
    wanted = normalize_text(text).replace(" ", "")
    if not wanted:
        return []
    found = []
    for c in all_communities(session):
        stem = c.name.removesuffix("社区").removesuffix("小区") or c.name
        if wanted.upper() == c.code.upper() or stem in wanted or (len(wanted) >= 2 and wanted in c.name):
            found.append(c)
    return found


def _person(
    session: Session,
    community: Community,
    name: str,
    phone: str | None,
    telegram_id: int | None,
    *,
    match_phone: bool = True,
) -> Person:
    """Find a person by Telegram id, or by phone when `match_phone` (a volunteer or staff
    member from the spreadsheets joining the bot), else create one. Residents are never
    matched by phone alone: a family shares one number, and grandma is not her son."""
    name = normalize_text(name)
    if not name:
        raise InvalidInput(texts.ERR_NAME_REQUIRED)
    phone = normalize_phone(phone) if phone else None
    person = None
    if telegram_id is not None:
        person = session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None and phone and match_phone:
        person = session.scalar(select(Person).where(Person.community_id == community.id, Person.phone == phone))
    if person is None:
        person = Person(
            community_id=community.id, name=name, phone=phone, telegram_id=telegram_id, created_at=clock.now()
        )
        session.add(person)
    else:
        if person.telegram_id is not None and telegram_id is not None and person.telegram_id != telegram_id:
            raise InvalidInput(texts.ERR_PHONE_TAKEN)
        person.telegram_id = person.telegram_id or telegram_id
        person.phone = person.phone or phone
    session.flush()
    return person


def find_or_create_person(
    session: Session, community: Community, name: str, phone: str | None, telegram_id: int | None
) -> Person:
    """The person with this Telegram id (or phone, in `community`), else a new one there."""
    return _person(session, community, name, phone, telegram_id)


def add_staff(session: Session, community: Community, name: str, phone: str | None, telegram_id: int | None) -> Staff:
    """Bootstrap (admin CLI) or add a staff member."""
    person = _person(session, community, name, phone, telegram_id)
    staff = person.staff or Staff(person=person)
    staff.active = True
    session.add(staff)
    session.flush()
    return staff


def issue_invites(
    session: Session, actor: Actor, count: int = 1, team_code: str | None = None, days: int = 7
) -> list[Invite]:
    """One-time volunteer invite codes, optionally pre-assigning a team."""
    if not actor.is_staff:
        raise Forbidden(texts.ERR_NOT_STAFF)
    if not 1 <= count <= 200 or not 1 <= days <= 90:
        raise InvalidInput(texts.ERR_INVITE_LIMITS)
    community_id = actor.community_id or community_by_code(session).id
    team = None
    if team_code:
        team = session.scalar(
            select(VolunteerTeam).where(VolunteerTeam.community_id == community_id, VolunteerTeam.code == team_code)
        )
        if team is None:
            raise InvalidInput(texts.ERR_TEAM_UNKNOWN.format(code=team_code))
    now = clock.now()
    invites = [
        Invite(
            code="".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH)),
            community_id=community_id,
            team_id=team.id if team else None,
            created_by_person_id=actor.person_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        for _ in range(count)
    ]
    session.add_all(invites)
    session.flush()
    return invites


def redeem_invite(session: Session, code: str, telegram_id: int, name: str, phone: str | None = None) -> Volunteer:
    """`/start join-<code>`: the Telegram user becomes (or is linked to) a volunteer."""
    invite = session.scalar(select(Invite).where(Invite.code == normalize_text(code).upper()).with_for_update())
    if invite is None or invite.used_at is not None or invite.expires_at < clock.now():
        raise InvalidInput(texts.ERR_INVITE_INVALID)
    community = session.get_one(Community, invite.community_id)
    person = _person(session, community, name, phone, telegram_id)
    volunteer = person.volunteer
    if volunteer is None:
        volunteer = Volunteer(person=person, joined_at=clock.now())  # load limit: the setting
        session.add(volunteer)
    if invite.team_id:
        team = session.get_one(VolunteerTeam, invite.team_id)
        if team not in volunteer.teams:
            volunteer.teams.append(team)
        volunteer.grid_id = volunteer.grid_id or team.grid_id
    invite.used_at, invite.used_by_person_id = clock.now(), person.id
    session.flush()
    return volunteer


def set_blocked(session: Session, telegram_id: int, blocked: bool) -> None:
    """Telegram answered 403 for this chat (the person blocked the bot or deleted the
    account): no more offer cards (community.routing REACH_TELEGRAM) until they come back
    with /start, which clears it."""
    person = session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None or (person.telegram_blocked_at is not None) == blocked:
        return
    person.telegram_blocked_at = clock.now() if blocked else None
    session.flush()


def unlinked_volunteer(session: Session, community_id: int, phone: str) -> Person | None:
    """The volunteer from the spreadsheets with this phone who has no Telegram account yet."""
    return session.scalar(
        select(Person)
        .join(Volunteer, Volunteer.person_id == Person.id)
        .where(
            Person.community_id == community_id,
            Person.phone == normalize_phone(phone),
            Person.telegram_id.is_(None),
            Volunteer.deactivated_at.is_(None),
        )
        .limit(1)
    )


def link_volunteer(session: Session, code: str, telegram_id: int, phone: str) -> Volunteer:
    """A volunteer from the spreadsheets (a phone, no Telegram) links their Telegram account:
    a one-time code from staff (an invite) plus the phone Telegram shared for them (their
    own contact) matching the spreadsheet's. The existing person gets the Telegram id; no
    second person is created, and an account already known as someone else is refused."""
    invite = session.scalar(select(Invite).where(Invite.code == normalize_text(code).upper()).with_for_update())
    if invite is None or invite.used_at is not None or invite.expires_at < clock.now():
        raise InvalidInput(texts.ERR_INVITE_INVALID)
    person = unlinked_volunteer(session, invite.community_id, phone)
    if person is None:
        raise InvalidInput(texts.ERR_LINK_NO_MATCH)
    if session.scalar(select(Person.id).where(Person.telegram_id == telegram_id)) is not None:
        raise InvalidInput(texts.ERR_LINK_TELEGRAM_TAKEN)
    person.telegram_id, person.telegram_blocked_at = telegram_id, None
    volunteer = person.volunteer
    assert volunteer is not None  # unlinked_volunteer joins volunteers
    if invite.team_id:
        team = session.get_one(VolunteerTeam, invite.team_id)
        if team not in volunteer.teams:
            volunteer.teams.append(team)
    invite.used_at, invite.used_by_person_id = clock.now(), person.id
    session.flush()
    return volunteer


def register_resident(
    session: Session,
    community: Community,
    name: str,
    *,
    phone: str | None = None,
    telegram_id: int | None = None,
    building_id: int | None = None,
    unit: int | None = None,
    room: str | None = None,
    consent: bool,
    registered_by: Actor | None = None,
) -> Resident:
    """A resident who agreed to their data being used for community services. Staff
    registering someone without Telegram record the consent given to them in person."""
    if registered_by is not None and not (registered_by.is_staff or registered_by.leader_grid_ids):
        raise Forbidden(texts.ERR_NOT_STAFF)
    if not consent:
        raise InvalidInput(texts.ERR_NO_CONSENT)
    person = _person(session, community, name, phone, telegram_id, match_phone=False)
    resident = person.resident or Resident(person=person)
    resident.consent_at = resident.consent_at or clock.now()
    resident.building_id = building_id or resident.building_id
    resident.unit = unit or resident.unit
    resident.room = normalize_text(room) or resident.room if room else resident.room
    if registered_by is not None:
        resident.registered_by_person_id = registered_by.person_id
    session.add(resident)
    session.flush()
    return resident


RESIDENT_SEARCH_LIMIT = 20


def find_residents(
    session: Session, community_id: int, text: str, *, grid_ids: frozenset[int] | None = None
) -> list[Resident]:
    """Residents whose phone contains the digits given (a whole number or its last four
    digits: how a caller reads it out) or whose name contains the text; for 代下单 and the
    directory. `grid_ids` narrows the search to residents of those grids' buildings (a grid
    leader's scope)."""
    wanted = normalize_text(text)
    if not wanted:
        return []
    digits = "".join(ch for ch in wanted if ch.isdigit())
    if digits and len(digits) >= 3 and len(digits) == len(wanted.replace(" ", "").replace("-", "")):
        match = Person.phone.contains(digits, autoescape=True)
    else:
        match = Person.name.contains(wanted, autoescape=True)
    query = (
        select(Resident)
        .join(Person, Person.id == Resident.person_id)
        .where(Person.community_id == community_id, match)
        .order_by(Person.name, Resident.id)
        .limit(RESIDENT_SEARCH_LIMIT)
    )
    if grid_ids is not None:
        query = query.join(Building, Building.id == Resident.building_id).where(Building.grid_id.in_(grid_ids))
    return list(session.scalars(query))
