"""Read-only queries for the dashboard: the filtered request list, a request's page, the
volunteers to dispatch to, the charts' figures. Writes go through `community.lifecycle`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from community import clock, routing
from community.ledger_export import mask_phone
from community.models import (
    Building,
    Event,
    FollowUp,
    Grid,
    Person,
    Rating,
    Request,
    RequestState,
    Resident,
    ServiceCategory,
    Volunteer,
    VolunteerTeam,
)
from community.queues import _flags
from community.stats import LOW_RATING_MAX_SCORE, past_due_clause, red_flag_clause
from web.scope import Scope

# Sortable columns: name -> what to order by (ascending); "-name" sorts descending.
SORTS = ("urgency", "id", "submitted", "waited", "state", "grid", "category")
FINAL = (RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED)
WAITING = (RequestState.SUBMITTED, RequestState.OPEN, RequestState.CLAIMED, RequestState.IN_PROGRESS)
PHONE_SEARCH_MIN_DIGITS = 3


@dataclass(frozen=True)
class Filters:
    queue: str | None = None  # one of community.queues.QUEUE_NAMES
    state: str | None = None
    grid_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None
    overdue: bool = False
    low_rating: bool = False
    q: str = ""
    sort: str = "urgency"
    descending: bool = False

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as URL parameters (so a filtered, sorted list is a link), with `changes`."""
        out: dict[str, object] = {
            "queue": self.queue,
            "state": self.state,
            "grid": self.grid_id,
            "team": self.team_id,
            "category": self.category_id,
            "overdue": "1" if self.overdue else None,
            "low": "1" if self.low_rating else None,
            "q": self.q or None,
            "sort": None
            if self.sort == "urgency" and not self.descending
            else ("-" if self.descending else "") + self.sort,
        }
        out.update(changes)
        return {k: str(v) for k, v in out.items() if v is not None}

    def sort_link(self, column: str) -> dict[str, str]:
        """Parameters that sort by `column`, flipping the direction if it is the current one."""
        flip = self.sort == column and not self.descending
        return self.query_args(sort=("-" if flip else "") + column, page=None)


@dataclass(frozen=True)
class Row:
    request_id: int
    kind: str
    state: str
    category: str | None
    grid: str | None
    building: str | None
    description: str  # whole: the template masks it for the viewer, then cuts (pages.shown)
    resident: str
    phone_masked: str
    phone: str  # in full: for the tap-to-call link, rendered only for those allowed to see it
    volunteer: str | None
    age: timedelta | None  # how long it has waited; None once it is finished or closed
    flags: tuple[str, ...]
    building_id: int | None = None
    grid_id: int | None = None


def queue_clauses(now: datetime) -> dict:
    red_flag, past_due = red_flag_clause(now), past_due_clause(now)
    return {
        "review": Request.state == RequestState.SUBMITTED,
        "unclaimed": Request.state == RequestState.OPEN,
        "overdue": or_(red_flag, past_due),
        "awaiting_rating": Request.state == RequestState.DONE,
        "low_rating": or_(Rating.score <= LOW_RATING_MAX_SCORE, Request.needs_followup.is_(True)),
    }


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _where(f: Filters, scope: Scope, now: datetime, *, with_queue: bool = True) -> list:
    red_flag, past_due = red_flag_clause(now), past_due_clause(now)
    low = or_(Rating.score <= LOW_RATING_MAX_SCORE, Request.needs_followup.is_(True))
    where = scope.requests()
    if f.queue and with_queue:
        where.append(queue_clauses(now)[f.queue])
    if f.state:
        where.append(Request.state == RequestState(f.state))
    if f.grid_id is not None:
        where.append(Request.grid_id == f.grid_id)
    if f.team_id is not None:
        where.append(Request.team_id == f.team_id)
    if f.category_id is not None:
        where.append(Request.category_id == f.category_id)
    if f.overdue:
        where.append(or_(red_flag, past_due))
    if f.low_rating:
        where.append(low)
    if f.q:
        text = f.q.strip()
        options = [
            Request.description.contains(text, autoescape=True),
            Request.address_text.contains(text, autoescape=True),
            Request.item.contains(text, autoescape=True),
            Request.resident_id.in_(
                select(Resident.id)
                .join(Person, Person.id == Resident.person_id)
                .where(Person.name.contains(text, autoescape=True))
            ),
        ]
        digits = text.lstrip("#")
        phone = _digits(text)
        if text.startswith("#") and digits.isdigit() and len(digits) < 10:
            options = [Request.id == int(digits)]  # "#12": exactly request 12
        else:
            if digits.isdigit() and len(digits) < 10:
                options.append(Request.id == int(digits))  # "12": request 12, or "12" in the text (a room)
            if len(phone) >= PHONE_SEARCH_MIN_DIGITS and re.fullmatch(r"[\d\s\-+()]+", text):
                # A caller's number, whole or in part (138 1234 5678, the last four digits).
                options.append(Request.contact_phone.contains(phone, autoescape=True))
                options.append(
                    Request.resident_id.in_(
                        select(Resident.id)
                        .join(Person, Person.id == Resident.person_id)
                        .where(Person.phone.contains(phone, autoescape=True))
                    )
                )
        where.append(or_(*options))
    return where


def _order(f: Filters, now: datetime) -> list:
    """Default: what needs someone first: unfinished before finished, urgent, red-flagged,
    past due, then the longest waiting (since publication, or submission before it)."""
    waiting_since = func.coalesce(Request.published_at, Request.submitted_at)
    if f.sort == "urgency":
        order = [
            case((Request.state.in_(WAITING), 0), else_=1),
            Request.priority.desc(),
            case((red_flag_clause(now), 0), else_=1),
            case((past_due_clause(now), 0), else_=1),
            waiting_since,
            Request.id,
        ]
        return order  # one direction only: most pressing first
    column = {
        "id": Request.id,
        "submitted": Request.submitted_at,
        "waited": waiting_since,
        "state": Request.state,
        "grid": Grid.name,
        "category": ServiceCategory.name,
    }[f.sort]
    return [column.desc() if f.descending else column, Request.id]


def tab_counts(session: Session, scope: Scope, f: Filters, now: datetime | None = None) -> dict[str, int]:
    """How many requests each tab (all, and each queue) holds under the other filters."""
    now = now or clock.now()
    base = _where(f, scope, now, with_queue=False)

    def count(*extra) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Request)
                .outerjoin(Rating, Rating.request_id == Request.id)
                .where(*base, *extra)
            )
            or 0
        )

    counts = {"": count()}
    for name, clause in queue_clauses(now).items():
        counts[name] = count(clause)
    return counts


def list_requests(
    session: Session, scope: Scope, f: Filters, *, page: int, page_size: int, now: datetime | None = None
) -> tuple[list[Row], int]:
    now = now or clock.now()
    where = _where(f, scope, now)
    total = (
        session.scalar(
            select(func.count()).select_from(Request).outerjoin(Rating, Rating.request_id == Request.id).where(*where)
        )
        or 0
    )
    resident_person, volunteer_person = aliased(Person), aliased(Person)
    rows = session.execute(
        select(
            Request,
            ServiceCategory.name,
            Grid.name,
            Building.name,
            resident_person.name,
            resident_person.phone,
            volunteer_person.name,
            Rating.score,
            red_flag_clause(now),
            past_due_clause(now),
        )
        .join(Resident, Resident.id == Request.resident_id)
        .join(resident_person, resident_person.id == Resident.person_id)
        .outerjoin(Rating, Rating.request_id == Request.id)
        .outerjoin(ServiceCategory, ServiceCategory.id == Request.category_id)
        .outerjoin(Grid, Grid.id == Request.grid_id)
        .outerjoin(Building, Building.id == Request.building_id)
        .outerjoin(Volunteer, Volunteer.id == Request.volunteer_id)
        .outerjoin(volunteer_person, volunteer_person.id == Volunteer.person_id)
        .where(*where)
        .order_by(*_order(f, now))
        .limit(page_size)
        .offset(max(0, (page - 1) * page_size))
    ).all()
    items = [
        Row(
            r.id,
            r.kind.value,
            r.state.value,
            category,
            grid,
            building,
            r.description or "",
            resident,
            mask_phone(r.contact_phone or phone),
            r.contact_phone or phone or "",
            volunteer,
            now - (r.published_at or r.submitted_at) if r.state in WAITING else None,
            _flags(r, score, bool(red), bool(due)),
            r.building_id,
            r.grid_id,
        )
        for r, category, grid, building, resident, phone, volunteer, score, red, due in rows
    ]
    return items, total


@dataclass
class Choices:
    grids: list[tuple[int, str]] = field(default_factory=list)
    teams: list[tuple[int, str]] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)


def choices(session: Session, scope: Scope) -> Choices:
    def pairs(model):
        query = select(model.id, model.name).where(model.community_id == scope.community_id).order_by(model.id)
        return [(i, n) for i, n in session.execute(query)]

    grids = [(i, n) for i, n in pairs(Grid) if scope.allows_grid(i)]
    return Choices(grids, pairs(VolunteerTeam), pairs(ServiceCategory))


def get_request(session: Session, scope: Scope, request_id: int) -> Request | None:
    """The request if it is in `scope` (else None: the page is a 404, not a 403, so ids
    outside one's scope tell nothing)."""
    req = session.scalar(
        select(Request)
        .where(Request.id == request_id, *scope.requests())
        .options(selectinload(Request.events), selectinload(Request.rating))
    )
    return req


def event_actors(session: Session, events: list[Event]) -> dict[int, str]:
    ids = {e.actor_person_id for e in events if e.actor_person_id}
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def followups_of(session: Session, request_id: int) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp).where(FollowUp.request_id == request_id).order_by(FollowUp.due_at, FollowUp.id)
        )
    )


@dataclass(frozen=True)
class VolunteerChoice:
    id: int
    name: str
    teams: str
    load: int
    max_load: int


DISPATCH_CHOICES = 40


def volunteers_for(
    session: Session, req: Request, limit: int | None = None, *, by_building: bool = True
) -> list[VolunteerChoice]:
    """Who the request can be dispatched to, best first, as routing ranks them (same grid
    with the skill, then the grid, then community-wide teams with the skill). Only
    available volunteers below their load limit, the ones `lifecycle.dispatch` accepts;
    the list stays short in a community of 10,000 volunteers."""
    candidates = routing.rank_candidates(
        session,
        grid_id=req.grid_id,
        building_id=req.building_id if by_building else None,
        category_id=req.category_id,
        community_id=req.community_id,
        exclude=frozenset({req.volunteer_id} if req.volunteer_id else ()),
        limit=limit or DISPATCH_CHOICES,
    )
    vols = {
        v.id: v
        for v in session.scalars(
            select(Volunteer)
            .where(Volunteer.id.in_([c.volunteer_id for c in candidates]))
            .options(selectinload(Volunteer.teams))
        )
    }
    return [
        VolunteerChoice(
            c.volunteer_id,
            c.name,
            "、".join(t.name for t in vols[c.volunteer_id].teams),
            c.load,
            vols[c.volunteer_id].load_limit,
        )
        for c in candidates
    ]


def bulk_volunteers(session: Session, scope: Scope, limit: int = 200) -> list[VolunteerChoice]:
    """Volunteers who can take work now, least loaded first: the choice for bulk dispatch."""
    rows = session.scalars(
        select(Volunteer)
        .join(Person, Person.id == Volunteer.person_id)
        .where(
            *scope.volunteers(),
            Volunteer.available.is_(True),
            Volunteer.deactivated_at.is_(None),
            Volunteer.active_load < Volunteer.load_limit,  # NULL max_load: the DEFAULT_MAX_LOAD setting
        )
        .order_by(Volunteer.active_load, Person.name, Volunteer.id)
        .limit(limit)
        .options(selectinload(Volunteer.teams), selectinload(Volunteer.person))
    )
    return [
        VolunteerChoice(v.id, v.person.name, "、".join(t.name for t in v.teams), v.active_load, v.load_limit)
        for v in rows
    ]


# --- charts -----------------------------------------------------------------------------------


def requests_per_day(session: Session, scope: Scope, start: date, end: date, tz: str) -> list[tuple[date, int]]:
    """Requests submitted per local day in [start, end)."""
    lo, hi = (
        clock.from_local(datetime.combine(start, datetime.min.time()), tz),
        clock.from_local(datetime.combine(end, datetime.min.time()), tz),
    )
    stamps = session.scalars(
        select(Request.submitted_at).where(*scope.requests(), Request.submitted_at >= lo, Request.submitted_at < hi)
    )
    counts = Counter(clock.to_local(s, tz).date() for s in stamps)
    days = (end - start).days
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


CLAIM_BUCKET_LIMITS_MIN = (30, 120, 360, 1440)


def time_to_claim_buckets(session: Session, scope: Scope, lo: datetime, hi: datetime) -> list[int]:
    rows = session.execute(
        select(Request.published_at, Request.claimed_at).where(
            *scope.requests(),
            Request.submitted_at >= lo,
            Request.submitted_at < hi,
            Request.published_at.is_not(None),
            Request.claimed_at.is_not(None),
        )
    ).all()
    buckets = [0] * (len(CLAIM_BUCKET_LIMITS_MIN) + 1)
    for published, claimed in rows:
        if published is None or claimed is None:  # excluded by the query
            continue
        minutes = (claimed - published).total_seconds() / 60
        index = next(
            (i for i, limit in enumerate(CLAIM_BUCKET_LIMITS_MIN) if minutes < limit), len(CLAIM_BUCKET_LIMITS_MIN)
        )
        buckets[index] += 1
    return buckets
