"""The one APScheduler scheduler, in the bot process only.

What must survive a restart is not kept in APScheduler's job store: every follow-up is a
row in the `followups` table, written by the lifecycle in the same transaction as the
state change that makes it due (see community.followups). The scheduler holds a single
job, rebuilt on start, that fires the due rows every `scheduler_max_sleep_seconds` (so rows
written by other processes, such as the Rasa action server, are seen promptly) and is moved
earlier whenever a row is due sooner than that. Why not SQLAlchemyJobStore: jobs
there can only be added or removed by the process running the scheduler, so a cancel made
in the action server could not remove its follow-ups in the same transaction.

Misfires: rows that came due while the process was down are simply due; the first run
after start fires each once, oldest first (coalescing is by row, not by job).
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from community import clock, followup_runner, followups, recognition
from community.settings import get_settings

log = logging.getLogger(__name__)
JOB_ID = "followups"


class FollowUpScheduler:
    def __init__(self, factory: sessionmaker[Session], scheduler: BackgroundScheduler | None = None) -> None:
        self.factory = factory
        self.scheduler = scheduler or BackgroundScheduler(timezone=UTC)
        self.runs = 0
        self.last_report: followup_runner.RunReport | None = None
        # APScheduler 3's shutdown(wait=True) holds its job-store lock while it waits for a
        # running job; a job that then calls get_job/modify_job deadlocks. Runs check this
        # flag under `_arm_lock` before touching the scheduler, and shutdown sets it first.
        self._arm_lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        followups.ensure_digests(self.factory)
        recognition.ensure_month_summaries(self.factory)  # volunteers' month-end thank-you
        # A permanent interval job: a run can never be lost, at worst it is one interval
        # late. (A self-re-arming date job races APScheduler, which removes a finished date
        # job after handing it to a worker, possibly after the job re-armed itself.)
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=get_settings().scheduler_max_sleep_seconds),
            id=JOB_ID,
            next_run_time=datetime.now(UTC),  # fire what came due while we were down, at once
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()

    def shutdown(self) -> None:
        with self._arm_lock:
            self._stopping = True
        self.scheduler.shutdown(wait=True)  # lets a running tick finish its transaction

    def tick(self) -> None:
        try:
            self.last_report = followup_runner.run_due(self.factory)
            self.runs += 1
            if self.last_report.total or self.last_report.care_requests:
                log.info("follow-ups fired: %s", self.last_report)
        finally:
            self.wake_at(self._next_due_wall_time())

    def wake_at(self, when: datetime) -> None:
        """Run early at `when` if that is before the next interval run (thread-safe)."""
        with self._arm_lock:
            if self._stopping:
                return
            job = self.scheduler.get_job(JOB_ID)
            if job is not None and job.next_run_time is not None and when < job.next_run_time:
                self.scheduler.modify_job(JOB_ID, next_run_time=when)

    def _next_due_wall_time(self) -> datetime:
        """Wall-clock time of the earliest pending row (rows are on the domain clock)."""
        due = followups.next_due_at(self.factory)
        delay = timedelta(days=1) if due is None else max(timedelta(0), due - clock.now())
        return datetime.now(UTC) + delay
