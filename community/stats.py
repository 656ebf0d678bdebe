"""Community statistics for staff: how many requests, how fast, how satisfied, what is late.

Counting is done by the database (GROUP BY), so the figures stay cheap on a large
community. Medians are computed in Python from two timestamp columns, because SQLite has
no percentile function and the samples are small (two datetimes per request).

Satisfaction follows the districts' definition of 满意率: satisfied (4–5 stars) over
rated. Requests closed after 72 hours without a rating (`closed_unrated`) are reported
on their own and never counted as satisfied, so the rate is never flattered by silence.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from community import clock, texts
from community.models import (
    ACTIVE_STATES,
    Grid,
    Rating,
    Request,
    RequestState,
    ServiceCategory,
    VolunteerTeam,
)
from community.settings import get_settings

SATISFIED_MIN_SCORE = 4
LOW_RATING_MAX_SCORE = 2
SATISFACTION_TARGET = 0.95  # the districts' 95% 满意率 bar, for every report that compares to it


@dataclass(frozen=True)
class Satisfaction:
    rated: int
    satisfied: int  # score >= 4
    rate: float | None  # satisfied / rated; None when nothing was rated
    unrated_closed: int  # closed after 72h without a rating; not in `rated`, never satisfied


@dataclass(frozen=True)
class Timing:
    median_minutes_to_claim: float | None  # published_at -> claimed_at
    claim_samples: int
    median_minutes_to_finish: float | None  # claimed_at -> done_at
    finish_samples: int


@dataclass(frozen=True)
class Overdue:
    red_flag: int  # open, and escalation level 2 or published more than red_flag_hours ago
    past_due: int  # claimed / in progress past due_at
    low_rated: int  # score <= 2
    needs_followup: int  # 回访


@dataclass(frozen=True)
class CommunityStats:
    total: int
    by_state: dict[str, int]  # every RequestState value, zeros included
    by_grid: dict[str, int]  # grid name -> count; requests without one under texts.STATS_NO_GRID
    by_team: dict[str, int]  # team name -> count; texts.STATS_NO_TEAM for none
    by_category: dict[str, int]  # category name -> count; texts.STATS_NO_CATEGORY for none
    timing: Timing
    satisfaction: Satisfaction
    satisfaction_by_grid: dict[str, Satisfaction]  # requests without a grid are left out
    satisfaction_by_team: dict[str, Satisfaction]  # by request.team_id; without a team left out
    overdue: Overdue


def red_flag_clause(now: datetime, red_flag_hours: float | None = None) -> ColumnElement[bool]:
    """Open and unclaimed too long. The scheduler sets level 2, but a stopped scheduler
    must not hide a stale request, so age since publication counts on its own too."""
    if red_flag_hours is None:
        red_flag_hours = get_settings().red_flag_after_hours
    cutoff = now - timedelta(hours=red_flag_hours)
    return and_(
        Request.state == RequestState.OPEN,
        or_(Request.escalation_level == 2, Request.published_at < cutoff),
    )


def past_due_clause(now: datetime) -> ColumnElement[bool]:
    return and_(Request.state.in_(ACTIVE_STATES), Request.due_at < now)


def scope_clauses(
    community_id: int,
    *,
    grid_id: int | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    grid_ids: frozenset[int] | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses selecting the requests a report covers (`since` inclusive,
    `until` exclusive, both on submitted_at; `grid_ids`: a grid leader's grids)."""
    where = [Request.community_id == community_id]
    if grid_id is not None:
        where.append(Request.grid_id == grid_id)
    if grid_ids is not None:
        where.append(Request.grid_id.in_(grid_ids))
    if team_id is not None:
        where.append(Request.team_id == team_id)
    if since is not None:
        where.append(Request.submitted_at >= since)
    if until is not None:
        where.append(Request.submitted_at < until)
    return where


def compute_stats(
    session: Session,
    community_id: int,
    *,
    grid_id: int | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
    red_flag_hours: float | None = None,
    grid_ids: frozenset[int] | None = None,
) -> CommunityStats:
    now = now or clock.now()
    where = scope_clauses(community_id, grid_id=grid_id, team_id=team_id, since=since, until=until, grid_ids=grid_ids)

    def count_by(column: Any) -> dict[Any, int]:
        rows = session.execute(select(column, func.count()).where(*where).group_by(column))
        return {key: n for key, n in rows}

    def count(*extra: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(Request).where(*where, *extra)) or 0

    by_state = {s.value: 0 for s in RequestState}
    for state, n in count_by(Request.state).items():
        by_state[RequestState(state).value] = n
    grids = _names(session, Grid, community_id)
    teams = _names(session, VolunteerTeam, community_id)
    categories = _names(session, ServiceCategory, community_id)

    low_rated = session.scalar(
        select(func.count())
        .select_from(Request)
        .join(Rating, Rating.request_id == Request.id)
        .where(*where, Rating.score <= LOW_RATING_MAX_SCORE)
    )

    return CommunityStats(
        total=sum(by_state.values()),
        by_state=by_state,
        by_grid=_by_name(count_by(Request.grid_id), grids, texts.STATS_NO_GRID),
        by_team=_by_name(count_by(Request.team_id), teams, texts.STATS_NO_TEAM),
        by_category=_by_name(count_by(Request.category_id), categories, texts.STATS_NO_CATEGORY),
        timing=_timing(session, where),
        satisfaction=_satisfaction_by(session, where)[None],
        satisfaction_by_grid=_satisfaction_by_name(_satisfaction_by(session, where, Request.grid_id), grids),
        satisfaction_by_team=_satisfaction_by_name(_satisfaction_by(session, where, Request.team_id), teams),
        overdue=Overdue(
            red_flag=count(red_flag_clause(now, red_flag_hours)),
            past_due=count(past_due_clause(now)),
            low_rated=low_rated or 0,
            needs_followup=count(Request.needs_followup.is_(True)),
        ),
    )


def _names(session: Session, model: type[Grid | VolunteerTeam | ServiceCategory], community_id: int) -> dict[int, str]:
    rows = session.execute(select(model.id, model.name).where(model.community_id == community_id).order_by(model.id))
    return {i: name for i, name in rows}


def _by_name(counts: dict[int | None, int], names: dict[int, str], none_label: str) -> dict[str, int]:
    """Counts keyed by id -> keyed by name, in id order, the unassigned bucket last.
    Two rows with the same name are added together rather than one hiding the other."""
    out: dict[str, int] = {}
    for key in sorted(k for k in counts if k is not None):
        name = names.get(key, str(key))
        out[name] = out.get(name, 0) + counts[key]
    if counts.get(None):
        out[none_label] = counts[None]
    return out


def _satisfaction(rated: int, satisfied: int, unrated_closed: int) -> Satisfaction:
    return Satisfaction(rated, satisfied, satisfied / rated if rated else None, unrated_closed)


def _satisfaction_by(
    session: Session, where: Sequence[ColumnElement[bool]], column: Any = None
) -> dict[int | None, Satisfaction]:
    """One grouped query: rated, satisfied and unrated-closed per value of `column`
    (no column: one row for the whole scope, under the key None)."""
    keys = [column] if column is not None else []
    rows = session.execute(
        select(
            *keys,
            func.count(Rating.id),
            func.coalesce(func.sum(case((Rating.score >= SATISFIED_MIN_SCORE, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Request.closed_unrated.is_(True), 1), else_=0)), 0),
        )
        .select_from(Request)
        .outerjoin(Rating, Rating.request_id == Request.id)
        .where(*where)
        .group_by(*keys)
    )
    return {(row[0] if keys else None): _satisfaction(*map(int, row[-3:])) for row in rows}


def _satisfaction_by_name(by_id: dict[int | None, Satisfaction], names: dict[int, str]) -> dict[str, Satisfaction]:
    raw: dict[str, tuple[int, int, int]] = {}
    for key in sorted(k for k in by_id if k is not None):
        name, s = names.get(key, str(key)), by_id[key]
        r0, s0, u0 = raw.get(name, (0, 0, 0))
        raw[name] = (r0 + s.rated, s0 + s.satisfied, u0 + s.unrated_closed)
    return {name: _satisfaction(*t) for name, t in raw.items()}


def _median_minutes(
    session: Session, where: Sequence[ColumnElement[bool]], start: Any, end: Any
) -> tuple[float | None, int]:
    rows = session.execute(select(start, end).where(*where, start.is_not(None), end.is_not(None))).all()
    minutes = [(b - a).total_seconds() / 60 for a, b in rows]
    return (statistics.median(minutes) if minutes else None), len(minutes)


def _timing(session: Session, where: Sequence[ColumnElement[bool]]) -> Timing:
    claim, claim_n = _median_minutes(session, where, Request.published_at, Request.claimed_at)
    finish, finish_n = _median_minutes(session, where, Request.claimed_at, Request.done_at)
    return Timing(claim, claim_n, finish, finish_n)
