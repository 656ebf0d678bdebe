"""The information desk in chat without Rasa: `/faq <question>` answers from the
community's spreadsheets (community.faq), `/faq` alone lists what the desk knows, so a
resident gets the office's hours or how to get a certificate even while Rasa is down;
`/faqgaps` shows staff the most asked questions it could not answer, so they can add
answers to faq.csv. Free-text questions go through Rasa (intent ask_info, actions/faq.py)
and end in the same `community.faq.answer`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import texts
from community import faq
from community.actors import actor_for_telegram
from community.errors import DomainError, Forbidden
from community.models import Community

log = logging.getLogger(__name__)
TOPICS_SHOWN = 30


def register(app: Application, factory: sessionmaker[Session]) -> FaqHandlers:
    handlers = FaqHandlers(factory)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("faq", handlers.ask, filters=private))
    app.add_handler(CommandHandler("faqgaps", handlers.gaps, filters=private))
    return handlers


def _answers_politely(
    fn: Callable[[Any, Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]],
) -> Callable[[Any, Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """A refusal is the reply; anything unexpected is logged and apologised for."""

    @functools.wraps(fn)
    async def wrapper(self: Any, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await fn(self, update, context)
        except DomainError as exc:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(exc.message)
        except Exception:
            log.exception("faq handler %s failed", fn.__name__)
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(texts.SOMETHING_WRONG)

    return wrapper


class FaqHandlers:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def _community(self, s: Session, telegram_id: int) -> Community:
        actor = actor_for_telegram(s, telegram_id)
        community = faq.community_for(s, actor.person_id if actor else None)
        if community is None:
            raise Forbidden(texts.FAQ_NO_COMMUNITY)
        return community

    @_answers_politely
    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = " ".join(context.args or []).strip()
        telegram_id = update.effective_user.id

        def work() -> str:
            with self.factory() as s, s.begin():
                community = self._community(s, telegram_id)
                if not faq.normalize_question(question):
                    topics = [e.questions[0] for e in faq.entries(s, community)][:TOPICS_SHOWN]
                    return texts.FAQ_TOPICS.format(topics="、".join(topics)) if topics else texts.FAQ_EMPTY
                return faq.answer(s, community, question).text

        await update.effective_message.reply_text(await asyncio.to_thread(work))

    @_answers_politely
    async def gaps(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        telegram_id = update.effective_user.id

        def work() -> str:
            with self.factory() as s:
                actor = actor_for_telegram(s, telegram_id)
                if actor is None or not actor.is_staff:
                    raise Forbidden(texts.STAFF_ONLY)
                return faq.gaps_text(s, s.get(Community, actor.community_id))

        await update.effective_message.reply_text(await asyncio.to_thread(work))
