"""The limiter's arithmetic (a burst of 3 per chat, then one a second; 30/s per bot; a 429
pauses chat and bot) on a clock moved by hand, in memory and in Redis (db 2, its own key
prefix); the getUpdates lease: one holder, a dead holder on this host replaced at once."""

import asyncio
import subprocess
import sys
import uuid

import pytest

from bot.poll_lease import DatabaseStore, PollLease, holder_id, holder_is_dead
from bot.ratelimit import Limits, MemoryLimiter, RedisLimiter

REDIS = "redis://127.0.0.1:6379/2"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_chat_gets_a_burst_of_3_then_one_a_second():
    clock = Clock()
    limiter = MemoryLimiter(Limits(), now=clock)
    run = asyncio.run
    assert [run(limiter.reserve(7)) for _ in range(3)] == [0, 0, 0]
    assert run(limiter.reserve(7)) == pytest.approx(1.0)
    assert run(limiter.reserve(8)) == 0  # another chat is not held
    clock.t += 1.0
    assert run(limiter.reserve(7)) == 0 and run(limiter.reserve(7)) == pytest.approx(1.0)


def test_the_bot_gets_30_a_second_and_a_429_pauses_chat_and_bot():
    clock = Clock()
    limiter = MemoryLimiter(Limits(), now=clock)
    run = asyncio.run
    assert all(run(limiter.reserve(chat)) == 0 for chat in range(30))
    assert run(limiter.reserve(99)) == pytest.approx(1 / 30)
    clock.t += 10
    run(limiter.pause(5, 4))
    assert run(limiter.reserve(6)) == pytest.approx(4) and run(limiter.paused_for(5)) == pytest.approx(4)
    clock.t += 4
    assert run(limiter.reserve(5)) == 0


def test_redis_limiter_shares_one_budget_between_processes():
    async def scenario():
        prefix = f"test-delivery:{uuid.uuid4().hex[:8]}"
        a, b = RedisLimiter(REDIS, 1, prefix=prefix), RedisLimiter(REDIS, 1, prefix=prefix)
        try:
            granted = [await x.reserve(7) for x in (a, b, a)]
            assert granted == [0, 0, 0]
            wait = await b.reserve(7)  # the fourth, from "another process": wait about a second
            assert 0.5 < wait <= 1.0
            await a.pause(9, 2.0)
            assert 1.0 < await b.paused_for(9) <= 2.0 and await b.reserve(10) > 1.0  # the bot is paused too
        finally:
            for x in (a, b):
                keys = [k async for k in x.redis.scan_iter(f"{prefix}:*")]
                if keys:
                    await x.redis.delete(*keys)
                await x.close()

    asyncio.run(scenario())


def test_one_poll_lease_holder_and_a_dead_one_is_replaced_at_once(db):
    store = DatabaseStore(db.factory)
    assert store.try_take("getupdates:1", "me", 20) is None
    assert store.try_take("getupdates:1", holder_id("other"), 20) == "me"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    corpse = f"{holder_id('x').split(':')[0]}:{dead.pid}:old"
    assert holder_is_dead(corpse)
    assert store.try_take("getupdates:2", corpse, 20) is None
    assert store.try_take("getupdates:2", "me", 20) is None  # the dead holder's lease is taken at once

    async def waits_then_takes_over():
        lease = PollLease(store, "getupdates:3", ttl=0.4, holder="second")
        store.try_take("getupdates:3", "first", 0.4)
        return await asyncio.wait_for(lease.acquire(), 10)  # first stops renewing: expired, taken

    assert asyncio.run(waits_then_takes_over())
