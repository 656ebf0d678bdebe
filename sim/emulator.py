"""An offline Telegram Bot API for tests and demos: the npm package telegram-test-api (pinned
in package-lock.json; `make emulator` installs it) run by node, plus what python-telegram-bot
22 needs to work against it.

    with EmulatorServer() as server:                       # a node process on 127.0.0.1
        app = server.application_builder().build()         # token, base_url, EmulatorRequest
        app.add_handler(...)
        async with polling(app), server.client() as client:
            await client.send_command(alice, alice.id, "/start join-ABC")
            reply = await client.wait_for(alice.id, lambda m: "欢迎" in m.text)

- `EmulatorServer` starts and stops the node process (sim/emulator_server.js).
- `EmulatorRequest` is the PTB request class: it turns the emulator's answers into what the
  Bot API would answer (each adaptation names the emulator quirk it fixes).
- `EmulatorClient` plays Telegram users through the emulator's own client API.

What the emulator cannot do (telegram-test-api 4.2.1): only getMe, getUpdates, sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, deleteMessage, setWebhook and
deleteWebhook exist, plus forwardMessage and sendDocument with an uploaded file (added by emulator_server.js;
`EmulatorClient.document` fetches the file a user received); any other method (sendPhoto,
...) fails with BadRequest "telegram-test-api cannot do <method>". Messages are stored as sent: a parse_mode
text keeps its markup (Telegram would return plain text with entities). getUpdates ignores
`offset` (an update is gone once fetched) and webhooks' drop_pending_updates. A reply
keyboard (request_contact) is seen by the client, and the user can answer with
`send_contact`, but sendMessage's result carries only inline keyboards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).with_name("emulator_server.js")
PACKAGE = ROOT / "node_modules" / "telegram-test-api"
DEFAULT_TOKEN = "666:nuanxin-emulator"  # any token works; 666 is the id the emulator's getMe gives

T = TypeVar("T")


class EmulatorUnavailable(RuntimeError):
    """node or the npm package is missing, or the emulator did not start."""


# --------------------------------------------------------------------------- bot side (PTB)

_URL = re.compile(r"^(?P<root>.+)/bot(?P<token>[^/]+)/(?P<method>\w+)$")
_MS = 10**11  # a `date` above this is in milliseconds: seconds stay below it until year 5138
_OK_TRUE = b'{"ok": true, "result": true}'
# Methods that change only what the Telegram app displays. The emulator has no app and does
# not know them; answering true lets a bot that calls them in post_init start.
_DISPLAY_ONLY = frozenset(
    {
        "setMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "sendChatAction",
    }
)


def _json(value: Any) -> Any:
    """The emulator keeps form-encoded fields (reply_markup, entities) as JSON strings."""
    return json.loads(value) if isinstance(value, str) else value


def _seconds(obj: Any) -> Any:
    """Quirk: every `date` the emulator makes is Date.now() in milliseconds; PTB reads seconds
    (datetime.fromtimestamp overflows on milliseconds)."""
    if isinstance(obj, dict):
        return {
            k: (v // 1000 if k in ("date", "edit_date") and isinstance(v, int) and v > _MS else _seconds(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_seconds(v) for v in obj]
    return obj


def _chat(chat_id: int) -> dict[str, Any]:
    """Quirk: the emulator calls every chat of a bot message private, with first_name "Bot"."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private"}
    return {"id": chat_id, "type": "supergroup" if chat_id < -(10**12) else "group", "title": f"chat {chat_id}"}


def _inline_rows(markup: Any) -> list:
    return ((_json(markup) or {}).get("inline_keyboard")) or []


def _error(description: str) -> tuple[int, bytes]:
    return 400, json.dumps({"ok": False, "error_code": 400, "description": description}).encode()


class EmulatorRequest(HTTPXRequest):
    """HTTPXRequest that adapts telegram-test-api's answers to the Bot API. Give one instance
    to `ApplicationBuilder().request(...)` and another to `.get_updates_request(...)`."""

    def __init__(self, *args: Any, long_poll_interval: float = 0.05, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._long_poll_interval = long_poll_interval
        self._bot_user: dict[str, Any] | None = None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        match = _URL.match(url)
        if not match:  # not a Bot API method (a file download): nothing to adapt
            return await super().do_request(url, method, request_data, **timeouts)
        name = match["method"]
        params = request_data.parameters if request_data else {}
        if name in _DISPLAY_ONLY:
            return 200, _OK_TRUE
        if name in ("editMessageText", "editMessageReplyMarkup"):
            return await self._edit(url, method, match, params, timeouts)
        if name == "getUpdates":
            return await self._get_updates(url, method, request_data, params, timeouts)
        if name == "sendDocument":
            return await self._send_document(url, request_data)
        code, payload = await super().do_request(url, method, request_data, **timeouts)
        return self._adapt(name, code, payload)

    def _adapt(self, name: str, code: int, payload: bytes) -> tuple[int, bytes]:
        data = json.loads(payload)
        if code != 200 and data.get("ok") is False and "error_code" in data:
            return code, payload  # already a Bot API error (the fault-injecting proxy of tests/faults)
        if code != 200:
            # Quirk: an unknown method (and any failure) is HTTP 500 {"message": ...}, which
            # PTB reports as a NetworkError, i.e. "retry". It never succeeds: say so.
            return _error(f"telegram-test-api cannot do {name}: {data.get('message') or data}")
        result = data.get("result")
        if name == "getMe":
            # Quirk: getMe lacks the required `is_bot`.
            result = self._bot_user = {**result, "is_bot": True}
        elif name == "getUpdates":
            result = [self._update(u) for u in result]
        elif name == "sendMessage":
            result = self._message(result, result["message_id"], result["date"])
        elif name == "forwardMessage":  # the Message Telegram returns: the forward in the target chat
            message = self._message({**result, "text": ""}, result["message_id"], result["date"])
            del message["text"]
            result = message | {k: result[k] for k in ("voice", "photo", "video_note", "video", "audio") if k in result}
        elif result is None:
            # Quirk: answerCallbackQuery, deleteMessage and setWebhook answer null; Telegram
            # answers true.
            result = True
        return 200, json.dumps({"ok": True, "result": _seconds(result)}).encode()

    def _update(self, update: dict[str, Any]) -> dict[str, Any]:
        for message in (update.get("message"), (update.get("callback_query") or {}).get("message")):
            if message:
                message.pop("botToken", None)  # quirk: the client's request body, token included
        query = update.get("callback_query")
        if query is not None and "chat_instance" not in query:
            # Quirk: callback queries lack the required `chat_instance` (an opaque id of the
            # chat the button was in).
            chat = (query.get("message") or {}).get("chat") or {}
            query["chat_instance"] = f"emulator-{chat.get('id', 0)}"
        return update

    def _message(self, body: dict[str, Any], message_id: int, millis: int, edited: bool = False) -> dict[str, Any]:
        """Quirk: sendMessage echoes its request body (chat_id, parse_mode, a JSON-string
        link_preview_options that PTB cannot parse, ...) with a few fields added. Build the
        Message Telegram would return from it instead."""
        message: dict[str, Any] = {
            "message_id": int(message_id),
            "date": int(millis) // 1000,
            "chat": _chat(int(body["chat_id"])),
            "text": body.get("text", ""),
        }
        if self._bot_user:
            message["from"] = self._bot_user
        if rows := _inline_rows(body.get("reply_markup")):
            message["reply_markup"] = {"inline_keyboard": rows}
        if entities := _json(body.get("entities")):
            message["entities"] = entities
        if edited:
            message["edit_date"] = int(time.time())
        return message

    async def _edit(
        self, url: str, method: str, match: re.Match[str], params: dict[str, Any], timeouts: dict[str, Any]
    ) -> tuple[int, bytes]:
        """Quirk: both edits answer null (PTB cannot build the Message it returns), never
        fail, and keep the old inline keyboard unless the edit gives one (editMessageReplyMarkup
        without one is ignored), while Telegram removes it. Look the message up first, fail
        as Telegram does, send an explicit empty keyboard, and answer the edited Message."""
        if "inline_message_id" in params:  # not stored by the emulator; Telegram answers true
            return 200, _OK_TRUE
        stored = await self._stored(match["root"], match["token"], params.get("chat_id"), params.get("message_id"))
        if stored is None:
            return _error("Bad Request: message to edit not found")
        body = stored["message"]
        text = params.get("text", body.get("text", ""))
        rows = _inline_rows(params.get("reply_markup"))
        if text == body.get("text", "") and rows == _inline_rows(body.get("reply_markup")):
            return _error(
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of the message"
            )
        sent = {**params, "reply_markup": {"inline_keyboard": rows}}
        request_data = RequestData([RequestParameter(k, v, None) for k, v in sent.items()])
        code, payload = await super().do_request(url, method, request_data, **timeouts)
        if code != 200:
            return self._adapt(match["method"], code, payload)
        edited = self._message({**body, **sent, "text": text}, stored["messageId"], stored["time"], edited=True)
        return 200, json.dumps({"ok": True, "result": edited}).encode()

    async def _send_document(self, url: str, request_data: RequestData | None) -> tuple[int, bytes]:
        """PTB uploads a document as multipart/form-data; the launcher's sendDocument takes the
        file as the raw body and the other fields in the query string (see emulator_server.js).
        Answers the Message Telegram would: the caption and a `document`."""
        upload = (request_data.multipart_data if request_data else {}).get("document")
        if upload is None:  # a file_id or URL: the emulator holds no files it was not sent
            return _error("Bad Request: telegram-test-api only takes uploaded documents")
        filename, content, mimetype = upload[0], upload[1], upload[2] if len(upload) > 2 else None
        data = content.read() if hasattr(content, "read") else content
        fields = {k: v for k, v in request_data.json_parameters.items() if k != "document"}
        fields |= {"file_name": filename or "document", "mime_type": mimetype or "application/octet-stream"}
        response = await self._client.post(
            url, params=fields, content=data, headers={"content-type": "application/octet-stream"}
        )
        if response.status_code != 200:
            return _error(f"telegram-test-api sendDocument: {response.text}")
        sent = response.json()["result"]
        message = self._message({**fields, "text": ""}, sent["message_id"], sent["date"])
        del message["text"]
        message |= {"caption": fields.get("caption", ""), "document": sent["document"]}
        return 200, json.dumps({"ok": True, "result": message}).encode()

    async def _stored(self, root: str, token: str, chat_id: Any, message_id: Any) -> dict[str, Any] | None:
        response = await self._client.post(f"{root}/getUpdatesHistory", json={"token": token})
        for entry in response.json()["result"]:
            message = entry.get("message") or {}
            if (
                str(message.get("chat_id")) == str(chat_id)
                and "chat_id" in message
                and str(entry["messageId"]) == str(message_id)
            ):
                return entry
        return None

    async def _get_updates(
        self, url: str, method: str, request_data: RequestData | None, params: dict[str, Any], timeouts: dict[str, Any]
    ) -> tuple[int, bytes]:
        """Quirk: no long polling; an empty getUpdates returns at once and PTB (poll_interval
        0) would spin. Poll quietly until an update arrives or the requested timeout ends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while True:
            code, payload = await super().do_request(url, method, request_data, **timeouts)
            if code != 200 or json.loads(payload).get("result") or loop.time() >= deadline:
                return self._adapt("getUpdates", code, payload)
            await asyncio.sleep(self._long_poll_interval)


@contextlib.asynccontextmanager
async def polling(app: Application, **start_polling: Any) -> AsyncIterator[Application]:
    """Run `app` (initialised, polling, started) in the current event loop; stop it after."""
    async with app:
        await app.updater.start_polling(**start_polling)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


# --------------------------------------------------------------------------- the node process


class EmulatorServer:
    """telegram-test-api in a node process on 127.0.0.1 (a port the OS picks). A context
    manager: leaving it stops the process, whatever happened inside. The launcher also exits
    when this process's end of its stdin closes, so it does not outlive a crashed test run."""

    def __init__(self, token: str = DEFAULT_TOKEN, startup_timeout: float = 15.0) -> None:
        self.token = token
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self._stderr: Any = None

    @property
    def url(self) -> str:
        """The emulator's root: its client API (sendMessage, getUpdates, ...) lives here."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What `ApplicationBuilder().base_url(...)` needs (PTB appends the token)."""
        return f"{self.url}/bot"

    def start(self) -> EmulatorServer:
        node = shutil.which("node")
        if node is None:
            raise EmulatorUnavailable(
                "The Telegram Bot API emulator needs Node.js: `node` is not on PATH. Install Node.js "
                "(>= 18, with npm) and run `make emulator`."
            )
        if not (PACKAGE / "package.json").is_file():
            raise EmulatorUnavailable(
                f"telegram-test-api is not installed in {PACKAGE.parent}: run `make emulator` "
                "(npm ci from package-lock.json; needs npm)."
            )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the emulator's stderr, closed in stop()
        self.process = subprocess.Popen(
            [node, str(LAUNCHER)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )
        try:
            deadline = time.monotonic() + self.startup_timeout
            self.port = self._read_port(deadline)
            self._wait_until_answering(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_port(self, deadline: float) -> int:
        assert self.process and self.process.stdout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.1)
            if ready:
                line = self.process.stdout.readline()
                if line:
                    return int(json.loads(line)["port"])
            if self.process.poll() is not None:
                break
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace").strip()
        raise EmulatorUnavailable(f"the emulator (node {LAUNCHER.name}) did not start: {err or 'no output'}")

    def _wait_until_answering(self, deadline: float) -> None:
        while True:
            try:
                if httpx.get(f"{self.base_url}{self.token}/getMe", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise EmulatorUnavailable(f"the emulator on port {self.port} does not answer")
            time.sleep(0.05)

    def stop(self) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # the launcher stops the server and exits on end of stdin
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> EmulatorServer:
        return self if self.process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def application_builder(self) -> ApplicationBuilder:
        """An ApplicationBuilder pointed at this emulator, with EmulatorRequest for both kinds."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .request(EmulatorRequest())
            .get_updates_request(EmulatorRequest())
        )

    def client(self, **kwargs: Any) -> EmulatorClient:
        return EmulatorClient(self.url, self.token, **kwargs)


# --------------------------------------------------------------------------- user side


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        return user | ({"username": self.username} if self.username else {})


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    request_contact: bool = False


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as its chat sees it."""

    message_id: int
    chat_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)  # inline keyboard rows
    keyboard: list[list[Button]] = field(default_factory=list)  # reply keyboard rows
    document: dict[str, Any] | None = None  # file_id, file_name, mime_type, file_size
    caption: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def callback_data(self) -> list[str | None]:
        return [b.callback_data for row in self.buttons for b in row]

    @classmethod
    def from_stored(cls, entry: dict[str, Any]) -> BotMessage:
        """From the emulator's storage: {messageId, time, message: the bot's request body}."""
        body = entry["message"]
        markup = _json(body.get("reply_markup")) or {}

        def button(b: Any) -> Button:
            if isinstance(b, str):
                return Button(b)
            return Button(b["text"], b.get("callback_data"), b.get("url"), bool(b.get("request_contact")))

        return cls(
            message_id=int(entry["messageId"]),
            chat_id=int(body["chat_id"]),
            text=body.get("text", ""),
            buttons=[[button(b) for b in row] for row in markup.get("inline_keyboard") or []],
            keyboard=[[button(b) for b in row] for row in markup.get("keyboard") or []],
            document=body.get("document"),
            caption=body.get("caption", ""),
            raw=entry,
        )


class EmulatorClient:
    """Telegram users talking to the bot through the emulator's client API. Async (use it in
    the event loop the bot runs in); `async with` closes its HTTP client."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0, poll_interval: float = 0.05) -> None:
        self.token = token
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._http = httpx.AsyncClient(base_url=url, timeout=10)
        self._received: dict[int, list[BotMessage]] = {}
        self._waited: dict[int, int] = {}  # per chat: how many received messages wait_for used up

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self._http.post(path, json=body)
        response.raise_for_status()
        return response.json().get("result")

    def _message(self, user: User, chat_id: int, **content: Any) -> dict[str, Any]:
        chat = (
            (
                {"id": chat_id, "type": "private", "first_name": user.first_name}
                | ({"username": user.username} if user.username else {})
            )
            if chat_id == user.id
            else _chat(chat_id)
        )
        return {"botToken": self.token, "from": user.as_dict(), "chat": chat, "date": int(time.time()), **content}

    # -- what users do

    async def send_text(self, user: User, chat_id: int, text: str) -> None:
        await self._post("/sendMessage", self._message(user, chat_id, text=text))

    async def send_command(self, user: User, chat_id: int, text: str) -> None:
        """`/start join-ABC`: the emulator wants the bot_command entity spelled out."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        entity = {"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}
        await self._post("/sendCommand", self._message(user, chat_id, text=text, entities=[entity]))

    async def send_contact(self, user: User, chat_id: int, phone_number: str) -> None:
        """Share one's own phone number (the answer to a request_contact button)."""
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        await self._post("/sendMessage", self._message(user, chat_id, contact=contact))

    async def send_voice(self, user: User, chat_id: int, duration: int = 3) -> None:
        """A voice message (the emulator stores no audio; the bot can forward it, not download it)."""
        file_id = f"voice-{user.id}-{time.time_ns()}"
        voice = {"file_id": file_id, "file_unique_id": file_id, "duration": duration, "mime_type": "audio/ogg"}
        await self._post("/sendMessage", self._message(user, chat_id, voice=voice))

    async def send_photo(self, user: User, chat_id: int, caption: str = "") -> None:
        file_id = f"photo-{user.id}-{time.time_ns()}"
        photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480}]
        await self._post(
            "/sendMessage", self._message(user, chat_id, photo=photo, **({"caption": caption} if caption else {}))
        )

    async def send_location(self, user: User, chat_id: int, latitude: float, longitude: float) -> None:
        await self._post(
            "/sendMessage", self._message(user, chat_id, location={"latitude": latitude, "longitude": longitude})
        )

    async def press(self, user: User, chat_id: int, callback_data: str, message_id: int) -> str:
        """Press the inline button carrying `callback_data` on the bot's message `message_id`
        (as it is now). Returns the callback query id, for `callback_answer`."""
        message = next((m for m in await self.history(chat_id) if m.message_id == message_id), None)
        if message is None:
            raise AssertionError(f"the bot sent no message {message_id} to chat {chat_id}")
        if callback_data not in message.callback_data:
            raise AssertionError(f"message {message_id} has no button {callback_data!r}: {message.buttons}")
        shown = {
            "message_id": message_id,
            "date": int(message.raw["time"]) // 1000,
            "chat": _chat(chat_id),
            "text": message.text,
            "reply_markup": {"inline_keyboard": _inline_rows(message.raw["message"].get("reply_markup"))},
        }
        query = {"botToken": self.token, "from": user.as_dict(), "message": shown, "data": callback_data}
        return (await self._post("/sendCallback", query))["callback_query_id"]

    # -- what users see

    async def updates_for(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot has sent to `chat_id` so far, as it was when it arrived (edits
        show only in `history`)."""
        new = await self._post("/getUpdates", {"token": self.token, "chatId": chat_id})
        self._received.setdefault(chat_id, []).extend(BotMessage.from_stored(e) for e in new)
        return list(self._received[chat_id])

    async def history(self, chat_id: int | None = None) -> list[BotMessage]:
        """The bot's messages as they are now (edits applied), oldest first, from the
        emulator's getUpdatesHistory; the users' own updates are left out."""
        entries = await self._post("/getUpdatesHistory", {"token": self.token})
        mine = [BotMessage.from_stored(e) for e in entries if "chat_id" in (e.get("message") or {})]
        return [m for m in mine if chat_id is None or m.chat_id == chat_id]

    async def document(self, message: BotMessage) -> bytes:
        """The bytes of the document the bot sent in `message` (as the user would download it)."""
        if message.document is None:
            raise AssertionError(f"message {message.message_id} carries no document: {message.text!r}")
        response = await self._http.post(
            "/getDocument", json={"token": self.token, "file_id": message.document["file_id"]}
        )
        response.raise_for_status()
        return response.content

    async def callback_answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery the bot made: {callback_query_id, text, show_alert, ...}."""
        return await self._post("/getCallbackAnswers", {"token": self.token})

    async def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        return next(
            (a for a in await self.callback_answers() if str(a.get("callback_query_id")) == callback_query_id), None
        )

    async def until(
        self, probe: Callable[[], Awaitable[T | None]], timeout: float | None = None, what: str = "the condition"
    ) -> T:
        """Poll `probe` until it returns something other than None/False; fail after `timeout`."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            value = await probe()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(self.poll_interval)

    async def wait_for(
        self, chat_id: int, predicate: Callable[[BotMessage], bool], timeout: float | None = None
    ) -> BotMessage:
        """The next message to `chat_id` (after those earlier wait_for calls returned) that
        satisfies `predicate`. Fails after `timeout` seconds, listing what did arrive."""

        async def probe() -> BotMessage | None:
            received = await self.updates_for(chat_id)
            for i in range(self._waited.get(chat_id, 0), len(received)):
                if predicate(received[i]):
                    self._waited[chat_id] = i + 1
                    return received[i]
            return None

        try:
            return await self.until(probe, timeout)
        except AssertionError:
            seen = [m.text for m in self._received.get(chat_id, [])[self._waited.get(chat_id, 0) :]]
            raise AssertionError(
                f"no matching message to chat {chat_id} within "
                f"{self.timeout if timeout is None else timeout} s; it got {seen}"
            ) from None
