"""Two real Rasa servers on the shipped endpoints.cluster.yml (one PostgreSQL tracker store,
the Redis lock store) and one action server, as `RASA_SERVERS=2 make run` starts them:

- a conversation started on one server continues on the other (the tracker is shared);
- two messages of one resident sent to the two servers at the same moment are processed one
  after the other, never at once, and land in the one conversation in that order;
- the control: two residents' messages sent the same way ARE processed at the same time (the
  servers really work in parallel, and the action log would show an overlap if there was one).

The action server is the real one with each action call held for a moment and logged
(tests/slow_action_server.py), so "processing" is visible from outside Rasa: a Rasa server
calls actions only while it holds the conversation's lock.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass

import httpx
import pytest

from actions import texts
from community import clock
from community.db import make_engine, session_factory, upgrade
from community.models import Person, Resident
from tests.builders import build_world
from tests.live import LiveCluster, daytime_clock, live_rasa_cluster
from tests.test_rasa_live import Chat
from tests.timing import scaled

pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("rasa_stack")]  # with the other live Rasa tests

HOLD = scaled(0.5)  # each action call waits this long: a turn lasts a few seconds


@dataclass
class Cluster:
    live: LiveCluster
    senders: list[int]  # residents with consent, phone and nothing else going on


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_database_url):  # pg_database_url: skipped (with the reason) without PostgreSQL
    workdir = tmp_path_factory.mktemp("rasa-cluster")
    url = f"sqlite:///{workdir / 'cluster.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    base = 770_000 + uuid.uuid4().int % 10_000 * 10
    with factory() as s, s.begin():
        world = build_world(s)
        for i in range(6):
            person = Person(community_id=world.community.id, name=f"居民{i}", telegram_id=base + i, phone="13900000000")
            s.add(Resident(person=person, consent_at=clock.now()))
    day = daytime_clock()
    try:
        with live_rasa_cluster(url, workdir, day, servers=2, action_delay=HOLD) as live:
            yield Cluster(live, [base + i for i in range(6)])
    finally:
        engine.dispose()


def action_calls(live: LiveCluster, sender: int) -> list[dict]:
    lines = live.action_log.read_text(encoding="utf-8").splitlines() if live.action_log.exists() else []
    return [c for c in map(json.loads, lines) if c["sender"] == str(sender)]


def busy(calls: list[dict], text: str) -> tuple[float, float]:
    """From the first action call for `text` starting to the last one ending."""
    mine = [c for c in calls if c["text"] == text]
    assert mine, f"no action was called for {text!r}: {calls}"
    return min(c["start"] for c in mine), max(c["end"] for c in mine)


async def send_together(messages: list[tuple[str, int, str]]) -> list[list[dict]]:
    """POST each (server, sender, text) at the same moment; Rasa's replies to each."""
    async with httpx.AsyncClient(timeout=scaled(120)) as client:
        responses = await asyncio.gather(
            *(
                client.post(f"{url}/webhooks/rest/webhook", json={"sender": str(sender), "message": text})
                for url, sender, text in messages
            )
        )
    for r in responses:
        r.raise_for_status()
    return [r.json() for r in responses]


def tracker_events(url: str, sender: int) -> list[dict]:
    return httpx.get(f"{url}/conversations/{sender}/tracker", timeout=scaled(30)).json()["events"]


def test_a_conversation_started_on_one_server_continues_on_the_other(cluster):
    a, b = cluster.live.rasa_urls
    sender = cluster.senders[0]
    on_a, on_b = Chat(a, sender), Chat(b, sender)
    on_a.say("我想预约理发")
    assert "几号楼" in on_a.text or "什么时间" in on_a.text  # server A asks the first question
    on_b.replies = on_a.replies  # B answers what A asked
    summary = on_b.answer_until_read_back("2号楼1单元201")  # server B carries on with A's form
    assert "理发" in summary and on_b.button(texts.BUTTON_CONFIRM)
    assert on_a.slots()["address"] == "2号楼1单元201"  # and A sees what B filled in


def test_one_residents_two_messages_at_once_on_two_servers_are_processed_one_after_the_other(cluster):
    live = cluster.live
    a, b = live.rasa_urls
    sender = cluster.senders[1]
    first, second = "我家厨房水管漏水了想找人来修", "我想许个心愿"
    replies = asyncio.run(send_together([(a, sender, first), (b, sender, second)]))
    assert all(replies), f"a server said nothing: {replies}"

    calls = action_calls(live, sender)
    spans = sorted([busy(calls, first), busy(calls, second)])
    assert spans[0][1] <= spans[1][0], f"the two servers processed the conversation at once: {spans}"

    # Both turns are in the one conversation, whole and in the order they were processed:
    # everything of the earlier turn was written before the later one started its actions,
    # and the later turn's actions come after its message.
    events = tracker_events(b, sender)
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    earlier, later = sorted([first, second], key=lambda t: busy(calls, t))
    assert [events[i]["text"] for i in users] == [earlier, later]
    later_start = busy(calls, later)[0]
    assert all(e["timestamp"] <= later_start for e in events[users[0] : users[1]])
    assert all(e["timestamp"] >= later_start for e in events[users[1] :] if e["event"] == "action")


def test_control_two_residents_at_once_are_processed_at_the_same_time(cluster):
    live = cluster.live
    a, b = live.rasa_urls
    one, two = cluster.senders[2], cluster.senders[3]
    text = "我家厨房水管漏水了想找人来修"
    asyncio.run(send_together([(a, one, text), (b, two, text)]))
    (start_1, end_1), (start_2, end_2) = busy(action_calls(live, one), text), busy(action_calls(live, two), text)
    assert start_1 < end_2 and start_2 < end_1, "different conversations should not wait for each other"
