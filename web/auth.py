"""Who may use the dashboard and the API.

- Staff, and grid leaders (scoped to their grids), sign in with a one-time login link made
  by the web's CLI (`python -m web login-link --phone …`): the token works once and for a
  few minutes; only its SHA-256 is stored.
- Signing in creates a `WebSession` row; the browser gets an HttpOnly cookie holding the
  session key signed with WEB_SECRET_KEY (itsdangerous). The server checks the signature,
  the row, its expiry and that the person is still active staff or a grid leader on every
  request; the scope (the community, or the leader's grids) is recomputed each time.
- A district's supervisor (督查, a `Supervisor` row) signs in the same way and gets a
  `SupervisorSession`, never a `StaffSession`: it opens the read-only /district page and
  no community page (no resident's phone or door number reaches them).
- Every POST form carries the session's CSRF token in a hidden field, compared in
  constant time.
- Open311 clients send an API key (`python -m web api-key --name …`); only its
  SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from community import clock
from community.actors import Actor, actor_for_person
from community.models import ApiKey, Grid, Person, Staff, Supervisor, WebLoginToken, WebSession
from web.config import WebSettings
from web.scope import Scope

COOKIE_NAME = "nuanxin_session"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _active_staff(session: Session, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    if person is None or person.staff is None or not person.staff.active:
        return None
    return person


def _leader_grids(session: Session, person_id: int) -> frozenset[int]:
    return frozenset(session.scalars(select(Grid.id).where(Grid.leader_person_id == person_id)))


def _active_member(session: Session, person_id: int | None) -> Person | None:
    """Active staff, or the leader of at least one grid: the people the dashboard serves."""
    staff = _active_staff(session, person_id)
    if staff is not None:
        return staff
    if person_id is None or not _leader_grids(session, person_id):
        return None
    return session.get(Person, person_id)


def _active_supervisor(session: Session, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    sup = session.scalar(select(Supervisor).where(Supervisor.person_id == person_id, Supervisor.active.is_(True)))
    return session.get(Person, person_id) if sup is not None else None


def is_member(session: Session, person_id: int) -> bool:
    """Staff or a grid leader (the dashboard's users), as opposed to a supervisor only."""
    return _active_member(session, person_id) is not None


def member_by_phone(session: Session, phone: str) -> Person | None:
    """Active staff with this phone number first, else a grid leader, else a supervisor."""
    staff = staff_by_phone(session, phone)
    if staff is not None:
        return staff
    leaders = session.scalars(
        select(Person).join(Grid, Grid.leader_person_id == Person.id).where(Person.phone == phone).order_by(Person.id)
    ).first()
    if leaders is not None:
        return leaders
    return session.scalars(
        select(Person)
        .join(Supervisor, Supervisor.person_id == Person.id)
        .where(Person.phone == phone, Supervisor.active.is_(True))
        .order_by(Person.id)
    ).first()


# --- login links ---------------------------------------------------------------------------


def staff_by_phone(session: Session, phone: str) -> Person | None:
    return session.scalars(
        select(Person)
        .join(Staff, Staff.person_id == Person.id)
        .where(Person.phone == phone, Staff.active.is_(True))
        .order_by(Person.id)
    ).first()


def create_login_token(session: Session, person: Person, settings: WebSettings) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebLoginToken(
            token_hash=_hash(token),
            person_id=person.id,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.web_login_token_minutes),
        )
    )
    session.flush()
    return token


def redeem_login_token(session: Session, token: str) -> Person | None:
    """The staff member the token is for, marking it used; None if unknown, used or expired."""
    row = session.scalar(select(WebLoginToken).where(WebLoginToken.token_hash == _hash(token or "")).with_for_update())
    now = clock.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    return _active_member(session, row.person_id) or _active_supervisor(session, row.person_id)


# --- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSession:
    """A signed-in dashboard user: staff (the whole community) or a grid leader (their grids)."""

    session_id: int
    person_id: int
    name: str
    community_id: int
    csrf_token: str
    actor: Actor
    scope: Scope

    @property
    def is_staff(self) -> bool:
        """Staff see residents' phones and door numbers and manage people and keys; grid
        leaders who are not staff see their grids' requests redacted."""
        return self.actor.staff_id is not None


def start_session(session: Session, person: Person, settings: WebSettings) -> tuple[str, int]:
    """A new session for `person`; returns (signed cookie value, max age in seconds)."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    lifetime = timedelta(hours=settings.web_session_hours)
    # Housekeeping: sessions and login links a day past their expiry are of no use to anyone.
    session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    session.execute(delete(WebLoginToken).where(WebLoginToken.expires_at < now - timedelta(days=1)))
    session.add(
        WebSession(
            key_hash=_hash(key),
            person_id=person.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return _signer(settings).sign(key).decode(), int(lifetime.total_seconds())


def _signer(settings: WebSettings) -> Signer:
    return Signer(settings.secret_key(), salt="nuanxin.web.session")


def _session_row(session: Session, cookie: str | None, settings: WebSettings) -> WebSession | None:
    if not cookie:
        return None
    try:
        key = _signer(settings).unsign(cookie).decode()
    except BadSignature:
        return None
    row = session.scalar(select(WebSession).where(WebSession.key_hash == _hash(key)))
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now():
        return None
    return row


def load_session(session: Session, cookie: str | None, settings: WebSettings) -> StaffSession | None:
    row = _session_row(session, cookie, settings)
    if row is None:
        return None
    person = _active_member(session, row.person_id)
    if person is None:
        return None
    actor = actor_for_person(session, person, channel="web")
    scope = Scope(person.community_id, None if actor.staff_id is not None else actor.leader_grid_ids)
    return StaffSession(row.id, person.id, person.name, person.community_id, row.csrf_token, actor, scope)


@dataclass(frozen=True)
class SupervisorSession:
    """A signed-in district supervisor: their district's overview, read-only."""

    session_id: int
    person_id: int
    name: str
    csrf_token: str
    actor: Actor


def load_supervisor(session: Session, cookie: str | None, settings: WebSettings) -> SupervisorSession | None:
    """The signed-in active supervisor (checked on every request, like staff), else None."""
    row = _session_row(session, cookie, settings)
    person = _active_supervisor(session, row.person_id) if row is not None else None
    if row is None or person is None:
        return None
    actor = actor_for_person(session, person, channel="web")
    return SupervisorSession(row.id, person.id, person.name, row.csrf_token, actor)


def end_session(session: Session, session_id: int) -> None:
    row = session.get(WebSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


# --- API keys ------------------------------------------------------------------------------


def create_api_key(session: Session, community_id: int, name: str, issuer: Person) -> str:
    key = "nx_" + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            community_id=community_id,
            name=name,
            key_hash=_hash(key),
            issued_by_person_id=issuer.id,
            created_at=clock.now(),
        )
    )
    session.flush()
    return key


@dataclass(frozen=True)
class ApiClient:
    key_id: int
    name: str
    community_id: int
    actor: Actor  # the issuing staff member: API requests are 代下单 in their name


def check_api_key(session: Session, key: str | None) -> ApiClient | None:
    if not key:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
    if row is None or row.revoked_at is not None:
        return None
    issuer = _active_staff(session, row.issued_by_person_id)
    if issuer is None or issuer.community_id != row.community_id:
        return None
    return ApiClient(row.id, row.name, row.community_id, actor_for_person(session, issuer, channel="open311"))


def touch_api_key(session: Session, key_id: int) -> None:
    row = session.get(ApiKey, key_id)
    if row is not None:
        row.last_used_at = clock.now()
