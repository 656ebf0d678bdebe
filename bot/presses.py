"""Every refused press through one place, and the brake before any handler.

Any Telegram client can send any callback_data, so a press the bot refuses because the
presser has no business with it (malformed data, an action no handler knows, another
person's request, another role's button, a button that is no longer valid) is refused
through `refuse`: answered politely, logged with the presser and on record
(`community.refusals`), whichever handler refused it (domain, resident, staff, volunteer,
转人工, Rasa buttons). `gate` runs before every other handler group: a braked account's
presses are answered "操作太频繁" and go no further, and malformed data is refused there, so
no handler ever parses it.

Not counted: a claim lost to a quicker volunteer, a press before consent, a wrong-state
press on one's own card (a second 出发): those are honest, not probes.
"""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.keyboards import decode
from community import refusals
from community import texts as core
from community.actors import actor_for_telegram
from community.errors import DomainError, Forbidden, NotFound

log = logging.getLogger(__name__)
UNKNOWN_ACTION = "invalid"  # what the record calls a press no handler makes (core.ACTION_NAMES)


def install(app: Application, factory: sessionmaker[Session], wake: Callable[[], None]) -> None:
    """What `refuse` needs: the database, and the outbox's wake-up (staff may be told)."""
    app.bot_data["factory"] = factory
    app.bot_data["wake"] = wake


class StaleButton(DomainError):
    """A press no handler accepts now: counted like a forged one."""

    code = "stale_button"

    def __init__(self, message: str = texts.STALE_BUTTON) -> None:
        super().__init__(message)


def counts(exc: DomainError) -> bool:
    """Does this refusal count towards the brake? (No business with it: yes.)"""
    return isinstance(exc, Forbidden | NotFound | StaleButton)


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, code: str = "stale_button") -> None:
    """Answer the press with `message`, log it and put it on record against the presser."""
    query = update.callback_query
    press = decode(query.data)
    action = press.action if press is not None else UNKNOWN_ACTION
    request_id = press.request_id if press is not None else 0
    factory = context.bot_data["factory"]

    def work() -> tuple[int | None, int]:
        with factory() as s, s.begin():
            actor = actor_for_telegram(s, query.from_user.id)
            if actor is None:
                return None, 0
            return actor.person_id, refusals.record_refusal(s, actor, action, request_id, message)

    person, count = await asyncio.to_thread(work)
    log.warning(
        "press refused (update %s): %s on request %s by telegram user %s (person %s, %s in %s min): %s",
        update.update_id,
        action,
        request_id,
        query.from_user.id,
        person,
        count,
        int(refusals.REFUSAL_WINDOW.total_seconds() // 60),
        code,
    )
    if count == refusals.REFUSAL_LIMIT:
        context.bot_data["wake"]()  # staff were just told
    await query.answer(message, show_alert=True)


async def refuse_error(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: DomainError) -> None:
    """A handler's refusal of a press: counted if it is one (`counts`), else just the answer."""
    if counts(exc):
        await refuse(update, context, exc.message, exc.code)
    else:
        await update.callback_query.answer(exc.message, show_alert=True)


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last handler: a press nobody took."""
    await refuse(update, context, texts.STALE_BUTTON)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before every handler: braked accounts and malformed data go no further."""
    query = update.callback_query
    factory = context.bot_data["factory"]

    def braked() -> bool:
        with factory() as s:
            actor = actor_for_telegram(s, query.from_user.id)
            return actor is not None and refusals.is_braked(s, actor)

    if await asyncio.to_thread(braked):
        await query.answer(core.ERR_TOO_MANY_REFUSED, show_alert=True)
        raise ApplicationHandlerStop
    if decode(query.data) is None:
        await refuse(update, context, texts.STALE_BUTTON, "malformed")
        raise ApplicationHandlerStop
