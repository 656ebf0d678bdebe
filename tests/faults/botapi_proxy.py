"""A fault-injecting Bot API proxy: the bot's TELEGRAM_BASE_URL points here, and every call
is forwarded to the Bot API emulator (sim/emulator.py) unless a fault is due.

    with FaultProxy(emulator.url) as proxy:
        env = bot_env(db_url, emulator, TELEGRAM_BASE_URL=proxy.base_url)
        proxy.plan = Faults(rate_429=0.1, retry_after=2, rate_5xx=0.05, rate_timeout=0.05, rate_reset=0.05)
        ...
        proxy.accepted   # every sendMessage/editMessageText the emulator took: (time, method, chat, text)

Faults, on sendMessage and editMessageText only (getUpdates and the client API pass):
- 429 `Too Many Requests: retry after N` (never forwarded), also whenever a chat gets a
  message sooner than `chat_min_interval` after its last accepted one (Telegram's flood
  control, so a test sees whether the bot keeps to 1 msg/s per chat);
- 500 / 502 (never forwarded);
- timeout after accept: forwarded (the emulator keeps the message), then the answer is
  held past the bot's read timeout and the connection dropped;
- reset: the connection is closed before anything is forwarded.
Faults are drawn from a seeded random generator, so a run can be repeated.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_METHOD = re.compile(r"^/bot[^/]+/(?P<method>\w+)$")
FAULTED = ("sendMessage", "editMessageText")


@dataclass
class Faults:
    rate_429: float = 0.0
    retry_after: int = 2
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    rate_reset: float = 0.0
    hold_seconds: float = 8.0  # a "timeout after accept" answers this late (PTB reads for 5 s)
    chat_min_interval: float = 0.0  # > 0: a faster message to one chat gets a 429, as Telegram's flood control
    seed: int = 13
    script: dict[int, str] = field(default_factory=dict)  # n-th faultable call (from 1) → fault kind


@dataclass
class Accepted:
    # time.time() when the call arrived, as Telegram's limits see it (not when the emulator
    # answered: on a loaded machine its answer time varies by tenths of a second)
    at: float
    method: str
    chat_id: int
    text: str


@dataclass
class Injected:
    at: float
    kind: str  # 429 | 5xx | timeout | reset | flood
    method: str
    chat_id: int
    text: str


@dataclass
class FaultProxy:
    upstream: str  # the emulator's root, e.g. http://127.0.0.1:PORT
    plan: Faults = field(default_factory=Faults)
    accepted: list[Accepted] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    calls: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.plan.seed)
        self._last_to_chat: dict[int, float] = {}
        self._client = httpx.Client(base_url=self.upstream, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self, "GET")

            def do_POST(self) -> None:
                proxy._handle(self, "POST")

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base_url = f"{self.url}/bot"

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()

    def set_plan(self, plan: Faults) -> None:
        with self._lock:
            self.plan = plan
            self._rng = random.Random(plan.seed)

    # --- one call ------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, verb: str) -> None:
        arrived, arrived_mono = time.time(), time.monotonic()
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        match = _METHOD.match(h.path.split("?", 1)[0])
        method = match["method"] if match else ""
        chat_id, text, fault = 0, "", None
        if method in FAULTED:
            params = _params(body, h.headers.get("Content-Type", ""))
            chat_id, text = int(params.get("chat_id") or 0), str(params.get("text") or "")
            fault = self._draw(chat_id)
            if fault:
                self.injected.append(Injected(arrived, fault, method, chat_id, text))
            if fault in ("429", "flood"):
                retry = self.plan.retry_after
                return _reply(
                    h,
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry}",
                        "parameters": {"retry_after": retry},
                    },
                )
            if fault == "5xx":
                return _reply(h, 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
            if fault == "reset":
                return _reset(h)
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("content-type",)}
        upstream = self._client.request(verb, h.path, content=body, headers=headers)
        if method in FAULTED and upstream.status_code == 200:
            with self._lock:
                self.accepted.append(Accepted(arrived, method, chat_id, text))
                self._last_to_chat[chat_id] = arrived_mono
            if method in FAULTED and fault == "timeout":
                time.sleep(self.plan.hold_seconds)
                return _reset(h)
        h.send_response(upstream.status_code)
        h.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
        h.send_header("Content-Length", str(len(upstream.content)))
        h.end_headers()
        h.wfile.write(upstream.content)

    def _draw(self, chat_id: int) -> str | None:
        with self._lock:
            self.calls += 1
            p = self.plan
            if self.calls in p.script:
                return p.script[self.calls]
            last = self._last_to_chat.get(chat_id)
            if p.chat_min_interval and last is not None and time.monotonic() - last < p.chat_min_interval:
                return "flood"
            r = self._rng.random()
            for kind, rate in (
                ("429", p.rate_429),
                ("5xx", p.rate_5xx),
                ("timeout", p.rate_timeout),
                ("reset", p.rate_reset),
            ):
                if r < rate:
                    return kind
                r -= rate
            return None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a reset we made, or a client gone
        pass


def _params(body: bytes, content_type: str) -> dict:
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return {}
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}


def _reply(h: BaseHTTPRequestHandler, code: int, payload: dict) -> None:
    data = json.dumps(payload).encode()
    h.send_response(code)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _reset(h: BaseHTTPRequestHandler) -> None:
    """Close the connection with an RST, answering nothing."""
    h.close_connection = True
    sock = h.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    finally:
        sock.close()
