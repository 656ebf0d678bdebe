"""Engines, sessions, transactions, and schema upgrades on start.

SQLite is the embedded default. Its default (deferred) transaction takes the write lock only
at the first write, so two concurrent read-then-write transactions deadlock into "database
is locked". So a transaction that may write starts with BEGIN IMMEDIATE: writers queue on
the busy timeout, one at a time, which is what a claim race needs. A transaction that only
reads must not take that lock, or every reader queues behind every writer and WAL's
concurrent readers are never used. The rule, for ORM sessions:

- `with factory() as s, s.begin():` (and `transaction(factory)`, `engine.begin()`): a unit of
  work that may write: BEGIN IMMEDIATE.
- `with factory() as s:` without `begin()` (SQLAlchemy's autobegin): a read: a deferred
  BEGIN, which in WAL mode never waits for a writer. A write in such a session raises
  `ReadOnlySessionWrite` at once instead of racing for the lock (on SQLite; PostgreSQL has no
  such lock to take, and is unchanged).

The BEGIN is emitted lazily, before the transaction's first statement, because SQLAlchemy
begins a session's connection before the session says how the transaction was started.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin, sessionmaker

from community.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30

# connection.info keys of a SQLite connection whose transaction has begun but whose BEGIN has
# not been sent yet, and the BEGIN it will send.
_PENDING = "nuanxin_sqlite_begin_pending"
_MODE = "nuanxin_sqlite_begin_mode"
_DEFERRED = "BEGIN"
_IMMEDIATE = "BEGIN IMMEDIATE"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class ReadOnlySessionWrite(RuntimeError):
    """A session begun without `session.begin()` (a read) tried to write on SQLite."""


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.info[_PENDING] = True
        conn.info[_MODE] = _IMMEDIATE  # unless an ORM session says it only reads (_on_session_begin)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(
        conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
    ) -> None:
        info = conn.info
        if info.get(_PENDING):
            info[_PENDING] = False
            conn.connection.dbapi_connection.execute(info[_MODE])
        if info.get(_MODE) == _DEFERRED and statement.lstrip()[:7].upper().startswith(_WRITES):
            raise ReadOnlySessionWrite(
                "a write in a session begun without session.begin(); write inside `with factory() as s, s.begin():`"
            )

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: Any) -> None:
        conn.info.pop(_PENDING, None)
        conn.info.pop(_MODE, None)

    return engine


@event.listens_for(Session, "after_begin")
def _on_session_begin(_session: Session, transaction: SessionTransaction, connection: Any) -> None:
    """A session that autobegan (no `session.begin()`) reads: its SQLite BEGIN is deferred."""
    if not connection.info.get(_PENDING):
        return  # not SQLite, or the BEGIN is already out (a nested transaction)
    root = transaction
    while root.parent is not None:
        root = root.parent
    if root.origin is SessionTransactionOrigin.AUTOBEGIN:
        connection.info[_MODE] = _DEFERRED


def connection_problem(url: str) -> str | None:
    """None if the database at `url` answers, else a one-line reason (for clear messages
    and for skipping database tests with the reason shown)."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3} if url.startswith("postgresql") else {})
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (run on every start)."""
    command.upgrade(alembic_config(engine), "head")
