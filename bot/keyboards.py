"""Domain buttons ↔ Telegram inline keyboards.

A domain button names an action and a request (`community.outbox.button`). Its
callback_data is that, compactly: `claim:12`, `rate:12:5` (always far under Telegram's
64 bytes). It carries no authority: every press is re-checked against the database, so a
forged or stale payload is refused like any other not-allowed action.
"""

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64
MAX_ID = 2**31 - 1  # ids are INTEGER columns (4 bytes on PostgreSQL); anything larger is forged
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits only ("²".isdigit() is True)
_ACTION = re.compile(r"[a-z_]{1,20}")
# The third part of the presses that must have one, and its shape; any other press may carry
# at most another id (`hocat:<handoff>:<category>`).
ARGS = {
    "rate": re.compile(r"[1-5]"),
    "hours": re.compile(r"(?:[0-9]{1,2})(?:\.[0-9]{1,2})?"),
    "dispatch": _ID,
    "queue": re.compile(r"[a-z_]{1,20}"),
    "urgent": re.compile(r"[01]"),
}


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
    """A press, or None for anything malformed (which the caller refuses politely): not
    `action:<id>[:arg]`, an id that is not ASCII digits or does not fit the database, an argument the action does
    not take or of the wrong shape (`rate:2:5.5`, `hours:1:abc`, `claim:1:x`)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) not in (2, 3) or not _ACTION.fullmatch(parts[0]) or not _ID.fullmatch(parts[1]):
        return None
    arg = parts[2] if len(parts) == 3 else None
    shape = ARGS.get(parts[0])
    if shape is not None and (arg is None or not shape.fullmatch(arg)):
        return None
    if shape is None and arg is not None and not _ID.fullmatch(arg):  # other presses: an id at most
        return None
    if int(parts[1]) > MAX_ID or (arg is not None and _ID.fullmatch(arg) and int(arg) > MAX_ID):
        return None
    return Press(parts[0], int(parts[1]), arg)


def markup(rows: list[list[dict]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=encode(b)) for b in row] for row in rows]
    )
