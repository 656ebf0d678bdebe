"""Recognition in chat: `/rank` (the month's leaderboards, and leaving or rejoining them),
`/certificate` (a volunteer's certificate of service as a PDF) and, for staff,
`/workunits` (the on-duty party members' report per work unit). The rules and figures are
`community.recognition`'s; this module only renders them.

Who may do what is looked up from the database on every update (a pressed button carries
no authority): boards are for volunteers and staff, certificates for volunteers (their
own), the work-unit report for staff.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import presses, texts
from community import clock, recognition
from community.actors import Actor, actor_for_telegram
from community.errors import DomainError, Forbidden
from community.models import Volunteer, VolunteerTeam
from community.recognition import Board, Month, Standing

log = logging.getLogger(__name__)
OPT_PATTERN = r"^rankopt:[01]$"
TEAM_BOARD_SIZE = 5
OPT_OUT_WORDS = ("off", "退出", "不参加", "隐藏")
OPT_IN_WORDS = ("on", "加入", "参加", "显示")


def register(app: Application, factory: sessionmaker[Session]) -> RecognitionHandlers:
    handlers = RecognitionHandlers(factory)
    private = filters.ChatType.PRIVATE  # certificates and reports are personal: never in a group
    app.add_handler(CommandHandler("rank", handlers.rank, filters=private))
    app.add_handler(CommandHandler("certificate", handlers.certificate, filters=private))
    app.add_handler(CommandHandler("workunits", handlers.work_units, filters=private))
    app.add_handler(CallbackQueryHandler(handlers.toggle_opt_out, pattern=OPT_PATTERN))
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
                if update.callback_query:  # a press: counted if it is a probe (bot/presses.py)
                    await presses.refuse_error(update, context, exc)
                else:
                    await _tell(update, exc.message)
        except Exception:
            log.exception("recognition handler %s failed", fn.__name__)
            with contextlib.suppress(TelegramError):
                await _tell(update, texts.SOMETHING_WRONG)

    return wrapper


async def _tell(update: Update, text: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(text)


def _actor(s: Session, telegram_id: int) -> Actor:
    actor = actor_for_telegram(s, telegram_id)
    if actor is None or (actor.volunteer_id is None and not actor.is_staff):
        raise Forbidden(texts.RANK_VOLUNTEERS_AND_STAFF)
    return actor


def render_board(board: Board, *, limit: int | None = None) -> str:
    lines = board.lines[:limit] if limit else board.lines
    head = texts.RANK_BOARD_HEAD.format(scope=board.scope, month=board.month.label)
    if not lines:
        return head + "\n" + texts.RANK_BOARD_EMPTY
    return "\n".join(
        [head]
        + [
            texts.RANK_BOARD_LINE.format(rank=x.rank, name=x.name, hours=f"{x.hours:g}", services=x.services)
            for x in lines
        ]
    )


def render_standing(st: Standing) -> str:
    """The recognition lines of `/me`."""
    lines = [
        texts.ME_HOURS.format(
            month=st.month.label,
            month_hours=f"{st.month_hours:g}",
            services=st.month_services,
            year=st.month.year,
            year_hours=f"{st.year_hours:g}",
        )
    ]
    if st.opted_out:
        lines.append(texts.ME_RANK_OPTED_OUT)
        return "\n".join(lines)
    for rank in [st.community, *st.teams]:
        if rank.rank is None:
            lines.append(texts.ME_RANK_NONE.format(scope=rank.scope))
        else:
            lines.append(texts.ME_RANK.format(scope=rank.scope, rank=rank.rank, of=rank.of))
    return "\n".join(lines)


def _opt_button(opted_out: bool) -> InlineKeyboardMarkup:
    if opted_out:
        return InlineKeyboardMarkup([[InlineKeyboardButton(texts.RANK_OPT_IN_BUTTON, callback_data="rankopt:0")]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.RANK_OPT_OUT_BUTTON, callback_data="rankopt:1")]])


class RecognitionHandlers:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    @_answers_politely
    async def rank(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/rank [YYYY-MM] shows the boards; /rank 退出 (off) and /rank 加入 (on) leave or rejoin them."""
        arg = " ".join(context.args or []).strip()
        telegram_id = update.effective_user.id

        def work() -> tuple[str, InlineKeyboardMarkup | None]:
            with self.factory() as s, s.begin():
                actor = _actor(s, telegram_id)
                if arg.lower() in OPT_OUT_WORDS or arg.lower() in OPT_IN_WORDS:
                    if actor.volunteer_id is None:
                        raise Forbidden(texts.RANK_OPT_VOLUNTEERS_ONLY)
                    opt_out = arg.lower() in OPT_OUT_WORDS
                    recognition.set_leaderboard_opt_out(s, actor.volunteer_id, opt_out)
                    return (texts.RANK_OPTED_OUT if opt_out else texts.RANK_OPTED_IN), _opt_button(opt_out)
                return self._boards(s, actor, arg)

        text, keyboard = await asyncio.to_thread(work)
        await update.effective_message.reply_text(text, reply_markup=keyboard)

    def _boards(self, s: Session, actor: Actor, arg: str) -> tuple[str, InlineKeyboardMarkup | None]:
        assert actor.community_id is not None
        tz = recognition.timezone_of(s, actor.community_id)
        month = Month.parse(arg) if arg else Month.of(clock.now(), tz)
        parts = [render_board(recognition.leaderboard(s, actor.community_id, month))]
        keyboard = None
        if actor.volunteer_id is not None:
            volunteer = s.get(Volunteer, actor.volunteer_id)
            assert volunteer is not None
            teams = sorted(volunteer.teams, key=lambda t: t.id)
            keyboard = _opt_button(volunteer.leaderboard_opt_out)
            if volunteer.leaderboard_opt_out:
                parts.append(texts.ME_RANK_OPTED_OUT)
        else:  # staff see every team
            teams = list(
                s.scalars(
                    select(VolunteerTeam)
                    .where(VolunteerTeam.community_id == actor.community_id)
                    .order_by(VolunteerTeam.id)
                )
            )
        for team in teams:
            board = recognition.leaderboard(s, actor.community_id, month, team_id=team.id, limit=TEAM_BOARD_SIZE)
            parts.append(render_board(board))
        return "\n\n".join(parts), keyboard

    @_answers_politely
    async def toggle_opt_out(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The button under the board: it changes only the presser's own choice."""
        query = update.callback_query
        opt_out = (query.data or "").endswith(":1")

        def work() -> None:
            with self.factory() as s, s.begin():
                actor = _actor(s, query.from_user.id)
                if actor.volunteer_id is None:
                    raise Forbidden(texts.RANK_OPT_VOLUNTEERS_ONLY)
                recognition.set_leaderboard_opt_out(s, actor.volunteer_id, opt_out)

        await asyncio.to_thread(work)
        await query.answer(texts.RANK_OPTED_OUT if opt_out else texts.RANK_OPTED_IN, show_alert=True)
        with contextlib.suppress(BadRequest):  # a second press on a stale card: it already shows this
            await query.edit_message_reply_markup(reply_markup=_opt_button(opt_out))

    @_answers_politely
    async def certificate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/certificate [year]: the volunteer's own certificate of service, as a PDF."""
        arg = " ".join(context.args or []).strip().removesuffix("年")
        telegram_id = update.effective_user.id
        if arg and not arg.isdigit():
            raise DomainError(texts.CERTIFICATE_USAGE)

        def work() -> tuple[bytes, recognition.CertificateView]:
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, telegram_id)
                if actor is None or actor.volunteer_id is None:
                    raise Forbidden(texts.CERTIFICATE_VOLUNTEERS_ONLY)
                cert = recognition.issue_certificate(
                    s, actor.volunteer_id, year=int(arg) if arg else None, issued_by_person_id=actor.person_id
                )
                shown = recognition.view(s, cert)
            return recognition.certificate_pdf(shown), shown  # rendered after the commit

        pdf, shown = await asyncio.to_thread(work)
        await update.effective_message.reply_document(
            InputFile(pdf, filename=texts.CERTIFICATE_FILENAME.format(name=shown.name, code=shown.code)),
            caption=texts.CERTIFICATE_CAPTION.format(period=shown.period, hours=f"{shown.hours:g}", code=shown.code),
        )

    @_answers_politely
    async def work_units(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/workunits [YYYY-MM]: staff's monthly report of on-duty party members per work unit."""
        arg = " ".join(context.args or []).strip()
        telegram_id = update.effective_user.id

        def work() -> str:
            with self.factory() as s:
                actor = actor_for_telegram(s, telegram_id)
                if actor is None or actor.staff_id is None or actor.community_id is None:
                    raise Forbidden(texts.STAFF_ONLY)
                tz = recognition.timezone_of(s, actor.community_id)
                month = Month.parse(arg) if arg else Month.of(clock.now(), tz)
                report = recognition.work_unit_report(s, actor.community_id, month)
            if not report:
                return texts.WORK_UNITS_NONE.format(month=month.label)
            lines = [texts.WORK_UNITS_HEAD.format(month=month.label)]
            for unit in report:
                avg = f"{unit.rating_avg:.1f}" if unit.rating_avg is not None else "—"
                lines.append(
                    texts.WORK_UNITS_LINE.format(
                        unit=unit.work_unit,
                        members=len(unit.members),
                        serving=unit.serving,
                        services=unit.services,
                        hours=f"{unit.hours:g}",
                        avg=avg,
                        ratings=unit.ratings,
                    )
                )
                for m in unit.members:
                    if m.services or m.hours:
                        lines.append(
                            texts.WORK_UNITS_MEMBER.format(name=m.name, services=m.services, hours=f"{m.hours:g}")
                        )
            lines.append(texts.WORK_UNITS_EXPORT_HINT)
            return "\n".join(lines)

        await update.effective_message.reply_text(await asyncio.to_thread(work))
