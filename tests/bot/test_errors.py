"""What the error handler counts as "the database is away" (retry) and what as a real error,
and that what it logs carries no SQL parameters, phone numbers or token."""

import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.errors import describe, is_database_outage


def statement_error(cls, orig):
    return cls("SELECT * FROM persons WHERE phone = ?", {"phone": "13912345678"}, orig)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (statement_error(OperationalError, sqlite3.OperationalError("database is locked")), True),
        (statement_error(OperationalError, psycopg.OperationalError("connection refused")), True),
        (statement_error(OperationalError, sqlite3.OperationalError("no such table: requests")), False),
        (statement_error(ProgrammingError, psycopg.ProgrammingError('relation "requests" does not exist')), False),
        (statement_error(IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (ValueError("bad"), False),
    ],
)
def test_outages_are_told_from_real_errors(error, outage):
    assert is_database_outage(error) is outage


def test_a_real_failure_from_a_live_database_is_described_without_private_data(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE persons (phone TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO persons VALUES ('13912345678')"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO persons VALUES (:p)"), {"p": "13912345678"})
    except IntegrityError as exc:
        logged = describe(exc, secret="123:SECRET")
    assert "Traceback" in logged and "IntegrityError" in logged
    assert "13912345678" not in logged and "123:SECRET" not in logged
