"""The community domain model (SQLAlchemy 2, typed declarative mapping).

People are one table (`persons`); being a resident, a volunteer or a staff member is a role
row pointing at a person. One Telegram user is often several of these at once (an on-duty
party member who lives in the community is both resident and volunteer), and a resident
registered by staff has no Telegram account at all.

Times are naive UTC (see `community.clock`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from community import clock
from community.settings import get_settings

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native PG enum): adding a state is a one-line change.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class RequestKind(enum.StrEnum):
    WISH = "wish"  # 微心愿: staff review before publishing
    SERVICE = "service"  # 便民服务: published at once
    CARE = "care"  # 关爱: recurring visits set up by staff


class RequestState(enum.StrEnum):
    SUBMITTED = "submitted"
    OPEN = "open"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ACTIVE_STATES = (RequestState.CLAIMED, RequestState.IN_PROGRESS)
FINAL_STATES = (RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender (claimed_by) until lease_until; then sent or back to pending
    SENT = "sent"
    FAILED = "failed"  # permanent: blocked bot, chat not found, retries exhausted
    SKIPPED = "skipped"  # superseded before delivery (an offer card already taken)


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # someone else claimed, or the request left `open`
    ACCEPTED = "accepted"


class District(Base):
    """街道 (street office) or 区 (district): the area whose office oversees several
    communities side by side (智慧督查, `community.district`). Loaded from a district folder
    (`district.csv` and one sub-folder per community, `community.loader.load_district`)."""

    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10), default="street")  # street 街道 | district 区


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    # The office, as community.csv gives it: residents ask for these (community.faq).
    office_address: Mapped[str | None] = mapped_column(String(200))
    office_hours: Mapped[str | None] = mapped_column(String(200))
    office_phone: Mapped[str | None] = mapped_column(String(30))
    office_map_url: Mapped[str | None] = mapped_column(String(500))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)


class Supervisor(Base):
    """街道/区 督查: sees every community of their district side by side and receives its
    automatic warnings. Acts on no request (community.district.SUPERVISOR_ACTIONS)."""

    __tablename__ = "supervisors"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship()


class DistrictWarning(Base):
    """自动预警: a community whose past week fell below a target (satisfaction under 95%, or
    the median time to claim over the target). One row per community, kind and local day,
    the unique key that keeps a warning from being raised twice in a day."""

    __tablename__ = "district_warnings"
    __table_args__ = (UniqueConstraint("community_id", "kind", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(20))  # satisfaction | claim_time
    day: Mapped[date] = mapped_column(Date)  # the community's local day of the check
    value: Mapped[float] = mapped_column(Float)  # the week's rate (0..1) or median minutes
    target: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class Grid(Base):
    """网格: one grid leader, X grid members, Y volunteer teams ("1+X+Y")."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    leader_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_person_id])
    buildings: Mapped[list[Building]] = relationship(back_populates="grid")
    party_groups: Mapped[list[PartyGroup]] = relationship(back_populates="grid")


class Building(Base):
    """楼栋. `number` is what residents say ("3号楼"); `aliases` are other names for it."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(50))
    aliases: Mapped[str] = mapped_column(String(200), default="")  # "|"-separated
    units: Mapped[int] = mapped_column(Integer, default=1)
    floors: Mapped[int] = mapped_column(Integer, default=6)
    # WGS84 degrees (buildings.csv 纬度/经度, optional): a shared location picks the nearest
    # building (community.routing.nearest_building), as Open311's lat/long do.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    grid: Mapped[Grid] = relationship(back_populates="buildings")


class PartyGroup(Base):
    """网格党支部 (kind=branch, one per grid) or 楼院党小组 (kind=building)."""

    __tablename__ = "party_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="branch")
    name: Mapped[str] = mapped_column(String(100))
    secretary_name: Mapped[str] = mapped_column(String(50), default="")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))

    grid: Mapped[Grid] = relationship(back_populates="party_groups")


class Person(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    # Set when Telegram answers 403 (the person blocked the bot or deleted the account):
    # nothing more is sent and routing offers them nothing until they write to the bot again.
    telegram_blocked_at: Mapped[datetime | None] = mapped_column(DateTime)

    resident: Mapped[Resident | None] = relationship(back_populates="person", foreign_keys="Resident.person_id")
    volunteer: Mapped[Volunteer | None] = relationship(back_populates="person")
    staff: Mapped[Staff | None] = relationship(back_populates="person")


class Resident(Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    unit: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[str | None] = mapped_column(String(20))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when staff or a grid worker registered this resident (代下单 for people without Telegram).
    registered_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    person: Mapped[Person] = relationship(back_populates="resident", foreign_keys=[person_id])
    building: Mapped[Building | None] = relationship()


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship(back_populates="staff")


team_skills = Table(
    "team_skills",
    Base.metadata,
    Column("team_id", ForeignKey("volunteer_teams.id"), primary_key=True),
    Column("category_id", ForeignKey("service_categories.id"), primary_key=True),
)

team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("volunteer_teams.id"), primary_key=True),
    Column("volunteer_id", ForeignKey("volunteers.id"), primary_key=True),
    Index("ix_team_members_volunteer_id", "volunteer_id"),
)


class VolunteerTeam(Base):
    """志愿服务队. A team with a grid serves that grid; without one it serves the community."""

    __tablename__ = "volunteer_teams"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))

    skills: Mapped[list[ServiceCategory]] = relationship(secondary=team_skills)
    members: Mapped[list[Volunteer]] = relationship(secondary=team_members, back_populates="teams")


class Volunteer(Base):
    __tablename__ = "volunteers"
    __table_args__ = (CheckConstraint("active_load >= 0", name="load_non_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)  # 在职党员
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    availability_note: Mapped[str] = mapped_column(String(100), default="")  # e.g. 周末全天
    # Set only where the volunteers spreadsheet names one; NULL means the DEFAULT_MAX_LOAD
    # setting, read when it is needed (`load_limit`), so changing the setting changes it.
    max_load: Mapped[int | None] = mapped_column(Integer)
    work_unit: Mapped[str | None] = mapped_column(String(100))  # 工作单位 (在职党员 双报到)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Denormalised counters kept by `community.lifecycle` (the only writer) so routing
    # ranks 10,000 volunteers with one indexed query instead of aggregating history.
    active_load: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    # Exponential moving average of ratings, starting neutral (4.0): "recent ratings" for
    # ranking without scanning the ratings table. See community.lifecycle.RATING_EMA_WEIGHT.
    rating_recent: Mapped[float] = mapped_column(Float, default=4.0)
    hours_total: Mapped[float] = mapped_column(Float, default=0.0)
    points_total: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    # Set by staff (community.staffing.deactivate_volunteer): no offers, no claims, not
    # undone by the volunteer's own /resume, unlike a pause (`available`).
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime)

    person: Mapped[Person] = relationship(back_populates="volunteer")
    teams: Mapped[list[VolunteerTeam]] = relationship(secondary=team_members, back_populates="members")

    @property
    def rating_avg(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @hybrid_property
    def load_limit(self) -> int:
        """How many requests this volunteer may hold at once."""
        return self.max_load if self.max_load is not None else get_settings().default_max_load

    @load_limit.inplace.expression
    @classmethod
    def _load_limit_expression(cls) -> ColumnElement[int]:
        return func.coalesce(cls.max_load, get_settings().default_max_load)


# Routing's order within a tier (community.routing.rank_candidates: lowest load, then best
# recent ratings, then id): walking one of these, a tier query stops at its top 5 instead of
# sorting every volunteer of the grid or building.
Index(
    "ix_volunteers_grid_rank",
    Volunteer.grid_id,
    Volunteer.active_load,
    Volunteer.rating_recent.desc(),
    Volunteer.id,
)
Index(
    "ix_volunteers_building_rank",
    Volunteer.building_id,
    Volunteer.active_load,
    Volunteer.rating_recent.desc(),
    Volunteer.id,
)


class ServiceCategory(Base):
    """The service menu (菜单式服务): 家政, 助老, 维修, 理发, 法律咨询, 代购, 陪医, 心理疏导 ..."""

    __tablename__ = "service_categories"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(50))
    synonyms: Mapped[str] = mapped_column(String(300), default="")  # "|"-separated
    default_team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_teams.id", use_alter=True))
    default_hours: Mapped[float] = mapped_column(Float, default=1.0)
    due_hours: Mapped[int] = mapped_column(Integer, default=48)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 专业服务 (法律咨询, 心理疏导, 维修…): the skilled teams community-wide are asked before
    # grid neighbours without the skill (community.routing.rank_candidates).
    skill_required: Mapped[bool] = mapped_column(Boolean, default=False)


class Request(Base):
    """A micro-wish, a service order or a care visit, from submission to its end."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_community_state", "community_id", "state"),
        Index("ix_requests_resident_created", "resident_id", "submitted_at"),
        CheckConstraint("escalation_level BETWEEN 0 AND 2", name="escalation_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind))
    state: Mapped[RequestState] = mapped_column(_enum(RequestState))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))

    description: Mapped[str] = mapped_column(Text)
    item: Mapped[str | None] = mapped_column(String(100))  # the wished-for thing
    category_id: Mapped[int | None] = mapped_column(ForeignKey("service_categories.id"))
    address_text: Mapped[str] = mapped_column(String(200), default="")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[str | None] = mapped_column(String(20))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_teams.id"), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    preferred_time: Mapped[datetime | None] = mapped_column(DateTime)
    # the resident said 尽快 (as soon as possible): cards say 尽快, not 时间可商量
    asap: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 1 = urgent, set by staff
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    needs_followup: Mapped[bool] = mapped_column(Boolean, default=False)  # 回访
    closed_unrated: Mapped[bool] = mapped_column(Boolean, default=False)  # 未评价
    hours: Mapped[float | None] = mapped_column(Float)
    finish_note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why rejected or cancelled
    # Open311: a photo or page the hotline attached (shown to staff), and the hotline's own
    # account id for the caller, kept so a retried POST answers with the same one.
    media_url: Mapped[str | None] = mapped_column(String(500))
    open311_account_id: Mapped[str | None] = mapped_column(String(100))

    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_urged_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    resident: Mapped[Resident] = relationship()
    category: Mapped[ServiceCategory | None] = relationship()
    building: Mapped[Building | None] = relationship()
    grid: Mapped[Grid | None] = relationship()
    team: Mapped[VolunteerTeam | None] = relationship()
    volunteer: Mapped[Volunteer | None] = relationship()
    rating: Mapped[Rating | None] = relationship(back_populates="request")
    events: Mapped[list[Event]] = relationship(back_populates="request", order_by="Event.id")


class Rating(Base):
    """微评价: 1–5 stars and an optional comment, one per request."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)

    request: Mapped[Request] = relationship(back_populates="rating")


class Event(Base):
    """Append-only history of a request: who did what, when, from which state to which."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    # chat | web | cli | open311 | system: where a staff action was taken (the audit log).
    channel: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[Request] = relationship(back_populates="events")


class RequestPhoto(Base):
    """A photo the resident sent while ordering or just after (issue 14): the message in the
    resident's chat, forwarded to the volunteer who holds the request (never on an offer
    card: a photo may show a door number) and listed in the request's history for staff."""

    __tablename__ = "request_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))  # who sent it
    file_id: Mapped[str] = mapped_column(String(200))  # Telegram's file id (the largest size)
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where the message is, to forward it
    message_id: Mapped[int] = mapped_column(BigInteger)


class Offer(Base):
    """A request card sent to one volunteer; withdrawn (card edited) once someone claims."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("request_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    tier: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus), default=OfferStatus.OFFERED)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class OutboxMessage(Base):
    """A notification written in the same transaction as the change that caused it.

    The bot's sender delivers pending rows and marks each sent exactly once. `edit_of`
    points at an earlier message whose text should be replaced (e.g. an offer card that
    turns into "已被认领") instead of sending a new one.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before"),
        Index("ix_outbox_status_chat", "status", "chat_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    # [[{"text": "接单", "action": "claim", "request_id": 12}, ...], ...]: rows of buttons
    # naming a domain action; the bot maps them to short callback keys.
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    edit_of: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[datetime | None] = mapped_column(DateTime)  # quiet hours
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Delivery (community.outbox.claim_due): the sender holding a `sending` row and until when
    # (wall clock, naive UTC: leases and Telegram's retry_after are real seconds, whatever
    # clock the domain runs on); when a retry may be tried (wall clock); and whether an
    # earlier attempt may have reached the chat (a timeout after Telegram accepted, a crash
    # mid-send), so an edit of it is sent as a new message rather than dropped.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)
    maybe_delivered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A message to forward instead of sending `text`: {"from_chat_id": …, "message_id": …}
    # (a resident's photo, sent to the volunteer holding the request).
    forward: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LedgerEntry(Base):
    """台账 of volunteer service hours and points."""

    __tablename__ = "ledger"
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_teams.id"))
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(50))
    # Indexed: a month's hours (boards, /me, the ledger export) are a range of `at`.
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)


class Invite(Base):
    """A one-time volunteer invite code used as `/start join-<code>`."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_teams.id"))
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class FollowUpStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"  # the request moved on before it was due
    SKIPPED = "skipped"  # came due, but the request was no longer in a state it applies to


class FollowUp(Base):
    """A scheduled follow-up (回访/催办/提醒) of a request, or a community-wide job such as
    the morning digest (request_id NULL).

    Written by `community.followups` in the same transaction as the state change that
    makes it due, so cancelling or finishing a request removes its follow-ups atomically,
    whichever process made the change. The scheduler in the bot process fires due rows.
    """

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_at"),
        # One month-end summary per community and month, whoever plans it (its unique key).
        Index(
            "uq_followups_month_summary",
            "community_id",
            "due_at",
            unique=True,
            sqlite_where=text("kind = 'month_summary'"),
            postgresql_where=text("kind = 'month_summary'"),
        ),
        # One pending morning digest per community, whichever process plans it.
        Index(
            "uq_followups_pending_digest",
            "community_id",
            unique=True,
            sqlite_where=text("kind = 'digest' AND status = 'pending'"),
            postgresql_where=text("kind = 'digest' AND status = 'pending'"),
        ),
        # One district check (community.district) per community and day.
        Index(
            "uq_followups_district_check",
            "community_id",
            "due_at",
            unique=True,
            sqlite_where=text("kind = 'district_check'"),
            postgresql_where=text("kind = 'district_check'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[FollowUpStatus] = mapped_column(_enum(FollowUpStatus), default=FollowUpStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class CareSchedule(Base):
    """关爱式服务: a recurring visit staff set up for a resident (e.g. weekly to an elderly
    person living alone). Each occurrence becomes a `care` request routed like any other."""

    __tablename__ = "care_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"))
    description: Mapped[str] = mapped_column(Text)
    every_days: Mapped[int] = mapped_column(Integer)
    next_visit_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class ButtonPayload(Base):
    """A long button payload (e.g. Rasa's `/inform{"item":"轮椅"}`) kept server-side: the
    button's callback_data carries only this row's id, under Telegram's 64-byte limit. Bound
    to the person it was shown to; anyone else pressing it is refused."""

    __tablename__ = "button_payloads"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class WebLoginToken(Base):
    """A one-time, short-lived login link for the staff web dashboard, printed by the admin
    CLI (`python -m web login-link`). Only a SHA-256 of the token is kept."""

    __tablename__ = "web_login_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in dashboard session. The browser holds a signed cookie with the session
    key; only its SHA-256 is stored here, with the per-session CSRF token."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiKey(Base):
    """A key for the Open311 GeoReport v2 API (e.g. the city's 12345 hotline). Requests it
    creates are placed for residents (代下单) by the staff member who issued the key."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ChatState(Base):
    """What a chat front end keeps between messages (python-telegram-bot's persistence:
    user_data, chat_data, bot_data and the state of each conversation), as JSON, so a
    half-filled draft survives a restart of the bot process. `kind` is user, chat, bot or
    conversation; `key` the user or chat id, or `<conversation name>:<key>`."""

    __tablename__ = "chat_states"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any] | list[Any] | str | int | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class InboxUpdate(Base):
    """An update received from Telegram, recorded before Telegram is told it arrived and
    marked handled once it was: what a crash interrupted is handled again on the next start,
    and a redelivered update is recognised (kept two days; Telegram keeps updates one)."""

    __tablename__ = "inbox_updates"
    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class Lease(Base):
    """A named lease one process holds at a time (the Telegram poller of a bot token: only
    one process may call getUpdates). The holder renews it before `expires_at` (wall clock,
    naive UTC) and stops using it if it cannot; another process takes it once it expired."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    acquired_at: Mapped[datetime] = mapped_column(DateTime)


class Certificate(Base):
    """A certificate of service (志愿服务证明) as it was issued: what it states, so anyone
    holding the paper can check its verification code (`community.recognition.verify`)."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    volunteer_name: Mapped[str] = mapped_column(String(50))  # as printed
    period_start: Mapped[datetime] = mapped_column(DateTime)  # naive UTC, inclusive
    period_end: Mapped[datetime] = mapped_column(DateTime)  # naive UTC, exclusive
    hours: Mapped[float] = mapped_column(Float)
    services: Mapped[int] = mapped_column(Integer)
    months: Mapped[list[list[Any]]] = mapped_column(JSON)  # [["2026-10", 12.5, 4], ...]: month, hours, services
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    issued_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))


class AuditEntry(Base):
    """A staff action that is not a request event (those are `events`): a sign-in, a staff
    member offboarded, a volunteer paused or deactivated, an API key revoked, a resident
    registered. Written by `community.staffing`; shown on the web's audit page together
    with the staff rows of `events`."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_community_at", "community_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    channel: Mapped[str] = mapped_column(String(10))  # chat | web | cli | open311 | system
    action: Mapped[str] = mapped_column(String(30))  # a key of community.texts.AUDIT_ACTIONS
    target_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    target_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class HandoffState(enum.StrEnum):
    WAITING = "waiting"  # in the queue: nobody on duty yet, or not taken
    ACTIVE = "active"  # a staff member is connected; messages are relayed both ways
    ENDED = "ended"


class Handoff(Base):
    """A resident put through to a person (转人工): who asked, who answered, when, and what
    was said both ways. The waiting time (requested_at → connected_at) goes into the
    statistics (`community.handoff.stats`). Rules in community/handoff.py."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_community_state", "community_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    resident_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    staff_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    state: Mapped[HandoffState] = mapped_column(_enum(HandoffState))
    # asked (said so) | menu | button (under a not-understood reply) | auto (offered after two
    # misunderstandings) | offer (an answer the desk could not give) | media (a voice message…)
    reason: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    connected_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # [{"who": "resident" | "staff" | "assistant", "text": ..., "at": iso, "media": kind?}, ...]
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))  # 代下单 from it

    resident: Mapped[Person] = relationship(foreign_keys=[resident_person_id])
    staff: Mapped[Person | None] = relationship(foreign_keys=[staff_person_id])


class DutyShift(Base):
    """One row of the duty roster (data/community/duty.csv): who answers residents who ask
    for a person on a weekday between two local times."""

    __tablename__ = "duty_shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 1 = Monday … 7 = Sunday
    start_minute: Mapped[int] = mapped_column(Integer)  # local minutes after midnight
    end_minute: Mapped[int] = mapped_column(Integer)  # exclusive; > start_minute

    person: Mapped[Person] = relationship()


class FaqEntry(Base):
    """One row of the information desk's spreadsheet (faq.csv): the ways residents ask a
    question, and its answer. Matched at run time (community.faq), so new answers and new
    phrasings need no retraining of the NLU model."""

    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("community_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))  # the first question variant: the row's natural key
    questions: Mapped[str] = mapped_column(Text)  # variants joined by "|"
    answer: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the spreadsheet's row order

    @property
    def question_list(self) -> list[str]:
        return [q for q in self.questions.split("|") if q]


class FaqMiss(Base):
    """A question the information desk could not answer (redacted): staff see the most
    asked ones (community.faq.gaps) and add answers to faq.csv."""

    __tablename__ = "faq_misses"
    __table_args__ = (Index("ix_faq_misses_community_at", "community_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    text: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float, default=0.0)  # the best match it had
