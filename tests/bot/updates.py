"""Builders for incoming Telegram updates (commands, text, contacts) for handler tests."""

from itertools import count

from telegram import Update

_ids = count(10_000)


def _message(app, user_id: int, **content) -> Update:
    return Update.de_json(
        {
            "update_id": next(_ids),
            "message": {
                "message_id": next(_ids),
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "用户"},
                **content,
            },
        },
        app.bot,
    )


def command(app, user_id: int, text: str) -> Update:
    name = text.split()[0]
    return _message(app, user_id, text=text, entities=[{"type": "bot_command", "offset": 0, "length": len(name)}])


def text(app, user_id: int, value: str) -> Update:
    return _message(app, user_id, text=value)


def contact(app, user_id: int, phone: str, owner_id: int | None = None) -> Update:
    return _message(
        app,
        user_id,
        contact={"phone_number": phone, "first_name": "用户", "user_id": user_id if owner_id is None else owner_id},
    )


def sticker(app, user_id: int) -> Update:
    return _message(
        app,
        user_id,
        sticker={
            "file_id": "CAAC",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
