"""The information desk in the dialogue: `ask_info` (data/nlu/faq.yml) -> action_answer_info,
which answers from the community's spreadsheets at run time (community.faq): the NLU says
"this is a question for the office", the database says which answer. A question the desk
cannot answer is recorded for staff (/faqgaps) and the resident is offered a person (the
office's phone, and the handoff's 找人工 button).

The NLU only knows the phrasings it was trained on; staff add new ones to faq.csv. So a
message the NLU calls out_of_scope (action_out_of_scope) or does not understand
(action_not_understood, actions/forms.py) is answered from the desk too when it clearly
matches an entry (`sure_answer`), instead of "这个我帮不上忙"."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import status, store, texts
from community import faq
from community.actors import actor_for_telegram


def typed_payload(text: str) -> bool:
    """A button payload or one typed by hand (/ask_info): no question to match."""
    return text.lstrip().startswith("/")


# The handoff's marker (actions/handoff.py HANDOFF_OFFER, not imported: actions.handoff
# imports actions.forms, which imports this module): the bot puts its 找人工 button under
# the reply and connects the person on call (bot/handoff.py).
OFFER_HUMAN = {"nuanxin": "offer_human"}


def _person_id(session, sender_id: str | None) -> int | None:
    try:
        actor = actor_for_telegram(session, int(sender_id or ""))
    except ValueError:
        return None
    return actor.person_id if actor else None


async def sure_answer(tracker: Tracker) -> str | None:
    """The desk's answer to the latest message if it clearly matches an entry, else None."""
    text = tracker.latest_message.get("text") or ""
    if typed_payload(text) or not faq.normalize_question(text):
        return None

    def work(session) -> str | None:
        community = faq.community_for(session, _person_id(session, tracker.sender_id))
        reply = faq.sure_answer(session, community, text) if community else None
        return reply.text if reply else None

    return await store.read(work)


class ActionOutOfScope(Action):
    """out_of_scope: the desk's answer if the message clearly asks one, else the fixed reply."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if await status.answer_if_status(dispatcher, tracker):  # 编号5怎么样了
            return []
        answer = await sure_answer(tracker)
        if answer:
            dispatcher.utter_message(text=answer)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerInfo(Action):
    def name(self) -> str:
        return "action_answer_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if await status.answer_if_status(dispatcher, tracker):  # 编号5怎么样了
            return []
        question = tracker.latest_message.get("text") or ""
        if typed_payload(question) or not faq.normalize_question(question):
            dispatcher.utter_message(text=texts.FAQ_ASK_WHAT)
            return []

        def work(session) -> faq.Reply | None:
            community = faq.community_for(session, _person_id(session, tracker.sender_id))
            return faq.answer(session, community, question) if community else None

        reply = await store.write(work)
        if reply is None:
            dispatcher.utter_message(text=texts.FAQ_NO_COMMUNITY)
            return []
        dispatcher.utter_message(text=reply.text)
        if reply.match is None:
            dispatcher.utter_message(json_message=OFFER_HUMAN)  # 找人工 under the reply
        return []
