"""Bot benchmark through the local Bot API emulator (telegram-test-api under node).

1. Bot-side handling latency: 50 residents write at once; for each update, the time the
   bot spends handling it minus the time spent waiting on HTTP (the Bot API and Rasa),
   i.e. our own code and database work. Rasa is switched off: the guided menu answers.
2. Outbox delivery rate: N notifications to 50 chats drained by the real sender through
   PTB's AIORateLimiter, against Telegram's ~30 messages/s limit.
3. With --rasa: the real Rasa server(s) (trained model) and action server, on the product's
   defaults (the bot's Rasa timeout 10 s). N residents each order a service in one sentence
   and confirm the read-back, all at once; a resident Rasa did not answer in time falls to
   the guided menu (counted). Per turn: the
   time from the resident's message to the bot's answer arriving in their chat (through the
   emulator, so it includes Telegram-side polling), the time the bot waited for Rasa, and
   the bot's own handling time (excluding the Bot API and Rasa).

  .venv/bin/python bench/bot.py            # SQLite file in /tmp
  .venv/bin/python bench/bot.py --rasa     # also 3. (needs make model; Rasa loads ~1 min)
  .venv/bin/python bench/bot.py --rasa --only-rasa --rasa-servers 1,2 --rasa-residents 1,10,50
      # 3. alone: 1, 10, 50 residents at once with 1 Rasa server, then with 2 (PostgreSQL
      # tracker store + Redis lock store, endpoints.cluster.yml), in one run
  .venv/bin/python bench/bot.py --quick    # smoke run
"""

import argparse
import asyncio
import contextvars
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.app import build_application
from bot.config import BotSettings
from community import clock
from community.db import make_engine, session_factory, upgrade
from community.models import Community, OutboxMessage, Person, Request, Resident
from sim.emulator import EmulatorRequest, EmulatorServer, User, polling
from tests.builders import build_world

RESIDENTS = 50
FELL = "智能助手暂时不在线"  # bot.texts.RES_FALLBACK: Rasa did not answer in time, the guided menu did
_http_time = contextvars.ContextVar("http_time", default=None)


class TimedRequest(EmulatorRequest):
    """Adds the time spent in each Bot API call to the current update's HTTP account."""

    async def do_request(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await super().do_request(*args, **kwargs)
        finally:
            account = _http_time.get()
            if account is not None:
                account[0] += time.perf_counter() - started


def time_updates(app) -> list[float]:
    """Record, per update, the bot's handling time minus its time waiting on HTTP (ms)."""
    latencies: list[float] = []
    original = app.process_update

    async def timed_process(update):
        account = [0.0]
        token = _http_time.set(account)
        started = time.perf_counter()
        try:
            await original(update)
        finally:
            latencies.append((time.perf_counter() - started - account[0]) * 1000)
            _http_time.reset(token)

    app.process_update = timed_process
    return latencies


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def setup(url: str, residents: int):
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(insert(Community), [{"id": 1, "code": "B", "name": "基准社区", "timezone": "Asia/Shanghai"}])
        c.execute(
            insert(Person),
            [
                {
                    "id": i + 1,
                    "community_id": 1,
                    "name": f"居民{i}",
                    "telegram_id": 500_000 + i,
                    "phone": "13900000000",
                    "created_at": clock.now(),
                }
                for i in range(residents)
            ],
        )
        c.execute(
            insert(Resident), [{"id": i + 1, "person_id": i + 1, "consent_at": clock.now()} for i in range(residents)]
        )
    return engine, session_factory(engine)


async def handling_latency(server: EmulatorServer, factory, messages_each: int) -> list[float]:
    settings = BotSettings(
        telegram_bot_token=server.token, telegram_base_url=server.base_url, rasa_url="", outbox_idle_seconds=0.05
    )
    app = build_application(settings, factory, request=TimedRequest())
    latencies = time_updates(app)
    client = server.client(timeout=60)
    users = [User(id=500_000 + i, first_name=f"居民{i}") for i in range(RESIDENTS)]
    async with polling(app):
        for round_ in range(messages_each):
            await asyncio.gather(*(client.send_text(u, u.id, f"家里水管漏水了 第{round_}次") for u in users))
        expected = RESIDENTS * messages_each
        await client.until(lambda: _enough(latencies, expected), timeout=120, what="all updates handled")
    return latencies


async def rasa_turns(
    server: EmulatorServer, factory, rasa_url: str, action_url: str, users: list[User]
) -> dict[str, list[float]]:
    """Each resident: one sentence -> read-back (turn 1), press 确认提交 -> 已收到 (turn 2), all
    at once, on the product's defaults (RASA_TIMEOUT_SECONDS 10). A resident whose message Rasa
    did not answer in time gets the guided menu (RES_FALLBACK): counted in "fell", and their
    conversation ends there."""
    settings = BotSettings(
        telegram_bot_token=server.token,
        telegram_base_url=server.base_url,
        rasa_url=rasa_url,
        action_server_url=action_url,  # the bot waits for it (and Rasa) before it relays to Rasa
        outbox_idle_seconds=0.05,
    )
    app = build_application(settings, factory, request=TimedRequest())
    figures: dict[str, list] = {"turn": [], "rasa": [], "bot": time_updates(app), "fell": []}
    relay = app.bot_data.get("relay")
    for rasa_client in relay.clients:
        post = rasa_client.post

        async def timed_post(*args, _post=post, **kwargs):  # waiting for Rasa is HTTP, reported apart
            started = time.perf_counter()
            try:
                return await _post(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                figures["rasa"].append(spent * 1000)
                account = _http_time.get()
                if account is not None:
                    account[0] += spent

        rasa_client.post = timed_post
    client = server.client(timeout=300, poll_interval=0.05)

    def answered(m) -> bool:
        return bool(m.buttons) or "电话" in m.text or FELL in m.text

    async def converse(u: User) -> None:
        started = time.perf_counter()
        await client.send_text(u, u.id, f"{1 + u.id % 5}号楼1单元{101 + u.id % 3}厨房水管漏水了 明天上午9点来修一下")
        while True:  # answer a question the sentence left open (a time, say) with its first button
            summary = await client.wait_for(u.id, answered)
            figures["turn"].append((time.perf_counter() - started) * 1000)
            if FELL in summary.text:
                figures["fell"].append(u.id)
                return
            if "确认提交" in summary.button_texts:
                break
            started = time.perf_counter()
            await client.press(u, u.id, summary.callback_data[0], summary.message_id)
        data = summary.callback_data[summary.button_texts.index("确认提交")]
        started = time.perf_counter()
        await client.press(u, u.id, data, summary.message_id)
        done = await client.wait_for(u.id, lambda m: "已收到" in m.text or FELL in m.text)
        figures["turn"].append((time.perf_counter() - started) * 1000)
        if FELL in done.text:
            figures["fell"].append(u.id)

    async with polling(app):
        await app.post_init(app)
        try:
            await asyncio.gather(*(converse(u) for u in users))
        finally:
            await app.post_shutdown(app)
    return figures


async def _enough(latencies, expected):
    return len(latencies) >= expected


async def delivery_rate(server: EmulatorServer, factory, count: int) -> tuple[float, int]:
    settings = BotSettings(
        telegram_bot_token=server.token, telegram_base_url=server.base_url, rasa_url="", outbox_idle_seconds=0.05
    )
    with factory() as s, s.begin():
        s.execute(
            insert(OutboxMessage),
            [
                {
                    "person_id": (i % RESIDENTS) + 1,
                    "chat_id": 500_000 + (i % RESIDENTS),
                    "kind": "bench",
                    "text": f"通知 {i}",
                    "status": "pending",
                    "urgent": False,
                    "attempts": 0,
                    "created_at": clock.now(),
                }
                for i in range(count)
            ],
        )
    app = build_application(settings, factory, request=EmulatorRequest())
    async with polling(app):
        started = time.perf_counter()
        await app.post_init(app)
        try:
            while True:
                with factory() as s:
                    left = s.scalar(
                        select(func.count()).where(OutboxMessage.kind == "bench", OutboxMessage.status == "pending")
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            await app.post_shutdown(app)
    with factory() as s:
        sent = s.scalar(select(func.count()).where(OutboxMessage.kind == "bench", OutboxMessage.status == "sent"))
    return count / elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages-each", type=int, default=4, help="messages per resident")
    parser.add_argument("--notifications", type=int, default=600)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rasa", action="store_true", help="also measure turns through the real Rasa")
    parser.add_argument(
        "--rasa-servers", default="1", help="with --rasa: numbers of Rasa servers to compare, e.g. 1,2 (default 1)"
    )
    parser.add_argument(
        "--rasa-residents", default="50", help="with --rasa: residents writing at once, e.g. 1,10,50 (default 50)"
    )
    parser.add_argument("--only-rasa", action="store_true", help="skip 1. and 2.")
    args = parser.parse_args()
    if args.only_rasa:
        ok = rasa_bench(_numbers(args.rasa_servers), _numbers(args.rasa_residents))
        sys.exit(0 if ok else "FAILED: a resident who was answered did not submit")
    if args.quick:
        args.messages_each, args.notifications = 1, 60
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):  # 10:00 Shanghai: no quiet hours
        engine, factory = setup(f"sqlite:///{tempfile.mkdtemp()}/bot.db", RESIDENTS)
        with EmulatorServer() as server:
            latencies = asyncio.run(handling_latency(server, factory, args.messages_each))
        print(
            f"bot-side handling of {len(latencies)} updates from {RESIDENTS} residents at once (ms, excluding HTTP): "
            f"p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 95):.1f}  "
            f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}"
        )
        with EmulatorServer() as server:
            rate, sent = asyncio.run(delivery_rate(server, factory, args.notifications))
        print(
            f"outbox delivery: {sent}/{args.notifications} sent at {rate:.1f} messages/s "
            f"(Telegram's limit ~30/s; AIORateLimiter enforces it)"
        )
        engine.dispose()
    ok = rasa_bench(_numbers(args.rasa_servers), _numbers(args.rasa_residents)) if args.rasa else True
    if sent != args.notifications:
        sys.exit("FAILED: not every notification was delivered exactly once")
    if not ok:
        sys.exit("FAILED: a resident who was answered did not submit")


def _numbers(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def rasa_bench(servers_list: list[int], residents_list: list[int]) -> bool:
    """Turns through the real Rasa at each number of residents writing at once, with each
    number of Rasa servers in turn (1: the product's single server on endpoints.yml; more:
    endpoints.cluster.yml, a PostgreSQL tracker store and the Redis lock store), every case in
    the same run. True if every resident who did not fall to the guided menu submitted."""
    from tests.live import daytime_clock, live_rasa, live_rasa_cluster  # the live tests' launcher

    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir}/bot-rasa.db"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    warmup = 4
    per_config = warmup + sum(residents_list)
    with factory() as s, s.begin():
        world = build_world(s)
        for i in range(per_config * len(servers_list)):
            s.add(
                Resident(
                    person=Person(
                        community_id=world.community.id, name=f"居民{i}", telegram_id=500_000 + i, phone="13900000000"
                    ),
                    consent_at=clock.now(),
                )
            )
    day = daytime_clock()
    ok = True
    rows = []
    for c, servers in enumerate(servers_list):
        ids = iter(range(500_000 + c * per_config, 500_000 + (c + 1) * per_config))
        started = time.perf_counter()
        stack = live_rasa(url, workdir, day) if servers == 1 else live_rasa_cluster(url, workdir, day, servers=servers)
        with clock.use_clock(day), stack as rasa, EmulatorServer() as server:
            urls = rasa.rasa_url if servers == 1 else ",".join(rasa.rasa_urls)
            print(
                f"{servers} Rasa server(s) ready in {time.perf_counter() - started:.0f} s (load {load()})", flush=True
            )
            for _ in range(warmup):  # one by one, not counted: the first turns of a fresh server are slower
                warm = asyncio.run(
                    rasa_turns(server, factory, urls, rasa.action_url, [User(id=next(ids), first_name="预热")])
                )
                assert not warm["fell"], "a warm-up resident fell to the guided menu: is Rasa ready?"
            for n in residents_list:
                users = [User(id=next(ids), first_name=f"居民{k}") for k in range(n)]
                before = load()
                figures = asyncio.run(rasa_turns(server, factory, urls, rasa.action_url, users))
                after = load()
                with factory() as s:
                    submitted = s.scalar(
                        select(func.count(Request.id))
                        .join(Resident, Request.resident_id == Resident.id)
                        .join(Person, Resident.person_id == Person.id)
                        .where(Person.telegram_id.in_([u.id for u in users]))
                    )
                nan = [float("nan")]  # a case where nobody reached Rasa still prints
                turns, waits, own = figures["turn"] or nan, figures["rasa"] or nan, figures["bot"] or nan
                fell = figures["fell"]
                rows.append((servers, n, turns, waits, own, fell, submitted, before, after))
                print(
                    f"{servers} Rasa server(s), {n} residents at once, {len(turns)} turns (ms): end to end p50 "
                    f"{statistics.median(turns):.0f}  p95 {percentile(turns, 95):.0f}  max {max(turns):.0f}; "
                    f"waiting for Rasa p50 {statistics.median(waits):.0f}  p95 {percentile(waits, 95):.0f}; "
                    f"bot-side p50 {statistics.median(own):.1f}  p95 {percentile(own, 95):.1f}; "
                    f"fell to the guided menu {len(set(fell))}/{n}; submitted {submitted}/{n}; "
                    f"load 1/5/15 min before {before}, after {after}",
                    flush=True,
                )
                ok = ok and submitted == n - len(set(fell))
    engine.dispose()
    print()
    print(
        "| Rasa servers | residents at once | turns | end to end p50 / p95 / max ms | waiting for Rasa p50 / p95 ms | fell to the guided menu | submitted | load before → after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for servers, n, turns, waits, _own, fell, submitted, before, after in rows:
        print(
            f"| {servers} | {n} | {len(turns)} | {statistics.median(turns):.0f} / {percentile(turns, 95):.0f} / "
            f"{max(turns):.0f} | {statistics.median(waits):.0f} / {percentile(waits, 95):.0f} | {len(set(fell))} | "
            f"{submitted} | {before} → {after} |"
        )
    return ok


if __name__ == "__main__":
    main()
