"""Relay between residents and the Rasa server (REST channel, bound to 127.0.0.1).

A resident's text (or a Rasa button they press) is POSTed to /webhooks/rest/webhook with
the Telegram user as sender and metadata; Rasa's replies come back as messages. Rasa
buttons become inline buttons whose callback_data is `rasa:<id>` of a `ButtonPayload` row
(payloads such as `/inform{"item":"轮椅"}` exceed Telegram's 64 bytes; the row is bound to
the resident, so nobody else can press it). A reply with `custom.request_contact` shows
Telegram's share-contact keyboard.

If Rasa does not answer within the timeout, `forward` returns False and the caller falls
back to the guided order (bot/resident.py), keeping what the resident typed.

Several Rasa servers (RASA_URL="http://127.0.0.1:5005,http://127.0.0.1:5006"), Rasa's way:
they share one SQL tracker store and a Redis lock store (endpoints.cluster.yml), so any of
them can take any conversation and one conversation is never processed by two at once. The
relay sends each resident to one server chosen by a hash of their Telegram id (the
conversation stays warm in that server's tracker cache) and moves on to the next one when
that server cannot be reached (connection refused: the message never arrived, so trying
another cannot process it twice). A timeout does not move on: that server may be working on
it, and the resident gets the guided order as with one server.

At start the bot does not wait for Rasa (loading its model takes most of a minute on two
cores): `watch` probes Rasa and the action server in the background, `forward` answers
False at once until both are ready (residents get the guided order meanwhile), and the
relay switches to Rasa when they are, without a restart.
"""

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import chinese, photos, presses, texts
from bot.handoff import human_button, remember
from community import clock
from community.models import ButtonPayload

log = logging.getLogger(__name__)
CALLBACK_PATTERN = r"^rasa:\d+$"


class RasaRelay:
    def __init__(
        self,
        factory: sessionmaker[Session],
        base_url: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.factory = factory
        self.urls = split_urls(base_url)
        self.clients = [httpx.AsyncClient(base_url=u, timeout=timeout, transport=transport) for u in self.urls]
        self.client = self.clients[0]
        # Rasa's actions write notifications (已收到, 已取消 …) to the outbox in another
        # process: build_application sets this to wake the sender after every answer.
        self.on_reply: Callable[[], None] = lambda: None
        # bot.handoff.HandoffHandlers (set by build_application): the 找人工 button under
        # replies the assistant did not understand, and the handoff the dialogue asks for.
        self.handoff = None
        self.ready = True  # False while `watch` waits for Rasa to load

    async def watch(self, action_url: str, interval: float = 1.0, warn_after: float = 600.0) -> asyncio.Task | None:
        """Probe once; if Rasa (or the action server) is not ready yet, mark the relay not
        ready and return the background task that flips it back once both answer."""
        rasa_url = ",".join(self.urls)
        if await wait_until_ready(rasa_url, action_url, timeout=0, interval=interval, quiet=True):
            self.ready = True
            return None
        self.ready = False
        log.info("taking messages now; the guided order answers until Rasa is ready")

        async def wait() -> None:
            started = time.monotonic()
            if not await wait_until_ready(rasa_url, action_url, warn_after, interval):
                await wait_until_ready(rasa_url, action_url, math.inf, interval)
            self.ready = True
            log.info("Rasa is answering residents now (%.0f s after start)", time.monotonic() - started)

        return asyncio.create_task(wait(), name="rasa-readiness")

    async def forward(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None) -> bool:
        """Send the resident's message to Rasa and show the replies; False if Rasa failed
        (or is still loading its model)."""
        if not self.ready:
            return False
        user = update.effective_user
        body = {
            "sender": str(user.id),
            "message": text if text is not None else update.effective_message.text,
            "metadata": {
                "telegram": {
                    "id": user.id,
                    "first_name": user.first_name,
                    "username": user.username,
                    "language_code": user.language_code,
                },
                # "明天上午" is read against this (the community clock, accelerated in the demo)
                "now": clock.to_local(clock.now()).isoformat(),
            },
        }
        replies = None
        for client in self.servers_for(user.id):
            try:
                response = await client.post("/webhooks/rest/webhook", json=body)
                response.raise_for_status()
                replies = response.json()
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached it: the next one
                log.warning("Rasa at %s unreachable (%s); trying the next", client.base_url, exc)
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("Rasa unavailable: %s", exc)
                return False
        if replies is None:
            return False
        if not replies:
            return False  # Rasa said nothing: better the guided menu than silence
        # Marker messages (custom {"nuanxin": ...}, shown as nothing): not_understood and
        # offer_human put the 找人工 button under the last reply; handoff connects a person.
        markers = {str((r.get("custom") or {}).get("nuanxin")) for r in replies if isinstance(r, dict)}
        shown = [r for r in replies if isinstance(r, dict) and (r.get("text") or (r.get("custom") or {}).get("text"))]
        with_human = self.handoff is not None and bool(markers & {"not_understood", "offer_human"})
        remember(context, "resident", body["message"])
        chinese.note(context.user_data, body["message"])
        for reply in replies:
            await self._show(
                update, reply, human=with_human and bool(shown) and reply is shown[-1], user_data=context.user_data
            )
            if reply in shown:
                remember(context, "assistant", reply.get("text") or reply["custom"]["text"])
        self.on_reply()
        if self.handoff is not None:
            await self.handoff.after_assistant(update, context, markers)
        await photos.after_assistant(update, context, markers, self.factory, self.on_reply)
        return True

    async def active_form(self, telegram_id: int) -> str | None:
        """The form Rasa has open for this resident (wish_form, service_form …), or None
        (also when Rasa does not answer: then nothing is taken for an order)."""
        if not self.ready:
            return None
        for client in self.servers_for(telegram_id):
            try:
                response = await client.get(f"/conversations/{telegram_id}/tracker", params={"include_events": "NONE"})
                response.raise_for_status()
                return ((response.json() or {}).get("active_loop") or {}).get("name")
            except (httpx.ConnectError, httpx.ConnectTimeout):
                continue
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("Rasa tracker unavailable: %s", exc)
                return None
        return None

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A Rasa button: its stored payload goes to Rasa as if typed."""
        query = update.callback_query
        payload_id = int(query.data.split(":")[1])

        def load():
            with self.factory() as s:
                row = s.get(ButtonPayload, payload_id)
                return row.payload if row and row.telegram_id == query.from_user.id else None

        payload = await asyncio.to_thread(load)
        if payload is None:
            await presses.refuse(update, context, texts.STALE_BUTTON)
            return
        await query.answer()
        if not await self.forward(update, context, text=payload):
            await query.message.reply_text(texts.RES_FALLBACK)

    async def _show(self, update: Update, reply: dict, human: bool = False, user_data: dict | None = None) -> None:
        custom = reply.get("custom") or {}
        text = reply.get("text") or custom.get("text")
        if not text:
            return
        text = chinese.for_reader(user_data, text)  # a resident writing Traditional reads Traditional
        if custom.get("request_contact"):
            keyboard = ReplyKeyboardMarkup(
                [[KeyboardButton(texts.RES_SHARE_PHONE, request_contact=True)]],
                one_time_keyboard=True,
                resize_keyboard=True,
            )
            await update.effective_message.reply_text(text, reply_markup=keyboard)
            return
        buttons = reply.get("buttons") or []
        markup = None
        if buttons:
            ids = await asyncio.to_thread(self._store, update.effective_user.id, [b["payload"] for b in buttons])
            rows = [
                InlineKeyboardButton(chinese.for_reader(user_data, b["title"]), callback_data=f"rasa:{i}")
                for b, i in zip(buttons, ids, strict=True)
            ]
            markup = InlineKeyboardMarkup([rows[i : i + 2] for i in range(0, len(rows), 2)])
        if human:  # the way to a person, under every reply the assistant did not understand
            rows = [list(row) for row in markup.inline_keyboard] if markup else []
            markup = InlineKeyboardMarkup([*rows, [human_button()]])
        await update.effective_message.reply_text(text, reply_markup=markup)

    def _store(self, telegram_id: int, payloads: list[str]) -> list[int]:
        with self.factory() as s, s.begin():
            rows = [ButtonPayload(telegram_id=telegram_id, payload=p, created_at=clock.now()) for p in payloads]
            s.add_all(rows)
            s.flush()
            return [r.id for r in rows]

    def servers_for(self, telegram_id: int) -> list[httpx.AsyncClient]:
        """The resident's own server first (a stable hash of their id), then the others."""
        first = zlib.crc32(str(telegram_id).encode()) % len(self.clients)
        return self.clients[first:] + self.clients[:first]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


def split_urls(value: str) -> list[str]:
    """RASA_URL / ACTION_SERVER_URL: one URL, or several separated by commas."""
    return [u.strip().rstrip("/") for u in value.split(",") if u.strip()]


async def wait_until_ready(
    rasa_url: str, action_url: str, timeout: float, interval: float = 2.0, quiet: bool = False
) -> bool:
    """Wait until Rasa has loaded its model and the action server answers; False after
    `timeout` (0: probe once). The bot itself does not wait (RasaRelay.watch); tests and the
    launcher do."""
    checks = {name: split_urls(urls) for name, urls in (("Rasa", rasa_url), ("action server", action_url)) if urls}
    deadline, last_report = time.monotonic() + timeout, 0.0
    async with httpx.AsyncClient(timeout=5.0) as client:
        while checks:
            for name, urls in list(checks.items()):  # one of several is enough to answer
                for url in urls:
                    if await _ready(client, name, url):
                        log.info("%s is ready (%s)", name, url)
                        del checks[name]
                        break
            if not checks:
                break
            now = time.monotonic()
            if now >= deadline:
                if quiet:
                    return False
                log.warning(
                    "%s not ready after %.0f s (the guided order answers until then)", " and ".join(checks), timeout
                )
                return False
            if now - last_report >= 10:
                log.info("waiting for %s to be ready…", " and ".join(checks))
                last_report = now
            await asyncio.sleep(interval)
    return True


async def _ready(client: httpx.AsyncClient, name: str, url: str) -> bool:
    try:
        if name == "action server":
            return (await client.get(f"{url}/health")).status_code == 200
        status = await client.get(f"{url}/status")  # with --enable-api: names the loaded model
        if status.status_code == 200:
            return bool(status.json().get("model_file"))
        return (await client.get(f"{url}/")).status_code == 200  # Rasa answers once its model is loaded
    except (httpx.HTTPError, ValueError):
        return False
