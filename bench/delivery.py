"""Follow-up lateness under load, and a burst: the real FollowUpScheduler (APScheduler) on a
real database, with 100,000 follow-ups pending, beside a CPU hog and without one.

  1. lateness: 1,000 follow-ups (volunteer nudges, each writing a notification) due within
     one minute; lateness = the notification's time − the row's due time; run once on an
     idle-as-it-gets machine (the baseline) and once beside `--hogs` busy processes;
  2. burst: 5,000 follow-ups due at the same instant (20:00 for everyone): how long until the
     last one fired (the scheduler must loop, not wait for its next interval).

    .venv/bin/python bench/delivery.py                       # SQLite file in /tmp
    .venv/bin/python bench/delivery.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test
    .venv/bin/python bench/delivery.py --quick               # smoke run
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.followups import lateness, percentile, populate
from bench.synth import throwaway_database
from bot.scheduler import FollowUpScheduler
from community import clock
from community.db import make_engine, session_factory
from community.models import Base, FollowUp, OutboxMessage


def _spin() -> None:
    while True:
        pass


@contextmanager
def cpu_hog(processes: int):
    hogs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(processes)]
    for h in hogs:
        h.start()
    try:
        yield
    finally:
        for h in hogs:
            h.terminate()
            h.join()


def burst(url: str, pending: int, due: int) -> tuple[float, float, float]:
    """`due` rows due at one instant: (seconds until the last fired, p50 and p99 lateness s)."""
    engine = make_engine(url, **({"pool_size": 10} if url.startswith("postgresql") else {}))
    Base.metadata.create_all(engine)
    populate(engine, pending, due, clock.now())
    at = clock.now() + timedelta(seconds=3)
    with engine.begin() as c:
        c.execute(
            insert(FollowUp),
            [
                {
                    "community_id": 1,
                    "request_id": i + 1,
                    "kind": "nudge_volunteer",
                    "due_at": at,
                    "status": "pending",
                    "created_at": clock.now(),
                    "attempts": 0,
                }
                for i in range(due)
            ],
        )
    factory = session_factory(engine)
    scheduler = FollowUpScheduler(factory)
    scheduler.start()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with factory() as s:
            if s.scalar(select(func.count()).select_from(OutboxMessage)) >= due:
                break
        time.sleep(0.2)
    scheduler.shutdown()
    with factory() as s:
        sent = [t for (t,) in s.execute(select(OutboxMessage.created_at)).all()]
    engine.dispose()
    if len(sent) != due:
        sys.exit(f"FAILED: {len(sent)} of {due} burst follow-ups fired")
    late = sorted((t - at).total_seconds() for t in sent)
    return late[-1], statistics.median(late), percentile(late, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--burst", type=int, default=5_000)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes beside the run")
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--burst-only", action="store_true", help="only the burst (e.g. to compare two versions)")
    args = parser.parse_args()
    if args.quick:
        args.pending, args.due, args.burst = 2_000, 50, 200
    os.environ.setdefault("SCHEDULER_MAX_SLEEP_SECONDS", "30")
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"backend: {backend}   pending: {args.pending:,}   due in one minute: {args.due:,}   load {os.getloadavg()}")
    for label, hogs in () if args.burst_only else (("no hog", 0), (f"{args.hogs} CPU hogs", args.hogs)):
        with throwaway_database(args.database_url, "delivery") as url, cpu_hog(hogs):
            late = lateness(url, args.pending, args.due)
        print(
            f"{label:>12}: lateness of {len(late):,} follow-ups (ms) p50 {statistics.median(late):.0f}  "
            f"p95 {percentile(late, 95):.0f}  p99 {percentile(late, 99):.0f}  max {max(late):.0f}"
        )
    with throwaway_database(args.database_url, "delivery") as url, cpu_hog(args.hogs):
        last, p50, p99 = burst(url, args.pending, args.burst)
    print(
        f"burst of {args.burst:,} due at one instant beside {args.hogs} hogs: all fired {last:.1f} s after; "
        f"lateness p50 {p50:.1f} s  p99 {p99:.1f} s   load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
