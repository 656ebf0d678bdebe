"""A person on call (转人工) in chat: the bot's side of community/handoff.py.

A resident reaches a person by saying so (Rasa's action_request_human marker), by the 找人工
button (on the menu and under every reply the assistant did not understand) or when it is
offered after two misunderstandings in a row. The staff member on duty gets the last turns
and the resident's open requests (an outbox message), and from then on, until either side
presses 结束对话:

- the resident's texts go to the staff member, and the staff member's texts to the resident
  (`on_text`, in its own handler group after the wizards: a staff member answering a
  wizard's question is not relayed);
- a voice message, photo or video note from the resident is forwarded to the person on
  call as it is, after a line saying who sent it and their building (`on_media`; opened as
  a handoff if none is open), and the resident hears 已转给社区工作人员…;
- the staff member can place an order for the resident from it (代下单) with two taps.

Callback data: human:<0 menu | 1 not-understood | 2 offered | 3 desk>, hono:0, hoend:<id>,
hotake:<id>, hoorder:<id>, hocat:<id>:<category id | 0 = 微心愿>. Staff see the queue with
/queue 转人工 (or /waiting). Who may press what is
community.handoff's decision, looked up from the presser's Telegram id.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import chinese, photos, presses, speech, texts
from bot.keyboards import decode
from community import handoff, routing
from community.actors import actor_for_telegram
from community.errors import AddressQuestion, DomainError
from community.models import Building, Handoff, HandoffState, Person, ServiceCategory

log = logging.getLogger(__name__)
CALLBACKS = r"^(human|hono|hoend|hotake|hoorder|hocat|locok|locno):\d+(:\d+)?$"
HUMAN_REASONS = {0: "menu", 1: "button", 2: "auto", 3: "offer"}
TURNS = "handoff_turns"  # user_data: the last turns with the assistant, for the staff member
MISSES = "handoff_misses"  # user_data: not-understood replies in a row
KEEP_TURNS = 6
OFFER_AFTER = 2
RELAY_GROUP = -1  # with the resident's guided order, registered after it (bot/wizards.py)
MEDIA = filters.VOICE | filters.PHOTO | filters.VIDEO_NOTE | filters.AUDIO | filters.VIDEO


def _btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def human_button(reason: int = 1) -> InlineKeyboardButton:
    return _btn(texts.HO_BUTTON_HUMAN, f"human:{reason}")


def end_keyboard(handoff_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_btn(texts.HO_BUTTON_END, f"hoend:{handoff_id}")]])


def remember(context: ContextTypes.DEFAULT_TYPE, who: str, text: str) -> None:
    """A turn of the conversation with the assistant ("resident" or "assistant")."""
    if context.user_data is None or not text or text.startswith("/"):  # a button's payload is no turn
        return
    turns = list(context.user_data.get(TURNS) or [])
    turns.append([who, text[:300]])
    context.user_data[TURNS] = turns[-KEEP_TURNS:]


@dataclass(frozen=True)
class Relayed:
    handoff_id: int
    state: HandoffState


class HandoffHandlers:
    def __init__(self, factory: sessionmaker[Session], on_commit: Callable[[], None]) -> None:
        self.factory = factory
        self.on_commit = on_commit

    def register(self, app: Application) -> None:
        """Group 0 handlers: before the resident's catch-all handlers (bot/resident.py)."""
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=CALLBACKS))
        # /queue 转人工 (bot/staff.py's /queue hands it over); /waiting for short
        app.add_handler(CommandHandler("waiting", self.queue))
        app.add_handler(MessageHandler(MEDIA & filters.ChatType.PRIVATE, self.on_media))
        app.add_handler(MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, self.on_location))

    def register_relay(self, app: Application) -> None:
        """After bot/resident.py registered its guided order in the same group."""
        app.add_handler(
            MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self.on_text), group=RELAY_GROUP
        )

    # --- what the assistant's replies say (bot/rasa.py calls this after each turn) ----------

    async def after_assistant(self, update: Update, context, markers: set[str]) -> None:
        if "handoff" in markers:
            context.user_data[MISSES] = 0
            await self.start(update, context, "asked")
            return
        if "not_understood" not in markers:
            context.user_data[MISSES] = 0
            return
        misses = int(context.user_data.get(MISSES) or 0) + 1
        context.user_data[MISSES] = 0 if misses >= OFFER_AFTER else misses
        if misses >= OFFER_AFTER:
            await update.effective_message.reply_text(
                texts.HO_OFFER_AUTO,
                reply_markup=InlineKeyboardMarkup([[human_button(2), _btn(texts.HO_BUTTON_NO, "hono:0")]]),
            )

    # --- starting ----------------------------------------------------------------------------

    async def start(self, update: Update, context, reason: str) -> None:
        turns = [tuple(t) for t in (context.user_data or {}).get(TURNS) or []]

        def work():
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, update.effective_user.id)
                if actor is None or actor.resident_id is None:
                    return None
                opened = handoff.request(s, actor, reason, turns)
                return (
                    opened.handoff.id,
                    (opened.staff.name if opened.staff else None),
                    opened.opens_at,
                    opened.existing,
                )

        try:
            result = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.effective_message.reply_text(exc.message)
            return
        if result is None:
            await update.effective_message.reply_text(texts.RES_NEED_CONSENT)
            return
        self.on_commit()
        handoff_id, staff_name, opens_at, existing = result
        if staff_name:
            text = texts.HO_ALREADY if existing else texts.HO_CONNECTED.format(name=staff_name)
        elif opens_at:
            text = (texts.HO_ALREADY_QUEUED if existing else texts.HO_QUEUED).format(when=opens_at)
        else:
            text = texts.HO_NOBODY
        text = chinese.for_reader(context.user_data, text)
        await update.effective_message.reply_text(text, reply_markup=end_keyboard(handoff_id))

    # --- buttons ----------------------------------------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        press = decode(query.data)
        if press is None:
            await presses.refuse(update, context, texts.STALE_BUTTON)
            return
        try:
            match press.action:
                case "human":
                    await query.answer()
                    await self.start(update, context, HUMAN_REASONS.get(press.request_id, "button"))
                case "hono":
                    await query.answer()
                    await query.message.reply_text(texts.HO_DECLINED)
                case "locok":
                    await query.answer()
                    await self._location_confirmed(update, context, press.request_id)
                case "locno":
                    await query.answer()
                    await query.message.reply_text(texts.LOC_NOT_HERE)
                case "hoend":
                    await self._act(handoff.end, query, press.request_id)
                    await query.answer()
                    ended_by_staff = await asyncio.to_thread(self._is_staff_side, query.from_user.id, press.request_id)
                    await query.message.reply_text(texts.HO_ENDED_STAFF if ended_by_staff else texts.HO_ENDED_SELF)
                case "hotake":
                    await self._act(handoff.take, query, press.request_id)
                    await query.answer(texts.HO_TAKEN)
                    await self._forward_waiting_media(context, query.from_user.id, press.request_id)
                case "hoorder":
                    await self._choose_category(query, press.request_id)
                case "hocat":
                    rid = await self._order(query, press.request_id, int(press.arg or 0))
                    await query.answer(texts.HO_ORDERED.format(id=rid))  # the outbox says 已代…下单 too
                case _:
                    raise presses.StaleButton()
        except AddressQuestion as exc:
            await query.answer(exc.message, show_alert=True)
        except DomainError as exc:
            await presses.refuse_error(update, context, exc)

    async def _act(self, fn, query, handoff_id: int) -> None:
        def work():
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, query.from_user.id)
                if actor is None:
                    raise DomainError(texts.NOT_REGISTERED)
                fn(s, actor, handoff_id)

        await asyncio.to_thread(work)
        self.on_commit()

    def _is_staff_side(self, telegram_id: int, handoff_id: int) -> bool:
        with self.factory() as s:
            person = s.scalar(select(Person).where(Person.telegram_id == telegram_id))
            h = s.get(Handoff, handoff_id)
            return bool(person and h and person.id != h.resident_person_id)

    async def _forward_waiting_media(self, context, chat_id: int, handoff_id: int) -> None:
        def work():
            with self.factory() as s:
                h = s.get(Handoff, handoff_id)
                return (handoff.who(s, h.resident), handoff.media_to_forward(h)) if h else ("", [])

        who, media = await asyncio.to_thread(work)
        for kind, from_chat, message_id in media:
            name = texts.HO_MEDIA_NAMES.get(kind, kind)
            try:
                await context.bot.send_message(chat_id, texts.HO_MEDIA_INTRO.format(who=who, kind=name, id=handoff_id))
                await context.bot.forward_message(chat_id, from_chat, message_id)
            except TelegramError as exc:
                log.warning("handoff %s: could not forward a waiting %s: %s", handoff_id, kind, exc)

    async def _choose_category(self, query, handoff_id: int) -> None:
        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, query.from_user.id)
                h = s.get(Handoff, handoff_id)
                if actor is None or h is None:
                    raise presses.StaleButton()
                refusal = handoff.denial(s, actor, h, "order")
                if refusal is not None:
                    raise refusal
                return s.execute(
                    select(ServiceCategory.id, ServiceCategory.name)
                    .where(ServiceCategory.community_id == h.community_id, ServiceCategory.active.is_(True))
                    .order_by(ServiceCategory.id)
                ).all()

        menu = await asyncio.to_thread(work)
        await query.answer()
        buttons = [_btn(name, f"hocat:{handoff_id}:{cid}") for cid, name in menu]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        rows.append([_btn(texts.RES_MENU_WISH, f"hocat:{handoff_id}:0")])
        await query.message.reply_text(texts.HO_CHOOSE_CATEGORY, reply_markup=InlineKeyboardMarkup(rows))

    async def _order(self, query, handoff_id: int, category_id: int) -> int:
        def work():
            with self.factory() as s, s.begin():
                actor = actor_for_telegram(s, query.from_user.id)
                if actor is None:
                    raise DomainError(texts.NOT_REGISTERED)
                return handoff.place_order(s, actor, handoff_id, category_id or None).id

        rid = await asyncio.to_thread(work)
        self.on_commit()
        return rid

    # --- /queue -------------------------------------------------------------------------------------

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, update.effective_user.id)
                if actor is None or not actor.is_staff:
                    return None
                return [(h.id, handoff.queue_line(s, h)) for h in handoff.queue(s, actor.community_id)]

        rows = await asyncio.to_thread(work)
        if rows is None:
            await update.effective_message.reply_text(texts.HO_QUEUE_STAFF_ONLY)
            return
        if not rows:
            await update.effective_message.reply_text(texts.HO_QUEUE_EMPTY)
            return
        lines = [texts.HO_QUEUE_HEAD.format(count=len(rows)), *(line for _, line in rows)]
        buttons = [[_btn(f"{texts.HO_BUTTON_TAKE} {hid}", f"hotake:{hid}")] for hid, _ in rows[:20]]
        await update.effective_message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))

    # --- relaying text ------------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = (update.message.text or "").strip()
        if not text:
            return
        relayed = await asyncio.to_thread(self._relay_text, update.effective_user.id, text)
        if relayed is None:
            return  # not in a conversation with a person: the assistant takes it (group 0)
        self.on_commit()
        if relayed.state == HandoffState.WAITING:
            await update.message.reply_text(texts.HO_NOTED)
        raise ApplicationHandlerStop

    def _relay_text(self, telegram_id: int, text: str) -> Relayed | None:
        with self.factory() as s, s.begin():
            actor = actor_for_telegram(s, telegram_id)
            if actor is None:
                return None
            h = handoff.from_staff(s, actor, text)  # the one connected: staff, or a grid leader
            if h is None and actor.resident_id is not None:
                h = handoff.from_resident(s, actor, text)
            if h is None:
                return None
            return Relayed(h.id, h.state)

    # --- a shared location: the nearest building, confirmed -----------------------------------

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The nearest building (community.routing.nearest_building, the same function as
        Open311's lat/long) is asked back; only a confirmed one is used."""
        location = update.message.location

        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, update.effective_user.id)
                if actor is None or actor.resident_id is None:
                    return None
                bid = routing.nearest_building(s, actor.community_id, location.latitude, location.longitude)
                b = s.get(Building, bid) if bid is not None else None
                return (b.id, b.name) if b is not None else ()

        found = await asyncio.to_thread(work)
        if found is None:
            await update.message.reply_text(texts.RES_NEED_CONSENT)
        elif not found:
            await update.message.reply_text(chinese.for_reader(context.user_data, texts.LOC_NONE))
        else:
            bid, name = found
            keyboard = InlineKeyboardMarkup([[_btn(texts.LOC_YES, f"locok:{bid}"), _btn(texts.LOC_NO, "locno:0")]])
            await update.message.reply_text(
                chinese.for_reader(context.user_data, texts.LOC_CONFIRM.format(building=name)), reply_markup=keyboard
            )
        raise ApplicationHandlerStop

    async def _location_confirmed(self, update: Update, context, building_id: int) -> None:
        def work():
            with self.factory() as s:
                actor = actor_for_telegram(s, update.effective_user.id)
                b = s.get(Building, building_id)
                ok = actor is not None and b is not None and b.community_id == actor.community_id
                return b.name if ok else None

        name = await asyncio.to_thread(work)
        if name is None:
            await update.effective_message.reply_text(texts.STALE_BUTTON)
            return
        relay = context.application.bot_data.get("relay")
        if relay is not None and await relay.forward(update, context, text=name):
            return  # the assistant takes it as the address (a form asking for it) or asks on
        await update.effective_message.reply_text(texts.LOC_NOTED.format(building=name))

    # --- voice, photos, video notes -----------------------------------------------------------

    async def on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        kind = next(k for k in ("voice", "photo", "video_note", "audio", "video") if getattr(message, k))
        if kind == "photo" and await photos.take(update, context, self.factory, self.on_commit):
            raise ApplicationHandlerStop  # it belongs to the order being placed, or just placed
        if kind == "voice" and speech.enabled():
            try:
                audio = await (await message.voice.get_file()).download_as_bytearray()
                said = await asyncio.to_thread(speech.transcribe, bytes(audio))
            except TelegramError:
                said = None
            if said:
                relay = context.application.bot_data.get("relay")
                if relay is not None and await relay.forward(update, context, text=said):
                    return
        routed = await asyncio.to_thread(
            self._route_media, update.effective_user.id, kind, (message.chat_id, message.message_id)
        )
        if routed is None:  # not a consented resident, nor a staff member serving one
            await message.reply_text(texts.RES_NOT_TEXT)
            raise ApplicationHandlerStop
        self.on_commit()
        handoff_id, to_chat, intro, reply, to_resident = routed
        if to_chat is not None:
            try:
                await context.bot.send_message(to_chat, intro)
                await context.bot.forward_message(to_chat, message.chat_id, message.message_id)
            except TelegramError as exc:
                log.warning("handoff %s: could not forward a %s: %s", handoff_id, kind, exc)
        if reply:
            await message.reply_text(reply, reply_markup=None if to_resident else end_keyboard(handoff_id))
        raise ApplicationHandlerStop

    def _route_media(
        self, telegram_id: int, kind: str, ref: tuple[int, int]
    ) -> tuple[int, int | None, str, str, bool] | None:
        """(handoff id, chat to forward to, the line before it, the reply to the sender, sent
        by staff) or None."""
        name = texts.HO_MEDIA_NAMES.get(kind, kind)
        with self.factory() as s, s.begin():
            actor = actor_for_telegram(s, telegram_id)
            if actor is None:
                return None
            person = s.get(Person, actor.person_id)
            serving = handoff.serving(s, person.id)  # staff or a grid leader answering a resident
            if serving is not None:
                handoff.from_staff(s, actor, f"[{name}]")
                intro = texts.HO_MEDIA_TO_RESIDENT.format(name=person.name)
                return serving.id, serving.resident.telegram_id, intro, "", True
            if actor.resident_id is None or person.resident is None or person.resident.consent_at is None:
                return None
            opened = handoff.request(s, actor, "media")
            h = handoff.from_resident(s, actor, f"[{name}]", media=kind, message=ref)
            who = handoff.who(s, person)
            if h is None:
                return None
            if h.state == HandoffState.ACTIVE and h.staff is not None:
                intro = texts.HO_MEDIA_INTRO.format(who=who, kind=name, id=h.id)
                return h.id, h.staff.telegram_id, intro, texts.HO_MEDIA_FORWARDED.format(name=h.staff.name), False
            return h.id, None, "", texts.HO_MEDIA_QUEUED.format(when=opened.opens_at or texts.HO_SOON), False
