"""Marker messages for the bot (custom `{"nuanxin": ...}` in the REST channel's answer, shown
as nothing; bot/rasa.py and bot/handoff.py read them). Imports nothing from actions/, so
every action module can use them."""

HANDOFF_START = {"nuanxin": "handoff", "how": "asked"}  # put the resident through to a person
HANDOFF_OFFER = {"nuanxin": "offer_human"}  # a 找人工 button under the reply
NOT_UNDERSTOOD = {"nuanxin": "not_understood"}  # the button, and counted toward the offer


def offer_human(dispatcher) -> None:
    """After a message of your own: the bot puts a 找人工 button under it."""
    dispatcher.utter_message(json_message=HANDOFF_OFFER)


def not_understood(dispatcher) -> None:
    """After a message saying the assistant did not understand: the bot adds the 找人工
    button and, after two in a row, offers a person itself."""
    dispatcher.utter_message(json_message=NOT_UNDERSTOOD)
