"""One rate limiter for everything the bot sends: Telegram's limits, in real (wall-clock) time.

Telegram asks for about 30 messages per second per bot and one per second per chat (a
short burst is tolerated), and answers 429 with `retry_after` when a bot goes faster. PTB's
AIORateLimiter limits the bot and groups only (nothing limits a private chat), and with
`max_retries=0` a 429 delays only the call that got it. So:

- `TelegramRateLimiter` is the Application's rate limiter (PTB's `BaseRateLimiter`): every
  call that sends to or edits in a chat, from the outbox sender or a handler's reply, waits
  for a slot in two GCRA buckets: the bot's (30/s, burst 30) and the chat's (1/s, burst 3).
- A 429 pauses the chat it names and the whole bot for `retry_after` real seconds (Telegram's
  flood control is per bot: going on with other chats only earns more 429s). The outbox
  sender records its own retry (bot/sender.py); a handler's reply is tried again after the
  pause (a 429 means Telegram did not take it).
- The buckets and pauses live in Redis when `REDIS_URL` is set, so every bot process (and
  any other sender) shares one budget per token; in process memory otherwise. Redis keeps
  the time itself (`TIME` inside the script): processes need not agree on their clocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Endpoints that put something into a chat (Telegram's per-chat and per-bot message limits).
LIMITED_PREFIXES = ("send", "edit", "copy", "forward")
SENDER = {"outbox": True}  # rate_limit_args of the outbox sender: it retries a 429 itself
REPLY_RETRIES = 3


@dataclass(frozen=True)
class Limits:
    bot_per_second: float = 30.0
    bot_burst: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3


def retry_after_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Limiter(Protocol):
    async def reserve(self, chat_id: int | None) -> float:
        """Take a slot and return 0, or return how many seconds to wait (nothing taken)."""

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        """Hold the chat and the whole bot for `seconds` (a 429)."""

    async def paused_for(self, chat_id: int | None) -> float:
        """Seconds until the chat (or the bot) may send again after a 429; 0 if not paused."""

    async def close(self) -> None: ...


async def acquire(limiter: Limiter, chat_id: int | None) -> float:
    """Wait for a slot; returns how long it waited (seconds)."""
    waited = 0.0
    while (wait := await limiter.reserve(chat_id)) > 0:
        await asyncio.sleep(wait)
        waited += wait
    return waited


class MemoryLimiter:
    """The limiter of one process (no Redis configured): GCRA on the monotonic clock."""

    def __init__(self, limits: Limits = Limits(), now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.now = now
        self._tat: dict[object, float] = {}  # theoretical arrival time per bucket
        self._paused: dict[object, float] = {}  # pause end per bucket

    def _need(self, key: object, interval: float, burst: int, now: float) -> tuple[float, float]:
        tat = max(self._tat.get(key, now), now)
        return tat, tat - now - interval * (burst - 1)

    async def reserve(self, chat_id: int | None) -> float:
        now, lim = self.now(), self.limits
        wait = max(self._paused.get("bot", 0) - now, self._paused.get(chat_id, 0) - now if chat_id else 0, 0)
        if wait > 0:
            return wait
        bot_interval = 1 / lim.bot_per_second
        bot_tat, bot_wait = self._need("bot", bot_interval, lim.bot_burst, now)
        chat_interval = 1 / lim.chat_per_second
        chat_tat, chat_wait = self._need(chat_id, chat_interval, lim.chat_burst, now) if chat_id else (0.0, 0.0)
        wait = max(bot_wait, chat_wait)
        if wait > 0:
            return wait
        self._tat["bot"] = bot_tat + bot_interval
        if chat_id:
            self._tat[chat_id] = chat_tat + chat_interval
        if len(self._tat) > 10_000:  # forget chats whose bucket is full again
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return 0.0

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        until = self.now() + seconds
        for key in ("bot", chat_id) if chat_id else ("bot",):
            self._paused[key] = max(self._paused.get(key, 0), until)

    async def paused_for(self, chat_id: int | None) -> float:
        now = self.now()
        return max(self._paused.get("bot", 0) - now, self._paused.get(chat_id, 0) - now if chat_id else 0, 0)

    async def close(self) -> None:
        pass


# KEYS: bot bucket, chat bucket, bot pause, chat pause. ARGV: bot interval ms, bot burst,
# chat interval ms, chat burst, has chat (1/0). Returns ms to wait (0: a slot was taken).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local has_chat = ARGV[5] == '1'
local wait = redis.call('PTTL', KEYS[3])
if has_chat then wait = math.max(wait, redis.call('PTTL', KEYS[4])) end
if wait > 0 then return wait end
local function need(key, interval, burst)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  return tat, tat - now - interval * (burst - 1)
end
local bi, ci = tonumber(ARGV[1]), tonumber(ARGV[3])
local btat, bwait = need(KEYS[1], bi, tonumber(ARGV[2]))
local ctat, cwait = 0, 0
if has_chat then ctat, cwait = need(KEYS[2], ci, tonumber(ARGV[4])) end
wait = math.max(bwait, cwait)
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], btat + bi, 'PX', math.ceil(btat + bi - now) + 1000)
if has_chat then redis.call('SET', KEYS[2], ctat + ci, 'PX', math.ceil(ctat + ci - now) + 1000) end
return 0
"""


class RedisLimiter:
    """The limiter shared by every process using the same Redis and key prefix."""

    def __init__(self, url: str, bot_id: int, limits: Limits = Limits(), prefix: str = "nuanxin:rl") -> None:
        import redis.asyncio as redis  # only when configured

        self.redis = redis.Redis.from_url(url)
        self.limits = limits
        self.base = f"{prefix}:{bot_id}"
        self._reserve = self.redis.register_script(_RESERVE)

    def _keys(self, chat_id: int | None) -> list[str]:
        chat = chat_id or 0
        return [f"{self.base}:bucket", f"{self.base}:chat:{chat}", f"{self.base}:pause", f"{self.base}:pause:{chat}"]

    async def reserve(self, chat_id: int | None) -> float:
        lim = self.limits
        ms = await self._reserve(
            keys=self._keys(chat_id),
            args=[
                1000 / lim.bot_per_second,
                lim.bot_burst,
                1000 / lim.chat_per_second,
                lim.chat_burst,
                int(bool(chat_id)),
            ],
        )
        return int(ms) / 1000

    async def pause(self, chat_id: int | None, seconds: float) -> None:
        ms = max(1, int(seconds * 1000))
        keys = self._keys(chat_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (keys[2], keys[3]) if chat_id else (keys[2],):
                # Never shorten a longer pause another process already set.
                pipe.set(key, 1, px=ms, nx=True)
                pipe.pexpire(key, ms, gt=True)
            await pipe.execute()

    async def paused_for(self, chat_id: int | None) -> float:
        keys = self._keys(chat_id)
        ttls = [await self.redis.pttl(keys[2])] + ([await self.redis.pttl(keys[3])] if chat_id else [])
        return max(0, *ttls) / 1000

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.redis.aclose()


def make_limiter(redis_url: str, bot_id: int, limits: Limits = Limits(), prefix: str = "nuanxin:rl") -> Limiter:
    if redis_url:
        log.info("rate limits shared through Redis (%s)", prefix)
        return RedisLimiter(redis_url, bot_id, limits, prefix)
    return MemoryLimiter(limits)


class TelegramRateLimiter(BaseRateLimiter[dict]):
    """PTB's hook for every Bot API call of the application's bot (see the module docstring)."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.limiter.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        limited = endpoint.lower().startswith(LIMITED_PREFIXES) and isinstance(chat_id, int)
        retries = 0 if rate_limit_args and rate_limit_args.get("outbox") else REPLY_RETRIES
        for attempt in range(retries + 1):
            if limited:
                await acquire(self.limiter, chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                log.warning("Telegram asked to wait %.1f s (%s to chat %s): pausing it", seconds, endpoint, chat_id)
                await self.limiter.pause(chat_id if limited else None, seconds)
                if attempt == retries:
                    raise
                if not limited:
                    await asyncio.sleep(seconds)
        raise AssertionError("unreachable")
