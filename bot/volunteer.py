"""The volunteer side: joining through an invite link, teams and availability, tasks, the
volunteer's own record, and the optional note or photo after finishing (a persistent
ConversationHandler, bot/wizards.py). Offers, claims and task buttons are handled by
bot/callbacks.py."""

import asyncio
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import presses, texts, wizards
from bot.callbacks import Callbacks
from bot.keyboards import decode, markup
from bot.recognition import render_standing
from community import clock, lifecycle, people, recognition
from community import texts as core
from community.actors import actor_for_telegram
from community.errors import DomainError
from community.models import ACTIVE_STATES, Request, Volunteer, VolunteerTeam
from community.outbox import button

JOIN_PREFIX = "join-"
WIZARD = wizards.Wizard("volunteer_note", None)  # optional: an abandoned note ends quietly
NOTE = "note"


class VolunteerHandlers:
    def __init__(
        self, factory: sessionmaker[Session], on_commit: Callable[[], None], callbacks: Callbacks | None = None
    ) -> None:
        self.factory = factory
        self.on_commit = on_commit
        self.callbacks = callbacks or Callbacks(factory, on_commit)  # finishes the task (the hours press)

    def register(self, app: Application) -> None:
        app.add_handler(self.note_after_finishing(), group=wizards.NOTE_GROUP)
        app.add_handler(CommandHandler("tasks", self.tasks))
        app.add_handler(CommandHandler("me", self.me))
        app.add_handler(CommandHandler("pause", self.pause))
        app.add_handler(CommandHandler("resume", self.resume))
        app.add_handler(CommandHandler("teams", self.teams))
        app.add_handler(CallbackQueryHandler(self.toggle_team, pattern=r"^team:\d+$"))
        app.add_handler(CallbackQueryHandler(self.skip_note, pattern=r"^skipnote:\d+$"))  # a stale 跳过

    # --- joining -----------------------------------------------------------------------

    async def join(self, update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
        """`/start join-<code>` (dispatched here by the /start handler)."""
        user = update.effective_user

        def work():
            with self.factory() as s, s.begin():
                v = people.redeem_invite(s, code, user.id, user.full_name or user.first_name)
                return texts.VOL_WELCOME.format(
                    name=v.person.name, teams="、".join(t.name for t in v.teams) or texts.VOL_NO_TEAM
                )

        try:
            reply = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.message.reply_text(exc.message)
            return
        await update.message.reply_text(reply)
        await self.teams(update, context)

    # --- teams and availability ------------------------------------------------------------

    def _volunteer(self, s: Session, telegram_id: int) -> Volunteer:
        actor = actor_for_telegram(s, telegram_id)
        if actor is None or actor.volunteer_id is None:
            raise DomainError(texts.VOL_NOT_VOLUNTEER)
        return s.get(Volunteer, actor.volunteer_id)

    def _teams_view(self, s: Session, v: Volunteer) -> tuple[str, InlineKeyboardMarkup]:
        mine = {t.id for t in v.teams}
        teams = s.scalars(
            select(VolunteerTeam).where(VolunteerTeam.community_id == v.person.community_id).order_by(VolunteerTeam.id)
        ).all()
        rows = [
            [InlineKeyboardButton(("✅ " if t.id in mine else "") + t.name, callback_data=f"team:{t.id}")]
            for t in teams
        ]
        return texts.VOL_TEAMS, InlineKeyboardMarkup(rows)

    async def teams(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        def work():
            with self.factory() as s:
                return self._teams_view(s, self._volunteer(s, update.effective_user.id))

        await self._reply(update, work)

    async def toggle_team(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        team_id = decode(query.data).request_id  # `team:<id>`: the id slot carries the team

        def work():
            with self.factory() as s, s.begin():
                v = self._volunteer(s, query.from_user.id)
                team = s.get(VolunteerTeam, team_id)
                if team is None or team.community_id != v.person.community_id:
                    raise presses.StaleButton()
                if team in v.teams:
                    v.teams.remove(team)
                else:
                    v.teams.append(team)
                    v.grid_id = v.grid_id or team.grid_id
                s.flush()
                return self._teams_view(s, v)

        try:
            text, keyboard = await asyncio.to_thread(work)
        except DomainError as exc:
            await presses.refuse_error(update, context, exc)
            return
        await query.answer(texts.VOL_TEAMS_SAVED)
        await query.edit_message_text(text, reply_markup=keyboard)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._set_available(update, False, " ".join(context.args))

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._set_available(update, True, " ".join(context.args))

    async def _set_available(self, update: Update, available: bool, note: str) -> None:
        def work():
            with self.factory() as s, s.begin():
                v = self._volunteer(s, update.effective_user.id)
                v.available = available
                if note:
                    v.availability_note = note[:100]
                return texts.VOL_RESUMED if available else texts.VOL_PAUSED

        await self._reply(update, work)

    # --- the optional note or photo after finishing ------------------------------------------

    def note_after_finishing(self) -> ConversationHandler:
        """hours:<id>:<h> finishes the task, then a note or a photo is welcome, not required:
        any other press or command ends the wait (and goes where it would have gone)."""
        return wizards.conversation(
            WIZARD,
            entry_points=[CallbackQueryHandler(self._finished, pattern=r"^hours:")],
            states={
                NOTE: [
                    MessageHandler((filters.TEXT & ~filters.COMMAND) | filters.PHOTO, self._note),
                    CallbackQueryHandler(self._skip, pattern=r"^skipnote:\d+$"),
                ]
            },
            fallbacks=[*wizards.ended_by([r".*"]), MessageHandler(filters.COMMAND, wizards.end_quietly)],
        )

    @wizards.step
    async def _finished(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        press = decode(update.callback_query.data)
        finished = await self.callbacks.handle(update, context)  # answers the press, also a malformed one
        if press is None:
            return wizards.END
        request_id = press.request_id
        # Pressed again, or handled again after a crash cut it short: still ask for the note.
        if not finished and not await asyncio.to_thread(self._awaits_note, update.effective_user.id, request_id):
            return wizards.END
        wizards.open_draft(context, WIZARD.name, request_id=request_id)
        await update.effective_message.reply_text(
            texts.ASK_NOTE.format(id=request_id),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(texts.SKIP_NOTE, callback_data=f"skipnote:{request_id}")]]
            ),
        )
        return NOTE

    def _awaits_note(self, telegram_id: int, request_id: int) -> bool:
        """Done by this volunteer, and no note yet."""
        with self.factory() as s:
            actor = actor_for_telegram(s, telegram_id)
            req = s.get(Request, request_id)
            return bool(
                actor and req and req.state == "done" and req.volunteer_id == actor.volunteer_id and not req.finish_note
            )

    @wizards.step
    async def _note(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        waiting = wizards.draft(context, WIZARD.name)
        if waiting is None:
            return wizards.PASS
        message = update.message
        note = f"[照片] {message.photo[-1].file_id}" if message.photo else message.text

        def work():
            with self.factory() as s, s.begin():
                lifecycle.add_note(s, actor_for_telegram(s, update.effective_user.id), waiting["request_id"], note)

        try:
            await asyncio.to_thread(work)
        except DomainError as exc:
            wizards.close_draft(context, WIZARD.name)
            await message.reply_text(exc.message)
            return wizards.END
        wizards.close_draft(context, WIZARD.name)
        await message.reply_text(texts.NOTE_SAVED)
        return wizards.END

    @wizards.step
    async def _skip(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        wizards.close_draft(context, WIZARD.name)
        await self.skip_note(update, context)
        return wizards.END

    async def skip_note(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer(texts.NOTE_SKIPPED)
        await update.callback_query.edit_message_reply_markup(None)

    # --- tasks and record ----------------------------------------------------------------

    async def tasks(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Each active task as its own message with its buttons, so they can be pressed."""

        def work():
            with self.factory() as s:
                v = self._volunteer(s, update.effective_user.id)
                rows = s.scalars(
                    select(Request)
                    .where(Request.volunteer_id == v.id, Request.state.in_(ACTIVE_STATES))
                    .order_by(Request.id)
                ).all()
                return [self._task_card(s, r) for r in rows]

        try:
            cards = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.message.reply_text(exc.message)
            return
        if not cards:
            await update.message.reply_text(texts.VOL_NO_TASKS)
        for text, keyboard in cards:
            await update.message.reply_text(text, reply_markup=keyboard)

    def _task_card(self, s: Session, r: Request) -> tuple[str, InlineKeyboardMarkup]:
        resident = r.resident.person
        text = texts.VOL_TASK.format(
            id=r.id,
            state=core.STATE_NAMES[r.state],
            category=r.category.name if r.category else core.KIND_NAMES[r.kind],
            summary=r.description[:60],
            resident=resident.name,
            phone=r.contact_phone or resident.phone or "—",
            address=r.address_text,
            time=clock.local_text(r.preferred_time) if r.preferred_time else core.ASAP if r.asap else core.ANY_TIME,
            due=clock.local_text(r.due_at),
        )
        buttons = [
            [button(core.BUTTON_START, "start", r.id), button(core.BUTTON_FINISH, "finish", r.id)],
            [button(core.BUTTON_RELEASE, "release", r.id)],
        ]
        if r.state != "claimed":
            buttons[0] = buttons[0][1:]
        return text, markup(buttons)

    async def me(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        def work():
            with self.factory() as s:
                v = self._volunteer(s, update.effective_user.id)
                done = s.scalar(select(Request.id).where(Request.volunteer_id == v.id).limit(1)) is not None
                avg = f"{v.rating_avg:.1f}" if v.rating_avg else "—"
                return (
                    texts.VOL_ME.format(
                        name=v.person.name,
                        hours=f"{v.hours_total:g}",
                        points=v.points_total,
                        avg=avg,
                        count=v.rating_count,
                        load=v.active_load,
                        limit=v.load_limit,
                        teams="、".join(t.name for t in v.teams) or texts.VOL_NO_TEAM,
                        status=texts.VOL_STATUS_ON if v.available else texts.VOL_STATUS_OFF,
                        note=v.availability_note or "—",
                    )
                    + "\n"
                    + render_standing(recognition.standing(s, v.id))
                )
                +("" if done else "\n" + texts.VOL_FIRST_TASK_HINT)

        await self._reply(update, work)

    async def _reply(self, update: Update, work) -> None:
        try:
            result = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.effective_message.reply_text(exc.message)
            return
        self.on_commit()
        text, keyboard = result if isinstance(result, tuple) else (result, None)
        await update.effective_message.reply_text(text, reply_markup=keyboard)
