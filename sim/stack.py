"""Start and stop the whole offline product: the Bot API emulator, and with honcho (one process
supervisor, Procfile.offline) Rasa, the action server and the bot.

Every process started here carries RUN_MARK=<run id> in its environment. `stop()` asks honcho
to stop its process groups (SIGTERM; honcho SIGKILLs what is left after 5 s), then kills
honcho's own group, stops the emulator, and finally sweeps /proc for anything still carrying
the mark (and says so): no stray process survives a demo, a Ctrl-C or a failed test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sim import ready

ROOT = Path(__file__).resolve().parent.parent
RUN_MARK = "NUANXIN_SIM_RUN"
VENV_PY = ROOT / ".venv" / "bin" / "python"
HONCHO = ROOT / ".venv" / "bin" / "honcho"
RASA_MODEL = ROOT / "models" / "nuanxin.tar.gz"


def rasa_problem() -> str | None:
    """None if the dialogue can run (Rasa installed, model trained and current, actions/ there),
    else why not."""
    if not (ROOT / ".venv-rasa" / ".installed").exists():
        return "the Rasa environment (.venv-rasa) is not installed (make rasa-env)"
    if not (ROOT / "actions").is_dir():
        return "there is no actions/ package yet"
    if not RASA_MODEL.exists():
        return "no trained model (make model)"
    check = subprocess.run([str(ROOT / "scripts" / "rasa-model.sh"), "--check"], cwd=ROOT, capture_output=True)
    if check.returncode != 0:
        return "the model is older than its inputs (make model)"
    return None


def free_port(preferred: int = 0, count: int = 1) -> int:
    """`preferred` if nothing listens there (nor on the `count - 1` ports after it), else a
    port the OS picks (with as many free after it)."""
    import socket

    for _ in range(50):
        for base in (preferred, 0) if preferred else (0,):
            with contextlib.ExitStack() as held:
                try:
                    first = held.enter_context(socket.socket())
                    first.bind(("127.0.0.1", base))
                    base = first.getsockname()[1]
                    for port in range(base + 1, base + count):
                        held.enter_context(socket.socket()).bind(("127.0.0.1", port))
                except OSError:
                    continue
                return base
        preferred = 0
    raise OSError("no free port")


def servers_setting(name: str, env: dict[str, str] | None = None) -> int:
    """RASA_SERVERS / ACTION_SERVERS: how many of each `make run` starts (default 1)."""
    value = (os.environ if env is None else env).get(name, "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def rasa_cluster_env(servers: int, actions: int, rasa_port: int, actions_port: int) -> dict[str, str]:
    """The settings for `servers` Rasa servers and `actions` action servers on consecutive
    ports (as scripts/rasa-server.sh numbers them): the bot's URL lists and the servers' own."""
    return {
        "RASA_SERVERS": str(servers),
        "ACTION_SERVERS": str(actions),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "RASA_URL": ",".join(f"http://127.0.0.1:{rasa_port + i}" for i in range(servers)),
        "ACTION_SERVER_URL": ",".join(f"http://127.0.0.1:{actions_port + i}" for i in range(actions)),
    }


def concurrency(servers: int, actions: int) -> list[str]:
    """honcho's option for several Rasa and action servers (nothing for one of each)."""
    return ["-c", f"rasa={servers},actions={actions}"] if servers > 1 or actions > 1 else []


# RASA_SERVERS > 1 in the offline product: each run's conversations get a PostgreSQL database
# of their own on this server (created at start, dropped at stop), as the SQLite file is fresh.
TRACKER_SERVER = os.environ.get("RASA_TRACKER_SERVER", "postgresql://127.0.0.1:5432")


def create_tracker_database(name: str) -> str:
    """A fresh PostgreSQL database for Rasa's tracker store; its URL (for psycopg2, Rasa's)."""
    import psycopg

    with psycopg.connect(f"{TRACKER_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{TRACKER_SERVER}/{name}"


def drop_tracker_database(name: str) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(f"{TRACKER_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class StackConfig:
    workdir: Path  # var/<name>/: database, logs, clock epoch file
    sim_start: datetime | None  # naive UTC: the simulated time when the clock starts; None: real time
    speed: float = 1.0  # simulated seconds per real second
    rasa: bool = False
    rasa_port: int = 5005  # the first Rasa server's; the others on the next ports
    actions_port: int = 5055
    # RASA_SERVERS / ACTION_SERVERS: several Rasa servers share a PostgreSQL tracker store
    # and a Redis lock store (endpoints.cluster.yml); action servers are stateless.
    rasa_servers: int = field(default_factory=lambda: servers_setting("RASA_SERVERS"))
    action_servers: int = field(default_factory=lambda: servers_setting("ACTION_SERVERS"))
    env: dict[str, str] = field(default_factory=dict)  # extra settings (OFFER_TOP_K=10, ...)
    ready_timeout: float = 300

    @property
    def database(self) -> Path:
        return self.workdir / "nuanxin.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    @property
    def rasa_tracker(self) -> Path:
        """Rasa's conversations (its SQL tracker store: Rasa's own database, see endpoints.yml)."""
        return self.workdir / "rasa-tracker.db"

    @property
    def log(self) -> Path:
        return self.workdir / "processes.log"

    @property
    def epoch_file(self) -> Path:
        return self.workdir / "clock-epoch"

    def clock_env(self) -> dict[str, str]:
        if self.sim_start is None:
            return {}
        return {
            "NUANXIN_CLOCK_START": self.sim_start.isoformat(),
            "NUANXIN_CLOCK_SPEED": str(self.speed),
            "NUANXIN_CLOCK_EPOCH_FILE": str(self.epoch_file),
        }


class Stack:
    def __init__(self, config: StackConfig, progress: Callable[[str], None] = lambda _m: None) -> None:
        self.config = config
        self.progress = progress
        self.run_id = uuid.uuid4().hex[:12]
        self.emulator = None
        self.honcho: subprocess.Popen | None = None
        self._log = None
        self.strays: list[int] = []
        self.tracker_database: str | None = None  # several Rasa servers: their PostgreSQL database

    # --------------------------------------------------------------------- start
    def fresh_workdir(self) -> None:
        cfg = self.config
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        databases = (cfg.database, cfg.rasa_tracker)
        for path in (cfg.epoch_file, cfg.log, *(Path(f"{db}{s}") for db in databases for s in ("", "-wal", "-shm"))):
            path.unlink(missing_ok=True)

    def environment(self) -> dict[str, str]:
        cfg = self.config
        env = {
            **os.environ,
            RUN_MARK: self.run_id,
            "DATABASE_URL": cfg.database_url,
            "PYTHONUNBUFFERED": "1",
            **cfg.clock_env(),
            **cfg.env,
        }
        env.pop("WEBHOOK_URL", None)  # the emulator is polled
        if self.emulator is not None:
            env |= {"TELEGRAM_BOT_TOKEN": self.emulator.token, "TELEGRAM_BASE_URL": self.emulator.base_url}
        if cfg.rasa and cfg.rasa_servers > 1:
            # The shipped endpoints.cluster.yml: this run's own tracker database and lock keys.
            assert self.tracker_database, "start() creates the tracker database first"
            env |= rasa_cluster_env(cfg.rasa_servers, cfg.action_servers, cfg.rasa_port, cfg.actions_port)
            env |= {
                "RASA_ENDPOINTS": str(ROOT / "endpoints.cluster.yml"),
                "RASA_TRACKER_URL": f"{TRACKER_SERVER}/{self.tracker_database}",
                "RASA_LOCK_PREFIX": f"nuanxin{self.run_id}",
                "READY_TIMEOUT_SECONDS": str(cfg.ready_timeout),
            }
        elif cfg.rasa:
            endpoints = cfg.workdir / "endpoints.yml"
            endpoints.write_text(
                f'action_endpoint:\n  url: "http://127.0.0.1:{cfg.actions_port}/webhook"\n'
                f'tracker_store:\n  type: SQL\n  url: "sqlite:///{cfg.rasa_tracker}"\n'  # as endpoints.yml
            )
            env |= rasa_cluster_env(1, cfg.action_servers, cfg.rasa_port, cfg.actions_port)
            env |= {"RASA_ENDPOINTS": str(endpoints), "READY_TIMEOUT_SECONDS": str(cfg.ready_timeout)}
        else:
            env["RASA_URL"] = ""
        return env

    def start(self) -> Stack:
        """Emulator, then honcho; returns when the bot is polling and (if on) Rasa is ready.
        The clock stays frozen at sim_start until `start_clock()`."""
        from sim.emulator import EmulatorServer

        os.environ[RUN_MARK] = self.run_id  # the emulator (a child of ours) carries it too
        try:
            self.progress("starting the Telegram Bot API emulator")
            self.emulator = EmulatorServer().start()
            cfg = self.config
            several = cfg.rasa and (cfg.rasa_servers > 1 or cfg.action_servers > 1)
            if cfg.rasa and cfg.rasa_servers > 1:
                self.progress(f"creating the Rasa servers' tracker database on {TRACKER_SERVER}")
                self.tracker_database = f"nuanxin_rasa_{self.run_id}"
                create_tracker_database(self.tracker_database)
            env = self.environment()
            procs = ["rasa", "actions", "bot"] if cfg.rasa else ["bot"]
            self._log = open(self.config.log, "ab")  # noqa: SIM115 - held open for the processes' lifetime
            counts = f" ({cfg.rasa_servers} Rasa, {cfg.action_servers} action servers)" if several else ""
            self.progress(f"starting {', '.join(procs)}{counts} with honcho (log: {self.config.log})")
            self.honcho = subprocess.Popen(
                [
                    str(HONCHO),
                    "start",
                    "-f",
                    str(ROOT / "Procfile.offline"),
                    "--no-colour",
                    *(concurrency(cfg.rasa_servers, cfg.action_servers) if cfg.rasa else []),
                    *procs,
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # its own group: a Ctrl-C reaches us, and we stop it in order
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        from sim.emulated_bot import READY_LINE

        started = time.monotonic()
        deadline = started + self.config.ready_timeout
        while True:
            if self.honcho.poll() is not None:
                raise RuntimeError(
                    f"a process stopped during start-up; last lines of {self.config.log}:\n{self.log_tail()}"
                )
            waiting = []
            cfg = self.config
            if cfg.rasa:
                loading = [i for i in range(cfg.rasa_servers) if not ready.rasa_model_loaded(self.rasa_url(i))]
                if loading:
                    waiting.append(
                        "Rasa loading its model" + (f" ({len(loading)} servers)" if len(loading) > 1 else "")
                    )
                down = [i for i in range(cfg.action_servers) if not ready.actions_healthy(self.actions_url(i))]
                if down:
                    waiting.append("action server" + (f" ({len(down)})" if len(down) > 1 else ""))
            # The whole log: the bot says it once, and Rasa's start-up chatter (two servers' worth)
            # can push it out of any tail before Rasa is ready.
            if not waiting and READY_LINE not in self.log_tail(self.config.log.stat().st_size + 1):
                waiting.append("bot")
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"not ready after {self.config.ready_timeout:.0f} s: {', '.join(waiting)}\n{self.log_tail()}"
                )
            self.progress(f"waiting for {', '.join(waiting)} … {time.monotonic() - started:.0f} s")
            time.sleep(0.5)

    def rasa_url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.config.rasa_port + i}"

    def actions_url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.config.actions_port + i}"

    def log_tail(self, chars: int = 2000) -> str:
        try:
            with open(self.config.log, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - chars))
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def start_clock(self, speed: float | None = None) -> float:
        """Start the shared accelerated clock now (every process reads the epoch file)."""
        self._segments: list[str] = []
        return self.set_speed(speed or self.config.speed)

    def set_speed(self, speed: float) -> float:
        """From now on the simulated clock runs `speed` times real time (all processes)."""
        now = time.time()
        self._segments.append(f"{now!r} {speed!r}")
        tmp = self.config.epoch_file.with_suffix(".tmp")
        tmp.write_text("\n".join(self._segments) + "\n")
        tmp.replace(self.config.epoch_file)
        return now

    # ---------------------------------------------------------------------- stop
    def stop(self) -> list[int]:
        """Stop everything; returns the pids of strays that had to be swept (normally none)."""
        if self.honcho is not None and self.honcho.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.honcho.send_signal(signal.SIGTERM)  # honcho SIGTERMs each process group
            try:
                self.honcho.wait(timeout=12)  # ... and SIGKILLs them after 5 s
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.honcho.pid, signal.SIGKILL)
                self.honcho.wait(timeout=5)
        if self.emulator is not None:
            self.emulator.stop()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.strays = sweep(self.run_id)
        if self.tracker_database:
            drop_tracker_database(self.tracker_database)
            self.tracker_database = None
        os.environ.pop(RUN_MARK, None)
        return self.strays

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def marked_pids(run_id: str) -> list[int]:
    """Processes whose environment carries RUN_MARK=run_id (never this process)."""
    needle = f"{RUN_MARK}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def sweep(run_id: str, grace: float = 3.0) -> list[int]:
    """Kill (group and all) whatever still carries the mark; a safety net, normally empty."""
    deadline = time.monotonic() + grace
    pids = marked_pids(run_id)
    while pids and time.monotonic() < deadline:  # processes that are just exiting
        time.sleep(0.1)
        pids = [p for p in marked_pids(run_id) if not _zombie(p)]
    own_group = os.getpgid(0)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) != own_group:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _zombie(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True
