"""Several Rasa servers behind one bot (RASA_URL with several URLs), fakes behind
httpx.MockTransport: each resident always goes to the same server (by a hash of their
Telegram id), residents spread over all servers, and when a server cannot be reached its
residents are served by the next one; a server that times out is not retried elsewhere
(it may be processing the message), the resident gets the guided order."""

import asyncio
import json
from datetime import datetime

import httpx
import pytest

from bot import texts as bot_texts
from bot.app import build_application
from bot.config import BotSettings
from bot.rasa import RasaRelay
from community import clock
from community.models import Person, Resident
from tests.bot.fake_telegram import FakeRequest
from tests.bot.updates import text
from tests.builders import build_world

RESIDENTS = [900_000 + i for i in range(24)]


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):
        yield


@pytest.fixture
def residents(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        for tid in RESIDENTS:
            person = Person(community_id=world.community.id, name=f"居民{tid}", telegram_id=tid, phone="13900000000")
            s.add(Resident(person=person, consent_at=clock.now()))
    return RESIDENTS


class Servers:
    """Fake Rasa servers rasa-a.test, rasa-b.test, …: `down` refuse connections, `slow` time out."""

    def __init__(self) -> None:
        self.hits: dict[str, list[str]] = {}
        self.down: set[str] = set()
        self.slow: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host.split(".")[0]
        if name in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content)
        self.hits.setdefault(name, []).append(body["sender"])
        if name in self.slow:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": f"{name}:{body['message']}"}])


def talk(db, servers: Servers, urls: str, messages: list[tuple[int, str]]) -> FakeRequest:
    relay = RasaRelay(db.factory, urls, transport=httpx.MockTransport(servers))
    request = FakeRequest()
    app = build_application(
        BotSettings(telegram_bot_token="1:T", rasa_url=""), db.factory, request=request, relay=relay
    )

    async def go():
        await app.initialize()
        for who, said in messages:
            await app.process_update(text(app, who, said))
        await app.shutdown()

    asyncio.run(go())
    return request


def answers(request: FakeRequest, chat_id: int) -> list[str]:
    return [p["text"] for m, p in request.calls if m == "sendMessage" and p["chat_id"] == chat_id]


URLS = "http://rasa-a.test,http://rasa-b.test"


def test_each_resident_sticks_to_one_server_and_residents_spread_over_both(db, residents):
    servers = Servers()
    request = talk(db, servers, URLS, [(who, f"第{i}句") for i in range(3) for who in residents])
    home = {}
    for name, senders in servers.hits.items():
        for sender in senders:
            assert home.setdefault(sender, name) == name  # never two servers for one resident
    assert set(home) == {str(r) for r in residents}
    assert set(servers.hits) == {"rasa-a", "rasa-b"}
    assert min(len(v) for v in servers.hits.values()) >= 3 * 4  # both take a fair share (hash: 24 ids)
    for who in residents:
        assert answers(request, who) == [f"{home[str(who)]}:第{i}句" for i in range(3)]


def test_when_a_server_is_down_its_residents_go_to_the_next(db, residents):
    servers = Servers()
    servers.down.add("rasa-a")
    request = talk(db, servers, URLS, [(who, "你好") for who in residents])
    assert set(servers.hits) == {"rasa-b"} and len(servers.hits["rasa-b"]) == len(residents)
    for who in residents:
        assert answers(request, who) == ["rasa-b:你好"]  # every one answered by Rasa, once


def test_a_server_that_times_out_is_not_retried_elsewhere(db, residents):
    servers = Servers()
    servers.slow.add("rasa-a")
    request = talk(db, servers, URLS, [(who, "你好") for who in residents])
    on_a = {int(s) for s in servers.hits["rasa-a"]}
    assert on_a and not on_a & {int(s) for s in servers.hits.get("rasa-b", [])}  # sent once, to one server
    for who in on_a:
        assert answers(request, who)[0] == bot_texts.RES_FALLBACK  # the guided order instead
