"""A district (街道/区) in one deployment: its communities side by side, and 智慧督查 自动预警.

A district office's supervisor (督查, a `Supervisor` row) sees every community of their
district in one table: what is open, overdue and red-flagged now, and over the past days
the satisfaction rate against the 95% bar, the median time to claim and the volunteer
hours served. They act on no request: staff, grid leaders and volunteers stay scoped to
their own community (`community.lifecycle`); what a supervisor may do is the small table
`SUPERVISOR_ACTIONS` below, checked by `may`.

Automatic warnings: once a day (`district_check`, a follow-up row per community with a
unique key, fired by the bot's scheduler like every follow-up) each community of a district
is measured over the past `WARNING_DAYS` days; a community whose satisfaction was below
`stats.SATISFACTION_TARGET` or whose median time to claim was above the
`claim_target_minutes` setting, on at least `WARNING_MIN_SAMPLES` samples, gets a
`DistrictWarning` row (unique per community, kind and local day) and the district's
supervisors a message through the outbox (quiet hours apply). The web shows the rows.

All figures are grouped queries over the district's communities (one query per figure,
not one per community), so 100 communities cost what 20 do.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from community import clock, people, texts
from community.actors import Actor
from community.errors import Forbidden, NotFound
from community.followups import local_time_on
from community.models import (
    Community,
    District,
    DistrictWarning,
    FollowUp,
    FollowUpStatus,
    LedgerEntry,
    Person,
    Rating,
    Request,
    RequestState,
    Supervisor,
    Volunteer,
)
from community.outbox import notify
from community.settings import get_settings
from community.stats import SATISFACTION_TARGET, SATISFIED_MIN_SCORE, past_due_clause, red_flag_clause

S = RequestState
CHECK_KIND = "district_check"
WARNING_DAYS = 7  # "below target for a week": the trailing seven days
WARNING_MIN_SAMPLES = 3  # fewer ratings (or claims) than this in the week say too little
SATISFACTION, CLAIM_TIME = "satisfaction", "claim_time"

# What a supervisor may do, by action: the one table (adapters render from it).
SUPERVISOR_ACTIONS = {
    "view_district": "the overview of every community of their district",
    "view_warnings": "the district's automatic warnings",
}


@dataclass(frozen=True)
class CommunityFigures:
    community_id: int
    code: str
    name: str
    open: int  # submitted (awaiting review) + open (awaiting a volunteer)
    active: int  # claimed + in progress
    overdue: int  # claimed / in progress past their due time
    red_flags: int
    rated: int  # ratings given in the period
    satisfied: int
    median_claim_minutes: float | None  # claims made in the period
    claims: int
    volunteer_hours: float  # ledger hours in the period

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def below_satisfaction(self) -> bool:
        rate = self.satisfaction
        return self.rated >= WARNING_MIN_SAMPLES and rate is not None and rate < SATISFACTION_TARGET

    @property
    def slow_claims(self) -> bool:
        target = get_settings().claim_target_minutes
        median = self.median_claim_minutes
        return self.claims >= WARNING_MIN_SAMPLES and median is not None and median > target


# --- who may see what ------------------------------------------------------------------------


def may(actor: Actor | None, action: str, district_id: int | None = None) -> bool:
    """Whether `actor` may take a district action (on `district_id`, when given)."""
    if actor is None or action not in SUPERVISOR_ACTIONS or actor.supervisor_district_id is None:
        return False
    return district_id is None or district_id == actor.supervisor_district_id


def require(actor: Actor | None, action: str) -> int:
    """The actor's district id, or Forbidden with the polite Chinese refusal."""
    if actor is None or actor.supervisor_district_id is None or not may(actor, action):
        raise Forbidden(texts.ERR_NOT_SUPERVISOR)
    return actor.supervisor_district_id


def add_supervisor(
    session: Session, district_code: str, name: str, phone: str | None, telegram_id: int | None
) -> Supervisor:
    """A street/district office's 督查 (admin CLI). Their person row belongs to the first
    community of the district (persons always have one); they act only as a supervisor."""
    district = session.scalar(select(District).where(District.code == district_code))
    if district is None:
        raise NotFound(texts.ERR_DISTRICT_UNKNOWN.format(code=district_code))
    home = session.scalar(select(Community).where(Community.district_id == district.id).order_by(Community.id))
    if home is None:
        raise NotFound(texts.ERR_DISTRICT_EMPTY.format(name=district.name))
    person = people.find_or_create_person(session, home, name, phone, telegram_id)
    sup = session.scalar(select(Supervisor).where(Supervisor.person_id == person.id))
    if sup is None:
        sup = Supervisor(person_id=person.id, district_id=district.id)
        session.add(sup)
    sup.district_id, sup.active = district.id, True
    session.flush()
    return sup


def supervisors_of(session: Session, district_id: int) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(Supervisor, Supervisor.person_id == Person.id)
            .where(Supervisor.district_id == district_id, Supervisor.active.is_(True))
            .order_by(Person.id)
        )
    )


# --- figures ---------------------------------------------------------------------------------


def communities_of(session: Session, district_id: int) -> list[Community]:
    return list(session.scalars(select(Community).where(Community.district_id == district_id).order_by(Community.code)))


def figures(
    session: Session, communities: list[Community], *, days: int = WARNING_DAYS, now: datetime | None = None
) -> list[CommunityFigures]:
    """Each community's figures now (open, overdue, red flags) and over the past `days`."""
    now = now or clock.now()
    since = now - timedelta(days=days)
    ids = [c.id for c in communities]
    if not ids:
        return []
    in_ids = Request.community_id.in_(ids)

    def grouped(*where: ColumnElement[bool]) -> dict[int, int]:
        rows = session.execute(
            select(Request.community_id, func.count()).where(in_ids, *where).group_by(Request.community_id)
        )
        return {cid: n for cid, n in rows}

    open_ = grouped(Request.state.in_((S.SUBMITTED, S.OPEN)))
    active = grouped(Request.state.in_((S.CLAIMED, S.IN_PROGRESS)))
    overdue = grouped(past_due_clause(now))
    red = grouped(red_flag_clause(now))
    ratings = {
        cid: (int(rated), int(satisfied or 0))
        for cid, rated, satisfied in session.execute(
            select(
                Request.community_id,
                func.count(Rating.id),
                func.sum(case((Rating.score >= SATISFIED_MIN_SCORE, 1), else_=0)),
            )
            .join(Rating, Rating.request_id == Request.id)
            .where(in_ids, Rating.created_at >= since, Rating.created_at <= now)
            .group_by(Request.community_id)
        )
    }
    claim_minutes: dict[int, list[float]] = defaultdict(list)
    for cid, published, claimed in session.execute(
        select(Request.community_id, Request.published_at, Request.claimed_at).where(
            in_ids, Request.claimed_at >= since, Request.claimed_at <= now, Request.published_at.is_not(None)
        )
    ):
        if claimed is not None and published is not None:
            claim_minutes[cid].append(max(0.0, (claimed - published).total_seconds() / 60))
    hours = {
        cid: float(h or 0)
        for cid, h in session.execute(
            select(Person.community_id, func.sum(LedgerEntry.hours))
            .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
            .join(Person, Person.id == Volunteer.person_id)
            .where(Person.community_id.in_(ids), LedgerEntry.at >= since, LedgerEntry.at <= now)
            .group_by(Person.community_id)
        )
    }
    out = []
    for c in communities:
        rated, satisfied = ratings.get(c.id, (0, 0))
        minutes = claim_minutes.get(c.id, [])
        out.append(
            CommunityFigures(
                community_id=c.id,
                code=c.code,
                name=c.name,
                open=open_.get(c.id, 0),
                active=active.get(c.id, 0),
                overdue=overdue.get(c.id, 0),
                red_flags=red.get(c.id, 0),
                rated=rated,
                satisfied=satisfied,
                median_claim_minutes=statistics.median(minutes) if minutes else None,
                claims=len(minutes),
                volunteer_hours=round(hours.get(c.id, 0.0), 2),
            )
        )
    return out


@dataclass(frozen=True)
class Overview:
    district: District
    days: int
    rows: list[CommunityFigures]
    warnings: list[DistrictWarning]  # the past WARNING_DAYS days, newest first
    community_names: dict[int, str]


def overview(
    session: Session, actor: Actor | None, *, days: int = WARNING_DAYS, now: datetime | None = None
) -> Overview:
    """What a supervisor sees: every community of their district, and its recent warnings."""
    district_id = require(actor, "view_district")
    now = now or clock.now()
    communities = communities_of(session, district_id)
    return Overview(
        district=session.get_one(District, district_id),
        days=days,
        rows=figures(session, communities, days=days, now=now),
        warnings=recent_warnings(session, district_id, now),
        community_names={c.id: c.name for c in communities},
    )


def recent_warnings(session: Session, district_id: int, now: datetime) -> list[DistrictWarning]:
    since = (now - timedelta(days=WARNING_DAYS)).date()
    return list(
        session.scalars(
            select(DistrictWarning)
            .where(DistrictWarning.district_id == district_id, DistrictWarning.day >= since)
            .order_by(DistrictWarning.day.desc(), DistrictWarning.id.desc())
        )
    )


def row_cells(row: CommunityFigures) -> list[str]:
    """A row as the CLI, the bot and the web print it (the columns of texts.DISTRICT_COLUMNS)."""
    rate = (
        texts.DISTRICT_RATE.format(rate=f"{row.satisfaction:.0%}", rated=row.rated)
        if row.rated
        else texts.DISTRICT_NO_RATINGS
    )
    claim = (
        texts.DISTRICT_MINUTES.format(minutes=round(row.median_claim_minutes))
        if row.median_claim_minutes is not None
        else texts.DISTRICT_NO_CLAIMS
    )
    return [
        row.name,
        str(row.open),
        str(row.overdue),
        str(row.red_flags),
        rate,
        claim,
        texts.DISTRICT_HOURS.format(hours=row.volunteer_hours),
        flags_text(row),
    ]


def flags_text(row: CommunityFigures) -> str:
    flags = [texts.DISTRICT_FLAG_SATISFACTION] * row.below_satisfaction + [texts.DISTRICT_FLAG_CLAIM] * row.slow_claims
    return "、".join(flags) or texts.DISTRICT_FLAG_NONE


# --- the daily check (a follow-up row per community) -------------------------------------------


def ensure_check(s: Session, community_id: int, after: datetime) -> None:
    """The community's next daily check after `after`, exactly one pending (the unique index
    on (community_id, due_at) for this kind keeps two processes from planning it twice)."""
    pending = s.scalar(
        select(FollowUp.id).where(
            FollowUp.community_id == community_id,
            FollowUp.kind == CHECK_KIND,
            FollowUp.status == FollowUpStatus.PENDING,
        )
    )
    if pending:
        return
    st = get_settings()
    at = local_time_on(after, st.district_check_at, st.timezone)
    if at <= after:
        at = local_time_on(after + timedelta(days=1), st.district_check_at, st.timezone)
    try:
        with s.begin_nested():
            s.add(
                FollowUp(community_id=community_id, request_id=None, kind=CHECK_KIND, due_at=at, created_at=clock.now())
            )
    except IntegrityError:  # another process planned the same check meanwhile
        pass


def ensure_checks(factory: sessionmaker[Session], now: datetime | None = None) -> None:
    """Every community of a district has its next check planned (the scheduler's start)."""
    now = now or clock.now()
    with factory() as s, s.begin():
        for community_id in s.scalars(select(Community.id).where(Community.district_id.is_not(None))):
            ensure_check(s, community_id, now)


def fire_check(s: Session, row: FollowUp, now: datetime) -> bool:
    """Measure the community's past week; warn the district's supervisors of what is below
    target (at most once per community, kind and day); plan tomorrow's check."""
    community = s.get(Community, row.community_id)
    row.status = FollowUpStatus.DONE  # before planning tomorrow's: one pending at a time
    s.flush()
    if community is None or community.district_id is None:
        return False  # no longer in a district: nothing to check, nothing planned
    ensure_check(s, community.id, now + timedelta(minutes=1))
    (fig,) = figures(s, [community], days=WARNING_DAYS, now=now)
    day = clock.to_local(now, community.timezone).date()
    found: list[tuple[str, float, float, int]] = []
    if fig.below_satisfaction and fig.satisfaction is not None:
        found.append((SATISFACTION, fig.satisfaction, SATISFACTION_TARGET, fig.rated))
    if fig.slow_claims and fig.median_claim_minutes is not None:
        found.append((CLAIM_TIME, fig.median_claim_minutes, get_settings().claim_target_minutes, fig.claims))
    for kind, value, target, samples in found:
        exists = s.scalar(
            select(DistrictWarning.id).where(
                DistrictWarning.community_id == community.id, DistrictWarning.kind == kind, DistrictWarning.day == day
            )
        )
        if exists:
            continue
        s.add(
            DistrictWarning(
                district_id=community.district_id,
                community_id=community.id,
                kind=kind,
                day=day,
                value=value,
                target=target,
                samples=samples,
                created_at=now,
            )
        )
        s.flush()
        text = warning_text(community.name, kind, value, target, samples)
        for person in supervisors_of(s, community.district_id):
            notify(s, person, "district_warning", text)
    return True


def warning_text(name: str, kind: str, value: float, target: float, samples: int) -> str:
    if kind == SATISFACTION:
        return texts.DISTRICT_WARN_SATISFACTION.format(
            name=name, days=WARNING_DAYS, rate=f"{value:.0%}", target=f"{target:.0%}", samples=samples
        )
    return texts.DISTRICT_WARN_CLAIM.format(
        name=name, days=WARNING_DAYS, minutes=round(value), target=round(target), samples=samples
    )
