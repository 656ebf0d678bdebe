"""What saving conversations costs per update: the bot records each update on receipt
(bot/inbox.py) and, after handling it, commits the conversation state it produced together
with "handled" (bot/persistence.py, bot/concurrency.py). Measured here directly, per update,
against a baseline from the same run: one empty write transaction on the same database.

  .venv/bin/python bench/checkpoint.py                 # SQLite file in /tmp
  .venv/bin/python bench/checkpoint.py --pg URL        # also PostgreSQL (a scratch database)
  .venv/bin/python bench/checkpoint.py --quick
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from telegram import Bot, Update

from bot.inbox import Inbox
from bot.persistence import DatabasePersistence
from community.db import make_engine, session_factory, upgrade


def update(bot: Bot, i: int) -> Update:
    chat = {"id": 500_000 + i % 50, "type": "private"}
    sender = {"id": chat["id"], "is_bot": False, "first_name": "居民"}
    message = {"message_id": i, "date": 0, "text": f"3号楼2单元50{i % 10}", "chat": chat, "from": sender}
    return Update.de_json({"update_id": i, "message": message}, bot)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    at = lambda p: ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]  # noqa: E731
    return f"p50 {at(50):.2f}  p95 {at(95):.2f}  p99 {at(99):.2f} ms"


def measure(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    bot = Bot("1:BENCH")
    inbox, persistence = Inbox(factory, bot_id=1), DatabasePersistence(factory)

    def empty_transaction() -> None:
        with factory() as s, s.begin():
            s.execute(select(1))

    async def run() -> tuple[list[float], list[float], list[float]]:
        baseline, record, checkpoint = [], [], []
        for i in range(1, n + 1):  # each as the bot does it: in a worker thread, from the event loop
            u = update(bot, i)
            started = time.perf_counter()
            await asyncio.to_thread(empty_transaction)
            baseline.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            await inbox.receive((u,), None)
            record.append((time.perf_counter() - started) * 1000)

            draft = {"category_id": 3, "description": "厨房水管漏水", "address": u.message.text, "at": 0.0}
            started = time.perf_counter()
            await persistence.update_user_data(u.message.from_user.id, {"draft:resident_order": draft})
            await persistence.update_conversation("resident_order", (u.message.chat.id,) * 2, "phone")
            await asyncio.to_thread(persistence.commit, lambda s, u=u: inbox.mark_handled(s, u))
            checkpoint.append((time.perf_counter() - started) * 1000)
        return baseline, record, checkpoint

    baseline, record, checkpoint = asyncio.run(run())
    print(f"{make_url(url).get_backend_name()}, {n} updates, one at a time:")
    print(f"  baseline: an empty write transaction   {percentiles(baseline)}")
    print(f"  record on receipt (inbox)              {percentiles(record)}")
    print(f"  save state + mark handled (one commit) {percentiles(checkpoint)}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--pg", help="a PostgreSQL URL; a scratch database is created there and dropped")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 50 if args.quick else args.updates
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/bench.db", n)
    if args.pg:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        name = f"nuanxin_bench_{int(time.time())}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            measure(make_url(args.pg).set(database=name).render_as_string(hide_password=False), n)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
