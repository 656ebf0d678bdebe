"""The wish and service-order forms: start, validate every slot, ask, read back, submit.

Rasa fills slots from NLU entities, from button payloads and from the text that answers
the question asked; whichever it was, the value reaches a form only through the
validate_* methods here (a resident typing `/inform{"address":"火星"}` gets the same
answer as one typing 火星). `lifecycle.submit` checks everything once more.
"""

import json
import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions import faq, store, texts
from actions.markers import offer_human
from community import clock, lifecycle, routing
from community import texts as core_texts
from community.errors import AddressQuestion, DomainError, InvalidInput
from community.lifecycle import NewRequest
from community.models import Person, RequestKind, ServiceCategory
from community.validation import check_description, normalize_phone, normalize_text

REQUEST_SLOTS = ("request_kind", "item", "service", "description", "address", "preferred_time", "phone", "confirmed")
FILLABLE = ("item", "service", "description", "address", "preferred_time", "phone")
ASAP = "asap"
ASAP_WORDS = ("尽快", "越快越好", "马上", "随时", "都行", "都可以", "什么时候都行", "asap")
ITEM_MAX_CHARS = 30
BOOK_AHEAD_DAYS = 60
# Words that say "I want something" without saying what: a first message made only of these
# is no description.
_GENERIC = re.compile(
    r"我|想|要|许|个|一个|心愿|微心愿|预约|服务|便民|帮|忙|下单|点单|请|一下|的|了|吧|呢|啊|你好|您好|[，。！？,.!? ]"
)
# At the read-back: typed words that stop without submitting (the 不提交了 button's own words
# and how residents say it), and 修改<field> (the per-field buttons, or typed) that asks that
# one question again.
STOP_TYPED = re.compile(
    r"(?:我|那|那就|还是)?(?:不提交了?|算了(?:吧)?(?:不要了)?|不要了|不填了|不用了|不弄了|不办了|先不(?:提交|要|弄|填)了?"
    r"|别提交了?|取消(?:吧|了)?|不预约了|不许了)(?:吧|啊|呀|哈)?"
)
CHANGE_FIELD = re.compile(r"(?:我要|我想)?(?:修改|改|换)(?:一下)?(?:个)?(地址|时间|电话|手机号?|说明|内容|描述|心愿)")
FIELD_SLOTS = {
    "地址": "address",
    "时间": "preferred_time",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "说明": "description",
    "内容": "description",
    "描述": "description",
    "心愿": "item",
}
_PUNCTUATION = re.compile(r"[\s，。！？、,.!?~～…]+")
# Handed back to the bot instead of text when the outbox carries the real message (the
# notification written in the same transaction); the bot shows nothing for it.
OUTBOX_SPEAKS = {"nuanxin": "outbox"}


def payload(intent: str, **entities: Any) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def button(title: str, intent_or_text: str, **entities: Any) -> dict:
    """A Rasa button; `intent_or_text` starting with '/' is an intent payload, else plain text."""
    value = payload(intent_or_text[1:], **entities) if intent_or_text.startswith("/") else intent_or_text
    return {"title": title, "payload": value}


def typed_payload(text: str | None) -> bool:
    """A message that is a payload typed by hand (or a button): never a slot value as text."""
    return text is not None and text.lstrip().startswith("/")


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def informative(text: str) -> bool:
    return len(_GENERIC.sub("", text)) >= 2


def parse_time(value: Any) -> datetime | None | str:
    """A normalised time slot value: ASAP, or a naive UTC datetime; None if unreadable."""
    text = normalize_text(str(value or ""))
    if not text:
        return None
    if text.lower() in ASAP_WORDS or any(w in text for w in ASAP_WORDS[:-1]):
        return ASAP
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # the NLU and our buttons always give an offset; anything else was typed
    return moment.astimezone(UTC).replace(tzinfo=None)


def time_text(value: str | None) -> str:
    parsed = parse_time(value)
    if parsed is None or isinstance(parsed, str):  # the only text parse_time returns is ASAP
        return texts.TIME_ASAP
    return clock.local_text(parsed)


def _iso(moment_utc: datetime) -> str:
    return clock.to_local(moment_utc).isoformat()


class ActionBeginRequest(Action, ABC):
    """Start a wish or a service order: forget what earlier turns left behind, keep this
    message as the description if it says something, and take address and phone from the
    resident's record (an address in the message itself overrides it when the form starts)."""

    kind: RequestKind

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # The form, when it starts right after this, fills slots from this message's entities.
        events: list[EventType] = [SlotSet("request_kind", self.kind.value), SlotSet("confirmed", None)]
        events += [SlotSet(slot, None) for slot in FILLABLE]
        text = tracker.latest_message.get("text") or ""
        names_something = any(
            e.get("entity") in ("item", "service") for e in tracker.latest_message.get("entities") or []
        )
        if not typed_payload(text) and (informative(text) or names_something):
            events.append(SlotSet("description", normalize_text(text)[:500]))

        def record(session):
            actor = store.resident_actor(session, tracker.sender_id)
            if actor is None:
                return None
            person = session.get(Person, actor.person_id)
            resident = person.resident
            address = (
                routing.address_label(resident.building.name, resident.unit, resident.room)
                if resident.building
                else None
            )
            return address, person.phone

        known = await store.read(record)
        if known is None:
            dispatcher.utter_message(text=texts.NOT_REGISTERED)
            return [*events, FollowupAction("action_listen")]
        address, phone = known
        if address:
            events.append(SlotSet("address", address))
        if phone:
            events.append(SlotSet("phone", phone))
        return events


class ActionBeginWish(ActionBeginRequest):
    kind = RequestKind.WISH

    def name(self) -> str:
        return "action_begin_wish"


class ActionBeginService(ActionBeginRequest):
    kind = RequestKind.SERVICE

    def name(self) -> str:
        return "action_begin_service"


class ActionNotUnderstood(Action):
    """Not understood (nlu_fallback), or an answer when no question was asked (inform). If the
    message still names a service or an item, start that order: elderly residents describe
    the problem ("热水器不出热水了") rather than ask for a service. A clear question for the
    office gets the information desk's answer (actions/faq.py). Anything else: the menu."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        named = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        text = tracker.latest_message.get("text") or ""
        begin = ActionBeginService() if "service" in named else ActionBeginWish() if "item" in named else None
        if begin is None or typed_payload(text):
            # A question for the office the NLU did not recognise (我想开个证明): the desk's answer.
            answer = None if typed_payload(text) else await faq.sure_answer(tracker)
            dispatcher.utter_message(**({"text": answer} if answer else {"response": "utter_default"}))
            return []
        events = await begin.run(dispatcher, tracker, domain)
        if any(e.get("event") == "followup" for e in events):
            return events  # not registered: said so, nothing started
        form = "service_form" if begin.kind == RequestKind.SERVICE else "wish_form"
        return [*events, FollowupAction(form)]


def _community_id(session, tracker: Tracker) -> int | None:
    actor = store.resident_actor(session, tracker.sender_id)
    return actor.community_id if actor else None


def match_category(session, community_id: int, value: str) -> ServiceCategory | None:
    """A menu entry named by the value, or by a name or synonym inside a longer sentence."""
    try:
        return lifecycle.find_category(session, community_id, value)
    except InvalidInput:
        pass
    menu = session.scalars(
        select(ServiceCategory).where(ServiceCategory.community_id == community_id, ServiceCategory.active.is_(True))
    ).all()
    for cat in menu:
        words = [cat.name, *[w for w in cat.synonyms.split("|") if w]]
        if any(len(w) >= 2 and w in value for w in words):
            return cat
    return None


def service_menu(session, community_id: int) -> list[ServiceCategory]:
    return list(
        session.scalars(
            select(ServiceCategory)
            .where(ServiceCategory.community_id == community_id, ServiceCategory.active.is_(True))
            .order_by(ServiceCategory.id)
        )
    )


class ValidateRequestForm(FormValidationAction, ABC):
    """Shared slot checks of the wish and service forms."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """At the read-back, before the slots: a typed stop ends the form without submitting
        (action_submit_request sees no confirmation), and 修改地址/时间/电话/说明 clears that
        slot so the form asks it again and then reads everything back."""
        if tracker.get_slot("requested_slot") == "confirmed":
            said = _PUNCTUATION.sub("", normalize_text(tracker.latest_message.get("text") or ""))
            if STOP_TYPED.fullmatch(said):
                return [SlotSet("confirmed", None), SlotSet("requested_slot", None)]
            change = CHANGE_FIELD.fullmatch(said)
            slot = FIELD_SLOTS.get(change.group(1)) if change else None
            if slot is not None and slot in (
                domain.get("forms", {}).get(self.form_name(), {}).get("required_slots") or []
            ):
                return [SlotSet(slot, None), SlotSet("confirmed", None)]
        return await super().run(dispatcher, tracker, domain)

    def _refuse(
        self,
        slot: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        message: str | None,
        buttons: list[dict] | None = None,
    ) -> dict[str, Any]:
        """An unusable value. If it answers the question just asked (or comes with the first
        message), say why and ask again. If it rode along while another question was being
        answered ("13987654321" also read as an address), keep what the slot had and say
        nothing; at the read-back, keep the old value but say why the change was not taken."""
        asked = tracker.get_slot("requested_slot")
        if asked in (None, slot, "confirmed") and message:
            dispatcher.utter_message(text=message, buttons=buttons or [])
        return {slot: None if asked in (None, slot) else previous_value(tracker, slot)}

    def _fill_description(self, tracker: Tracker, text: str) -> dict[str, Any]:
        return {} if tracker.get_slot("description") else {"description": text[:500]}

    async def validate_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"item": None}
        text = normalize_text(str(value or ""))
        if (
            not text
            or typed_payload(text)
            or re.search(r"[{}<>\\]", text)
            or not re.search(r"[\u4e00-\u9fffA-Za-z]", text)
        ):
            return self._refuse("item", tracker, dispatcher, texts.BAD_ITEM)
        said = tracker.latest_message.get("text") or ""
        # The whole sentence ("她腿脚不好 想要一台轮椅") describes the wish better than the item.
        description = said if not typed_payload(said) and informative(said) else text
        return {"item": text[:ITEM_MAX_CHARS], **self._fill_description(tracker, description)}

    async def validate_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"service": None}
        text = normalize_text(str(value or ""))

        def work(session):
            community_id = _community_id(session, tracker)
            if community_id is None or not text or typed_payload(text):
                return None
            cat = match_category(session, community_id, text)
            return cat.name if cat else None

        name = await store.read(work)
        if name is None:
            refused = self._refuse("service", tracker, dispatcher, texts.UNKNOWN_SERVICE.format(name=text[:20]))
            if tracker.get_slot("requested_slot") in (None, "service", "confirmed"):
                offer_human(dispatcher)  # not a dead end: a person can arrange what the menu lacks
            return refused
        extra = self._fill_description(tracker, text) if len(text) > len(name) + 2 else {}
        return {"service": name, **extra}

    async def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"description": None}
        try:
            if typed_payload(str(value or "")):
                raise InvalidInput(texts.BAD_ITEM)
            return {"description": check_description(str(value or ""))}
        except InvalidInput as exc:
            return self._refuse("description", tracker, dispatcher, exc.message)

    async def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"address": None}
        text = normalize_text(str(value or ""))

        def work(session):
            community_id = _community_id(session, tracker)
            if community_id is None or typed_payload(text):
                raise AddressQuestion(core_texts.ASK_ADDRESS)
            return routing.resolve_address(session, community_id, text).label

        try:
            return {"address": await store.read(work)}
        except AddressQuestion as question:
            parsed = routing.parse_address(text)
            rest = (f"{parsed.unit}单元" if parsed.unit else "") + (parsed.room or "")
            buttons = [button(option, "/inform", address=option + rest) for option in question.options[:8]]
            # The bare "which building?" is what the form asks next anyway: not said twice.
            generic = question.message == core_texts.ASK_ADDRESS and not buttons
            return self._refuse("address", tracker, dispatcher, None if generic else question.message, buttons)

    async def validate_preferred_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"preferred_time": None}
        parsed = parse_time(value)
        if parsed is None:
            return self._refuse("preferred_time", tracker, dispatcher, texts.BAD_TIME)
        if isinstance(parsed, str):  # the only text parse_time returns is ASAP
            return {"preferred_time": ASAP}
        now = clock.now()
        if parsed < now - timedelta(hours=1):
            return self._refuse("preferred_time", tracker, dispatcher, texts.TIME_IN_PAST)
        if parsed > now + timedelta(days=BOOK_AHEAD_DAYS):
            return self._refuse("preferred_time", tracker, dispatcher, texts.TIME_TOO_FAR)
        return {"preferred_time": _iso(parsed)}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared (a new order starting): nothing to check, the form asks
            return {"phone": None}
        try:
            return {"phone": normalize_phone(str(value or ""))}
        except InvalidInput as exc:
            return self._refuse("phone", tracker, dispatcher, exc.message)

    async def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # "修改" (deny) keeps the form at the read-back; the ask action then asks what to change.
        return {"confirmed": True if value is True else None}


class ValidateWishForm(ValidateRequestForm):
    def name(self) -> str:
        return "validate_wish_form"


class ValidateServiceForm(ValidateRequestForm):
    def name(self) -> str:
        return "validate_service_form"


class ActionAskItem(Action):
    def name(self) -> str:
        return "action_ask_item"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(text=texts.ASK_ITEM)
        return []


class ActionAskDescription(Action):
    def name(self) -> str:
        return "action_ask_description"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(text=texts.ASK_DESCRIPTION)
        return []


class ActionAskService(Action):
    def name(self) -> str:
        return "action_ask_service"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        def work(session):
            community_id = _community_id(session, tracker)
            return [c.name for c in service_menu(session, community_id)] if community_id else []

        names = await store.read(work)
        dispatcher.utter_message(text=texts.ASK_SERVICE, buttons=[button(n, "/inform", service=n) for n in names])
        return []


class ActionAskAddress(Action):
    def name(self) -> str:
        return "action_ask_address"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(text=texts.ASK_ADDRESS)
        return []


class ActionAskPreferredTime(Action):
    """Buttons carry normalised times, computed now in the community's time zone."""

    def name(self) -> str:
        return "action_ask_preferred_time"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        local_now = clock.to_local(clock.now())
        today = local_now.replace(minute=0, second=0, microsecond=0)
        tomorrow = today + timedelta(days=1)
        options = [(texts.TIME_ASAP, ASAP)]
        if local_now.hour < 13:
            options.append((texts.TIME_TODAY_AFTERNOON, today.replace(hour=15).isoformat()))
        options += [
            (texts.TIME_TOMORROW_MORNING, tomorrow.replace(hour=9).isoformat()),
            (texts.TIME_TOMORROW_AFTERNOON, tomorrow.replace(hour=15).isoformat()),
        ]
        dispatcher.utter_message(text=texts.ASK_TIME, buttons=[button(t, "/inform", time=v) for t, v in options])
        return []


class ActionAskPhone(Action):
    """The bot turns `request_contact` into Telegram's share-my-number keyboard."""

    def name(self) -> str:
        return "action_ask_phone"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(json_message={"text": texts.ASK_PHONE, "request_contact": True})
        return []


def summary(tracker: Tracker) -> str:
    kind = tracker.get_slot("request_kind")
    lines = [texts.SUMMARY_KIND.format(kind=texts.KIND_WISH if kind == RequestKind.WISH.value else texts.KIND_SERVICE)]
    if kind == RequestKind.WISH.value:
        lines.append(texts.SUMMARY_ITEM.format(item=tracker.get_slot("item")))
    else:
        lines.append(texts.SUMMARY_SERVICE.format(service=tracker.get_slot("service")))
    lines.append(texts.SUMMARY_DESCRIPTION.format(description=tracker.get_slot("description")))
    lines.append(texts.SUMMARY_ADDRESS.format(address=tracker.get_slot("address")))
    if kind != RequestKind.WISH.value:
        lines.append(texts.SUMMARY_TIME.format(time=time_text(tracker.get_slot("preferred_time"))))
    lines.append(texts.SUMMARY_PHONE.format(phone=tracker.get_slot("phone")))
    return texts.SUMMARY_HEAD + "\n".join(lines) + texts.SUMMARY_TAIL


class ActionAskConfirmed(Action):
    """The read-back. After 修改 it asks what to change instead of repeating itself."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        confirm, stop = button(texts.BUTTON_CONFIRM, "/affirm"), button(texts.BUTTON_STOP, "/cancel_request")
        fields = [button(title, title) for title in change_buttons(tracker)]  # plain text: 修改地址 …
        if (tracker.latest_message.get("intent") or {}).get("name") == "deny":
            dispatcher.utter_message(text=texts.WHAT_TO_CHANGE, buttons=[*fields, confirm, stop])
        else:
            dispatcher.utter_message(
                text=summary(tracker), buttons=[confirm, button(texts.BUTTON_CHANGE, "/deny"), stop, *fields]
            )
        return []


def change_buttons(tracker: Tracker) -> list[str]:
    """The per-field 修改 buttons of the read-back (a 70-year-old need not type what to change)."""
    if tracker.get_slot("request_kind") == RequestKind.WISH.value:
        return [texts.CHANGE_ADDRESS, texts.CHANGE_PHONE, texts.CHANGE_DESCRIPTION]
    return [texts.CHANGE_ADDRESS, texts.CHANGE_TIME, texts.CHANGE_PHONE, texts.CHANGE_DESCRIPTION]


def reset_request_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in REQUEST_SLOTS]


class ActionSubmitRequest(Action):
    """Submit after the resident confirmed. The "已收到" notification is written to the
    outbox in the same transaction and the bot sends it, so this says nothing itself."""

    def name(self) -> str:
        return "action_submit_request"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        if tracker.get_slot("confirmed") is not True:  # stopped at the read-back (typed 不提交了)
            dispatcher.utter_message(text=texts.STOPPED)
            return reset_request_slots()
        kind = RequestKind(tracker.get_slot("request_kind") or RequestKind.SERVICE.value)
        when = parse_time(tracker.get_slot("preferred_time"))
        new = NewRequest(
            kind=kind,
            description=tracker.get_slot("description") or tracker.get_slot("item") or "",
            category=tracker.get_slot("service") if kind == RequestKind.SERVICE else None,
            item=tracker.get_slot("item") if kind == RequestKind.WISH else None,
            address=tracker.get_slot("address"),
            preferred_time=when if isinstance(when, datetime) else None,
            asap=when == ASAP,
            phone=tracker.get_slot("phone"),
        )

        def work(session):
            actor = store.resident_actor(session, tracker.sender_id)
            if actor is None:
                raise InvalidInput(texts.NOT_REGISTERED)
            return lifecycle.submit(session, actor, new).id

        form = "wish_form" if kind == RequestKind.WISH else "service_form"
        try:
            await store.write(work)
        except AddressQuestion as question:  # the building list changed since the form checked it
            dispatcher.utter_message(text=question.message)
            return [SlotSet("address", None), SlotSet("confirmed", None), FollowupAction(form)]
        except DomainError as exc:
            dispatcher.utter_message(text=exc.message)
            return reset_request_slots()
        dispatcher.utter_message(json_message=OUTBOX_SPEAKS)
        return reset_request_slots()


class ActionStopForm(Action):
    def name(self) -> str:
        return "action_stop_form"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(text=texts.STOPPED)
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *reset_request_slots(),
            SlotSet("request_choice", None),
            SlotSet("cancel_confirmed", None),
            SlotSet("score", None),
        ]
