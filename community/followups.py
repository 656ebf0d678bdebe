"""Follow-ups: nothing may fall through the cracks.

A request's follow-ups are planned when it enters a phase (open, active = claimed or in
progress, done) and written as `FollowUp` rows in the same transaction as that state
change (`replan`, called by the lifecycle); leaving the phase cancels what is still
pending. So a cancel, finish or reassignment made by any process (the bot, the Rasa
actions) removes or reschedules follow-ups atomically, and the scheduler in the bot
process only has to fire due rows (`run_due`). Each row fires in its own transaction
together with its effect, so a crash fires nothing twice and loses nothing.

Rows that came due while nothing was running fire once, on the next run, in due order;
only appointment reminders are skipped when the appointment has already passed.

| phase  | kind              | due                                                       | effect                          |
|--------|-------------------|-----------------------------------------------------------|---------------------------------|
| open   | widen             | +2 h (at the latest 3 h before a preferred time)          | escalation 1: wider offer, grid leader told |
| open   | red_flag          | +24 h (at the latest 1 h before a preferred time)         | escalation 2: red flag, staff told (urgent) |
| open/active | remind_resident | 20:00 the evening before the preferred time         | resident reminded               |
| active | remind_volunteer  | 1 h before the preferred time                             | volunteer reminded              |
| active | nudge_volunteer   | the category's due time                                   | volunteer asked to finish       |
| active | overdue_leader    | 24 h after the nudge                                      | grid leader asked to reassign   |
| done   | rate_reminder     | +24 h                                                     | resident asked again to rate    |
| done   | close_unrated     | +72 h                                                     | closed as 未评价                 |
|  —     | digest            | 08:00 daily (no request)                                  | leaders and staff get a summary |
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from community import clock, texts
from community.models import (
    ACTIVE_STATES,
    CareSchedule,
    Community,
    FollowUp,
    FollowUpStatus,
    Grid,
    Person,
    Rating,
    Request,
    RequestKind,
    RequestState,
)
from community.settings import Settings, get_settings

log = logging.getLogger(__name__)
S = RequestState
PHASES = {S.OPEN: "open", S.CLAIMED: "active", S.IN_PROGRESS: "active", S.DONE: "done"}
# A follow-up fires only while its request is in one of these states.
VALID_STATES = {
    "widen": {S.OPEN},
    "red_flag": {S.OPEN},
    "remind_resident": {S.OPEN, *ACTIVE_STATES},
    "remind_volunteer": set(ACTIVE_STATES),
    "nudge_volunteer": set(ACTIVE_STATES),
    "overdue_leader": set(ACTIVE_STATES),
    "rate_reminder": {S.DONE},
    "close_unrated": {S.DONE},
}
MIN_OFFER_WINDOW = timedelta(minutes=15)  # the nearest volunteers always get this long first
MAX_ATTEMPTS = 5


def _local_time_on(day_utc: datetime, hhmm: str, tz: str, days_before: int = 0) -> datetime:
    """UTC time of local `hhmm` on the local day of `day_utc`, minus `days_before` days."""
    local = clock.to_local(day_utc, tz) - timedelta(days=days_before)
    hours, minutes = map(int, hhmm.split(":"))
    at = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return at.astimezone(UTC).replace(tzinfo=None)


def plan(req: Request, now: datetime, settings: Settings | None = None) -> dict[str, datetime]:
    """The follow-ups a request needs on entering its current phase at `now`."""
    st = settings or get_settings()
    hours = lambda h: timedelta(hours=h)  # noqa: E731
    phase = PHASES.get(req.state)
    pref = req.preferred_time
    due: dict[str, datetime] = {}
    if phase == "open":
        widen = now + hours(st.widen_after_hours)
        red = now + hours(st.red_flag_after_hours)
        if pref:  # a near appointment escalates earlier
            widen = min(widen, pref - hours(st.offer_lead_before_appointment_hours))
            red = min(red, pref - hours(st.red_flag_lead_before_appointment_hours))
        widen = max(widen, now + MIN_OFFER_WINDOW)
        if req.escalation_level < 1:
            due["widen"] = widen
        if req.escalation_level < 2:
            due["red_flag"] = max(red, widen + MIN_OFFER_WINDOW)
    elif phase == "active":
        nudge = max(req.due_at or now, now + timedelta(hours=1))  # a fresh assignee gets at least an hour
        due["nudge_volunteer"] = nudge
        due["overdue_leader"] = nudge + hours(st.overdue_leader_after_hours)
        if pref:
            due["remind_volunteer"] = pref - timedelta(minutes=st.appointment_remind_volunteer_minutes)
    elif phase == "done":
        due["rate_reminder"] = now + hours(st.rate_reminder_after_hours)
        due["close_unrated"] = now + hours(st.close_unrated_after_hours)
    if pref and phase in ("open", "active"):
        due["remind_resident"] = _local_time_on(pref, st.appointment_remind_resident_at, st.timezone, days_before=1)
    return {kind: at for kind, at in due.items() if at > now}  # a reminder already too late is not sent


def replan(session: Session, req: Request, before: RequestState | None, *, reassigned: bool = False) -> None:
    """Called by the lifecycle after every state change of `req`."""
    if PHASES.get(before) == PHASES.get(req.state) and not reassigned:
        return  # e.g. claimed → in_progress: the same promises still stand
    now = clock.now()
    for row in session.scalars(
        select(FollowUp).where(FollowUp.request_id == req.id, FollowUp.status == FollowUpStatus.PENDING)
    ):
        row.status = FollowUpStatus.CANCELLED
    for kind, due_at in plan(req, now).items():
        session.add(
            FollowUp(community_id=req.community_id, request_id=req.id, kind=kind, due_at=due_at, created_at=now)
        )
    session.flush()


# --- firing --------------------------------------------------------------------------------


@dataclass
class RunReport:
    fired: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    failed: int = 0
    care_requests: int = 0

    @property
    def total(self) -> int:
        return sum(self.fired.values())


def run_due(factory: sessionmaker[Session], now: datetime | None = None, limit: int = 500) -> RunReport:
    """Fire every follow-up due at `now`, oldest first, one transaction each."""
    now = now or clock.now()
    report = RunReport()
    report.care_requests = materialise_care_visits(factory, now)
    with factory() as s:
        ids = s.scalars(
            select(FollowUp.id)
            .where(FollowUp.status == FollowUpStatus.PENDING, FollowUp.due_at <= now)
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(limit)
        ).all()
    for followup_id in ids:
        try:
            with factory() as s, s.begin():
                row = s.scalar(
                    select(FollowUp)
                    .where(FollowUp.id == followup_id)
                    .with_for_update(skip_locked=True)
                    .execution_options(populate_existing=True)
                )
                if row is None or row.status != FollowUpStatus.PENDING:
                    continue  # another runner has it, or it was cancelled meanwhile
                fired = _fire(s, row, now)
                row.status = FollowUpStatus.DONE if fired else FollowUpStatus.SKIPPED
                row.fired_at = now
            if fired:
                report.fired[row.kind] = report.fired.get(row.kind, 0) + 1
            else:
                report.skipped += 1
        except Exception as exc:
            log.exception("follow-up %s failed", followup_id)
            report.failed += 1
            _record_failure(factory, followup_id, now, exc)
    return report


def _record_failure(factory: sessionmaker[Session], followup_id: int, now: datetime, exc: Exception) -> None:
    with factory() as s, s.begin():
        row = s.get(FollowUp, followup_id)
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FollowUpStatus.SKIPPED
        else:
            row.due_at = now + timedelta(minutes=2**row.attempts)


def next_due_at(factory: sessionmaker[Session]) -> datetime | None:
    """When the scheduler should wake next (earliest pending follow-up or care visit)."""
    st = get_settings()
    with factory() as s:
        followup = s.scalar(select(func.min(FollowUp.due_at)).where(FollowUp.status == FollowUpStatus.PENDING))
        care = s.scalar(select(func.min(CareSchedule.next_visit_at)).where(CareSchedule.active.is_(True)))
    candidates = [t for t in (followup, care and care - timedelta(hours=st.care_lead_hours)) if t]
    return min(candidates) if candidates else None


def _fire(s: Session, row: FollowUp, now: datetime) -> bool:
    """Apply one follow-up; False when it no longer applies (wrong state, too late)."""
    from community import lifecycle
    from community.actors import SYSTEM

    if row.kind == "digest":
        send_digests(s, row.community_id, now)
        row.status = FollowUpStatus.DONE  # before scheduling tomorrow's: one pending at a time
        s.flush()
        ensure_digest(s, row.community_id, now + timedelta(minutes=1))
        return True
    req = s.scalar(select(Request).where(Request.id == row.request_id).with_for_update())
    if req is None or req.state not in VALID_STATES[row.kind]:
        return False
    if row.kind in ("remind_volunteer", "remind_resident") and req.preferred_time and req.preferred_time <= now:
        return False  # the appointment has passed: a reminder now would only confuse
    waited = max(1, round((now - (req.published_at or req.submitted_at)).total_seconds() / 3600))
    match row.kind:
        case "widen":
            lifecycle.escalate(s, SYSTEM, req.id, 1, waited)
        case "red_flag":
            lifecycle.escalate(s, SYSTEM, req.id, 2, waited)
        case "rate_reminder":
            if s.scalar(select(Rating.id).where(Rating.request_id == req.id)):
                return False
            lifecycle.remind_to_rate(s, req)
        case "close_unrated":
            lifecycle.close_unrated(s, SYSTEM, req.id)
        case _:
            lifecycle.remind(s, req, row.kind)
    return True


# --- the morning digest ------------------------------------------------------------------------


def ensure_digest(s: Session, community_id: int, after: datetime) -> None:
    """Make sure the next digest after `after` is scheduled (exactly one pending)."""
    pending = s.scalar(
        select(FollowUp.id).where(
            FollowUp.community_id == community_id, FollowUp.kind == "digest", FollowUp.status == FollowUpStatus.PENDING
        )
    )
    if pending:
        return
    st = get_settings()
    at = _local_time_on(after, st.digest_at, st.timezone)
    if at <= after:
        at = _local_time_on(after + timedelta(days=1), st.digest_at, st.timezone)
    s.add(FollowUp(community_id=community_id, request_id=None, kind="digest", due_at=at, created_at=clock.now()))
    s.flush()


def ensure_digests(factory: sessionmaker[Session], now: datetime | None = None) -> None:
    now = now or clock.now()
    with factory() as s, s.begin():
        for community_id in s.scalars(select(Community.id)):
            ensure_digest(s, community_id, now)


def send_digests(s: Session, community_id: int, now: datetime) -> None:
    """Each grid leader gets their grid's figures; each staff member the community's."""
    from community.outbox import notify, staff_of
    from community.queues import queue
    from community.stats import compute_stats

    def digest_text(scope: str, grid_id: int | None) -> str:
        st = compute_stats(s, community_id, grid_id=grid_id, now=now)
        open_count = st.by_state.get(S.OPEN, 0) + st.by_state.get(S.SUBMITTED, 0)
        active = sum(st.by_state.get(x, 0) for x in ACTIVE_STATES)
        lines = [
            texts.DIGEST_HEAD.format(
                scope=scope,
                open=open_count,
                active=active,
                red=st.overdue.red_flag,
                past_due=st.overdue.past_due,
                low=st.overdue.low_rated,
                followup=st.overdue.needs_followup,
            )
        ]
        overdue = queue(s, community_id, "overdue", grid_id=grid_id, limit=5, now=now)
        lines += [
            texts.DIGEST_ITEM.format(
                id=i.request_id,
                category=i.category or texts.KIND_NAMES[i.kind],
                building=i.building or "",
                summary=i.summary,
            )
            for i in overdue.items
        ]
        return "\n".join(lines)

    grids = s.scalars(select(Grid).where(Grid.community_id == community_id, Grid.leader_person_id.is_not(None)))
    for grid in grids:
        notify(s, s.get(Person, grid.leader_person_id), "digest", digest_text(grid.name, grid.id))
    community_text = digest_text(s.get(Community, community_id).name, None)
    for person in staff_of(s, community_id):
        notify(s, person, "digest", community_text)


# --- care visits (关爱式) ------------------------------------------------------------------------


def materialise_care_visits(factory: sessionmaker[Session], now: datetime) -> int:
    """Turn care visits due within `care_lead_hours` into requests. A schedule that fell
    behind (the system was down for weeks) produces one request for the next visit, not a
    backlog of missed ones."""
    from community import lifecycle
    from community.actors import SYSTEM
    from community.errors import DomainError

    st = get_settings()
    horizon = now + timedelta(hours=st.care_lead_hours)
    created = 0
    with factory() as s:
        ids = s.scalars(
            select(CareSchedule.id).where(CareSchedule.active.is_(True), CareSchedule.next_visit_at <= horizon)
        ).all()
    for schedule_id in ids:
        with factory() as s, s.begin():
            sched = s.scalar(select(CareSchedule).where(CareSchedule.id == schedule_id).with_for_update())
            if not sched.active or sched.next_visit_at > horizon:
                continue
            visit = sched.next_visit_at
            while visit < now:  # missed visits are not replayed
                visit += timedelta(days=sched.every_days)
            sched.next_visit_at = visit + timedelta(days=sched.every_days)
            try:
                with s.begin_nested():
                    category = s.get(lifecycle.ServiceCategory, sched.category_id)
                    lifecycle.submit(
                        s,
                        SYSTEM,
                        lifecycle.NewRequest(
                            kind=RequestKind.CARE,
                            description=sched.description,
                            category=category.code,
                            preferred_time=visit,
                        ),
                        for_resident_id=sched.resident_id,
                    )
                created += 1
            except DomainError as exc:  # e.g. the resident withdrew consent: skip this visit
                log.warning("care schedule %s: %s", schedule_id, exc.message)
    return created
