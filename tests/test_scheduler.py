"""The real APScheduler in the bot process: it fires what came due while it was down as
soon as it starts, wakes for the earliest due row instead of polling slowly, and a second
start (a restart) sends nothing twice. Wall-clock, so waits are short and bounded."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.scheduler import FollowUpScheduler
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import FollowUp, OutboxMessage, Person, RequestKind
from community.settings import get_settings
from tests.builders import build_world
from tests.timing import scaled


@pytest.fixture
def slow_polling(monkeypatch):
    monkeypatch.setenv("SCHEDULER_MAX_SLEEP_SECONDS", "60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def wait_for(predicate, timeout=10.0):
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def open_request(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        resident = world.residents["王奶奶"]
        req = lifecycle.submit(
            s,
            actor_for_person(s, s.get(Person, resident.person_id)),
            NewRequest(kind=RequestKind.SERVICE, description="帮忙买菜", category="代购"),
        )
        return req.id


def widen_status(db, rid):
    with db.factory() as s:
        return s.scalar(select(FollowUp.status).where(FollowUp.request_id == rid, FollowUp.kind == "widen"))


def test_overdue_rows_fire_on_start_and_a_restart_duplicates_nothing(db, slow_polling):
    rid = open_request(db)
    with db.factory() as s, s.begin():  # it came due while the bot was down
        s.scalars(select(FollowUp).where(FollowUp.request_id == rid, FollowUp.kind == "widen")).one().due_at = (
            clock.now() - timedelta(hours=1)
        )
    first = FollowUpScheduler(db.factory)
    first.start()
    try:
        assert wait_for(lambda: widen_status(db, rid) == "done")
    finally:
        first.shutdown()
    with db.factory() as s:
        sent = s.scalar(select(func.count()).where(OutboxMessage.kind == "escalated"))
    second = FollowUpScheduler(db.factory)
    second.start()
    try:
        assert wait_for(lambda: second.runs >= 1)
    finally:
        second.shutdown()
    with db.factory() as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.kind == "escalated")) == sent == 1


def test_wakes_for_the_earliest_due_row_not_the_polling_interval(db, slow_polling):
    rid = open_request(db)
    scheduler = FollowUpScheduler(db.factory)
    scheduler.start()
    try:
        assert wait_for(lambda: scheduler.runs >= 1)  # the start-up run found nothing due
        assert widen_status(db, rid) == "pending"
        with db.factory() as s, s.begin():
            s.scalars(select(FollowUp).where(FollowUp.request_id == rid, FollowUp.kind == "widen")).one().due_at = (
                clock.now() + timedelta(seconds=1)
            )
        scheduler.wake_at(datetime.now(UTC) + timedelta(seconds=1))  # what each run does for the earliest row
        started = time.monotonic()
        assert wait_for(lambda: widen_status(db, rid) == "done", timeout=10)
        assert time.monotonic() - started < 10  # far below the 60 s polling interval
    finally:
        scheduler.shutdown()


def test_shutdown_while_a_run_is_in_progress_finishes_instead_of_deadlocking(db, slow_polling, monkeypatch):
    """APScheduler 3 holds its job-store lock during shutdown(wait=True); a run that re-arms
    itself at that moment used to deadlock. Here the run is still working when shutdown
    starts, and shutdown must still return."""
    import threading

    from community import followup_runner

    in_run = threading.Event()
    real_run_due = followup_runner.run_due

    def slow_run_due(factory, *args, **kwargs):
        in_run.set()
        time.sleep(0.5)
        return real_run_due(factory, *args, **kwargs)

    monkeypatch.setattr(followup_runner, "run_due", slow_run_due)
    open_request(db)
    scheduler = FollowUpScheduler(db.factory)
    scheduler.start()
    assert in_run.wait(5)
    done = threading.Event()
    threading.Thread(target=lambda: (scheduler.shutdown(), done.set()), daemon=True).start()
    assert done.wait(10), "shutdown deadlocked with a running follow-up run"
    assert scheduler.runs == 1
