"""Fixtures for the web dashboard and the Open311 API: the test community from
tests/builders.py, an app on the test database, a signed-in staff client, an API key."""

import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")  # Starlette's TestClient on httpx 0.28

from fastapi.testclient import TestClient  # noqa: E402

from community import lifecycle  # noqa: E402
from community.actors import actor_for_person  # noqa: E402
from community.db import transaction  # noqa: E402
from community.models import Community, Person, RequestKind, Resident, Staff  # noqa: E402
from tests.builders import World, build_world  # noqa: E402
from web import auth  # noqa: E402
from web.app import create_app  # noqa: E402
from web.config import WebSettings  # noqa: E402

SETTINGS = WebSettings(web_secret_key="test-secret", web_env="test")


@dataclass
class Web:
    db: object
    world: World
    app: object
    settings: WebSettings

    def client(self) -> TestClient:
        return TestClient(self.app)

    def login_token(self, person_id: int | None = None) -> str:
        with transaction(self.db.factory) as s:
            person = s.get(Person, person_id or self.world.staff.person_id)
            return auth.create_login_token(s, person, self.settings)

    def staff_client(self, person_id: int | None = None) -> TestClient:
        client = self.client()
        response = client.post("/login", data={"token": self.login_token(person_id)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    def api_key(self, name: str = "12345热线") -> str:
        with transaction(self.db.factory) as s:
            person = s.get(Person, self.world.staff.person_id)
            return auth.create_api_key(s, person.community_id, name, person)

    def submit(
        self,
        resident: str,
        description: str,
        *,
        kind=RequestKind.SERVICE,
        category: str | None = "维修",
        item: str | None = None,
    ) -> int:
        with transaction(self.db.factory) as s:
            res = s.get(Resident, self.world.residents[resident].id)
            actor = actor_for_person(s, res.person)
            return lifecycle.submit(
                s, actor, lifecycle.NewRequest(kind=kind, description=description, category=category, item=item)
            ).id

    def staff_actor(self, s):
        return actor_for_person(s, s.get(Person, self.world.staff.person_id))


@pytest.fixture
def web(db) -> Web:
    with transaction(db.factory) as s:
        world = build_world(s)
    return Web(db, world, create_app(db.factory, SETTINGS), SETTINGS)


@pytest.fixture
def other_staff(web) -> int:
    """A staff member of a second community (person id)."""
    with transaction(web.db.factory) as s:
        c = Community(code="HHY", name="和和苑社区")
        s.add(c)
        s.flush()
        p = Person(community_id=c.id, name="钱主任", phone="13755556666")
        s.add(p)
        s.flush()
        s.add(Staff(person=p))
        s.flush()
        return p.id


@contextmanager
def live_server(factory):
    """The app under uvicorn on a free port in a thread, as a browser or an HTTP client
    elsewhere would reach it; yields the base URL and stops the server afterwards."""
    import uvicorn

    from tests.live import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(factory, SETTINGS), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
