"""The real bot process for tests that kill it or take its database away:
`python -m sim.emulated_bot` (the application `python -m bot` runs, with the emulator's request
adapter) as a child process on the product's default settings except those a test names, and
a stand-in for Rasa's REST channel whose answers a test can hold back.

    with RasaStub() as rasa, BotProcess(workdir, env(db_url, emulator, rasa.url)) as bot:
        bot.kill9(); bot.start()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sim.emulated_bot import READY_LINE
from tests.live import daytime_clock
from tests.timing import scaled

ROOT = Path(__file__).resolve().parents[2]


def bot_env(database_url: str, emulator, rasa_url: str = "", day=None, **settings: str) -> dict[str, str]:
    """`day`: the clock the bot runs on (default: from 10:00 in Shanghai today, so quiet hours
    never hold a test's replies); the test's own writes should use the same one."""
    day = day or daytime_clock()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "RASA_URL": rasa_url,
        "ACTION_SERVER_URL": "",
        "NUANXIN_CLOCK_START": day.start.isoformat(),
        "NUANXIN_CLOCK_EPOCH": repr(day.segments[0][0]),
        "NUANXIN_CLOCK_SPEED": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(settings)
    return env


class BotProcess:
    def __init__(self, workdir: Path, env: dict[str, str], name: str = "bot") -> None:
        self.log = workdir / f"{name}.log"
        self.env = env
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> BotProcess:
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1} ---\n".encode())
        self._mark = self.log.stat().st_size
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "sim.emulated_bot"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + scaled(60)
        while READY_LINE not in self.output(since_start=True):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return self

    def output(self, since_start: bool = False) -> str:
        text = self.log.read_bytes()
        return (text[self._mark :] if since_start else text).decode(errors="replace")

    def kill9(self) -> None:
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(scaled(20))
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RasaStub:
    """Rasa's REST channel as the bot sees it: answers 回声：<message>, or holds every answer
    while `hold` is set (a Rasa that is thinking). `received` lists the messages it got. While
    `loading` is set it answers 503 to everything, as a Rasa still loading its model does not
    answer (GET /status has no model_file)."""

    def __init__(self, loading: bool = False) -> None:
        self.received: list[tuple[str, str]] = []  # (sender, message)
        self.refused = 0  # messages posted while loading
        self.hold = threading.Event()
        self.loading = threading.Event()
        if loading:
            self.loading.set()
        self._released = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _loading(self) -> bool:
                if stub.loading.is_set():
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                return stub.loading.is_set()

            def do_GET(self) -> None:
                if not self._loading():
                    self._json({"model_file": "stub.tar.gz"})

            def do_POST(self) -> None:
                if self._loading():
                    stub.refused += 1
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.received.append((body["sender"], body["message"]))
                if stub.hold.is_set():
                    stub._released.wait(scaled(120))  # the bot is killed meanwhile; then this answer is lost
                self._json([{"recipient_id": body["sender"], "text": f"回声：{body['message']}"}])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> RasaStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
