"""The answer to a status question, and `action_read_context` (the short messages outside
a form, decided by actions/context.py). Imports no other action module but store, texts and
context, so the information desk (actions/faq.py) can answer 编号5怎么样了 too."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import context, store, texts
from actions.context import named_requests, typed_payload
from community import clock, lifecycle
from community import texts as core
from community.models import Request
from community.validation import normalize_text

STATUS_LIMIT = 5
CHOICE_LIMIT = 6
SUMMARY_CHARS = 8  # of the description, on a choice button
URGEABLE = lifecycle.PRECONDITIONS["urge"]
# "Open": what a resident is still waiting for, i.e. what can still be urged.
OPEN_STATES = URGEABLE


def _button(title: str, intent: str, **entities: str) -> dict:
    """A Rasa button (as actions/forms.py `button` makes them)."""
    import json

    return {"title": title, "payload": intent + (json.dumps(entities, ensure_ascii=False) if entities else "")}


def what(req: Request) -> str:
    return req.category.name if req.category else (req.item or core.KIND_NAMES[req.kind])


def summary(req: Request) -> str:
    """A few words of the request for a choice button: 编号 12 维修：厨房水管漏水…"""
    text = normalize_text(req.description or "")
    short = text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…"
    return texts.CHOICE_BUTTON.format(id=req.id, what=what(req), summary=short)


async def status_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The answer to a status question. A number named in it ("编号12怎么样了", or the
    button below) shows that request if it is the sender's (another's number reads as not
    found); a question about "it" ("到哪了", "怎么还没人来": actions/context.py) shows the
    only open request, asks which when there are several and says so when there is none;
    anything else ("我的单子怎么样了") lists the recent ones."""
    text = tracker.latest_message.get("text") or ""
    picked = context.chosen_in_payload(text)
    named = [picked] if picked is not None else ([] if typed_payload(text) else named_requests(text))
    about_one = not named and context.points_at_one(text)

    def work(session):
        actor = store.resident_actor(session, tracker.sender_id)
        if actor is None:
            return None
        query = select(Request).where(Request.resident_id == actor.resident_id)
        if named:
            query = query.where(Request.id.in_(named))
        elif about_one:
            query = query.where(Request.state.in_(list(OPEN_STATES)))
        limit = CHOICE_LIMIT if about_one else STATUS_LIMIT
        rows = session.scalars(query.order_by(Request.id.desc()).limit(limit)).all()
        return [
            (
                r.id,
                what(r),
                r.state,
                r.volunteer.person.name if r.volunteer else None,
                clock.local_text(r.submitted_at),
                summary(r),
            )
            for r in rows
        ]

    rows = await store.read(work)
    if rows is None:
        dispatcher.utter_message(text=texts.NOT_REGISTERED)
        return
    if not rows and named:
        dispatcher.utter_message(text=texts.STATUS_NOT_FOUND.format(id=named[0]))
        return
    if not rows and about_one:
        dispatcher.utter_message(text=texts.NO_OPEN_REQUESTS)
        return
    if not rows:
        dispatcher.utter_message(text=texts.NO_REQUESTS)
        return
    if about_one and len(rows) > 1:
        buttons = [_button(title, "/check_status", request_choice=str(rid)) for rid, *_, title in rows]
        dispatcher.utter_message(text=texts.ASK_WHICH_STATUS, buttons=buttons)
        return
    lines = [texts.STATUS_HEAD_ONE if named or about_one else texts.STATUS_HEAD]
    for rid, subject, state, volunteer, at, _ in rows:
        shown = texts.STATUS_VOLUNTEER.format(name=volunteer) if volunteer else ""
        lines.append(
            texts.STATUS_LINE.format(id=rid, what=subject, state=core.STATE_NAMES[state], volunteer=shown, at=at)
        )
    buttons = []
    if any(state in URGEABLE for _, _, state, *_ in rows):
        lines.append(texts.STATUS_TAIL)
        buttons = [_button(texts.BUTTON_URGE, "/urge"), _button(texts.BUTTON_CANCEL, "/cancel_request")]
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)


class ActionCheckStatus(Action):
    """A status question inside a form, or from a button (outside a form the rules send
    check_status to action_read_context, which answers with the same `status_reply`)."""

    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        await status_reply(dispatcher, tracker)
        return []


async def answer_if_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """For the out_of_scope and ask_info actions: answer a numbered status question; True if so."""
    if not context.names_own_request(tracker.latest_message.get("text")):
        return False
    await status_reply(dispatcher, tracker)
    return True


class ActionReadContext(Action):
    """cancel_request, deny, check_status, urge or nlu_fallback outside a form
    (actions/context.py decides; a status question is answered here)."""

    def name(self) -> str:
        return "action_read_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        decided = context.route(intent, tracker.latest_message.get("text"))
        if decided == "status":
            await status_reply(dispatcher, tracker)
            decided = context.ANSWERED
        return [SlotSet(context.SLOT, decided)]
