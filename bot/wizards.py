"""What the bot's three step-by-step conversations share: the resident's guided order
(bot/resident.py), the staff questions and 代下单 (bot/staff.py) and the volunteer's note
after finishing (bot/volunteer.py). Each is a PTB `ConversationHandler` (persistent, named),
as in PTB's examples/conversationbot.py.

Groups. Each wizard sits in its own handler group before group 0, where every other handler
is (first match wins there). A step a wizard takes raises `ApplicationHandlerStop`, so no
later handler also sees that message. The order decides who gets a message when one person
has two wizards open (a staff member who also lives here): the volunteer's note first (any
other press or command ends it: it is optional), then a staff question, then the guided
order. Starting the guided order ends an open staff question, so the newest question always
gets the next text.

Drafts. A wizard keeps its draft in user_data[`draft:<name>`] with the time of the last
step. A draft untouched for DRAFT_TIMEOUT_SECONDS (24 h) is dropped by `expire_drafts` (run
by the bot every few minutes), and the person is told politely; the conversation, still in
its last state, ends on their next message, which is then handled as if no wizard were open
(`PASS`). PTB's own `conversation_timeout` is not used: it runs on the JobQueue, whose jobs
are not persisted, so a draft restored after a restart would never time out.
"""

import asyncio
import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ConversationHandler,
)
from telegram.warnings import PTBUserWarning

from bot.persistence import save_state

log = logging.getLogger(__name__)

NOTE_GROUP, STAFF_GROUP, RESIDENT_GROUP = -3, -2, -1
END = ConversationHandler.END
PASS = object()  # a step's result: end the conversation and let later handlers see the update
DRAFT_TIMEOUT_SECONDS = 24 * 3600.0  # the default of BotSettings.draft_timeout_seconds
TIMEOUT_KEY = "draft_timeout_seconds"  # bot_data
GUIDED_ORDER_ENTRY = r"^order:\d+$"  # the resident's category buttons start the guided order


@dataclass(frozen=True)
class Wizard:
    name: str  # the ConversationHandler's name, also the draft's key in user_data
    expired_text: str | None  # told to the person when the draft expires (None: end quietly)


REGISTERED: dict[str, Wizard] = {}


def draft_key(name: str) -> str:
    return f"draft:{name}"


def open_draft(context: ContextTypes.DEFAULT_TYPE, name: str, **fields: Any) -> dict:
    draft = {**fields, "at": time.time()}
    context.user_data[draft_key(name)] = draft
    return draft


def set_timeout(app: Application, seconds: float) -> None:
    app.bot_data[TIMEOUT_KEY] = seconds


def _timeout(app: Application) -> float:
    return app.bot_data.get(TIMEOUT_KEY, DRAFT_TIMEOUT_SECONDS)


def draft(context: ContextTypes.DEFAULT_TYPE, name: str) -> dict | None:
    """The open draft (its clock restarted), or None if there is none or it expired."""
    found = (context.user_data or {}).get(draft_key(name))
    if found is None or time.time() - found["at"] > _timeout(context.application):
        return None
    found["at"] = time.time()
    return found


def close_draft(context: ContextTypes.DEFAULT_TYPE, name: str) -> None:
    context.user_data.pop(draft_key(name), None)


Step = Callable[..., Awaitable[object]]


def step(fn: Step) -> Step:
    """A wizard callback returns its next state (None: stay), END, or PASS. Anything but PASS
    consumes the update (no later group sees it); PASS ends the conversation and lets the
    update through, e.g. a message after the draft expired."""

    @functools.wraps(fn)
    async def wrapper(*args: Any) -> object:
        state = await fn(*args)
        if state is PASS:
            return END
        raise ApplicationHandlerStop(state)

    return wrapper


async def end_quietly(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    return END  # no ApplicationHandlerStop: the update goes on to the next groups


def ended_by(patterns: list[str]) -> list[BaseHandler]:
    """Fallbacks that end a wizard when one of these buttons is pressed, passing the press on."""
    return [CallbackQueryHandler(end_quietly, pattern=p) for p in patterns]


def conversation(wizard: Wizard, **kwargs: Any) -> ConversationHandler:
    REGISTERED[wizard.name] = wizard
    with warnings.catch_warnings():
        # "per_message=False: CallbackQueryHandler will not be tracked for every message": we
        # track per chat and user on purpose (one draft per person, whichever card is pressed).
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(name=wizard.name, persistent=True, allow_reentry=True, **kwargs)


async def expire_drafts_every(app: Application) -> None:
    """The bot's background task: expire drafts, save what changed, a few times per timeout."""
    interval = min(_timeout(app) / 4, 300.0)
    while True:
        await asyncio.sleep(interval)
        try:
            if await expire_drafts(app):
                await save_state(app)
        except Exception:
            log.exception("expiring drafts failed; trying again in %.0f s", interval)


async def expire_drafts(app: Application, now: float | None = None) -> int:
    """Drop drafts untouched for the timeout and tell their owners; returns how many."""
    now = time.time() if now is None else now
    timeout = _timeout(app)
    expired: list[tuple[int, Wizard]] = []
    for user_id, data in list(app.user_data.items()):
        for wizard in REGISTERED.values():
            found = data.get(draft_key(wizard.name))
            if found is not None and now - found["at"] > timeout:
                del data[draft_key(wizard.name)]
                expired.append((user_id, wizard))
    if expired:
        app.mark_data_for_update_persistence(user_ids=[user_id for user_id, _ in expired])
    for user_id, wizard in expired:
        log.info("draft %s of user %s expired", wizard.name, user_id)
        if wizard.expired_text:
            try:
                await app.bot.send_message(user_id, wizard.expired_text)  # a private chat's id is the user's
            except TelegramError as exc:  # e.g. they blocked the bot: the draft is gone all the same
                log.info("could not tell user %s (%s)", user_id, type(exc).__name__)
    return len(expired)
