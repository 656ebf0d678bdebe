"""Button presses → lifecycle calls.

Every press is decoded (malformed → polite refusal), the presser is looked up in the
database by Telegram id (never trusted from the payload), and the lifecycle checks role,
ownership and state. Database work runs in a thread so the event loop keeps serving.
Callback queries are always answered, with the Chinese refusal if there is one; anything
unexpected is the application's error handler's (bot/errors.py). The 驳回 reason is asked by
the staff wizard (bot/staff.py); after 已完成 and the hours, the volunteer's note wizard
(bot/volunteer.py) asks for a note.
"""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import presses, texts
from bot.keyboards import Press, decode
from community import lifecycle, routing
from community.actors import Actor, actor_for_telegram
from community.errors import AlreadyClaimed, DomainError, Forbidden, NotFound
from community.models import Request

log = logging.getLogger(__name__)
HOUR_CHOICES = ("0.5", "1", "2", "3", "4")


def _rate(s: Session, actor: Actor, press: Press):
    return lifecycle.rate(s, actor, press.request_id, int(press.arg or 0))


def _hours(s: Session, actor: Actor, press: Press):
    return lifecycle.finish(s, actor, press.request_id, float(press.arg))


def _dispatch(s: Session, actor: Actor, press: Press):
    return lifecycle.dispatch(s, actor, press.request_id, int(press.arg))


# Presses that act at once. `finish` and `reassign` first ask which (with buttons).
IMMEDIATE: dict[str, Callable[[Session, Actor, Press], object]] = {
    "claim": lambda s, a, p: lifecycle.claim(s, a, p.request_id),
    "decline": lambda s, a, p: lifecycle.decline(s, a, p.request_id),
    "start": lambda s, a, p: lifecycle.start(s, a, p.request_id),
    "release": lambda s, a, p: lifecycle.release(s, a, p.request_id),
    "unassign": lambda s, a, p: lifecycle.unassign(s, a, p.request_id),
    "publish": lambda s, a, p: lifecycle.publish(s, a, p.request_id),
    "confirm": lambda s, a, p: lifecycle.confirm(s, a, p.request_id),
    "reopen": lambda s, a, p: lifecycle.reopen(s, a, p.request_id),
    "rate": _rate,
    "hours": _hours,
    "dispatch": _dispatch,
}
TOAST = {**texts.DONE, "hours": texts.DONE["finish"]}
QUESTIONS = ("finish", "reassign")
# The callback_data this module answers (other handlers own other prefixes).
DOMAIN_ACTIONS = r"^(" + "|".join([*IMMEDIATE, *QUESTIONS]) + r"):"


class Callbacks:
    def __init__(self, factory: sessionmaker[Session], on_commit: Callable[[], None] = lambda: None) -> None:
        self.factory = factory
        self.on_commit = on_commit  # wakes the outbox sender

    async def handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Answer a press; True if it changed something."""
        query = update.callback_query
        press = decode(query.data)
        if press is None or (press.action not in IMMEDIATE and press.action not in QUESTIONS):
            await presses.refuse(update, context, texts.STALE_BUTTON)
            return False
        try:
            reply = await asyncio.to_thread(self._apply, query.from_user.id, press)
        except AlreadyClaimed as exc:
            await query.answer(exc.message, show_alert=True)
            await query.edit_message_text(texts.TAKEN_CARD.format(id=press.request_id))  # the loser's card
            return False
        except DomainError as exc:  # no business with this request: on record (bot/presses.py)
            await presses.refuse_error(update, context, exc)
            return False
        if isinstance(reply, tuple):  # a follow-up question with its own keyboard
            await query.answer()
            await query.message.reply_text(reply[0], reply_markup=reply[1])
            return False
        self.on_commit()
        await query.answer(reply)
        return True

    def _apply(self, telegram_id: int, press: Press) -> str | tuple:
        with self.factory() as s, s.begin():
            actor = actor_for_telegram(s, telegram_id)
            if actor is None:
                raise DomainError(texts.NOT_REGISTERED)
            if press.action in IMMEDIATE:
                IMMEDIATE[press.action](s, actor, press)
                return TOAST[press.action]
            return self._question(s, actor, press)

    def _question(self, s: Session, actor: Actor, press: Press) -> tuple:
        """The presses that need an answer first; each re-checks what it can up front."""
        req = s.get(Request, press.request_id)
        if req is None or req.community_id != actor.community_id:
            raise NotFound(lifecycle.texts.ERR_NOT_FOUND.format(request_id=press.request_id))
        if press.action == "finish":
            if actor.volunteer_id is None or req.volunteer_id != actor.volunteer_id:
                raise Forbidden(lifecycle.texts.ERR_NOT_YOUR_TASK)
            default = req.category.default_hours if req.category else 1.0
            row = [
                InlineKeyboardButton(
                    texts.HOURS_DEFAULT.format(hours=f"{default:g}"), callback_data=f"hours:{req.id}:{default:g}"
                )
            ]
            row += [
                InlineKeyboardButton(texts.HOURS_OPTION.format(hours=h), callback_data=f"hours:{req.id}:{h}")
                for h in HOUR_CHOICES
                if float(h) != default
            ]
            return texts.ASK_HOURS.format(id=req.id), InlineKeyboardMarkup([row[:3], row[3:]])
        if not (actor.is_staff or req.grid_id in actor.leader_grid_ids):
            raise Forbidden(lifecycle.texts.ERR_NOT_STAFF_OR_LEADER)
        candidates = routing.rank_candidates(
            s,
            grid_id=req.grid_id,
            building_id=req.building_id,
            category_id=req.category_id,
            community_id=req.community_id,
            exclude=frozenset({req.volunteer_id} - {None}),
            limit=6,
        )
        buttons = [
            [InlineKeyboardButton(f"{c.name}（在办 {c.load}）", callback_data=f"dispatch:{req.id}:{c.volunteer_id}")]
            for c in candidates
        ]
        if lifecycle.denial(s, actor, req, "unassign") is None:  # held by someone: or back to the offers
            buttons.append([InlineKeyboardButton(texts.UNASSIGN_BUTTON, callback_data=f"unassign:{req.id}")])
        if not buttons:
            return texts.NO_CANDIDATES.format(id=req.id), None
        return texts.ASK_REASSIGN.format(id=req.id), InlineKeyboardMarkup(buttons)
