"""Exactly once, through the real bot process (`python -m sim.emulated_bot`, the application
`python -m bot` runs) and the Bot API emulator behind a fault-injecting proxy
(tests/faults/botapi_proxy.py), on SQLite and PostgreSQL:

- kill -9 the bot again and again while it sends: nothing lost, at most one duplicate per kill;
- 429s, 5xx, timeouts after Telegram accepted, connection resets: nothing lost, a duplicate
  only where Telegram had accepted a call whose answer never came;
- two bot processes on one database: every notification, follow-up and digest once; one
  polls, the other says why it waits and takes over when the first dies;
- one chat: after a burst of at most 3, at most one message a second, and a 429 honoured
  for its retry_after in wall-clock seconds.

Assertions are on counts and on lower bounds of time (a loaded machine only makes gaps
longer), never on speed. (A database cut for 15 s: tests/bot/test_resilience.py.)"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, upgrade
from community.lifecycle import NewRequest
from community.models import (
    FollowUp,
    FollowUpStatus,
    Offer,
    OutboxMessage,
    OutboxStatus,
    Person,
    RequestKind,
    Volunteer,
)
from sim.emulated_bot import READY_LINE
from tests.bot.live_bot import ROOT, BotProcess, bot_env, scaled
from tests.builders import build_world
from tests.faults.botapi_proxy import FaultProxy, Faults
from tests.live import daytime_clock

NOTICE = "通知"
WAITING_LINE = "another bot process"


@pytest.fixture
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


@pytest.fixture
def world_db(db_url, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        world = build_world(s)
        community_id = world.community.id
    yield factory, community_id
    engine.dispose()


def queue_notices(factory, community_id: int, chats: int, per_chat: int, first_chat: int = 7_000_000) -> int:
    """`chats` people with Telegram, `per_chat` notices each ("通知 <chat>-<n>"), all due now."""
    with factory() as s, s.begin():
        people = [Person(community_id=community_id, name=f"居民{i}", telegram_id=first_chat + i) for i in range(chats)]
        s.add_all(people)
        s.flush()
        s.add_all(
            OutboxMessage(
                person_id=p.id,
                chat_id=p.telegram_id,
                kind="test",
                text=f"{NOTICE} {p.telegram_id}-{n}",
                created_at=clock.now(),
            )
            for n in range(per_chat)
            for p in people
        )
    return chats * per_chat


def status_counts(factory) -> Counter:
    with factory() as s:
        return Counter(dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def wait_until(predicate, what: str, timeout: float = 120.0, interval: float = 0.05):
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries(proxy: FaultProxy) -> Counter:
    return Counter(a.text for a in proxy.accepted if a.method == "sendMessage" and a.text.startswith(NOTICE))


def settled(factory, total: int) -> bool:
    counts = status_counts(factory)
    return counts[OutboxStatus.SENT] + counts[OutboxStatus.FAILED] >= total and not counts[OutboxStatus.SENDING]


def nothing_left(factory) -> bool:
    counts = status_counts(factory)
    return not counts[OutboxStatus.PENDING] and not counts[OutboxStatus.SENDING]


def claimed_requests_due_a_nudge(factory, descriptions: list[str]) -> list[int]:
    """王奶奶's requests, each claimed by a volunteer it was offered to, each with its due-time
    nudge due a minute ago; the nudges' ids. (What submitting and claiming queued is sent too.)"""
    with factory() as s, s.begin():
        resident = s.scalar(select(Person).where(Person.name == "王奶奶"))
        for description in descriptions:
            new = NewRequest(kind=RequestKind.SERVICE, description=description, category="维修")
            request_id = lifecycle.submit(s, actor_for_person(s, resident), new).id
            offered = s.scalars(select(Offer).where(Offer.request_id == request_id)).first()
            lifecycle.claim(s, actor_for_person(s, s.get(Volunteer, offered.volunteer_id).person), request_id)
        nudges = s.scalars(select(FollowUp).where(FollowUp.kind == "nudge_volunteer")).all()
        for n in nudges:
            n.due_at = clock.now() - timedelta(minutes=1)
        assert len(nudges) == len(descriptions)
        return [n.id for n in nudges]


class Spawned(BotProcess):
    """A bot process started without waiting for it to poll (a second poller waits)."""

    def spawn(self) -> Spawned:
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} ---\n".encode())
        self._mark = self.log.stat().st_size
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "sim.emulated_bot"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        return self

    @property
    def polling(self) -> bool:
        return READY_LINE in self.output(since_start=True)

    @property
    def waiting(self) -> bool:
        return WAITING_LINE in self.output(since_start=True)


# --- kill -9 while sending ---------------------------------------------------------------------


@pytest.mark.timeout(400)
def test_kill_9_again_and_again_while_sending_loses_nothing_and_doubles_at_most_one_per_kill(
    world_db, emulator, tmp_path, day, db_url
):
    factory, community_id = world_db
    total = queue_notices(factory, community_id, chats=50, per_chat=4)
    rng = random.Random(13)
    with FaultProxy(emulator.url) as proxy:
        bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, TELEGRAM_BASE_URL=proxy.base_url))
        bot.start()
        kills = 0
        try:
            while kills < 8 and sum(deliveries(proxy).values()) < total - 20:
                target = sum(deliveries(proxy).values()) + 20
                wait_until(lambda t=target: sum(deliveries(proxy).values()) >= t, f"{target} notices through the proxy")
                time.sleep(rng.uniform(0, 0.15))  # anywhere in a send: before, during, after recording
                bot.kill9()
                kills += 1
                bot.start()
            wait_until(lambda: settled(factory, total), "every notice sent")
        finally:
            bot.stop()
    got = deliveries(proxy)
    lost = total - len(got)
    duplicates = sum(n - 1 for n in got.values())
    print(f"kill -9 x{kills}: {total} notices, {lost} lost, {duplicates} duplicates")
    assert kills >= 6
    assert lost == 0 and status_counts(factory)[OutboxStatus.SENT] == total
    assert duplicates <= kills


# --- Telegram misbehaving ------------------------------------------------------------------------


@pytest.mark.timeout(400)
def test_429_5xx_timeouts_and_resets_lose_nothing_and_double_only_what_timed_out_after_acceptance(
    world_db, emulator, tmp_path, day, db_url
):
    factory, community_id = world_db
    total = queue_notices(factory, community_id, chats=40, per_chat=3)
    plan = Faults(rate_429=0.08, retry_after=1, rate_5xx=0.08, rate_timeout=0.04, rate_reset=0.08, hold_seconds=6)
    with FaultProxy(emulator.url, plan=plan) as proxy:
        env = bot_env(db_url, emulator, day=day, TELEGRAM_BASE_URL=proxy.base_url)
        with BotProcess(tmp_path, env):
            wait_until(lambda: settled(factory, total), "every notice sent", timeout=240)
        got = deliveries(proxy)
        injected = Counter(i.kind for i in proxy.injected)
    lost = total - len(got)
    duplicates = sum(n - 1 for n in got.values())
    print(f"faults {dict(injected)} on {proxy.calls} calls: {lost} lost, {duplicates} duplicates")
    assert sum(injected.values()) >= 15  # the faults really happened
    assert lost == 0 and status_counts(factory)[OutboxStatus.SENT] == total
    assert duplicates <= injected["timeout"]  # only a call Telegram took and never answered


# --- two bots on one database --------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.timeout(400)
async def test_two_bot_processes_on_one_database_send_everything_once_and_one_polls(
    world_db, emulator, tmp_path, day, db_url
):
    factory, community_id = world_db
    total = queue_notices(factory, community_id, chats=60, per_chat=2)
    nudged = claimed_requests_due_a_nudge(factory, ["门锁坏了", "水管漏水", "灯泡不亮", "窗户关不上"])
    with factory() as s, s.begin():  # this morning's digest, due a minute ago
        s.add(
            FollowUp(
                community_id=community_id,
                kind="digest",
                due_at=clock.now() - timedelta(minutes=1),
                created_at=clock.now(),
            )
        )
    with FaultProxy(emulator.url) as proxy:
        env = bot_env(db_url, emulator, day=day, TELEGRAM_BASE_URL=proxy.base_url, POLL_LEASE_SECONDS="6")
        first, second = Spawned(tmp_path, env, "bot-a"), Spawned(tmp_path, env, "bot-b")
        try:
            first.spawn(), second.spawn()  # both at once
            wait_until(lambda: (first.polling or second.polling) and (first.waiting or second.waiting), "one polling")
            poller, standby = (first, second) if first.polling else (second, first)
            assert not standby.polling
            assert "waits and takes over" in standby.output()

            def digest_fired():
                with factory() as s:
                    done = s.scalar(
                        select(func.count()).where(FollowUp.kind == "digest", FollowUp.status == FollowUpStatus.DONE)
                    )
                    return done and s.scalar(select(func.count()).where(OutboxMessage.kind == "digest"))

            digest_recipients = wait_until(digest_fired, "the digest fired")
            wait_until(lambda: settled(factory, total + digest_recipients), "every notice and digest sent")

            def nudges_fired():
                with factory() as s:
                    done = FollowUp.kind == "nudge_volunteer", FollowUp.status == FollowUpStatus.DONE
                    return s.scalar(select(func.count()).where(*done)) == len(nudged)

            wait_until(nudges_fired, "the nudges fired")
            wait_until(lambda: nothing_left(factory), "every row sent")
            with factory() as s:
                digests = s.scalars(select(FollowUp).where(FollowUp.kind == "digest")).all()
                senders = set(s.scalars(select(OutboxMessage.claimed_by).where(OutboxMessage.kind == "test")))
                digest_rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
            assert sorted(d.status for d in digests) == [FollowUpStatus.DONE, FollowUpStatus.PENDING]
            assert len(digest_rows) == digest_recipients > 0  # fired once: one digest per recipient
            assert Counter(r.person_id for r in digest_rows).most_common(1)[0][1] == 1
            got = deliveries(proxy)
            assert len(got) == total and set(got.values()) == {1}  # 0 lost, 0 duplicates
            with factory() as s:  # each follow-up fired once: one nudge each, delivered once
                nudges = s.scalars(select(FollowUp).where(FollowUp.kind == "nudge_volunteer")).all()
                nudge_rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge_volunteer")).all()
            assert {n.id: n.status for n in nudges} == dict.fromkeys(nudged, FollowUpStatus.DONE)
            assert sorted(r.request_id for r in nudge_rows) == sorted(n.request_id for n in nudges)
            nudge_sends = Counter(a.text for a in proxy.accepted if a.method == "sendMessage" and "办结时间" in a.text)
            assert sorted(nudge_sends.values()) == [1] * len(nudged), nudge_sends
            print(f"two bots: {total} notices once each, sent by {len(senders)} processes")

            # The poller dies: the other one takes over and answers.
            poller.kill9()
            wait_until(lambda: standby.polling, "the standby to take over polling", timeout=60)
            async with emulator.client(timeout=scaled(30)) as client:
                from sim.emulator import User

                newcomer = User(id=8_100_001, first_name="新来的")
                await client.send_command(newcomer, newcomer.id, "/start")
                await client.wait_for(newcomer.id, lambda m: bool(m.text))
        finally:
            first.stop()
            second.stop()


# --- one chat's pace -----------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("clock_speed", ["1", "600"])  # the demo runs a fast domain clock
@pytest.mark.timeout(300)
def test_one_chat_gets_a_burst_of_3_then_one_message_a_second_and_a_429_is_waited_out(
    world_db, emulator, tmp_path, day, db_url, clock_speed
):
    """Pace and retry_after are wall-clock seconds whatever the domain clock's speed (at ×600,
    22 messages take about 4 domain hours: 10:00 to 14:00, clear of quiet hours)."""
    factory, community_id = world_db
    total = queue_notices(factory, community_id, chats=1, per_chat=22)
    plan = Faults(retry_after=3, script={8: "429"})  # the 8th message gets "retry after 3"
    with FaultProxy(emulator.url, plan=plan) as proxy:
        env = bot_env(db_url, emulator, day=day, TELEGRAM_BASE_URL=proxy.base_url, NUANXIN_CLOCK_SPEED=clock_speed)
        with BotProcess(tmp_path, env):
            wait_until(lambda: settled(factory, total), "22 messages to one chat", timeout=180)
    times = [a.at for a in proxy.accepted if a.text.startswith(NOTICE)]
    assert len(times) == total
    order = [a.text for a in proxy.accepted if a.text.startswith(NOTICE)]
    assert order == [f"{NOTICE} 7000000-{n}" for n in range(total)]  # in order, once each
    # In any stretch of L seconds at most 3 + L messages (a burst of 3, then 1/s), timed when
    # each call reached the proxy. The limiter spaces its reservations exactly; the way from
    # there to the proxy (the bot's event loop, HTTP) jitters by a few ms idle and more on a
    # loaded machine, so 50 ms of slack, scaled with the load. (No limiter: 22 in ~1 s.)
    slack = scaled(0.05)
    margins = [3 + (times[j] - times[i]) - (j - i + 1) for i in range(len(times)) for j in range(i + 1, len(times))]
    assert min(margins) >= -slack, (min(margins), slack)
    limited = next(x for x in proxy.injected if x.kind == "429")
    after = [t for t in times if t > limited.at]
    assert after and after[0] - limited.at >= 3 - slack  # retry_after, in wall-clock seconds
    print(f"one chat: {total} messages in {times[-1] - times[0]:.1f} s, tightest margin {min(margins) * 1000:.0f} ms")
