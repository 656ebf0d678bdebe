"""Only one process polls getUpdates per bot token.

Telegram hands each update to whichever getUpdates call asks first, and two pollers
acknowledge each other's updates away (a 409 Conflict on the real Bot API): two bot
processes on one token must not both poll. The poller holds a lease named after the token's
bot id:

- in Redis when `REDIS_URL` is set (`SET NX PX`, renewed with a compare-and-extend script);
- otherwise in the `leases` table of the project database (SQLite and PostgreSQL alike).
  Why not a PostgreSQL advisory lock: it lives and dies with one connection, silently, and
  a database blip (the fault suite cuts TCP for 15 s) would hand it to the other process
  while this one still polls. A lease with an expiry the holder can watch lets the holder
  stop before anyone else may start.

The holder renews every ttl/4 and stops polling if it could not renew while a quarter of
its lease was left (then waits to take it again). A second process logs once, clearly, that another
process (host, pid) polls for this bot and that it waits to take over; meanwhile it still
sends outbox rows and fires follow-ups (both claim rows, so two processes share them). A
lease held by a process on this host that no longer exists (kill -9) is taken at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from community.models import Lease
from community.outbox import wall_now

log = logging.getLogger(__name__)
HOST = socket.gethostname()[:60]


def holder_id(tag: str) -> str:
    """host:pid:tag — the host and pid let another process on this host see a dead holder."""
    return f"{HOST}:{os.getpid()}:{tag}"


def holder_is_dead(holder: str) -> bool:
    """True if `holder` names a process on this host that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != HOST or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A zombie (killed, not yet reaped by its parent) still answers kill(0).
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid_text}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    return False


class Store(Protocol):
    def try_take(self, name: str, holder: str, ttl: float) -> str | None:
        """Take or renew the lease; None on success, else the current holder."""

    def release(self, name: str, holder: str) -> None: ...


class DatabaseStore:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def try_take(self, name: str, holder: str, ttl: float) -> str | None:
        now = wall_now()
        until = now + timedelta(seconds=ttl)
        with self.factory() as s, s.begin():
            row = s.scalar(select(Lease).where(Lease.name == name).with_for_update())
            if row is None:
                try:
                    with s.begin_nested():
                        s.add(Lease(name=name, holder=holder, expires_at=until, acquired_at=now))
                    return None
                except IntegrityError:  # someone else inserted it just now
                    return "another process"
            if row.holder != holder and row.expires_at > now and not holder_is_dead(row.holder):
                return row.holder
            if row.holder != holder:
                row.acquired_at = now
            row.holder, row.expires_at = holder, until
            return None

    def release(self, name: str, holder: str) -> None:
        with self.factory() as s, s.begin():
            s.execute(update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=wall_now()))


_EXTEND = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or current == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1
end
return 0
"""


class RedisStore:
    def __init__(self, url: str, prefix: str = "nuanxin") -> None:
        import redis  # only when configured

        self.redis = redis.Redis.from_url(url, socket_timeout=5)
        self.prefix = prefix
        self._extend = self.redis.register_script(_EXTEND)

    def try_take(self, name: str, holder: str, ttl: float) -> str | None:
        key = f"{self.prefix}:lease:{name}"
        current = self.redis.get(key)
        current = current.decode() if current else ""
        dead = current if current and holder_is_dead(current) else ""
        if self._extend(keys=[key], args=[holder, int(ttl * 1000), dead or holder]):
            return None
        return self.redis.get(key).decode() if self.redis.get(key) else "another process"

    def release(self, name: str, holder: str) -> None:
        key = f"{self.prefix}:lease:{name}"
        if (self.redis.get(key) or b"").decode() == holder:
            self.redis.delete(key)


class PollLease:
    """The lease a process holds while it polls (see the module docstring)."""

    def __init__(self, store: Store, name: str, ttl: float = 20.0, holder: str | None = None) -> None:
        self.store = store
        self.name = name
        self.ttl = ttl
        self.holder = holder or holder_id(os.urandom(4).hex())
        self.held_until = 0.0  # loop time
        self.takeovers = 0

    async def _try(self) -> str | None:
        return await asyncio.to_thread(self.store.try_take, self.name, self.holder, self.ttl)

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait until this process holds the lease (False if `stop` was set first)."""
        loop = asyncio.get_running_loop()
        said = None
        while stop is None or not stop.is_set():
            started = loop.time()
            try:
                other = await self._try()
            except Exception as exc:  # noqa: BLE001 - the database or Redis is away: keep waiting
                other = f"unknown ({type(exc).__name__})"
            if other is None:
                self.held_until = started + self.ttl
                self.takeovers += 1
                log.info("poll lease %s: this process (%s) polls Telegram now", self.name, self.holder)
                return True
            if other != said:
                log.warning(
                    "poll lease %s: another bot process (%s) is polling Telegram for this token; this one "
                    "waits and takes over when that one stops (it still sends queued messages and fires follow-ups)",
                    self.name,
                    other,
                )
                said = other
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait() if stop else asyncio.sleep(self.ttl / 4), self.ttl / 4)
        return False

    async def keep(self, on_lost: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        """Renew every ttl/4; if it could not be renewed and a quarter of the lease is left,
        call `on_lost` (stop polling) before anyone else may take it."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.ttl / 4)
            if stop.is_set():
                return
            started = loop.time()
            try:
                other = await self._try()
            except Exception as exc:  # noqa: BLE001 - unreachable: judged by how much lease is left
                log.warning("poll lease %s: could not renew (%s)", self.name, type(exc).__name__)
                other = "" if loop.time() < self.held_until - self.ttl / 4 else "unknown"
            if other is None:
                self.held_until = started + self.ttl
            elif other:  # lost (another holder, or expired while unreachable): stop first
                log.warning("poll lease %s: lost (%s); this process stops polling", self.name, other)
                await on_lost()
                return

    def release(self) -> None:
        with contextlib.suppress(Exception):
            self.store.release(self.name, self.holder)
