"""The staff work queues (待审核, 待接单, 超时, 待评价, 差评), one page at a time.

Each queue is a WHERE clause and an ORDER BY over requests; a page is one joined query
for the rows shown plus one COUNT for the total, so paging stays cheap on a large
community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from community import clock, texts
from community.errors import InvalidInput
from community.models import (
    Building,
    Grid,
    Person,
    Rating,
    Request,
    RequestState,
    ServiceCategory,
    Volunteer,
)
from community.redaction import redact
from community.stats import LOW_RATING_MAX_SCORE, past_due_clause, red_flag_clause

QUEUE_NAMES: dict[str, str] = dict(texts.QUEUE_LABELS)  # name -> Chinese label, in display order
SUMMARY_CHARS = 30
MAX_LIMIT = 100


@dataclass(frozen=True)
class QueueItem:
    request_id: int
    kind: str  # RequestKind value
    state: str  # RequestState value
    category: str | None
    grid: str | None
    building: str | None
    summary: str  # first 30 characters of the description
    age: timedelta  # since submission
    volunteer: str | None  # name of the volunteer holding it, if any
    flags: tuple[str, ...]  # keys of texts.QUEUE_FLAG_NAMES
    # The summary as anyone but staff may read it (community.redaction, masked before the cut).
    public_summary: str = ""


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # rows in the whole queue, not just this page


def queue(
    session: Session,
    community_id: int,
    name: str,
    *,
    grid_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
    red_flag_hours: float | None = None,
) -> QueuePage:
    if name not in QUEUE_NAMES:
        names = "、".join(f"{key}（{label}）" for key, label in QUEUE_NAMES.items())
        raise InvalidInput(texts.QUEUE_ERR_UNKNOWN.format(name=name, names=names))
    now = now or clock.now()
    red_flag = red_flag_clause(now, red_flag_hours)
    past_due = past_due_clause(now)
    low_rated = or_(Rating.score <= LOW_RATING_MAX_SCORE, Request.needs_followup.is_(True))

    # Ties on time are broken by id so paging never repeats or skips a row.
    order: list[ColumnElement[Any] | InstrumentedAttribute[Any]]
    if name == "review":
        # Only wishes wait for review; anything else found in `submitted` needs a person too.
        where, order = Request.state == RequestState.SUBMITTED, [Request.submitted_at, Request.id]
    elif name == "unclaimed":
        where = Request.state == RequestState.OPEN
        order = [case((red_flag, 0), else_=1), Request.published_at, Request.id]
    elif name == "overdue":
        where, order = or_(red_flag, past_due), [Request.submitted_at, Request.id]
    elif name == "awaiting_rating":
        # Longest-waiting first: they are the next to be closed unrated.
        where, order = Request.state == RequestState.DONE, [Request.done_at, Request.id]
    else:  # low_rating
        # Newest complaint first: when rated, else when done, else when submitted
        # (a "not fixed" follow-up may have no rating at all).
        when = func.coalesce(Rating.created_at, Request.done_at, Request.submitted_at)
        where, order = low_rated, [when.desc(), Request.id.desc()]

    filters = [Request.community_id == community_id, where]
    if grid_id is not None:
        filters.append(Request.grid_id == grid_id)

    total = session.scalar(
        select(func.count()).select_from(Request).outerjoin(Rating, Rating.request_id == Request.id).where(*filters)
    )
    rows = session.execute(
        select(
            Request,
            ServiceCategory.name,
            Grid.name,
            Building.name,
            Person.name,
            Rating.score,
            red_flag,
            past_due,
        )
        .outerjoin(Rating, Rating.request_id == Request.id)
        .outerjoin(ServiceCategory, ServiceCategory.id == Request.category_id)
        .outerjoin(Grid, Grid.id == Request.grid_id)
        .outerjoin(Building, Building.id == Request.building_id)
        .outerjoin(Volunteer, Volunteer.id == Request.volunteer_id)
        .outerjoin(Person, Person.id == Volunteer.person_id)
        .where(*filters)
        .order_by(*order)
        .limit(max(1, min(limit, MAX_LIMIT)))
        .offset(max(0, offset))
    ).all()
    items = [
        QueueItem(
            request_id=r.id,
            kind=str(r.kind.value),
            state=str(r.state.value),
            category=category,
            grid=grid,
            building=building,
            summary=(r.description or "")[:SUMMARY_CHARS],
            age=now - r.submitted_at,
            volunteer=volunteer,
            flags=_flags(r, score, bool(is_red), bool(is_past_due)),
            public_summary=redact(r.description)[:SUMMARY_CHARS],
        )
        for r, category, grid, building, volunteer, score, is_red, is_past_due in rows
    ]
    return QueuePage(items=items, total=total or 0)


def _flags(r: Request, score: int | None, red_flag: bool, past_due: bool) -> tuple[str, ...]:
    flags = []
    if r.priority >= 1:
        flags.append("urgent")
    if r.escalation_level == 1 and r.state == RequestState.OPEN:
        flags.append("escalated")
    if red_flag:
        flags.append("red_flag")
    if past_due:
        flags.append("past_due")
    if r.needs_followup:
        flags.append("needs_followup")
    if score is not None and score <= LOW_RATING_MAX_SCORE:
        flags.append("low_rating")
    return tuple(flags)
