"""rasa_server.lock_store.AtomicRedisLockStore (endpoints.cluster.yml's lock store), run in
Rasa's own environment against the Redis at 127.0.0.1:6379: two Rasa servers taking a ticket
for one conversation in the same instant get different tickets, and a server finishing its
turn never drops another's ticket. The same interleavings with Rasa's own `type: redis`
store (RedisLockStore) give both servers ticket 0: the reason the class exists."""

import json
import subprocess
import uuid

import pytest

from tests.live import RASA, ROOT
from tests.timing import scaled

# Server A reads the lock, then server B takes a ticket, then A writes: the window Rasa's
# GET-then-SET leaves open. `between` runs inside A's change (after its read, before its write).
SCRIPT = r"""
import json, sys
from rasa.core.lock_store import RedisLockStore
from rasa_server.lock_store import AtomicRedisLockStore

prefix = sys.argv[1]
out = {}
for cls in (RedisLockStore, AtomicRedisLockStore):
    name = cls.__name__
    a, b = (cls(host="127.0.0.1", port=6379, db=1, key_prefix=prefix + name) for _ in range(2))
    if cls is RedisLockStore:
        lock = a.get_or_create_lock("c1")          # A reads
        ticket_b = b.issue_ticket("c1")            # B takes a ticket
        ticket_a = lock.issue_ticket(60); a.save_lock(lock)   # A writes
    else:
        change = a._change
        def interleaved(cid, fn, _done=[]):
            def wrapped(lock):
                if not _done:
                    _done.append(b.issue_ticket(cid))   # B takes a ticket between A's read and write
                return fn(lock)
            return change(cid, wrapped)
        a._change = interleaved
        ticket_a = a.issue_ticket("c1")
        ticket_b = interleaved.__defaults__[0][0]
        a._change = change
    # A finishes while B waits: B's ticket must survive A's clean-up.
    a.cleanup("c1", ticket_a)
    left = b.get_lock("c1")
    out[name] = {"a": ticket_a, "b": ticket_b, "b_still_waiting": bool(left and left.tickets)}
    b.cleanup("c1", ticket_b)
print(json.dumps(out))
"""


def test_two_servers_get_different_tickets_for_one_conversation():
    if not RASA.exists():
        pytest.fail(f"no Rasa at {RASA}: run `make rasa-env`", pytrace=False)
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [str(RASA.parent / "python"), "-c", SCRIPT, prefix],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    atomic = result["AtomicRedisLockStore"]
    assert atomic["a"] != atomic["b"] and {atomic["a"], atomic["b"]} == {0, 1}
    assert atomic["b_still_waiting"]
    stock = result["RedisLockStore"]
    assert stock["a"] == stock["b"] == 0  # Rasa's own store: both servers would process at once
