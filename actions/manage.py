"""What a resident does with requests already made: check status, cancel (asks which one
and to be sure), urge (催一下), rate, complain. Each acts only on the sender's own requests,
looked up in the database; a number typed or pressed is checked against that list."""

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions import store, texts
from actions.context import CN_NUMBER as _CN_NUMBER
from actions.context import cn_number as _cn
from actions.context import named_requests  # noqa: F401 (the status answer's, re-exported)
from actions.forms import OUTBOX_SPEAKS, button, typed_payload
from actions.status import CHOICE_LIMIT, URGEABLE, summary, what
from actions.status import ActionCheckStatus as ActionCheckStatus  # where the tests look for it
from community import lifecycle
from community.errors import DomainError
from community.models import Rating, Request, RequestState
from community.validation import normalize_text

CANCELLABLE = lifecycle.TRANSITIONS["cancel"][0]
RATEABLE = lifecycle.PRECONDITIONS["rate"]
# A rating message made only of these has no comment worth keeping ("五星", "给5分").
_SCORE_WORDS = re.compile(r"[\d一二三四五星分颗个给打评价满意服务的很非常吧了，。,.!！ ]")


_CN_REQUEST = re.compile(rf"(?:编号|第)\s*([{_CN_NUMBER}]+)|([{_CN_NUMBER}]+)\s*号")
_CN_SCORE = re.compile(rf"([{_CN_NUMBER}]+)\s*(?:星|分|颗)")


def own_requests(session, sender_id: str, states, *, unrated: bool = False) -> list[Request] | None:
    """The sender's requests in these states, newest first; None if the sender is not a resident."""
    actor = store.resident_actor(session, sender_id)
    if actor is None:
        return None
    query = select(Request).where(Request.resident_id == actor.resident_id, Request.state.in_(list(states)))
    if unrated:
        query = query.where(~select(Rating.id).where(Rating.request_id == Request.id).exists())
    return list(session.scalars(query.order_by(Request.id.desc()).limit(CHOICE_LIMIT)))


def numbers_in(text: str, spoken: re.Pattern = _CN_REQUEST) -> list[int]:
    """Digits, and Chinese numerals where they name a number (编号十二, 十二号, 五星) — not the
    一 of 催一下 or 看一看."""
    text = normalize_text(text or "")
    found = [int(n) for n in re.findall(r"\d+", text)]
    found += [n for m in spoken.finditer(text) if (n := _cn(next(g for g in m.groups() if g))) is not None]
    return found


class RequestChoice(ABC):
    """Shared by the cancel, urge and rate forms: which of my requests?"""

    states: frozenset[RequestState]
    unrated = False

    def candidates(self, session, tracker: Tracker) -> list[Request] | None:
        return own_requests(session, tracker.sender_id, self.states, unrated=self.unrated)


class BeginChoice(RequestChoice, Action, ABC):
    """Clears the previous choice; picks the request at once when there is only one, or
    when this message names one of the resident's own request numbers."""

    extra_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""

        def work(session):
            rows = self.candidates(session, tracker) or []
            ids = [r.id for r in rows]
            named = [n for n in numbers_in(text) if n in ids] if not typed_payload(text) else []
            return named[0] if named else (ids[0] if len(ids) == 1 else None)

        chosen = await store.read(work)
        events = [SlotSet("request_choice", str(chosen) if chosen else None)]
        return events + [SlotSet(slot, None) for slot in self.extra_slots] + self.more_events(tracker)

    def more_events(self, tracker: Tracker) -> list[EventType]:
        return []


class ValidateChoice(RequestChoice, FormValidationAction, ABC):
    @abstractmethod
    def name(self) -> str: ...

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # Nothing to choose from: the form ends at once and the final action says so.
        has_any = await store.read(lambda session: bool(self.candidates(session, tracker)))
        return domain_slots if has_any else []

    async def validate_request_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form started: the form asks
            return {"request_choice": None}

        def work(session):
            ids = [r.id for r in self.candidates(session, tracker) or []]
            named = [n for n in numbers_in(str(value or "")) if n in ids]
            return named[0] if named else None

        chosen = await store.read(work)
        if chosen is None:
            dispatcher.utter_message(text=texts.BAD_CHOICE)
            return {"request_choice": None}
        return {"request_choice": str(chosen)}


def chosen_request(session, tracker: Tracker) -> Request | None:
    value = tracker.get_slot("request_choice")
    return session.get(Request, int(value)) if value and str(value).isdigit() else None


class ActionAskRequestChoice(Action):
    """Lists the candidates of whichever form is asking."""

    verbs = {
        "cancel_form": (texts.VERB_CANCEL, CANCELLABLE, False),
        "urge_form": (texts.VERB_URGE, URGEABLE, False),
        "rate_form": (texts.VERB_RATE, RATEABLE, True),
    }

    def name(self) -> str:
        return "action_ask_request_choice"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        verb, states, unrated = self.verbs.get(tracker.active_loop_name or "", self.verbs["cancel_form"])
        rows = await store.read(
            lambda session: [
                (r.id, summary(r)) for r in own_requests(session, tracker.sender_id, states, unrated=unrated) or []
            ]
        )
        buttons = [button(title, str(rid)) for rid, title in rows]
        dispatcher.utter_message(text=texts.ASK_WHICH.format(verb=verb), buttons=buttons)
        return []


# --- cancel -------------------------------------------------------------------------------------


class ActionBeginCancel(BeginChoice):
    states = CANCELLABLE
    extra_slots = ("cancel_confirmed",)

    def name(self) -> str:
        return "action_begin_cancel"


class ValidateCancelForm(ValidateChoice):
    states = CANCELLABLE

    def name(self) -> str:
        return "validate_cancel_form"


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        subject = await store.read(lambda session: what(r) if (r := chosen_request(session, tracker)) else "")
        dispatcher.utter_message(
            text=texts.ASK_CANCEL_CONFIRM.format(id=tracker.get_slot("request_choice"), what=subject),
            buttons=[button(texts.BUTTON_YES_CANCEL, "/affirm"), button(texts.BUTTON_NO_CANCEL, "/deny")],
        )
        return []


async def _act(dispatcher: CollectingDispatcher, tracker: Tracker, fn) -> None:
    """Run a lifecycle call on the chosen request as the sender; the outbox tells the
    resident on success, a refusal is said here."""

    def work(session):
        actor = store.resident_actor(session, tracker.sender_id)
        fn(session, actor, int(tracker.get_slot("request_choice")))

    try:
        await store.write(work)
    except DomainError as exc:
        dispatcher.utter_message(text=exc.message)
        return
    dispatcher.utter_message(json_message=OUTBOX_SPEAKS)


class ActionCancelRequest(Action):
    def name(self) -> str:
        return "action_cancel_request"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        choice = tracker.get_slot("request_choice")
        if not choice:
            dispatcher.utter_message(text=texts.NONE_TO_CANCEL)
        elif tracker.get_slot("cancel_confirmed") is True:
            await _act(dispatcher, tracker, lambda s, actor, rid: lifecycle.cancel(s, actor, rid, texts.VERB_CANCEL))
        else:
            dispatcher.utter_message(text=texts.NOT_CANCELLED.format(id=choice))
        return [SlotSet("request_choice", None), SlotSet("cancel_confirmed", None)]


# --- urge ---------------------------------------------------------------------------------------


class ActionBeginUrge(BeginChoice):
    states = URGEABLE

    def name(self) -> str:
        return "action_begin_urge"


class ValidateUrgeForm(ValidateChoice):
    states = URGEABLE

    def name(self) -> str:
        return "validate_urge_form"


class ActionUrgeRequest(Action):
    def name(self) -> str:
        return "action_urge_request"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        if not tracker.get_slot("request_choice"):
            dispatcher.utter_message(text=texts.NONE_TO_URGE)
        else:
            await _act(dispatcher, tracker, lifecycle.urge)
        return [SlotSet("request_choice", None)]


# --- rate ---------------------------------------------------------------------------------------


def parse_score(value: Any) -> int | None:
    text = str(value or "")
    if typed_payload(text):
        return None
    if any(w in text for w in ("满分", "非常满意", "特别满意")):
        return 5
    numbers = numbers_in(text, _CN_SCORE)
    return numbers[0] if len(numbers) == 1 and 1 <= numbers[0] <= 5 else None


class ActionBeginRate(BeginChoice):
    states = RATEABLE
    unrated = True
    extra_slots = ()

    def name(self) -> str:
        return "action_begin_rate"

    def more_events(self, tracker: Tracker) -> list[EventType]:
        """Keep a score given in this very message; its words are the comment."""
        text = tracker.latest_message.get("text") or ""
        events = [SlotSet("score", None)]  # the form, starting next, takes a score said in this message
        said = "" if typed_payload(text) else normalize_text(text)
        comment = said[:500] if len(_SCORE_WORDS.sub("", said)) >= 2 else ""
        return events + [SlotSet("rate_comment", comment)]


class ValidateRateForm(ValidateChoice):
    states = RATEABLE
    unrated = True

    def name(self) -> str:
        return "validate_rate_form"

    async def validate_score(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form started: the form asks
            return {"score": None}
        score = parse_score(value)
        if score is None:
            dispatcher.utter_message(text=texts.BAD_SCORE)
            return {"score": None}
        return {"score": str(score)}


class ActionAskScore(Action):
    def name(self) -> str:
        return "action_ask_score"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        subject = await store.read(lambda session: what(r) if (r := chosen_request(session, tracker)) else "")
        buttons = [button(texts.STARS.format(n=n), "/rate_service", score=str(n)) for n in range(5, 0, -1)]
        dispatcher.utter_message(
            text=texts.ASK_SCORE.format(id=tracker.get_slot("request_choice"), what=subject), buttons=buttons
        )
        return []


class ActionRateRequest(Action):
    def name(self) -> str:
        return "action_rate_request"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        if not tracker.get_slot("request_choice"):
            dispatcher.utter_message(text=texts.NONE_TO_RATE)
        else:
            score = parse_score(tracker.get_slot("score"))
            comment = tracker.get_slot("rate_comment") or ""
            await _act(dispatcher, tracker, lambda s, actor, rid: lifecycle.rate(s, actor, rid, score, comment))
        return [SlotSet("request_choice", None), SlotSet("score", None), SlotSet("rate_comment", None)]


# --- complain -----------------------------------------------------------------------------------


class ActionComplain(Action):
    def name(self) -> str:
        return "action_complain"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""

        def work(session):
            actor = store.resident_actor(session, tracker.sender_id)
            if actor is None:
                return False
            lifecycle.complain(session, actor, "" if typed_payload(text) else text)
            return True

        if not await store.write(work):
            dispatcher.utter_message(text=texts.NOT_REGISTERED)
        else:
            dispatcher.utter_message(text=texts.COMPLAINT_RECEIVED)
        return []
