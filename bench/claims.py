"""Claim throughput and latency with 50 concurrent claimers.

Three modes, each after one untimed warm-up round (which also fills the connection pool):

  contended: N rounds; each round a resident submits a fresh service request (lifecycle.submit,
             which publishes it and offers it), then 50 threads released by a barrier race to
             claim it. Exactly one must win; the other 49 must get AlreadyClaimed.
  distinct:  N rounds; each round 50 fresh requests, and each of the 50 threads claims its own
             one (no row contention). All 50 must win.
  sequential (reference): the distinct rounds' claims made one after another in one thread,
             i.e. the cost of a claim without any concurrency.

A claim attempt is what the bot does on a 接单 button: its own session and transaction,
actor_for_telegram, lifecycle.claim, commit (or rollback on a domain error). Its latency is
measured from the barrier's release to the end of the transaction. Throughput is attempts
(and successful claims) divided by the summed wall time of the rounds, barrier to last
thread done; submitting requests is not timed.

    .venv/bin/python bench/claims.py
    .venv/bin/python bench/claims.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test
    .venv/bin/python bench/claims.py --quick          # smoke run: 2 rounds per mode, 10 claimers

Exits 1 on any correctness failure (not exactly one winner, an unexpected error, state or
load counters that do not add up).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.synth import (  # noqa: E402
    LATENCY_HEADER,
    Scale,
    World,
    build_world,
    describe_machine,
    latency_row,
    loadavg,
    table,
    throwaway_database,
)
from community import lifecycle  # noqa: E402
from community.actors import SYSTEM, actor_for_person, actor_for_telegram  # noqa: E402
from community.db import make_engine, session_factory, upgrade  # noqa: E402
from community.errors import AlreadyClaimed  # noqa: E402
from community.lifecycle import NewRequest  # noqa: E402
from community.models import Event, Person, Request, RequestKind, RequestState, Volunteer, team_members  # noqa: E402

BACKGROUND = Scale(grids=5, buildings_per_grid=20, volunteers=1_000, residents_per_building=1)


class Failure(Exception):
    pass


@dataclass(frozen=True)
class Claimer:
    person_id: int
    telegram_id: int
    volunteer_id: int


@dataclass(frozen=True)
class Attempt:
    claimer: Claimer
    request_id: int
    error: Exception | None
    seconds: float


def add_claimers(session, world: World, n: int) -> list[Claimer]:
    """n volunteers of the first grid's repair team, with no practical load limit so
    every round can be won by anyone."""
    grid = world.grid_ids[0]
    building = next(b for b in world.buildings if b.grid_id == grid)
    tgs = world.take_telegram_ids(n)
    people = list(
        session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [
                {
                    "community_id": world.community_id,
                    "name": f"抢单志愿者{i:02d}",
                    "telegram_id": tg,
                    "phone": "13800000000",
                }
                for i, tg in enumerate(tgs)
            ],
        )
    )
    vols = list(
        session.scalars(
            insert(Volunteer).returning(Volunteer.id, sort_by_parameter_order=True),
            [
                {"person_id": p, "grid_id": grid, "building_id": building.id, "max_load": 1_000_000, "available": True}
                for p in people
            ],
        )
    )
    session.execute(
        insert(team_members), [{"team_id": world.repair_team_by_grid[grid], "volunteer_id": v} for v in vols]
    )
    return [Claimer(p, tg, v) for p, tg, v in zip(people, tgs, vols, strict=False)]


class Bench:
    def __init__(self, factory, world: World, claimers: list[Claimer]) -> None:
        self.factory = factory
        self.world = world
        self.claimers = claimers
        self.resident = world.residents[0]  # lives in the first grid, like the claimers
        self.pool = ThreadPoolExecutor(max_workers=len(claimers))
        self.submitted = 0
        self.won = 0

    def submit(self, n: int) -> list[int]:
        with self.factory() as s, s.begin():
            actor = actor_for_person(s, s.get(Person, self.resident.person_id))
            ids = []
            for _ in range(n):
                self.submitted += 1
                ids.append(
                    lifecycle.submit(
                        s,
                        actor,
                        NewRequest(
                            kind=RequestKind.SERVICE,
                            description=f"第{self.submitted}单：厨房水管漏水，麻烦师傅来看看",
                            category="维修",
                        ),
                    ).id
                )
                # Widened, as after two hours unclaimed: every grid volunteer may claim it.
                lifecycle.escalate(s, SYSTEM, ids[-1], 1, 2)
            return ids

    def attempt(self, barrier: threading.Barrier | None, claimer: Claimer, request_id: int) -> Attempt:
        if barrier is not None:
            barrier.wait()
        t0 = time.perf_counter()
        error = None
        try:
            with self.factory() as s, s.begin():
                lifecycle.claim(s, actor_for_telegram(s, claimer.telegram_id), request_id)
        except Exception as exc:  # noqa: BLE001 - judged by the caller; unexpected ones fail the run
            error = exc
        return Attempt(claimer, request_id, error, time.perf_counter() - t0)

    def race(self, calls: list[tuple[Claimer, int]]) -> tuple[list[Attempt], float]:
        barrier = threading.Barrier(len(calls) + 1)
        futures = [self.pool.submit(self.attempt, barrier, c, r) for c, r in calls]
        barrier.wait()
        t0 = time.perf_counter()
        attempts = [f.result() for f in futures]
        return attempts, time.perf_counter() - t0

    def contended_round(self) -> tuple[list[Attempt], float]:
        (rid,) = self.submit(1)
        attempts, wall = self.race([(c, rid) for c in self.claimers])
        winners = [a for a in attempts if a.error is None]
        wrong = [a for a in attempts if a.error is not None and not isinstance(a.error, AlreadyClaimed)]
        if wrong:
            raise Failure(
                f"request {rid}: unexpected errors: " + "; ".join(sorted({repr(a.error)[:200] for a in wrong}))
            )
        if len(winners) != 1:
            raise Failure(f"request {rid}: {len(winners)} winners, expected exactly 1")
        self.won += 1
        with self.factory() as s:
            req = s.get(Request, rid)
            claims = s.scalar(
                select(func.count()).select_from(Event).where(Event.request_id == rid, Event.action == "claim")
            )
            if req.state != RequestState.CLAIMED or req.volunteer_id != winners[0].claimer.volunteer_id or claims != 1:
                raise Failure(
                    f"request {rid}: state {req.state}, volunteer {req.volunteer_id}, {claims} claim events; "
                    f"winner was volunteer {winners[0].claimer.volunteer_id}"
                )
        return attempts, wall

    def distinct_round(self) -> tuple[list[Attempt], float]:
        rids = self.submit(len(self.claimers))
        attempts, wall = self.race(list(zip(self.claimers, rids, strict=False)))
        failed = [a for a in attempts if a.error is not None]
        if failed:
            raise Failure(
                f"distinct requests: {len(failed)} claims failed: "
                + "; ".join(sorted({repr(a.error)[:200] for a in failed}))
            )
        self.won += len(attempts)
        with self.factory() as s:
            got = dict(s.execute(select(Request.id, Request.volunteer_id).where(Request.id.in_(rids))).all())
            want = {r: c.volunteer_id for c, r in zip(self.claimers, rids, strict=False)}
            if got != want:
                raise Failure("distinct requests: requests not claimed by their claimers")
        return attempts, wall

    def sequential_round(self) -> tuple[list[Attempt], float]:
        """Reference: the same claims as a distinct round, one after another in one thread."""
        rids = self.submit(len(self.claimers))
        t0 = time.perf_counter()
        attempts = [self.attempt(None, c, r) for c, r in zip(self.claimers, rids, strict=False)]
        wall = time.perf_counter() - t0
        failed = [a for a in attempts if a.error is not None]
        if failed:
            raise Failure(
                f"sequential claims: {len(failed)} failed: " + "; ".join(sorted({repr(a.error)[:200] for a in failed}))
            )
        self.won += len(attempts)
        return attempts, wall

    def check_loads(self) -> None:
        with self.factory() as s:
            total = s.scalar(
                select(func.sum(Volunteer.active_load)).where(Volunteer.id.in_([c.volunteer_id for c in self.claimers]))
            )
        if total != self.won:
            raise Failure(f"claimers' active_load sums to {total}, but {self.won} claims were won")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--database-url",
        help="PostgreSQL server URL (a throwaway database is created there and "
        "dropped), or a new SQLite file URL; default: a SQLite file under /tmp",
    )
    ap.add_argument("--rounds", type=int, help="timed rounds per mode (default 40; --quick: 2)")
    ap.add_argument("--claimers", type=int, help="concurrent claimers (default 50; --quick: 10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 rounds per mode, 10 claimers")
    args = ap.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 40)
    args.claimers = args.claimers or (10 if args.quick else 50)

    load_before = loadavg()
    with throwaway_database(args.database_url, "claims") as url:
        # One connection per claimer plus a few for the main thread (>= 55 for 50 claimers).
        engine = make_engine(url, pool_size=args.claimers + 5, max_overflow=0)
        bench = None
        try:
            factory = session_factory(engine)
            upgrade(engine)
            t0 = time.perf_counter()
            with factory() as s, s.begin():
                world = build_world(s, BACKGROUND, seed=args.seed)
                claimers = add_claimers(s, world, args.claimers)
            t_setup = time.perf_counter() - t0
            bench = Bench(factory, world, claimers)
            results = {}
            try:
                for mode, round_fn in (
                    ("contended", bench.contended_round),
                    ("distinct", bench.distinct_round),
                    ("sequential", bench.sequential_round),
                ):
                    round_fn()  # warm-up
                    attempts, wall = [], 0.0
                    for _ in range(args.rounds):
                        a, w = round_fn()
                        attempts += a
                        wall += w
                    results[mode] = (attempts, wall)
                bench.check_loads()
            except Failure as exc:
                print(f"CORRECTNESS FAILURE ({engine.dialect.name}): {exc}", file=sys.stderr)
                return 1
            report(engine, args, world, t_setup, results, load_before)
            return 0
        finally:
            if bench:
                bench.pool.shutdown()
            engine.dispose()


def report(engine, args, world: World, t_setup: float, results, load_before: str) -> None:
    print(f"bench/claims.py  {time.strftime('%Y-%m-%d %H:%M:%S %z')}{'  (--quick)' if args.quick else ''}")
    for line in describe_machine(engine):
        print(line)
    print(f"load average (1/5/15 min): before {load_before}, after {loadavg()} (includes this run's own threads)")
    print(
        f"community: {world.counts['volunteers']:,} volunteers + {args.claimers} claimers; setup {t_setup:.2f} s; "
        f"engine pool_size={args.claimers + 5}; {args.rounds} timed rounds per mode after 1 warm-up round"
    )
    print()
    rows = []
    for mode, (attempts, wall) in results.items():
        won = sum(a.error is None for a in attempts)
        rows.append(
            [
                mode,
                str(args.rounds),
                str(len(attempts)),
                str(won),
                f"{wall:.2f}",
                f"{len(attempts) / wall:.0f}",
                f"{won / wall:.1f}",
            ]
        )
    print(table(["mode", "rounds", "attempts", "won", "wall s", "attempts/s", "claims/s"], rows))
    print()
    contended, _ = results["contended"]
    distinct, _ = results["distinct"]
    sequential, _ = results["sequential"]
    print(
        table(
            LATENCY_HEADER,
            [
                latency_row(
                    f"contended: claim attempt ({args.claimers} racing for 1 request)", [a.seconds for a in contended]
                ),
                latency_row("contended: the winning attempt", [a.seconds for a in contended if a.error is None]),
                latency_row(
                    f"distinct: claim attempt ({args.claimers} claimers, own request each)",
                    [a.seconds for a in distinct],
                ),
                latency_row("sequential: one claim at a time (reference)", [a.seconds for a in sequential]),
            ],
        )
    )
    print()
    print(
        f"correctness: exactly one winner in each of {args.rounds + 1} contended rounds (the rest AlreadyClaimed), "
        f"all {args.claimers} won in each distinct round, active_load totals match"
    )


if __name__ == "__main__":
    sys.exit(main())
