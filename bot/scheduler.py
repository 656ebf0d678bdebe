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

Never drifting: a run fires batches until nothing due is left (5,000 rows due at 20:00 are
fired in one run, batch after batch), and the early wake-up for the next due row is a
separate date job armed *after* the run's work is done, which may overlap a running tick
(`max_instances` > 1): APScheduler 3 skips a job whose previous run is still going, so a
run that re-armed its own job for a time before it returned lost that wake-up and fell back
to the interval. Overlapping runs never fire twice: one runs, the other just asks it to go
round once more (`_again`), and rows are claimed one by one anyway (followup_runner).
Several bot processes may run this scheduler on one database for the same reason.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from community import clock, district, followup_runner, followups, recognition
from community.settings import get_settings

log = logging.getLogger(__name__)
JOB_ID = "followups"
WAKE_ID = "followups-wake"
BATCH = 500


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
        self._run_lock = threading.Lock()  # one run at a time in this process
        self._again = threading.Event()  # a wake-up arrived while a run was going

    def start(self) -> None:
        followups.ensure_digests(self.factory)
        recognition.ensure_month_summaries(self.factory)  # volunteers' month-end thank-you
        district.ensure_checks(self.factory)  # 智慧督查: each district community's daily check
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
        if not self._run_lock.acquire(blocking=False):
            self._again.set()  # the running tick goes round once more
            return
        try:
            while True:
                self._again.clear()
                report = followup_runner.run_due(self.factory, limit=BATCH)
                self.last_report = report
                self.runs += 1
                if report.total or report.care_requests:
                    log.info("follow-ups fired: %s", report)
                handled = report.total + report.skipped + report.failed
                more_due = handled >= BATCH  # a full batch: there may be more already due
                if not (more_due or self._again.is_set()) or self._stopping:
                    break
        finally:
            self._run_lock.release()
        self.wake_at(self._next_due_wall_time())

    def wake_at(self, when: datetime) -> None:
        """Run early at `when` if that is before the next interval run (thread-safe)."""
        with self._arm_lock:
            if self._stopping:
                return
            job = self.scheduler.get_job(JOB_ID)
            if job is None or job.next_run_time is None or when >= job.next_run_time:
                return
            wake = self.scheduler.get_job(WAKE_ID)
            if wake is not None and wake.next_run_time is not None and wake.next_run_time <= when:
                return  # an earlier wake-up is armed already
            self.scheduler.add_job(
                self.tick,
                DateTrigger(run_date=when),
                id=WAKE_ID,
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=4,  # may start while the tick that armed it is finishing
            )

    def _next_due_wall_time(self) -> datetime:
        """Wall-clock time of the earliest pending row (rows are on the domain clock)."""
        due = followups.next_due_at(self.factory)
        delay = timedelta(days=1) if due is None else max(timedelta(0), due - clock.now())
        return datetime.now(UTC) + delay
