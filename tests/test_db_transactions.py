"""community/db.py's transaction modes: readers never queue behind a writer (SQLite WAL),
writers still take the write lock at BEGIN, and a write in a read session is refused on
SQLite rather than racing for the lock. Both backends."""

import threading

import pytest
from sqlalchemy import select, update

from community.db import ReadOnlySessionWrite
from community.models import Community


def _community(db) -> int:
    with db.factory() as s, s.begin():
        c = Community(code="T", name="旧名", timezone="Asia/Shanghai")
        s.add(c)
        s.flush()
        return c.id


def test_a_reader_is_not_blocked_by_an_open_write_transaction(db):
    cid = _community(db)
    writer = db.factory()
    writer.begin()
    writer.execute(update(Community).where(Community.id == cid).values(name="新名"))  # holds the write lock
    try:
        # Before: every SQLite session began with BEGIN IMMEDIATE, so this read waited on the
        # writer for the 30 s busy timeout and failed with "database is locked".
        with db.factory() as reader:
            assert reader.scalar(select(Community.name).where(Community.id == cid)) == "旧名"
    finally:
        writer.commit()
        writer.close()
    with db.factory() as reader:
        assert reader.scalar(select(Community.name).where(Community.id == cid)) == "新名"


def test_writers_still_serialise_on_the_write_lock(db):
    """Two read-then-write transactions (the claim pattern) on two threads: with the write lock
    taken at BEGIN, the second starts only after the first commits, so no update is lost and
    neither fails with "database is locked"."""
    cid = _community(db)
    with db.factory() as s, s.begin():
        s.execute(update(Community).where(Community.id == cid).values(name="0"))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def bump():
        try:
            start.wait(timeout=30)
            for _ in range(10):
                with db.factory() as s, s.begin():
                    row = s.scalar(select(Community).where(Community.id == cid).with_for_update())
                    row.name = str(int(row.name) + 1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with db.factory() as s:
        assert s.scalar(select(Community.name).where(Community.id == cid)) == "80"


def test_a_write_in_a_read_session_is_refused_on_sqlite(db):
    cid = _community(db)
    with db.factory() as s:
        s.scalar(select(Community.name).where(Community.id == cid))
        if db.backend == "sqlite":
            with pytest.raises(ReadOnlySessionWrite):
                s.execute(update(Community).where(Community.id == cid).values(name="偷偷改"))
        else:  # PostgreSQL has no lock to race for: the write runs, and is rolled back uncommitted
            s.execute(update(Community).where(Community.id == cid).values(name="偷偷改"))
    with db.factory() as s:
        assert s.scalar(select(Community.name).where(Community.id == cid)) == "旧名"
