"""A person on call (转人工) from the dialogue. The connection itself is the bot's (bot/handoff.py
and community/handoff.py): these actions only tell the bot, with a marker message the bot
shows nothing for, what the resident wants.

- `action_request_human`: the resident asked for a person (intent request_human): the bot
  puts them through to the staff member on duty at once (or queues them out of hours). Any
  open form ends, and its half-filled slots are cleared.
- `action_offer_human`: an answer the dialogue cannot give (e.g. a question the information
  desk cannot answer): the bot adds its 找人工 button. Other actions can do the same with
  `offer_human(dispatcher)`.
"""

from rasa_sdk import Action
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from actions.forms import reset_request_slots
from actions.markers import HANDOFF_OFFER, HANDOFF_START, NOT_UNDERSTOOD, not_understood, offer_human

__all__ = ["HANDOFF_OFFER", "HANDOFF_START", "NOT_UNDERSTOOD", "not_understood", "offer_human"]


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        dispatcher.utter_message(json_message=HANDOFF_START)
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *reset_request_slots(),
            SlotSet("request_choice", None),
            SlotSet("cancel_confirmed", None),
            SlotSet("score", None),
        ]


class ActionOfferHuman(Action):
    def name(self) -> str:
        return "action_offer_human"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        offer_human(dispatcher)
        return []
