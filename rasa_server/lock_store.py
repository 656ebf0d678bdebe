"""Rasa's Redis ticket lock, with every change of a lock atomic across servers.

Rasa 3.6's `RedisLockStore` keeps one JSON ticket queue per conversation and changes it by
GET, change in Python, SET. Two Rasa servers that take a ticket for the same conversation in
the same instant (a resident's two messages reaching two servers together) can both read
"no lock", both issue ticket 0, both write it, and both process the conversation at once; a
server finishing its turn can likewise overwrite a ticket another server just took, or delete
the lock under it (that server then fails with LockError). Here each read-modify-write runs
in a Redis transaction (WATCH the key, MULTI/EXEC, again on a conflict), so tickets are
issued once each and in order. Keys, values and settings are Rasa's own, so servers with
this class and with `type: redis` read each other's locks (but mixing them keeps the race).

Rasa builds it from endpoints.cluster.yml (`lock_store: type: rasa_server.lock_store.
AtomicRedisLockStore`, then url/port/db/password/key_prefix as for `type: redis`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

log = logging.getLogger(__name__)
T = TypeVar("T")
Change = Callable[[TicketLock | None], tuple[TicketLock | None, T]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        if not kwargs.get("password"):  # REDIS_PASSWORD="" in the environment: no password
            kwargs["password"] = None
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        """Read the lock, apply `change` (returns the lock to store, None to delete it, and a
        result), write it back; all again if another server changed the key meanwhile."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as e:  # as RedisLockStore: the caller sees a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this ticket, and the lock if nobody else holds a ticket: one step, so a
        ticket issued in between is never deleted with it."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
