"""The shortened demo day, end to end: the real processes (honcho: Rasa and the action server
when the dialogue model is ready, the bot; the Bot API emulator), scripted Telegram users,
an accelerated clock through the night. Checked from the database afterwards."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from community.db import make_engine, session_factory
from community.models import Event, FollowUp, OutboxMessage, Person, Request
from community.stats import compute_stats
from sim import day
from sim.demo import DAY, DemoOptions, run_demo
from sim.stack import ROOT, RUN_MARK
from tests.timing import scaled


@pytest.fixture(autouse=True, scope="module")
def emulator_installed():
    # `make test` installs it first: missing means a broken setup, a failure, never a skip.
    if not (ROOT / "node_modules" / "telegram-test-api").is_dir():
        pytest.fail("the Bot API emulator is not installed: run `make emulator`", pytrace=False)


def _pids_with_env(needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle.encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def short_day(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("day")
    options = DemoOptions(
        workdir=workdir,
        stories=day.short_day(9),
        chart=workdir / "day.png",
        quiet=True,
        fixed_ports=False,
        speed=240,
        night_speed=3600,
        end_local=DAY + timedelta(days=1, hours=11),
        # Deadlines for progress, longer on a busy machine (tests/timing.py); nothing is timed.
        day_timeout=scaled(150),
        reply_timeout=scaled(30),
        ready_timeout=scaled(120),  # under the test's own timeout, so the error shows the log tail
        rasa={"1": True, "0": False}.get(os.environ.get("NUANXIN_SIM_RASA", "")),
    )  # else: on if the model is current
    started = time.monotonic()
    result = run_demo(options)
    result.wall = time.monotonic() - started
    engine = make_engine(result.database_url)
    yield result, session_factory(engine), workdir
    engine.dispose()


@pytest.mark.timeout(300)
def test_every_request_ends_where_the_script_meant(short_day):
    result, factory, _ = short_day
    with factory() as s:
        for story in result.stories:
            assert story.request_id is not None, story.name
            req = s.get(Request, story.request_id)
            assert req.state == story.expected_state, (story.name, story.plan, req.state)
            assert req.resident.person.name == story.name
        claims = Counter(e.request_id for e in s.scalars(select(Event).where(Event.action == "claim")))
    race = next(st for st in result.stories if st.plan == "race")
    assert claims[race.request_id] == 1  # ten pressed at once, one won
    assert len(result.race) >= 10 and sum("接单成功" in line for line in result.race) == 1
    assert all(c == 1 for c in claims.values())
    assert result.chart.exists() and result.chart.stat().st_size > 10_000
    assert result.wall < scaled(240)  # the short day stays short (not a timing: a stuck wait)


def test_every_outbox_message_sent_exactly_once(short_day):
    """Every notification row was delivered (or skipped: a card taken before it went out),
    each as its own Telegram message with its text, and no row was delivered twice."""
    result, factory, _ = short_day
    by_id = {(m.chat_id, m.message_id): m for m in result.emulator_history}
    with factory() as s:
        rows = s.scalars(select(OutboxMessage)).all()
        assert rows
        assert {str(r.status) for r in rows} <= {"sent", "skipped"}, Counter(str(r.status) for r in rows)
        sent = [r for r in rows if str(r.status) == "sent" and r.edit_of is None]
        ids = [(r.chat_id, r.telegram_message_id) for r in sent]
        assert all(mid for _c, mid in ids) and len(ids) == len(set(ids))
        edited = {r.edit_of for r in rows if r.edit_of is not None}
        for r in sent:
            delivered = by_id.get((r.chat_id, r.telegram_message_id))
            assert delivered is not None, r.text
            assert delivered.text == r.text or r.id in edited, (delivered.text, r.text)
        # No second copy: a message no row accounts for never repeats a row's text in that chat
        # (except where the bot also answers in its own words with the same sentence).
        row_texts = {(r.chat_id, r.text) for r in sent}
        accounted = set(ids)
        for key, m in by_id.items():
            if key not in accounted:
                assert (m.chat_id, m.text) not in row_texts, m.text


def test_statistics_match_the_events(short_day):
    result, factory, _ = short_day
    stories = result.stories
    with factory() as s:
        stats = compute_stats(s, s.scalar(select(Person.community_id).limit(1)))
        states = Counter(str(r.state) for r in s.scalars(select(Request)))
        fired = Counter(f.kind for f in s.scalars(select(FollowUp).where(FollowUp.fired_at.is_not(None))))
    assert stats.total == len(stories)
    assert (
        {k: v for k, v in stats.by_state.items() if v}
        == dict(states)
        == dict(Counter(st.expected_state for st in stories))
    )
    rated = [st.score for st in stories if st.score and st.expected_state == "closed"]
    assert stats.satisfaction.rated == len(rated)
    assert stats.satisfaction.satisfied == sum(score >= 4 for score in rated)
    claimed = [st for st in stories if st.expected_state in ("closed", "done")]
    assert stats.timing.claim_samples == len(claimed) == stats.timing.finish_samples
    assert sum(stats.by_grid.values()) == len(stories)
    assert stats.overdue.low_rated == sum(1 for score in rated if score <= 2)
    # the night: the unclaimed order was widened, the 08:00 digest went out, the unrated got a reminder
    assert fired["widen"] >= 1 and fired["digest"] >= 1 and fired["rate_reminder"] >= 1, fired
    assert result.strays == []


def test_no_process_outlives_the_day(short_day):
    result, _, workdir = short_day
    assert _pids_with_env(f"DATABASE_URL=sqlite:///{workdir / 'nuanxin.db'}") == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_stops_every_process(tmp_path, how):
    """Ctrl-C (SIGINT to the terminal's process group) or a SIGTERM to the launcher alone, in
    the middle of the day: the launcher stops honcho's process groups and the emulator;
    nothing that carried the run's environment survives."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "demo", "--short", "--no-rasa", "--workdir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    needle = f"DATABASE_URL=sqlite:///{tmp_path / 'nuanxin.db'}"
    seen = b""
    deadline = time.monotonic() + scaled(90)
    while "▶".encode() not in seen and time.monotonic() < deadline:
        chunk = proc.stdout.read1(4096)
        assert chunk or proc.poll() is None, seen.decode(errors="replace")[-2000:]
        seen += chunk
    assert _pids_with_env(needle), "the bot should be running by now"
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    else:
        proc.send_signal(signal.SIGTERM)  # `timeout`, a CI runner, systemd
    proc.communicate(timeout=scaled(60))
    assert proc.returncode == 130
    deadline = time.monotonic() + scaled(10)  # processes that are just exiting
    while _pids_with_env(needle) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _pids_with_env(needle) == []
    assert RUN_MARK not in os.environ
