"""The real Rasa server and the real action server as subprocesses, for the tests that
talk to them (tests/test_rasa_live.py, tests/bot/test_e2e_rasa.py). Each runs in its own
process group on a free port and is killed with its children afterwards."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.rasa import wait_until_ready
from community.clock import ScaledClock
from community.db import make_engine, session_factory, upgrade
from community.models import Person, Resident
from tests.builders import World, build_world
from tests.timing import scaled

ROOT = Path(__file__).resolve().parents[1]
RASA = Path(os.environ.get("RASA_VENV", ROOT / ".venv-rasa")) / "bin" / "rasa"
MODEL = ROOT / "models" / "nuanxin.tar.gz"
READY_TIMEOUT = float(os.environ.get("NUANXIN_RASA_READY_TIMEOUT", "0")) or scaled(240)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_model() -> Path:
    """The trained model, current with its inputs; a clear failure otherwise (never a skip:
    `make test` trains it first)."""
    if not RASA.exists():
        pytest.fail(f"no Rasa at {RASA}: run `make rasa-env`", pytrace=False)
    if os.environ.get("NUANXIN_RASA_MODEL"):  # while working on the data: test a given model as it is
        return Path(os.environ["NUANXIN_RASA_MODEL"])
    check = subprocess.run([str(ROOT / "scripts" / "rasa-model.sh"), "--check"], cwd=ROOT)
    if check.returncode != 0 or not MODEL.exists():
        pytest.fail("the Rasa model is missing or older than its inputs: run `make model`", pytrace=False)
    return MODEL


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def _spawn(name: str, cmd: list[str], env: dict, workdir: Path) -> Process:
    log = workdir / f"{name}.log"
    popen = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    return Process(name, popen, log)


@dataclass
class LiveRasa:
    rasa_url: str
    action_url: str
    processes: list[Process]
    respawn_rasa: "Callable[[], Process] | None" = None

    def restart_rasa(self, kill: bool = False) -> None:
        """Stop the Rasa server (SIGTERM, or SIGKILL with `kill`) and start it again on the same
        port and tracker store; returns once its model is loaded."""
        rasa = next(p for p in self.processes if p.name == "rasa")
        if kill:
            os.killpg(rasa.popen.pid, signal.SIGKILL)
            rasa.popen.wait(15)
        rasa.stop()
        self.processes[self.processes.index(rasa)] = self.respawn_rasa()
        if not asyncio.run(wait_until_ready(self.rasa_url, self.action_url, READY_TIMEOUT, interval=0.5)):
            pytest.fail(f"Rasa did not come back in {READY_TIMEOUT:.0f} s\n{self.processes[-1].tail()}", pytrace=False)


def daytime_clock() -> ScaledClock:
    """Real-time clock starting at 10:00 Shanghai today: the tests are not held by quiet hours
    (21:30–08:00) whenever they happen to run."""
    start = datetime.now(UTC).replace(tzinfo=None, hour=2, minute=0, second=0, microsecond=0)
    return ScaledClock(start, 1.0, time.time())


def _rasa_cmd(model: Path, port: int, endpoints: Path) -> list[str]:
    """`rasa run` as scripts/rasa-server.sh starts it (with rasa_server.speedups)."""
    return [
        str(RASA.parent / "python"),
        "-m",
        "rasa_server",
        "run",
        "--enable-api",
        "-m",
        str(model),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def _process_env(database_url: str, day: ScaledClock) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "NUANXIN_CLOCK_START": day.start.isoformat(),
        "NUANXIN_CLOCK_EPOCH": repr(day.segments[0][0]),
        "NUANXIN_CLOCK_SPEED": "1",
    }


@dataclass
class LiveCluster:
    """Several Rasa servers on the shipped endpoints.cluster.yml (one PostgreSQL tracker
    store, the Redis lock store) and one action server."""

    rasa_urls: list[str]
    action_url: str
    processes: list[Process]
    tracker_url: str
    action_log: Path | None  # tests/slow_action_server.py's record of every action call


def pg_server_url() -> str:
    """The PostgreSQL server the tests use (NUANXIN_TEST_PG_URL), as Rasa's psycopg2 spells it."""
    from tests.conftest import PG_ADMIN_URL

    return PG_ADMIN_URL.replace("+psycopg", "").rsplit("/", 1)[0]


@contextmanager
def live_rasa_cluster(
    database_url: str,
    workdir: Path,
    day: ScaledClock,
    servers: int = 2,
    action_delay: float | None = None,
) -> Iterator[LiveCluster]:
    """`servers` Rasa servers as scripts/rasa-server.sh starts them for RASA_SERVERS > 1 (the
    shipped endpoints.cluster.yml: a fresh PostgreSQL tracker database of their own, the
    Redis lock store at REDIS_HOST, 127.0.0.1:6379, under a key prefix of their own), and one
    action server on `database_url`. With `action_delay`, the action server is
    tests/slow_action_server.py: every action call waits that long and is logged."""
    import uuid

    import psycopg

    model = require_model()
    run = uuid.uuid4().hex[:10]
    server, name = pg_server_url(), f"nuanxin_rasa_test_{run}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tracker_url = f"{server}/{name}"
    action_port = free_port()
    rasa_ports = [free_port() for _ in range(servers)]
    env = _process_env(database_url, day) | {
        "RASA_TRACKER_URL": tracker_url,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "REDIS_HOST": os.environ.get("REDIS_HOST", "127.0.0.1"),
        "REDIS_PORT": os.environ.get("REDIS_PORT", "6379"),
        "REDIS_DB": os.environ.get("REDIS_DB", "1"),
        "REDIS_PASSWORD": os.environ.get("REDIS_PASSWORD", ""),
        "RASA_LOCK_PREFIX": f"nuanxintest{run}",
    }
    action_log = None
    action_cmd = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)]
    if action_delay is not None:
        action_log = workdir / f"action-calls-{run}.jsonl"
        env |= {"NUANXIN_ACTION_DELAY": repr(action_delay), "NUANXIN_ACTION_LOG": str(action_log)}
        action_cmd[1:3] = ["-m", "tests.slow_action_server"]
    processes = [_spawn(f"actions-{run}", action_cmd, env, workdir)]
    for i, port in enumerate(rasa_ports):
        cmd = _rasa_cmd(model, port, ROOT / "endpoints.cluster.yml")
        processes.append(_spawn(f"rasa{i + 1}-{run}", cmd, env, workdir))
    live = LiveCluster(
        [f"http://127.0.0.1:{p}" for p in rasa_ports],
        f"http://127.0.0.1:{action_port}",
        processes,
        tracker_url,
        action_log,
    )
    try:
        for url in live.rasa_urls:
            if not asyncio.run(wait_until_ready(url, live.action_url, READY_TIMEOUT, interval=0.5)):
                logs = "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in processes)
                pytest.fail(
                    f"a Rasa server or the action server did not come up in {READY_TIMEOUT:.0f} s\n{logs}",
                    pytrace=False,
                )
        yield live
    finally:
        for process in processes:
            process.stop()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def live_rasa(database_url: str, workdir: Path, day: ScaledClock) -> Iterator[LiveRasa]:
    """Rasa (REST channel, --enable-api) and the action server (on `database_url`, on the
    clock `day`), ready."""
    model = require_model()
    rasa_port, action_port = free_port(), free_port()
    # The shipped endpoints.yml (its SQL tracker store too), only the action server's port
    # changed, and RASA_TRACKER_URL as the Procfile sets it.
    endpoints = workdir / "endpoints.yml"
    shipped = (ROOT / "endpoints.yml").read_text()
    assert '"http://127.0.0.1:5055/webhook"' in shipped
    endpoints.write_text(shipped.replace(":5055/", f":{action_port}/"))
    env = _process_env(database_url, day) | {"RASA_TRACKER_URL": f"sqlite:///{workdir / 'rasa-tracker.db'}"}

    def spawn_rasa() -> Process:
        return _spawn("rasa", _rasa_cmd(model, rasa_port, endpoints), env, workdir)

    processes = [
        _spawn(
            "actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port)], env, workdir
        ),
        spawn_rasa(),
    ]
    live = LiveRasa(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", processes, spawn_rasa)
    try:
        if not asyncio.run(wait_until_ready(live.rasa_url, live.action_url, READY_TIMEOUT, interval=0.5)):
            logs = "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in processes)
            pytest.fail(f"Rasa or the action server did not come up in {READY_TIMEOUT:.0f} s\n{logs}", pytrace=False)
        yield live
    finally:
        for process in processes:
            process.stop()


@dataclass
class Stack:
    """A community (tests.builders.build_world plus 小赵, who consented but has no address or
    phone on record) in an SQLite file, with Rasa and the action server running on it."""

    rasa: LiveRasa
    factory: sessionmaker[Session]
    world: World
    database_url: str
    telegram: dict[str, int]
    clock: ScaledClock  # the action server's clock: today, 10:00 in Shanghai when the stack started


NEWCOMER_TELEGRAM_ID = 880_001


@contextmanager
def live_stack(workdir: Path) -> Iterator[Stack]:
    url = f"sqlite:///{workdir / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        world = build_world(s)
        newcomer = Person(community_id=world.community.id, name="小赵", telegram_id=NEWCOMER_TELEGRAM_ID)
        s.add(Resident(person=newcomer, consent_at=world.residents["王奶奶"].consent_at))
        telegram = {
            "wang": world.residents["王奶奶"].person.telegram_id,
            "chen": world.residents["陈大爷"].person.telegram_id,
            "zhao": NEWCOMER_TELEGRAM_ID,
        }
    day = daytime_clock()
    try:
        with live_rasa(url, workdir, day) as rasa:
            yield Stack(rasa, factory, world, url, telegram, day)
    finally:
        engine.dispose()
