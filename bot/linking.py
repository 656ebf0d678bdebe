"""A volunteer from the spreadsheets links their Telegram account.

The office's spreadsheets list volunteers with a phone and no Telegram account; routing
cannot send them cards (community.routing REACH_PHONE lists them for staff to call). To
link, staff issue a one-time code for that phone (`/linkcode 13800000000`, checked against
the spreadsheet's volunteers); the volunteer opens `/start link-<code>` (or sends
`/link <code>`) and shares their own contact; the shared phone must be the spreadsheet's
(`community.people.link_volunteer`). The existing person gets the Telegram id: no second
person. A contact shared without a code by someone the bot does not know, whose phone is a
spreadsheet volunteer's, is told how to get one (instead of the resident flow).
"""

import asyncio
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import KeyboardButton, LinkPreviewOptions, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, MessageHandler, filters

from bot import texts
from community import people
from community.actors import actor_for_telegram
from community.errors import DomainError, InvalidInput
from community.models import Community, Person
from community.validation import normalize_phone

LINK_PREFIX = "link-"
LINK_GROUP = -5  # before the wizards (bot/wizards.py): a shared contact is ours while a code waits
PENDING = "link_code"
CODE_DAYS = 3


class LinkHandlers:
    def __init__(self, factory: sessionmaker[Session], on_commit: Callable[[], None]) -> None:
        self.factory = factory
        self.on_commit = on_commit

    def register(self, app: Application) -> None:
        app.add_handler(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, self.on_contact), group=LINK_GROUP)
        app.add_handler(CommandHandler("link", self.link_command, filters=filters.ChatType.PRIVATE))
        app.add_handler(CommandHandler("linkcode", self.link_code, filters=filters.ChatType.PRIVATE))

    # --- the volunteer ------------------------------------------------------------------------

    async def start_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
        """`/start link-<code>` or `/link <code>`: the code is kept; their contact is asked."""
        code = code.strip()[:32]
        if not code:
            await update.effective_message.reply_text(texts.LINK_USAGE)
            return
        context.user_data[PENDING] = code
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(texts.LINK_SHARE, request_contact=True)]], one_time_keyboard=True, resize_keyboard=True
        )
        await update.effective_message.reply_text(texts.LINK_ASK_CONTACT, reply_markup=keyboard)

    async def link_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.start_link(update, context, (context.args or [""])[0])

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        contact = update.message.contact
        user = update.effective_user
        code = context.user_data.get(PENDING)
        if code is None:
            if await asyncio.to_thread(self._unknown_spreadsheet_volunteer, user.id, contact.phone_number):
                await update.message.reply_text(texts.LINK_NEED_CODE)
                raise ApplicationHandlerStop
            return  # someone else's business (the resident's phone step, bot/resident.py)
        if contact.user_id != user.id:
            await update.message.reply_text(texts.LINK_OWN_CONTACT)
            raise ApplicationHandlerStop
        context.user_data.pop(PENDING, None)

        def work() -> str:
            with self.factory() as s, s.begin():
                v = people.link_volunteer(s, code, user.id, contact.phone_number)
                teams = "、".join(t.name for t in v.teams) or texts.VOL_NO_TEAM
                return texts.LINK_DONE.format(name=v.person.name, teams=teams)

        try:
            reply = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.message.reply_text(exc.message, reply_markup=ReplyKeyboardRemove())
            raise ApplicationHandlerStop from None
        self.on_commit()
        await update.message.reply_text(reply, reply_markup=ReplyKeyboardRemove())
        raise ApplicationHandlerStop

    def _unknown_spreadsheet_volunteer(self, telegram_id: int, phone: str) -> bool:
        with self.factory() as s:
            if s.scalar(select(Person.id).where(Person.telegram_id == telegram_id)) is not None:
                return False
            try:
                return any(people.unlinked_volunteer(s, c, phone) for c in s.scalars(select(Community.id)))
            except InvalidInput:
                return False

    # --- staff ----------------------------------------------------------------------------------

    async def link_code(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/linkcode <phone>: a one-time code for the spreadsheet volunteer with that phone."""
        phone = " ".join(context.args or [])
        if not phone:
            await update.effective_message.reply_text(texts.STAFF_LINK_USAGE)
            return

        def work() -> str:
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, update.effective_user.id)
                if actor is None or not actor.is_staff or actor.community_id is None:
                    raise DomainError(texts.STAFF_ONLY)
                person = people.unlinked_volunteer(s, actor.community_id, normalize_phone(phone))
                if person is None:
                    raise DomainError(texts.STAFF_LINK_NO_MATCH.format(phone=phone))
                [invite] = people.issue_invites(s, actor, 1, None, days=CODE_DAYS)
                return texts.STAFF_LINK_CODE.format(
                    name=person.name, code=invite.code, days=CODE_DAYS, bot=context.bot.username
                )

        try:
            reply = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.effective_message.reply_text(exc.message)
            return
        await update.effective_message.reply_text(reply, link_preview_options=LinkPreviewOptions(is_disabled=True))
