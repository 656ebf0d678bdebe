"""The staff workbench under a real backlog: the request list and a request's page over
HTTP (the ASGI app in process, a signed-in staff session), on a synthetic community
(bench/synth.py) with a bulk-loaded history of requests.

Cases, interleaved iteration by iteration:

  (a) GET /requests?queue=unclaimed: page 1 in urgency order (red flags, oldest waiting
      first) with the counts on every tab, each row's allowed actions and the top
      candidates for its dispatch choice;
  (b) GET /requests?q=<last four digits>: the phone search;
  (c) GET /requests/<id>: one open request with its history and dispatch candidates;
  (d) queries.list_requests alone, in urgency order;
  baseline: queries.list_requests alone, newest first (the order the list had before).

    .venv/bin/python bench/web.py
    .venv/bin/python bench/web.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test
    .venv/bin/python bench/web.py --quick          # smoke run

Exits 1 if page 1 of 待接单 does not start with the oldest red-flagged request.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

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
from community import clock  # noqa: E402
from community.db import make_engine, session_factory, transaction, upgrade  # noqa: E402
from community.models import Person, Request, RequestKind, RequestState  # noqa: E402
from web import auth, queries  # noqa: E402
from web.app import create_app  # noqa: E402
from web.config import WebSettings  # noqa: E402
from web.scope import Scope  # noqa: E402

SETTINGS = WebSettings(web_secret_key="bench", web_env="bench")


def load_requests(session, world, n: int, rng: random.Random) -> tuple[int, int]:
    """n requests: 30 % open (a third of them published over a day ago: red flags), 5 %
    waiting for review, the rest closed. Returns (open count, oldest red-flagged id)."""
    now = clock.now()
    repair = world.categories["repair"]
    rows, open_count = [], 0
    for i in range(n):
        resident = rng.choice(world.residents)
        building = next(b for b in world.buildings if b.id == resident.building_id)
        age = timedelta(minutes=rng.randint(5, 60 * 24 * 60))
        roll = rng.random()
        state = RequestState.OPEN if roll < 0.30 else RequestState.SUBMITTED if roll < 0.35 else RequestState.CLOSED
        open_count += state == RequestState.OPEN
        submitted = now - age
        rows.append(
            {
                "community_id": world.community_id,
                "kind": RequestKind.WISH if state == RequestState.SUBMITTED else RequestKind.SERVICE,
                "state": state,
                "resident_id": resident.id,
                "description": f"第{i}号：厨房水管漏水，麻烦师傅来看看",
                "category_id": None if state == RequestState.SUBMITTED else repair,
                "address_text": f"{building.name}1单元101",
                "building_id": building.id,
                "grid_id": building.grid_id,
                "contact_phone": f"139{rng.randint(10_000_000, 99_999_999)}",
                "priority": 0,  # nothing urgent: the first row must be the oldest red flag
                "submitted_at": submitted,
                "published_at": None if state == RequestState.SUBMITTED else submitted,
                "closed_at": now if state == RequestState.CLOSED else None,
                "updated_at": submitted,
            }
        )
    session.execute(insert(Request), rows)
    cutoff = now - timedelta(hours=24)
    oldest_red = session.scalar(
        select(Request.id)
        .where(Request.state == RequestState.OPEN, Request.published_at < cutoff)
        .order_by(Request.published_at, Request.id)
        .limit(1)
    )
    return open_count, oldest_red


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=None, help="PostgreSQL server URL (a throwaway database is made)")
    ap.add_argument("--requests", type=int, default=20_000, help="requests in the history (default 20,000)")
    ap.add_argument("--iterations", type=int, default=100, help="timed iterations per case (default 100)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="smoke run: small community, 2,000 requests, 10 iterations")
    args = ap.parse_args(argv)
    scale = QUICK if args.quick else Scale()
    n_requests = 2_000 if args.quick else args.requests
    iterations, warmup = (10, 2) if args.quick else (args.iterations, args.warmup)
    rng = random.Random(1)

    with throwaway_database(args.database_url, "web") as url:
        engine = make_engine(url)
        started = time.perf_counter()
        upgrade(engine)
        factory = session_factory(engine)
        with transaction(factory) as s:
            world = build_world(s, scale)
            open_count, oldest_red = load_requests(s, world, n_requests, rng)
            token = auth.create_login_token(s, s.get(Person, world.staff_person_id), SETTINGS)
            sample_open = s.scalar(select(Request.id).where(Request.state == RequestState.OPEN).limit(1))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        setup = time.perf_counter() - started
        client = TestClient(create_app(factory, SETTINGS))
        assert client.post("/login", data={"token": token}, follow_redirects=False).status_code == 303
        scope = Scope(world.community_id)

        first_page = client.get("/requests?queue=unclaimed").text
        first_id = int(first_page.split('<tr data-id="', 1)[1].split('"', 1)[0])
        correct = first_id == oldest_red

        def list_only(sort: str, descending: bool):
            def run():
                with factory() as s:
                    queries.list_requests(
                        s,
                        scope,
                        queries.Filters(queue="unclaimed", sort=sort, descending=descending),
                        page=1,
                        page_size=50,
                    )

            return run

        digits = "5678"
        cases = {
            "(a) GET 待接单 page 1 (counts, actions, candidates)": lambda: client.get("/requests?queue=unclaimed"),
            "(b) GET phone search (last four digits)": lambda: client.get(f"/requests?q={digits}"),
            "(c) GET one open request's page": lambda: client.get(f"/requests/{sample_open}"),
            "(d) list query alone, urgency order": list_only("urgency", False),
            "baseline: list query alone, newest first": list_only("submitted", True),
        }
        timings: dict[str, list[float]] = {name: [] for name in cases}
        load_before = loadavg()
        for i in range(warmup + iterations):
            for name, call in cases.items():
                t0 = time.perf_counter()
                call()
                if i >= warmup:
                    timings[name].append(time.perf_counter() - t0)
        machine = describe_machine(engine)
        engine.dispose()

    print("\n".join(machine))
    print(f"load average before the timed runs: {load_before}; after: {loadavg()}")
    print(
        f"setup {setup:.1f} s: {len(world.buildings)} buildings, {world.counts.get('volunteers', '?')} volunteers, "
        f"{n_requests} requests ({open_count} open)"
    )
    print(f"timed: {iterations} iterations per case after {warmup} warm-up, interleaved\n")
    print(table(LATENCY_HEADER, [latency_row(name, values) for name, values in timings.items()]))
    print(
        f"\ncorrectness: page 1 of 待接单 starts with the oldest red-flagged request: {'yes' if correct else 'NO'}"
        f" (#{first_id}, expected #{oldest_red})"
    )
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
