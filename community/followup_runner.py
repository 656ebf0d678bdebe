"""Firing follow-ups: the scheduler's side of `community.followups`.

`community.followups` plans (the lifecycle calls it in the state change's transaction);
this module fires what came due, one row per transaction together with its effect, by
calling the lifecycle. Kept apart so the planner and the lifecycle do not import each
other: lifecycle → followups (plan), runner → lifecycle + followups (fire).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from community import clock, district, lifecycle, recognition, texts
from community.actors import SYSTEM
from community.errors import DomainError
from community.followups import MAX_ATTEMPTS, VALID_STATES, ensure_digest
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
    ServiceCategory,
    Volunteer,
)
from community.outbox import notify, staff_of
from community.queues import queue
from community.settings import get_settings
from community.stats import compute_stats

log = logging.getLogger(__name__)
S = RequestState


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


CHUNK = 50  # follow-ups fired per transaction (each in its own savepoint)


def run_due(factory: sessionmaker[Session], now: datetime | None = None, limit: int = 500) -> RunReport:
    """Fire up to `limit` follow-ups due at `now`, oldest first, CHUNK per transaction.

    Each row is claimed (PostgreSQL skips rows another runner holds, `FOR UPDATE SKIP
    LOCKED`; a conditional UPDATE lets exactly one runner of any number, in any process, fire
    it) and fired in its own savepoint, so a failing row rolls back alone and is retried
    later. A row's effect and its status commit together: a crash fires it again rather
    than never. Chunks, not one transaction per row: 5,000 rows due at the same instant
    (20:00 for everyone) are fired in seconds, not minutes."""
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
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        failures: list[tuple[int, Exception]] = []
        with factory() as s, s.begin():
            rows = s.scalars(
                select(FollowUp)
                .where(FollowUp.id.in_(chunk))
                .order_by(FollowUp.due_at, FollowUp.id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).all()
            claimed = _claim(s, [row.id for row in rows])
            requests = _requests_of(s, [row.request_id for row in rows if row.id in claimed])
            for row in rows:
                if row.id not in claimed:
                    continue  # another runner has it, or it was cancelled meanwhile
                try:
                    with s.begin_nested():
                        fired = _fire(s, row, now, requests.get(row.request_id) if row.request_id else None)
                        row.status = FollowUpStatus.DONE if fired else FollowUpStatus.SKIPPED
                        row.fired_at = now
                except Exception as exc:
                    log.exception("follow-up %s failed", row.id)
                    failures.append((row.id, exc))
                    continue
                if fired:
                    report.fired[row.kind] = report.fired.get(row.kind, 0) + 1
                else:
                    report.skipped += 1
        for followup_id, error in failures:
            report.failed += 1
            _record_failure(factory, followup_id, now, error)
    return report


def _claim(s: Session, followup_ids: list[int]) -> set[int]:
    """The rows of `followup_ids` this runner may fire: one conditional UPDATE for the chunk
    (a row another runner fired or a cancel ended meanwhile is no longer pending)."""
    if not followup_ids:
        return set()
    return set(
        s.scalars(
            update(FollowUp)
            .where(FollowUp.id.in_(followup_ids), FollowUp.status == FollowUpStatus.PENDING)
            .values(attempts=FollowUp.attempts)
            .returning(FollowUp.id)
            .execution_options(synchronize_session=False)
        )
    )


def _requests_of(s: Session, request_ids: list[int | None]) -> dict[int, Request]:
    """The chunk's requests, locked in id order (as one request's changes lock it), with the
    volunteer and person a reminder is addressed to: three queries for the chunk instead of
    three per row."""
    wanted = sorted({i for i in request_ids if i is not None})
    if not wanted:
        return {}
    found = s.scalars(
        select(Request)
        .where(Request.id.in_(wanted))
        .order_by(Request.id)
        .with_for_update()
        .options(selectinload(Request.volunteer).selectinload(Volunteer.person))
        .execution_options(populate_existing=True)
    ).all()
    return {req.id: req for req in found}


def _record_failure(factory: sessionmaker[Session], followup_id: int, now: datetime, exc: Exception) -> None:
    with factory() as s, s.begin():
        row = s.get(FollowUp, followup_id)
        if row is None:  # its request went meanwhile
            return
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = FollowUpStatus.SKIPPED
        else:
            row.due_at = now + timedelta(minutes=2**row.attempts)


def _fire(s: Session, row: FollowUp, now: datetime, req: Request | None) -> bool:
    """Apply one follow-up; False when it no longer applies (wrong state, too late). `req`
    is the row's request, loaded and locked for the chunk (None: it is gone)."""
    if row.kind == recognition.MONTH_SUMMARY:  # volunteers' month-end thank-you (community.recognition)
        return recognition.fire_month_summary(s, row, now)
    if row.kind == district.CHECK_KIND:  # 智慧督查: the community's week against its targets
        return district.fire_check(s, row, now)
    if row.kind == "digest":
        send_digests(s, row.community_id, now)
        row.status = FollowUpStatus.DONE  # before scheduling tomorrow's: one pending at a time
        s.flush()
        # The next one from the schedule (the 08:00 this one was due at), not from when it
        # fired: a digest that fired late, or after days down, is followed by the next 08:00.
        ensure_digest(s, row.community_id, max(row.due_at, now))
        return True
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


def send_digests(s: Session, community_id: int, now: datetime) -> None:
    """Each grid leader gets their grid's figures; each staff member the community's."""

    def digest_text(scope: str, grid_id: int | None, private: bool = True) -> str:
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
                summary=i.summary if private else i.public_summary,
            )
            for i in overdue.items
        ]
        return "\n".join(lines)

    grids = s.scalars(select(Grid).where(Grid.community_id == community_id, Grid.leader_person_id.is_not(None)))
    for grid in grids:
        leader = s.get_one(Person, grid.leader_person_id)
        staff = leader.staff is not None and leader.staff.active and leader.community_id == community_id
        notify(s, leader, "digest", digest_text(grid.name, grid.id, private=staff))
    community_text = digest_text(s.get_one(Community, community_id).name, None)
    for person in staff_of(s, community_id):
        notify(s, person, "digest", community_text)


# --- care visits (关爱式) ------------------------------------------------------------------------


def materialise_care_visits(factory: sessionmaker[Session], now: datetime) -> int:
    """Turn care visits due within `care_lead_hours` into requests. A schedule that fell
    behind (the system was down for weeks) produces one request for the next visit, not a
    backlog of missed ones."""
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
            if sched is None or not sched.active or sched.next_visit_at > horizon:
                continue
            visit = sched.next_visit_at
            while visit < now:  # missed visits are not replayed
                visit += timedelta(days=sched.every_days)
            sched.next_visit_at = visit + timedelta(days=sched.every_days)
            try:
                with s.begin_nested():
                    category = s.get_one(ServiceCategory, sched.category_id)
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
