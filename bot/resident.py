"""The resident side: consent, the main menu, "my requests", and a guided order made of
buttons that works without Rasa.

Free text goes to Rasa (`bot.rasa.RasaRelay`) when it is reachable; when it is down or
slow the resident gets an apology and this guided flow, and what they typed becomes the
description draft, so nothing they wrote is lost. A 70-year-old can also use the buttons
from the start: every step is one tap or one short message. The guided order is a
persistent ConversationHandler (bot/wizards.py): a half-filled order survives a restart.

Callback data (same `action:<int>[:arg]` shape as bot/keyboards.py):
  consent:1 / consent:0, home:<community id>, menu:0, order:<category id | 0 = 微心愿>, usetext:0, myaddr:0,
  addr:<building id>, submit:0, abort:0, my:0, mycancel:<request id>, urge:<request id>
"""

import asyncio
import logging
import re
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import photos, presses, texts, wizards
from bot.handoff import human_button
from bot.keyboards import decode
from community import clock, lifecycle, people, routing
from community import texts as core
from community.actors import actor_for_telegram
from community.errors import AddressQuestion, DomainError
from community.lifecycle import NewRequest
from community.models import FINAL_STATES, Building, Community, Person, Request, RequestKind, Resident, ServiceCategory
from community.validation import check_description, normalize_phone

log = logging.getLogger(__name__)
CALLBACKS = r"^(consent|home|menu|order|usetext|myaddr|addr|submit|abort|my|mycancel|urge):\d+$"
WIZARD = wizards.Wizard(photos.ORDER_WIZARD, texts.RES_DRAFT_EXPIRED)
DESCRIPTION, ADDRESS, PHONE, CONFIRM = "description", "address", "phone", "confirm"
PENDING_TEXT = "pending_text"  # what the resident typed when Rasa could not take it
COMMUNITY_PREFIX = "c-"  # `/start c-<CODE>`: the community's poster/QR link (`python -m community links`)
# A new resident in a deployment of several communities: the one their link named or they
# chose (a community id), and whether they already pressed 同意 (registered once both are known).
HOME, CONSENTED, ASKING_HOME = "home_community", "consent_given", "asking_home"
COMMUNITY_BUTTONS_MAX = 12  # more than this: they type the name (a long list is hard to read)
MY_PAGE = 8
WORDS = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff5a]")  # something to read


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _community_keyboard(choices: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One big button per community, two a row (names are short; a row of two stays readable)."""
    buttons = [_btn(name, f"home:{cid}") for cid, name in choices]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


class ResidentHandlers:
    def __init__(self, factory: sessionmaker[Session], on_commit: Callable[[], None], relay=None) -> None:
        self.factory = factory
        self.on_commit = on_commit
        self.relay = relay  # bot.rasa.RasaRelay, or None to use the guided flow only
        self.role_help = None  # set by register

    def register(self, app: Application, role_help=None) -> None:
        """`role_help(telegram_id, unless_resident=...)`: the help for staff, grid leaders and
        volunteers (bot.roles), who get it instead of the resident's menu and consent."""
        self.role_help = role_help
        app.add_handler(self.guided_order(), group=wizards.RESIDENT_GROUP)
        app.add_handler(CommandHandler("help", self.help))
        app.add_handler(CommandHandler("menu", self.menu))
        app.add_handler(CommandHandler("my", self.my_requests))
        app.add_handler(CommandHandler("cancel", self.cancel))
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=CALLBACKS))
        app.add_handler(MessageHandler(filters.CONTACT, self.on_contact))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        # Stickers, voice, photos, locations …: an answer and the menu, never silence.
        app.add_handler(
            MessageHandler(filters.ALL & ~filters.COMMAND & ~filters.TEXT & filters.ChatType.PRIVATE, self.on_other)
        )

    def guided_order(self) -> ConversationHandler:
        """category (the order:<id> button) → description → address (questions back) → phone
        (if none on record) → confirm."""
        typed = filters.TEXT & ~filters.COMMAND
        return wizards.conversation(
            WIZARD,
            entry_points=[CallbackQueryHandler(self._begin, pattern=wizards.GUIDED_ORDER_ENTRY)],
            states={
                DESCRIPTION: [
                    MessageHandler(typed, self._description),
                    CallbackQueryHandler(self._use_pending_text, pattern=r"^usetext:0$"),
                ],
                ADDRESS: [
                    MessageHandler(typed, self._typed_address),
                    CallbackQueryHandler(self._registered_address_pressed, pattern=r"^myaddr:0$"),
                    CallbackQueryHandler(self._building_pressed, pattern=r"^addr:\d+$"),
                ],
                PHONE: [MessageHandler(typed, self._typed_phone), MessageHandler(filters.CONTACT, self._shared_phone)],
                CONFIRM: [
                    CallbackQueryHandler(self._submit, pattern=r"^submit:0$"),
                    MessageHandler(typed, self._confirm_again),
                ],
            },
            fallbacks=[
                CallbackQueryHandler(self._abort, pattern=r"^abort:0$"),
                CommandHandler("cancel", self._abort),
            ],
        )

    # --- entry, consent, menu -------------------------------------------------------------

    async def start(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, community_code: str | None = None
    ) -> None:
        """`community_code`: from the community's poster link `/start c-<CODE>`."""
        if await asyncio.to_thread(self._has_consented, update.effective_user.id):
            await self.menu(update, context)
        else:
            if community_code is not None:
                home = await asyncio.to_thread(self._community_id, community_code)
                if home is None:
                    await update.effective_message.reply_text(texts.RES_COMMUNITY_LINK_UNKNOWN)
                else:
                    context.user_data[HOME] = home
            await update.effective_message.reply_text(
                texts.RES_CONSENT,
                reply_markup=InlineKeyboardMarkup(
                    [[_btn(texts.RES_CONSENT_YES, "consent:1"), _btn(texts.RES_CONSENT_NO, "consent:0")]]
                ),
            )

    def _has_consented(self, telegram_id: int) -> bool:
        with self.factory() as s:
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            return bool(person and person.resident and person.resident.consent_at)

    async def _for_role(self, update: Update, *, unless_resident: bool) -> bool:
        """Answered with the sender's role help (staff, grid leader, volunteer)?"""
        if self.role_help is None:
            return False
        text = await self.role_help(update.effective_user.id, unless_resident=unless_resident)
        if text:
            await update.effective_message.reply_text(text)
        return bool(text)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._for_role(update, unless_resident=False):
            await self.menu(update, context)

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            texts.RES_MENU,
            reply_markup=InlineKeyboardMarkup(
                [
                    [_btn(texts.RES_MENU_SERVICE, "menu:1"), _btn(texts.RES_MENU_WISH, "order:0")],
                    [_btn(texts.RES_MENU_MY, "my:0"), human_button(0)],
                ]
            ),
        )

    # --- buttons outside the guided order ---------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        press = decode(query.data)
        user = query.from_user
        try:
            if press.action == "consent":
                if press.request_id not in (0, 1):
                    await presses.refuse(update, context, texts.STALE_BUTTON)
                    return
                await query.answer()
                if press.request_id == 1:
                    await query.edit_message_text(texts.RES_CONSENT_THANKS)
                    context.user_data[CONSENTED] = True
                    await self._register_or_ask_home(update, context)
                else:
                    context.user_data.pop(CONSENTED, None)
                    await query.edit_message_text(texts.RES_CONSENT_DECLINED)
                return
            if press.action == "home":
                name = await asyncio.to_thread(self._community_name, press.request_id)
                if name is None or await asyncio.to_thread(self._has_consented, user.id):  # forged, gone or stale
                    log.warning(
                        "press refused (update %s): community %s unknown or already chosen",
                        update.update_id,
                        press.request_id,
                    )
                    await query.answer(texts.RES_COMMUNITY_GONE, show_alert=True)
                    return
                await query.answer()
                await self._chose_home(update, context, press.request_id)
                return
            if not await asyncio.to_thread(self._has_consented, user.id):
                await query.answer(texts.RES_NEED_CONSENT, show_alert=True)
                return
            if press.action in ("mycancel", "urge"):  # the refusal, if any, is the press's answer
                fn = lifecycle.cancel if press.action == "mycancel" else lifecycle.urge
                await self._act(update, fn, press.request_id)
                await query.answer()
                return
            if press.action not in ("menu", "abort", "my"):  # a step of a guided order no longer open
                raise presses.StaleButton()
            await query.answer()
            await self._dispatch(press, update, context)
        except DomainError as exc:
            await presses.refuse_error(update, context, exc)

    async def _register_or_ask_home(self, update: Update, context) -> None:
        """After 同意: registered in the community from their link (or the only one, or
        theirs already), else asked which community they live in."""
        user = update.effective_user
        home = context.user_data.get(HOME)
        if home is None:
            choices = await asyncio.to_thread(self._home_choices, user.id)
            if choices is not None:
                context.user_data[ASKING_HOME] = True
                if len(choices) > COMMUNITY_BUTTONS_MAX:
                    await update.effective_message.reply_text(texts.RES_TYPE_COMMUNITY)
                else:
                    await update.effective_message.reply_text(
                        texts.RES_CHOOSE_COMMUNITY, reply_markup=_community_keyboard(choices)
                    )
                return
        if not await asyncio.to_thread(self._register, user.id, user.full_name or user.first_name, home):
            await update.effective_message.reply_text(texts.RES_COMMUNITY_GONE)  # deleted since: ask again
            context.user_data.pop(HOME, None)
            await self._register_or_ask_home(update, context)
            return
        for key in (HOME, CONSENTED, ASKING_HOME):
            context.user_data.pop(key, None)
        await self.menu(update, context)

    async def _chose_home(self, update: Update, context, community_id: int) -> None:
        context.user_data[HOME] = community_id
        context.user_data.pop(ASKING_HOME, None)
        if not context.user_data.get(CONSENTED):
            await self.start(update, context)  # the consent question (their choice is kept)
            return
        name = await asyncio.to_thread(self._community_name, community_id)
        await update.effective_message.reply_text(texts.RES_COMMUNITY_CHOSEN.format(name=name))
        await self._register_or_ask_home(update, context)

    async def _typed_home(self, update: Update, context, text: str) -> None:
        """The community's name typed in answer to 您住在哪个社区."""
        matches = await asyncio.to_thread(self._matching_communities, text)
        if len(matches) == 1:
            await self._chose_home(update, context, matches[0][0])
        elif 1 < len(matches) <= COMMUNITY_BUTTONS_MAX:
            await update.message.reply_text(texts.RES_COMMUNITY_SEVERAL, reply_markup=_community_keyboard(matches))
        else:  # asked again, with the buttons again when there are few enough
            choices = await asyncio.to_thread(self._home_choices, update.effective_user.id) or []
            keyboard = _community_keyboard(choices) if 0 < len(choices) <= COMMUNITY_BUTTONS_MAX else None
            await update.message.reply_text(texts.RES_COMMUNITY_NOT_FOUND.format(text=text[:20]), reply_markup=keyboard)

    async def _dispatch(self, press, update: Update, context) -> None:
        match press.action:
            case "menu":
                await self._choose_category(update)
            case "abort":  # the 取消 of a finished or expired guided order
                await update.effective_message.reply_text(texts.RES_ABORTED, reply_markup=ReplyKeyboardRemove())
            case "my":
                await self.my_requests(update, context)

    # --- the guided order (a ConversationHandler; each step returns the next state) ---------

    async def _choose_category(self, update: Update) -> None:
        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, update.effective_user.id)
                return s.execute(
                    select(ServiceCategory.id, ServiceCategory.name)
                    .where(ServiceCategory.community_id == actor.community_id, ServiceCategory.active.is_(True))
                    .order_by(ServiceCategory.id)
                ).all()

        menu = await asyncio.to_thread(work)
        buttons = [_btn(name, f"order:{cid}") for cid, name in menu]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)] + [[_btn(texts.RES_MENU_WISH, "order:0")]]
        await update.effective_message.reply_text(texts.RES_CHOOSE_CATEGORY, reply_markup=InlineKeyboardMarkup(rows))

    @wizards.step
    async def _begin(self, update: Update, context) -> object:
        """order:<category id> (0: a wish) starts a new order, replacing any open one."""
        query = update.callback_query
        category_id = decode(query.data).request_id or None
        user_id = query.from_user.id
        if not await asyncio.to_thread(self._has_consented, user_id):
            await query.answer(texts.RES_NEED_CONSENT, show_alert=True)
            return wizards.END
        if category_id and not await asyncio.to_thread(self._category_offered, user_id, category_id):
            await presses.refuse(update, context, texts.STALE_BUTTON)
            return wizards.END
        await query.answer()
        wizards.open_draft(context, WIZARD.name, category_id=category_id)
        pending = context.user_data.get(PENDING_TEXT)
        keyboard = None
        if pending:
            keyboard = InlineKeyboardMarkup([[_btn(texts.RES_USE_DRAFT.format(text=pending[:20]), "usetext:0")]])
        await update.effective_message.reply_text(texts.RES_ASK_DESCRIPTION, reply_markup=keyboard)
        return DESCRIPTION

    @wizards.step
    async def _description(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        if order is None:
            return wizards.PASS
        try:
            order["description"] = check_description(update.message.text.strip())
        except DomainError as exc:
            await update.message.reply_text(exc.message)
            return None
        return await self._ask_address(update, context)

    @wizards.step
    async def _use_pending_text(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        pending = context.user_data.get(PENDING_TEXT)
        if order is None or not pending:
            return wizards.PASS
        await update.callback_query.answer()
        try:
            order["description"] = check_description(pending)
        except DomainError as exc:
            await update.effective_message.reply_text(exc.message)
            return None
        context.user_data.pop(PENDING_TEXT, None)
        return await self._ask_address(update, context)

    async def _ask_address(self, update: Update, context) -> object:
        known = await asyncio.to_thread(self._registered_address, update.effective_user.id)
        keyboard = (
            InlineKeyboardMarkup([[_btn(texts.RES_USE_ADDRESS.format(address=known), "myaddr:0")]]) if known else None
        )
        await update.effective_message.reply_text(texts.RES_ASK_ADDRESS, reply_markup=keyboard)
        return ADDRESS

    @wizards.step
    async def _typed_address(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        if order is None:
            return wizards.PASS
        order["address"] = update.message.text.strip()
        return await self._after_address(update, context, order)

    @wizards.step
    async def _registered_address_pressed(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        known = await asyncio.to_thread(self._registered_address, update.effective_user.id)
        if order is None or not known:
            return wizards.PASS
        await update.callback_query.answer()
        order["address"] = known
        return await self._after_address(update, context, order)

    @wizards.step
    async def _building_pressed(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        if order is None:
            return wizards.PASS
        query = update.callback_query
        name = await asyncio.to_thread(self._building_name, query.from_user.id, decode(query.data).request_id)
        if name is None:
            await presses.refuse(update, context, texts.STALE_BUTTON)
            return None
        await query.answer()
        order["address"] = name + order.get("address_rest", "")
        return await self._after_address(update, context, order)

    async def _after_address(self, update: Update, context, order: dict) -> object:
        """Check the address now (questions go back to the resident), then the phone."""
        try:
            order["address_label"] = await asyncio.to_thread(self._resolve, update.effective_user.id, order["address"])
        except AddressQuestion as question:
            parsed = routing.parse_address(order["address"])  # keep the unit and room for the chosen building
            order["address_rest"] = (f"{parsed.unit}单元" if parsed.unit else "") + (parsed.room or "")
            keyboard = None
            if question.options:
                ids = await asyncio.to_thread(self._building_ids, update.effective_user.id, question.options)
                keyboard = InlineKeyboardMarkup([[_btn(name, f"addr:{bid}")] for name, bid in ids])
            await update.effective_message.reply_text(question.message, reply_markup=keyboard)
            return ADDRESS
        if not await asyncio.to_thread(self._known_phone, update.effective_user.id):
            await update.effective_message.reply_text(
                texts.RES_ASK_PHONE,
                reply_markup=ReplyKeyboardMarkup(
                    [[KeyboardButton(texts.RES_SHARE_PHONE, request_contact=True)]],
                    one_time_keyboard=True,
                    resize_keyboard=True,
                ),
            )
            return PHONE
        return await self._confirm(update, order)

    @wizards.step
    async def _typed_phone(self, update: Update, context) -> object:
        if wizards.draft(context, WIZARD.name) is None:
            return wizards.PASS
        return await self._phone(update, context, update.message.text)

    @wizards.step
    async def _shared_phone(self, update: Update, context) -> object:
        if wizards.draft(context, WIZARD.name) is None:
            return wizards.PASS
        contact = update.message.contact
        if contact.user_id and contact.user_id != update.effective_user.id:
            await update.message.reply_text(texts.RES_OWN_CONTACT)  # someone else's card: ask for theirs
            return None
        return await self._phone(update, context, contact.phone_number)

    async def _phone(self, update: Update, context, raw: str) -> object:
        try:
            await asyncio.to_thread(self._store_phone, update.effective_user.id, raw)
        except DomainError as exc:
            await update.message.reply_text(exc.message)
            return None
        await update.message.reply_text(texts.RES_PHONE_SAVED, reply_markup=ReplyKeyboardRemove())
        return await self._confirm(update, wizards.draft(context, WIZARD.name))

    async def _confirm(self, update: Update, order: dict) -> object:
        category = await asyncio.to_thread(self._category_name, order["category_id"])
        await update.effective_message.reply_text(
            texts.RES_CONFIRM.format(
                category=category, description=order["description"], address=order["address_label"]
            ),
            reply_markup=InlineKeyboardMarkup([[_btn(texts.RES_SUBMIT, "submit:0"), _btn(texts.RES_ABORT, "abort:0")]]),
        )
        return CONFIRM

    @wizards.step
    async def _confirm_again(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        if order is None:
            return wizards.PASS
        await update.message.reply_text(texts.RES_PRESS_TO_CONFIRM)
        return await self._confirm(update, order)

    @wizards.step
    async def _submit(self, update: Update, context) -> object:
        order = wizards.draft(context, WIZARD.name)
        if order is None:
            return wizards.PASS
        await update.callback_query.answer()

        def work():
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, update.effective_user.id)
                category = s.get(ServiceCategory, order["category_id"]) if order["category_id"] else None
                kind = RequestKind.SERVICE if category else RequestKind.WISH
                return lifecycle.submit(
                    s,
                    actor,
                    NewRequest(
                        kind=kind,
                        description=order["description"],
                        category=category.code if category else None,
                        item=None,
                        address=order["address"],
                    ),
                ).id

        try:
            rid = await asyncio.to_thread(work)
        except DomainError as exc:
            wizards.close_draft(context, WIZARD.name)
            photos.drop(context)
            await update.effective_message.reply_text(exc.message)
            return wizards.END
        wizards.close_draft(context, WIZARD.name)
        self.on_commit()  # the "已收到" confirmation is in the outbox; wake the sender
        await update.effective_message.reply_text(texts.RES_SUBMITTED, reply_markup=ReplyKeyboardRemove())
        await photos.submitted(update, context, self.factory, self.on_commit, request_id=rid)
        return wizards.END

    @wizards.step
    async def _abort(self, update: Update, context) -> object:
        if update.callback_query:
            await update.callback_query.answer()
        wizards.close_draft(context, WIZARD.name)
        photos.drop(context)
        await update.effective_message.reply_text(texts.RES_ABORTED, reply_markup=ReplyKeyboardRemove())
        return wizards.END

    # --- typed text and contacts --------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text no wizard took: Rasa's, or the guided menu when Rasa cannot answer."""
        text = update.message.text.strip()
        if not WORDS.search(text):  # only emoji or punctuation: nothing for Rasa to understand
            await update.message.reply_text(texts.RES_NO_WORDS)
            await self.menu(update, context)
            return
        if not await asyncio.to_thread(self._has_consented, update.effective_user.id):
            if await self._for_role(update, unless_resident=True):
                return  # a volunteer, grid leader or staff member: their help, not the consent
            if context.user_data.get(ASKING_HOME):
                await self._typed_home(update, context, text)  # what they typed before is kept
                return
            context.user_data[PENDING_TEXT] = text  # kept for after consent
            await self.start(update, context)
            return
        if self.relay is not None and await self.relay.forward(update, context):
            return  # Rasa answered
        context.user_data[PENDING_TEXT] = text
        await update.message.reply_text(texts.RES_FALLBACK if self.relay else texts.RES_GUIDED)
        await self._choose_category(update)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(texts.RES_NOT_TEXT)
        await self.menu(update, context)

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared phone number outside the guided order: saved, and Rasa's form gets it."""
        contact = update.message.contact
        if contact.user_id and contact.user_id != update.effective_user.id:
            await update.message.reply_text(texts.RES_OWN_CONTACT)  # someone else's card: ask for theirs
            return
        try:
            phone = await asyncio.to_thread(self._store_phone, update.effective_user.id, contact.phone_number)
        except DomainError as exc:
            await update.message.reply_text(exc.message)
            return
        if self.relay is None or not await self.relay.forward(update, context, text=phone):
            await update.message.reply_text(texts.RES_PHONE_SAVED, reply_markup=ReplyKeyboardRemove())

    def _store_phone(self, telegram_id: int, raw: str) -> str:
        phone = normalize_phone(raw)
        with self.factory() as s, s.begin():
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            if person is None:
                raise DomainError(texts.RES_NEED_CONSENT)
            person.phone = phone
        return phone

    # --- my requests -----------------------------------------------------------------------------

    async def my_requests(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, update.effective_user.id)
                if actor is None or actor.resident_id is None:
                    return []
                rows = s.scalars(
                    select(Request)
                    .where(Request.resident_id == actor.resident_id)
                    .order_by(Request.id.desc())
                    .limit(MY_PAGE)
                ).all()
                return [
                    (
                        r.id,
                        r.state,
                        r.category.name if r.category else core.KIND_NAMES[r.kind],
                        r.description[:24],
                        clock.local_text(r.submitted_at),
                    )
                    for r in rows
                ]

        rows = await asyncio.to_thread(work)
        if not rows:
            await update.effective_message.reply_text(texts.RES_NO_REQUESTS)
            return
        lines, buttons = [texts.RES_MY_HEAD], []
        for rid, state, category, summary, at in rows:
            lines.append(
                texts.RES_MY_LINE.format(
                    id=rid, state=core.STATE_NAMES[state], category=category, summary=summary, at=at
                )
            )
            if state not in FINAL_STATES and state != "done":
                buttons.append(
                    [
                        _btn(texts.RES_URGE.format(id=rid), f"urge:{rid}"),
                        _btn(texts.RES_CANCEL.format(id=rid), f"mycancel:{rid}"),
                    ]
                )
        await update.effective_message.reply_text(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
        )

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel with no guided order open (that one is the wizard's): what can be cancelled."""
        await self.my_requests(update, context)

    async def _act(self, update: Update, fn, request_id: int) -> None:
        """Take the action (a refusal is raised: the press's handler answers it)."""

        def work():
            with self.factory() as s, s.begin():
                fn(s, actor_for_telegram(s, update.effective_user.id), request_id)

        await asyncio.to_thread(work)
        self.on_commit()

    # --- small database helpers (each its own short session) ------------------------------------

    def _register(self, telegram_id: int, name: str, home: int | None) -> bool:
        """Registered (in their own community if known, else `home`, else the only one)?
        False when `home` no longer exists."""
        with self.factory() as s, s.begin():
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            if person is not None:
                community = s.get_one(Community, person.community_id)
            elif home is not None:
                found = s.get(Community, home)
                if found is None:
                    return False
                community = found
            else:
                community = people.community_by_code(s)
            people.register_resident(s, community, name, telegram_id=telegram_id, consent=True)
            return True

    def _home_choices(self, telegram_id: int) -> list[tuple[int, str]] | None:
        """The communities to choose from, or None when there is nothing to choose (one
        community, or the person is already known in theirs)."""
        with self.factory() as s:
            if s.scalar(select(Person.id).where(Person.telegram_id == telegram_id)) is not None:
                return None
            found = [(c.id, c.name) for c in people.all_communities(s)]
            return found if len(found) > 1 else None

    def _matching_communities(self, text: str) -> list[tuple[int, str]]:
        with self.factory() as s:
            return [(c.id, c.name) for c in people.match_communities(s, text)]

    def _community_id(self, code: str) -> int | None:
        with self.factory() as s:
            return s.scalar(select(Community.id).where(func.upper(Community.code) == code.strip().upper()))

    def _community_name(self, community_id: int) -> str | None:
        with self.factory() as s:
            c = s.get(Community, community_id)
            return c.name if c is not None else None

    def _registered_address(self, telegram_id: int) -> str | None:
        with self.factory() as s:
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            r: Resident | None = person.resident if person else None
            if r is None or r.building is None:
                return None
            return r.building.name + (f"{r.unit}单元" if r.unit else "") + (r.room or "")

    def _resolve(self, telegram_id: int, address: str) -> str:
        with self.factory() as s:
            actor = actor_for_telegram(s, telegram_id)
            return routing.resolve_address(s, actor.community_id, address).label

    def _building_ids(self, telegram_id: int, names: list[str]) -> list[tuple[str, int]]:
        with self.factory() as s:
            actor = actor_for_telegram(s, telegram_id)
            rows = s.execute(
                select(Building.name, Building.id).where(
                    Building.community_id == actor.community_id, Building.name.in_(names)
                )
            ).all()
            return [(name, bid) for name, bid in rows]

    def _building_name(self, telegram_id: int, building_id: int) -> str | None:
        with self.factory() as s:
            actor = actor_for_telegram(s, telegram_id)
            b = s.get(Building, building_id)
            return b.name if b is not None and actor is not None and b.community_id == actor.community_id else None

    def _category_offered(self, telegram_id: int, category_id: int) -> bool:
        with self.factory() as s:
            actor = actor_for_telegram(s, telegram_id)
            c = s.get(ServiceCategory, category_id)
            return bool(c and c.active and actor and c.community_id == actor.community_id)

    def _known_phone(self, telegram_id: int) -> bool:
        with self.factory() as s:
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            return bool(person and person.phone)

    def _category_name(self, category_id: int | None) -> str:
        if not category_id:
            return core.KIND_NAMES["wish"]
        with self.factory() as s:
            return s.get(ServiceCategory, category_id).name
