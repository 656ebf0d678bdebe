"""The bot token never appears in a log. The real `python -m bot` (the production entry
point, its own logging set-up) runs against a minimal Bot API stand-in that answers getMe and
an empty getUpdates, so it polls as it would against Telegram; everything it writes is
captured, and the token, or its secret half, must not be in it. httpx logs every request URL
at INFO, and a Bot API URL carries the token."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.logsafe import MASK, SecretFilter
from tests.bot.live_bot import scaled

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7265481923:AAH-secretPart_q9Zx8Yw7Vu6Ts5Rr4Qp3"
SECRET = TOKEN.partition(":")[2]


class BotApiStandIn:
    """Answers every Bot API method: getMe with a bot user, getUpdates with nothing after a
    short wait (as a long poll does), anything else with true. Counts the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                api.calls.append(method)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if method == "getMe":
                    result = {"id": 7265481923, "is_bot": True, "first_name": "暖心", "username": "nuanxin_bot"}
                elif method == "getUpdates":
                    time.sleep(0.2)
                    result = []
                else:
                    result = True
                body = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def __enter__(self) -> "BotApiStandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.timeout(180)
def test_python_m_bot_logs_no_token(tmp_path):
    log = tmp_path / "bot.log"
    with BotApiStandIn() as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "RASA_URL": "",
            "ACTION_SERVER_URL": "",
            "PYTHONUNBUFFERED": "1",
        }
        with log.open("wb") as out:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + scaled(90)
            # Polling for a while: getMe, then several getUpdates, each a logged HTTP request.
            while api.calls.count("getUpdates") < 10:
                assert bot.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, f"the bot did not poll: {api.calls}"
                time.sleep(0.2)
        finally:
            bot.terminate()
            bot.wait(scaled(30))
    text = log.read_text(errors="replace")
    assert "getMe" in api.calls and "Application started" in text
    assert TOKEN not in text and SECRET not in text, text[-3000:]


def test_the_filter_masks_messages_arguments_and_tracebacks(caplog):
    handler = logging.StreamHandler()
    secret_filter = SecretFilter([TOKEN])
    logger = logging.getLogger("tests.token")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(logging.Formatter().format(record))

    keep = Keep()
    keep.addFilter(secret_filter)
    logger.addHandler(keep)
    try:
        logger.warning("POST %s/getUpdates", f"https://api.telegram.org/bot{TOKEN}")
        logger.warning(f"secret alone {SECRET}")
        try:
            raise RuntimeError(f"failed at https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(keep)
        handler.close()
    assert len(records) == 3
    assert all(SECRET not in r for r in records), records
    assert MASK in records[0] and MASK in records[1] and MASK in records[2]
