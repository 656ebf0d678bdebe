"""Recognition latency on a large community: the month's boards, `/me`, the work-unit
report and the month-end summaries, against a ledger of half a year.

Builds the synthetic community of bench/synth.py (10,000 volunteers) in a fresh database,
gives it six months of ledger entries (2.6 per volunteer and month on average, 0 to 12,
about 155,000 rows; every third volunteer with a work unit, 5% opted out of the boards),
then times, each call in its own session as in the bot (checkout and BEGIN before the
clock starts), interleaved so background load hits them alike:

  (a) recognition.leaderboard(community, month): the /rank community board
  (b) recognition.leaderboard(team, month): one team's board
  (c) recognition.standing(volunteer): /me's hours and ranks (community and teams)
  (d) recognition.work_unit_report(community, month): /workunits and the export's sheet

and (e) send_month_summaries for the whole community (one outbox row per volunteer who
served), rolled back after each run. Baseline: the month's totals computed naively (every
ledger row of the month loaded with the ORM, summed and sorted in Python); its ranking
must equal the board's.

    .venv/bin/python bench/recognition.py
    .venv/bin/python bench/recognition.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test
    .venv/bin/python bench/recognition.py --quick        # smoke run: 1,000 volunteers, few iterations

Exits 1 if the board disagrees with the naive ranking. Latency is reported, not judged.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text, update  # noqa: E402

from bench.synth import (  # noqa: E402
    LATENCY_HEADER,
    QUICK,
    Scale,
    build_world,
    describe_machine,
    latency_row,
    loadavg,
    table,
    throwaway_database,
)
from community import clock, recognition  # noqa: E402
from community.db import make_engine, session_factory, upgrade  # noqa: E402
from community.models import LedgerEntry, Person, Volunteer, VolunteerTeam  # noqa: E402
from community.recognition import Month  # noqa: E402

MONTH = Month(2026, 11)
TZ = "Asia/Shanghai"
UNITS = ["区人民医院", "市第一中学", "区税务局", "市自来水公司", "街道办", "区法院", "市电力公司", "区图书馆"]


def fill_ledger(factory, seed: int) -> dict[str, int]:
    """Six months (June to November) of ledger entries, bulk-inserted; work units and
    opt-outs on some volunteers."""
    rng = random.Random(seed)
    with factory() as s, s.begin():
        volunteers = s.execute(select(Volunteer.id)).scalars().all()
        rows = []
        for month in range(6, 12):
            start, end = Month(2026, month).bounds(TZ)
            span = (end - start).total_seconds()
            for vid in volunteers:
                for _ in range(rng.choices([0, 1, 2, 4, 8, 12], weights=[30, 20, 20, 15, 10, 5])[0]):
                    hours = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
                    at = start + timedelta(seconds=rng.random() * span)
                    rows.append(
                        {"volunteer_id": vid, "hours": hours, "points": int(hours * 10), "reason": "service", "at": at}
                    )
        for i in range(0, len(rows), 20_000):
            s.execute(insert(LedgerEntry), rows[i : i + 20_000])
        for vid in volunteers[::3]:
            s.execute(update(Volunteer).where(Volunteer.id == vid).values(work_unit=rng.choice(UNITS)))
        for vid in volunteers[::20]:
            s.execute(update(Volunteer).where(Volunteer.id == vid).values(leaderboard_opt_out=True))
    return {"ledger entries": len(rows), "volunteers": len(volunteers)}


def naive_board(s, community_id: int) -> list[tuple[int, float]]:
    """(volunteer id, hours) of the month's board, best first, computed in Python."""
    start, end = MONTH.bounds(TZ)
    listed = {
        v.id
        for v in s.scalars(select(Volunteer).join(Person).where(Person.community_id == community_id))
        if not v.leaderboard_opt_out
    }
    hours: dict[int, float] = {}
    for e in s.scalars(select(LedgerEntry).where(LedgerEntry.at >= start, LedgerEntry.at < end)):
        hours[e.volunteer_id] = hours.get(e.volunteer_id, 0.0) + e.hours
    return sorted(((v, round(h, 2)) for v, h in hours.items() if v in listed and h > 0), key=lambda x: -x[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="PostgreSQL server URL (a throwaway database), or a new SQLite file URL")
    ap.add_argument("--iterations", type=int, default=40, help="timed iterations per case (default 40)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="smoke run: 1,000 volunteers, 3 iterations")
    args = ap.parse_args(argv)
    scale = Scale()
    if args.quick:
        scale, args.iterations, args.warmup = QUICK, 3, 1
    load_before = loadavg()
    with throwaway_database(args.database_url, "recognition") as url:
        engine = make_engine(url)
        try:
            return run(engine, scale, args, load_before)
        finally:
            engine.dispose()


def run(engine, scale: Scale, args, load_before: str) -> int:
    factory = session_factory(engine)
    upgrade(engine)
    t0 = time.perf_counter()
    with factory() as s, s.begin():
        world = build_world(s, scale, seed=args.seed)
    counts = fill_ledger(factory, args.seed)
    t_data = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    cid = world.community_id
    rng = random.Random(args.seed + 1)
    with factory() as s:
        volunteers = s.scalars(select(Volunteer.id)).all()
        teams = s.scalars(select(VolunteerTeam.id).where(VolunteerTeam.community_id == cid)).all()
    now = datetime(2026, 11, 28, 2, 0)  # late November, Beijing morning

    cases = [
        ("(a) leaderboard, community", lambda s: recognition.leaderboard(s, cid, MONTH)),
        ("(b) leaderboard, one team", lambda s: recognition.leaderboard(s, cid, MONTH, team_id=rng.choice(teams))),
        ("(c) standing (/me)", lambda s: recognition.standing(s, rng.choice(volunteers), now)),
        ("(d) work_unit_report", lambda s: recognition.work_unit_report(s, cid, MONTH)),
    ]
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    t_run = time.perf_counter()
    with clock.use_clock(lambda: now):
        for i in range(args.warmup + args.iterations):
            for label, fn in cases:
                with factory() as s, s.begin():
                    s.connection()
                    t0 = time.perf_counter()
                    fn(s)
                    if i >= args.warmup:
                        times[label].append(time.perf_counter() - t0)
        summaries, written = [], 0
        for _ in range(max(1, args.iterations // 10)):
            with factory() as s:
                s.begin()
                s.connection()
                t0 = time.perf_counter()
                written = recognition.send_month_summaries(s, cid, MONTH.next().start(TZ) + timedelta(hours=1))
                summaries.append(time.perf_counter() - t0)
                s.rollback()
    t_run = time.perf_counter() - t_run

    naive = []
    failures = []
    for _ in range(max(1, args.iterations // 10)):
        with factory() as s, s.begin():
            s.connection()
            t0 = time.perf_counter()
            expected = naive_board(s, cid)
            naive.append(time.perf_counter() - t0)
    with factory() as s:
        got = recognition.leaderboard(s, cid, MONTH, limit=None)
        if [round(h, 2) for _, h in expected] != [line.hours for line in got.lines] or {v for v, _ in expected} != {
            line.volunteer_id for line in got.lines
        }:
            failures.append("the board differs from the naive ranking")

    print(f"bench/recognition.py  {time.strftime('%Y-%m-%d %H:%M:%S %z')}{'  (--quick)' if args.quick else ''}")
    for line in describe_machine(engine):
        print(line)
    print(f"load average (1/5/15 min): before {load_before}, after {loadavg()} (includes this run)")
    print(
        "community: "
        + ", ".join(f"{v:,} {k}" for k, v in {**world.counts, **counts}.items())
        + f"; {len(got.lines):,} on the November board"
    )
    print(f"setup: data {t_data:.1f} s; timed: {args.iterations} iterations per case, interleaved, {t_run:.1f} s")
    rows = [latency_row(label, times[label]) for label, _ in cases]
    rows.append(latency_row(f"(e) send_month_summaries ({written:,} messages)", summaries))
    rows.append(latency_row("baseline: naive month totals in Python", naive))
    print(table(LATENCY_HEADER, rows))
    print(f"correctness: board equals the naive ranking: {'yes' if not failures else 'NO'}")
    for failure in failures:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
