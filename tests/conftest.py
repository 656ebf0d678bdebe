"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is taken from NUANXIN_TEST_PG_URL (default: the local server's `test` database).
Each test session creates its own throwaway database there and drops it afterwards. If the
server is unreachable the PostgreSQL half of each test is skipped with the reason, never
passed silently; set NUANXIN_REQUIRE_PG=1 (CI does) to turn that skip into a failure.
"""

import os
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from community import routing
from community.db import connection_problem, make_engine, session_factory
from community.models import Base
from tests.timing import SCALE

PG_ADMIN_URL = os.environ.get("NUANXIN_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")


@dataclass
class Database:
    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]


def _pg_unavailable_reason() -> str | None:
    problem = connection_problem(PG_ADMIN_URL)
    return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}" if problem else None


@pytest.fixture(scope="session")
def pg_database_url():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    reason = _pg_unavailable_reason()
    if reason:
        if os.environ.get("NUANXIN_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"nuanxin_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


# Whether the session's PostgreSQL database holds the models' schema as `db` left it. A test
# on `db_url` drops it (and may leave a migration's half of it), so the next `db` test makes
# it again instead of truncating tables that may not be there: any order of tests works,
# as xdist's is not the file order.
_pg_schema = {"ready": False}


def _reset_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_schema_url(pg_database_url) -> str:
    """The session's PostgreSQL database with the models' schema (made again after a test
    on `db_url` dropped it)."""
    if not _pg_schema["ready"]:
        _reset_schema(pg_database_url)
        engine = create_engine(pg_database_url)
        Base.metadata.create_all(engine)
        engine.dispose()
        _pg_schema["ready"] = True
    return pg_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database URL on each backend (no schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = request.getfixturevalue("pg_database_url")
    _pg_schema["ready"] = False
    _reset_schema(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> Database:
    """A database with the current schema and no rows, on each backend. The schema comes
    from the models; test_migrations proves the migrations produce the same one."""
    routing.invalidate_buildings()  # ids repeat from test to test
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
    else:
        url = request.getfixturevalue("pg_schema_url")
        engine = make_engine(url, pool_size=60, max_overflow=0)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield Database(request.param, url, engine, session_factory(engine))
    engine.dispose()


@pytest.fixture
def anyio_backend():
    return "asyncio"  # async tests (pytest.mark.anyio) run on asyncio, as PTB and rasa-sdk do


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory):
    """The real Rasa server and action server on one SQLite community, started once per
    test session (loading the model takes most of a minute); see tests/live.py."""
    from tests.live import live_stack

    with live_stack(tmp_path_factory.mktemp("rasa-live")) as stack:
        yield stack


# Fixtures that start something heavy once per scope (the Rasa server, Rasa's components in
# their own environment, the demo day's process stack). `make test` runs on three workers
# (pytest-xdist, --dist loadgroup): every test using one of these goes to the same worker,
# so it starts once per session instead of once per worker.
SHARED_FIXTURE_GROUPS = {
    "rasa_stack": "rasa_stack",
    "through_rasa": "rasa_components",
    "short_day": "demo_day",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    default_timeout = float(config.getini("timeout") or 0)
    for item in items:
        group = next((g for name, g in SHARED_FIXTURE_GROUPS.items() if name in item.fixturenames), None)
        if group and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
        # Hang guards grow with the machine's load (tests/timing.py); nothing here is timed.
        marker = item.get_closest_marker("timeout")
        limit = (marker.args[0] if marker.args else marker.kwargs.get("timeout")) if marker else default_timeout
        if limit:
            kwargs = {k: v for k, v in marker.kwargs.items() if k != "timeout"} if marker else {}
            item.add_marker(pytest.mark.timeout(float(limit) * SCALE, **kwargs), append=False)
