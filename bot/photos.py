"""A photo sent during an order belongs to that order (issue 14, item 3).

A resident who sends a photo while placing an order (the guided order's draft is open, or
Rasa has a wish or service form active) or right after it (their newest request, submitted
in the last `PHOTO_AFTER_ORDER_MINUTES`) has it attached to that request
(`community.lifecycle.attach_photo`): it is in the request's history for staff and is
forwarded to the volunteer who claims it, after the contact details; never on the offer
cards. During an order the photo waits in user_data (`PENDING`) until the request exists:
the guided order attaches it on 提交, a Rasa reply carrying the outbox marker (the form was
submitted) attaches it to the request submitted since; a form that ended without a
submission drops it. Any other photo goes to the person on call as before (bot/handoff.py).
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import ContextTypes

from bot import chinese, texts, wizards
from community import clock, handoff, lifecycle
from community.actors import actor_for_telegram
from community.errors import DomainError
from community.models import Person, Request
from community.settings import get_settings

log = logging.getLogger(__name__)

PENDING = "order_photos"  # user_data: [{"file_id", "chat_id", "message_id", "at"}]
ORDER_WIZARD = "resident_order"  # bot/resident.py's guided order
ORDER_FORMS = ("wish_form", "service_form")
# A kept photo older than this belongs to no order any more (an abandoned draft, a Rasa
# session expired: 120 minutes): it is not attached to a later one.
KEEP_FOR = timedelta(hours=2)


def _ref(update: Update) -> dict[str, Any]:
    message = update.effective_message
    return {"file_id": message.photo[-1].file_id, "chat_id": message.chat_id, "message_id": message.message_id}


async def ordering(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Is this resident in the middle of placing an order (guided, or a Rasa form)?"""
    if wizards.draft(context, ORDER_WIZARD) is not None:
        return True
    relay = context.application.bot_data.get("relay")
    return relay is not None and await relay.active_form(update.effective_user.id) in ORDER_FORMS


def _attach(factory: sessionmaker[Session], telegram_id: int, refs: list[dict], since: datetime | None) -> int | None:
    """Attach `refs` to the resident's request: the newest one submitted since `since`, or
    (without `since`) in the last few minutes. The request id, or None if there is none."""
    with factory() as s, s.begin():
        actor = actor_for_telegram(s, telegram_id)
        if actor is None or actor.resident_id is None:
            return None
        if since is None:
            req = lifecycle.recent_request(s, actor, get_settings().photo_after_order_minutes)
        else:
            req = lifecycle.recent_request(s, actor, None, since=since)
        if req is None:
            return None
        for ref in refs:
            lifecycle.attach_photo(
                s, actor, req.id, file_id=ref["file_id"], chat_id=ref["chat_id"], message_id=ref["message_id"]
            )
        return req.id


def _open_handoff(factory: sessionmaker[Session], telegram_id: int) -> bool | None:
    """None: not a consented resident; True: a person is on the line (the photo is theirs)."""
    with factory() as s:
        actor = actor_for_telegram(s, telegram_id)
        if actor is None or actor.resident_id is None:
            return None
        person = s.get(Person, actor.person_id)
        if person is None or person.resident is None or person.resident.consent_at is None:
            return None
        return handoff.current(s, person.id) is not None


async def take(update: Update, context: ContextTypes.DEFAULT_TYPE, factory, on_commit) -> bool:
    """A resident's photo: kept for the order being placed, or attached to the one just
    placed; True if so (and the resident was told), False for the person on call."""
    user_id = update.effective_user.id
    on_line = await asyncio.to_thread(_open_handoff, factory, user_id)
    if on_line is None or on_line:
        return False
    ref = _ref(update)
    if await ordering(update, context):
        pending = list(context.user_data.get(PENDING) or [])
        pending.append(ref | {"at": clock.now().isoformat()})
        context.user_data[PENDING] = pending
        await update.effective_message.reply_text(chinese.for_reader(context.user_data, texts.PHOTO_KEPT))
        return True
    try:
        rid = await asyncio.to_thread(_attach, factory, user_id, [ref], None)
    except DomainError as exc:
        log.info("photo from %s not attached: %s", user_id, exc.message)
        return False
    if rid is None:
        return False
    on_commit()  # a volunteer holding it gets it now
    await update.effective_message.reply_text(
        chinese.for_reader(context.user_data, texts.PHOTO_ATTACHED.format(id=rid))
    )
    return True


async def submitted(
    update: Update, context: ContextTypes.DEFAULT_TYPE, factory, on_commit, request_id: int | None = None
) -> None:
    """After an order was submitted (guided: its id; Rasa: the request submitted since the
    first kept photo): the kept photos join it."""
    pending = context.user_data.get(PENDING) if context.user_data is not None else None
    if not pending:
        return
    context.user_data.pop(PENDING, None)
    pending = [p for p in pending if datetime.fromisoformat(p["at"]) >= clock.now() - KEEP_FOR]
    if not pending:
        return
    since = min(datetime.fromisoformat(p["at"]) for p in pending)
    try:
        if request_id is not None:
            rid = await asyncio.to_thread(_attach_to, factory, update.effective_user.id, pending, request_id)
        else:
            rid = await asyncio.to_thread(_attach, factory, update.effective_user.id, pending, since)
    except DomainError as exc:
        log.info("kept photos not attached: %s", exc.message)
        return
    if rid is not None:
        on_commit()
        await update.effective_message.reply_text(
            chinese.for_reader(context.user_data, texts.PHOTO_ATTACHED.format(id=rid))
        )


def _attach_to(factory: sessionmaker[Session], telegram_id: int, refs: list[dict], request_id: int) -> int | None:
    with factory() as s, s.begin():
        actor = actor_for_telegram(s, telegram_id)
        if actor is None or s.get(Request, request_id) is None:
            return None
        for ref in refs:
            lifecycle.attach_photo(
                s, actor, request_id, file_id=ref["file_id"], chat_id=ref["chat_id"], message_id=ref["message_id"]
            )
        return request_id


def drop(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The order ended without a submission: its photos are not kept for the next one."""
    if context.user_data is not None:
        context.user_data.pop(PENDING, None)


async def after_assistant(
    update: Update, context: ContextTypes.DEFAULT_TYPE, markers: set[str], factory, on_commit
) -> None:
    """After a Rasa reply: a submitted form takes the kept photos; a form that ended
    otherwise drops them."""
    if not (context.user_data or {}).get(PENDING):
        return
    if "outbox" in markers:
        await submitted(update, context, factory, on_commit)
        return
    relay = context.application.bot_data.get("relay")
    if relay is not None and await relay.active_form(update.effective_user.id) not in ORDER_FORMS:
        drop(context)
