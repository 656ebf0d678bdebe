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
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from community import clock
from community.models import (
    ACTIVE_STATES,
    CareSchedule,
    Community,
    FollowUp,
    FollowUpStatus,
    Request,
    RequestState,
)
from community.settings import Settings, get_settings

log = logging.getLogger(__name__)
S = RequestState
PHASES: dict[RequestState | None, str] = {S.OPEN: "open", S.CLAIMED: "active", S.IN_PROGRESS: "active", S.DONE: "done"}
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


local_time_on = _local_time_on  # for other planners (community.district)


def plan(req: Request, now: datetime, settings: Settings | None = None) -> dict[str, datetime]:
    """The follow-ups a request needs on entering its current phase at `now`."""
    st = settings or get_settings()

    def hours(h: float) -> timedelta:
        return timedelta(hours=h)

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


def next_due_at(factory: sessionmaker[Session]) -> datetime | None:
    """When the scheduler should wake next (earliest pending follow-up or care visit)."""
    st = get_settings()
    with factory() as s:
        followup = s.scalar(select(func.min(FollowUp.due_at)).where(FollowUp.status == FollowUpStatus.PENDING))
        care = s.scalar(select(func.min(CareSchedule.next_visit_at)).where(CareSchedule.active.is_(True)))
    candidates = [t for t in (followup, care and care - timedelta(hours=st.care_lead_hours)) if t]
    return min(candidates) if candidates else None


# --- the morning digest ------------------------------------------------------------------------


def ensure_digest(s: Session, community_id: int, after: datetime) -> None:
    """Make sure the next digest after `after` is scheduled: exactly one pending per
    community, kept by a unique key (uq_followups_pending_digest) when two processes plan it
    at once. `after` is a schedule time (the digest that just fired was due then) or now."""
    pending = select(FollowUp.id).where(
        FollowUp.community_id == community_id, FollowUp.kind == "digest", FollowUp.status == FollowUpStatus.PENDING
    )
    if s.scalar(pending):
        return
    st = get_settings()
    at = _local_time_on(after, st.digest_at, st.timezone)
    if at <= after:
        at = _local_time_on(after + timedelta(days=1), st.digest_at, st.timezone)
    try:
        with s.begin_nested():
            s.add(
                FollowUp(community_id=community_id, request_id=None, kind="digest", due_at=at, created_at=clock.now())
            )
    except IntegrityError:  # another process planned it first: theirs stands
        pass


def ensure_digests(factory: sessionmaker[Session], now: datetime | None = None) -> None:
    now = now or clock.now()
    with factory() as s, s.begin():
        for community_id in s.scalars(select(Community.id)):
            ensure_digest(s, community_id, now)
