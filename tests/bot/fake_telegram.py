"""A fake transport for python-telegram-bot: a real Bot and Application, but every Bot API
call is recorded and answered here, so handlers can be tested without any server."""

import json
from itertools import count

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest

BOT_USER = {"id": 1, "is_bot": True, "first_name": "暖心", "username": "nuanxin_bot"}


class FakeRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.uploads: list[tuple[str, dict]] = []  # (method, {field: (file name, bytes, mime type)})
        self._ids = count(1000)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self):
        return 1

    async def do_request(self, url, method, request_data=None, **_):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        if request_data is not None and request_data.contains_files:
            self.uploads.append((name, request_data.multipart_data))
        if name == "getMe":
            result = BOT_USER
        elif name in ("sendMessage", "editMessageText"):
            result = {
                "message_id": params.get("message_id", next(self._ids)),
                "date": 0,
                "chat": {"id": params["chat_id"], "type": "private"},
                "text": params["text"],
            }
        elif name == "sendDocument":
            result = {
                "message_id": next(self._ids),
                "date": 0,
                "chat": {"id": params["chat_id"], "type": "private"},
                "document": {"file_id": "doc", "file_unique_id": "doc"},
            }
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def of(self, method: str) -> list[dict]:
        return [p for m, p in self.calls if m == method]


async def make_app(*handlers, persistence=None, setup=None, last=None) -> tuple[Application, FakeRequest]:
    """An application with these handlers, then `setup(app)`'s, then `last`, initialised.
    `persistence` (bot.persistence's) is needed for the bot's wizards, which are persistent
    ConversationHandlers."""
    request = FakeRequest()
    builder = Application.builder().token("1:TEST").request(request).get_updates_request(FakeRequest())
    if persistence is not None:
        builder = builder.persistence(persistence)
    app = builder.build()
    for handler in handlers:
        app.add_handler(handler)
    if setup is not None:
        setup(app)
    if last is not None:
        app.add_handler(last)
    await app.initialize()
    return app, request


_update_ids = count(1)


def press(app: Application, telegram_id: int, data: str, message_id: int = 5) -> Update:
    return Update.de_json(
        {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": str(next(_update_ids)),
                "from": {"id": telegram_id, "is_bot": False, "first_name": "用户"},
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": 0,
                    "chat": {"id": telegram_id, "type": "private"},
                    "text": "卡片",
                },
            },
        },
        app.bot,
    )


def message(app: Application, telegram_id: int, text: str, message_id: int = 7) -> Update:
    """A private text message; a leading /command is marked as one, as Telegram does."""
    entities = []
    if text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json(
        {
            "update_id": next(_update_ids),
            "message": {
                "message_id": message_id,
                "date": 0,
                "text": text,
                "entities": entities,
                "from": {"id": telegram_id, "is_bot": False, "first_name": "用户"},
                "chat": {"id": telegram_id, "type": "private"},
            },
        },
        app.bot,
    )
