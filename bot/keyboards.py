"""Domain buttons ↔ Telegram inline keyboards.

A domain button names an action and a request (`community.outbox.button`). Its
callback_data is that, compactly: `claim:12`, `rate:12:5` (always far under Telegram's
64 bytes). It carries no authority: every press is re-checked against the database, so a
forged or stale payload is refused like any other not-allowed action.
"""

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Press:
    action: str
    request_id: int
    arg: str | None = None


def encode(button: dict) -> str:
    parts = [button["action"], str(button["request_id"])]
    extra = button.get("score", button.get("arg"))
    if extra is not None:
        parts.append(str(extra))
    data = ":".join(parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback_data too long: {data!r}")
    return data


def decode(data: str | None) -> Press | None:
    """A press, or None for anything malformed (which the caller refuses politely)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) not in (2, 3) or not parts[0].isidentifier() or not parts[1].isdigit():
        return None
    return Press(parts[0], int(parts[1]), parts[2] if len(parts) == 3 else None)


def markup(rows: list[list[dict]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=encode(b)) for b in row] for row in rows]
    )
