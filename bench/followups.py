"""Scheduler benchmark: 100,000 pending follow-ups, and 1,000 coming due in one minute.

Measures, with the real FollowUpScheduler (APScheduler) on a real database:
  1. start-up time (start() until the first run has finished) and resident memory of the
     process, with 100,000 follow-ups pending, against the same with none pending;
  2. lateness of firing: 1,000 follow-ups due within the same minute (spread over 60 s),
     each producing a notification; lateness = notification time − due time.

    .venv/bin/python bench/followups.py                       # SQLite file in /tmp
    .venv/bin/python bench/followups.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test
    .venv/bin/python bench/followups.py --quick               # smoke run
"""

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from bench.synth import throwaway_database
from bot.scheduler import FollowUpScheduler
from community import clock
from community.db import make_engine, session_factory
from community.models import (
    Base,
    Building,
    Community,
    FollowUp,
    Grid,
    OutboxMessage,
    Person,
    Request,
    Resident,
    Volunteer,
)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def populate(engine, pending: int, due_soon: int, due_from: datetime) -> None:
    """One community, enough claimed requests, and `pending` follow-ups due a week after
    `due_from` (the backlog that must not slow the scheduler down)."""
    requests = max(due_soon, pending // 4 or 1)
    with engine.begin() as c:
        c.execute(insert(Community), [{"id": 1, "code": "B", "name": "基准社区", "timezone": "Asia/Shanghai"}])
        c.execute(insert(Grid), [{"id": 1, "community_id": 1, "code": "G1", "name": "网格"}])
        c.execute(
            insert(Building),
            [
                {
                    "id": 1,
                    "community_id": 1,
                    "grid_id": 1,
                    "number": 1,
                    "name": "1号楼",
                    "aliases": "",
                    "units": 1,
                    "floors": 6,
                }
            ],
        )
        now = clock.now()
        c.execute(
            insert(Person),
            [
                {"id": i, "community_id": 1, "name": f"人{i}", "telegram_id": 10_000 + i, "created_at": now}
                for i in (1, 2)
            ],
        )
        c.execute(insert(Resident), [{"id": 1, "person_id": 1, "building_id": 1, "consent_at": now}])
        c.execute(
            insert(Volunteer),
            [
                {
                    "id": 1,
                    "person_id": 2,
                    "grid_id": 1,
                    "max_load": 10**6,
                    "active_load": requests,
                    "is_party_member": True,
                    "available": True,
                    "availability_note": "",
                    "rating_sum": 0,
                    "rating_count": 0,
                    "rating_recent": 4.0,
                    "hours_total": 0,
                    "points_total": 0,
                    "joined_at": now,
                }
            ],
        )
        rows = [
            {
                "id": i,
                "community_id": 1,
                "kind": "service",
                "state": "claimed",
                "resident_id": 1,
                "description": f"基准诉求{i}",
                "building_id": 1,
                "grid_id": 1,
                "volunteer_id": 1,
                "address_text": "1号楼",
                "priority": 0,
                "escalation_level": 0,
                "needs_followup": False,
                "closed_unrated": False,
                "submitted_at": now,
                "published_at": now,
                "claimed_at": now,
                "updated_at": now,
            }
            for i in range(1, requests + 1)
        ]
        for start in range(0, len(rows), 5000):
            c.execute(insert(Request), rows[start : start + 5000])
        later = due_from + timedelta(days=7)
        followups = [
            {
                "community_id": 1,
                "request_id": (i % requests) + 1,
                "kind": "nudge_volunteer",
                "due_at": later + timedelta(seconds=i),
                "status": "pending",
                "created_at": now,
                "attempts": 0,
            }
            for i in range(pending)
        ]
        for start in range(0, len(followups), 10_000):
            c.execute(insert(FollowUp), followups[start : start + 10_000])
    if engine.dialect.name == "postgresql":
        # A live database's statistics are kept by autovacuum; right after a bulk load
        # they are missing and the planner scans the table, which is not what we measure.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))


def add_due_soon(engine, due_soon: int, due_from: datetime, spread_seconds: float = 60) -> None:
    """`due_soon` nudges spread over the minute (`spread_seconds`) from `due_from` (inserted
    last, so the bulk load above does not eat into their time)."""
    with engine.begin() as c:
        c.execute(
            insert(FollowUp),
            [
                {
                    "community_id": 1,
                    "request_id": i + 1,
                    "kind": "nudge_volunteer",
                    "due_at": due_from + timedelta(seconds=spread_seconds * i / due_soon),
                    "status": "pending",
                    "created_at": clock.now(),
                    "attempts": 0,
                }
                for i in range(due_soon)
            ],
        )


def start_up(url: str, pending: int) -> tuple[float, float]:
    """Seconds from start() to the end of the first run, and the RSS growth in MB."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    populate(engine, pending, 0, clock.now() + timedelta(days=1))
    factory = session_factory(engine)
    before = rss_mb()
    scheduler = FollowUpScheduler(factory)
    started = time.perf_counter()
    scheduler.start()
    while scheduler.runs < 1:
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    grown = rss_mb() - before
    scheduler.shutdown()
    engine.dispose()
    return elapsed, grown


def lateness(url: str, pending: int, due: int, spread_seconds: float = 60) -> list[float]:
    engine = make_engine(url, **({"pool_size": 10} if url.startswith("postgresql") else {}))
    Base.metadata.create_all(engine)
    populate(engine, pending, due, clock.now())
    add_due_soon(engine, due, clock.now() + timedelta(seconds=2), spread_seconds)
    factory = session_factory(engine)
    scheduler = FollowUpScheduler(factory)
    scheduler.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with factory() as s:  # a short session each time: on SQLite a held one blocks writers
            fired = s.scalar(select(text("count(*)")).select_from(OutboxMessage))
        if fired >= due:
            break
        time.sleep(0.5)
    scheduler.shutdown()
    with factory() as s:
        rows = s.execute(
            select(OutboxMessage.created_at, FollowUp.due_at).join(
                FollowUp, (FollowUp.request_id == OutboxMessage.request_id) & (FollowUp.status == "done")
            )
        ).all()
    engine.dispose()
    if len(rows) != due:
        sys.exit(f"FAILED: {len(rows)} of {due} due follow-ups fired exactly once")
    return [(sent - due_at).total_seconds() * 1000 for sent, due_at in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="small smoke run (due within 5 s, not a minute)")
    args = parser.parse_args()
    spread = 60.0
    if args.quick:
        args.pending, args.due, spread = 2_000, 50, 5.0
    os.environ.setdefault("SCHEDULER_MAX_SLEEP_SECONDS", "30")
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"backend: {backend}   pending follow-ups: {args.pending:,}   due in one minute: {args.due:,}")

    results = {}
    for pending in (0, 0, args.pending):  # the first run only warms up imports and threads
        with throwaway_database(args.database_url, "followups") as url:
            results[pending] = start_up(url, pending)
    print(f"{'start-up with':>24} {'seconds':>9} {'RSS growth MB':>14}")
    for pending, (seconds, grown) in results.items():
        print(f"{f'{pending:,} pending':>24} {seconds:9.3f} {grown:14.1f}")

    with throwaway_database(args.database_url, "followups") as url:
        late = lateness(url, args.pending, args.due, spread)
    print(
        f"lateness of {len(late):,} follow-ups due in {'one minute' if spread == 60 else f'{spread:g} s'} (ms): "
        f"p50 {statistics.median(late):.0f}  p95 {percentile(late, 95):.0f}  "
        f"p99 {percentile(late, 99):.0f}  max {max(late):.0f}"
    )


if __name__ == "__main__":
    main()
