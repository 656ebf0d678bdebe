"""A resident who writes Traditional Chinese is answered in Traditional (OpenCC).

Rasa reads Traditional already (nlu/ converts it to Simplified before classifying); its
answers and the bot's own are written in Simplified. The bot notes, per resident, whether
their last typed message used Traditional characters (`writes_traditional`: OpenCC t2s
changes it) and converts what it shows them in its reply path (bot/rasa.py, bot/handoff.py)
with OpenCC's s2tw table (Taiwan standard characters, no phrase substitutions, so service
names and numbers stay as they are). Button payloads stay Simplified (Rasa reads them).
"""

from functools import lru_cache
from typing import Any

TRADITIONAL = "writes_traditional"  # user_data: the last typed message was Traditional


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC  # opencc-python-reimplemented

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> Any:
    from opencc import OpenCC

    return OpenCC("s2tw")


def writes_traditional(text: str) -> bool:
    """True if `text` has a character that only Traditional uses."""
    return _t2s().convert(text) != text


def note(user_data: dict | None, text: str) -> None:
    """Remember the script of a typed message (a button's payload says nothing about it)."""
    if user_data is None or not text or text.startswith("/"):
        return
    user_data[TRADITIONAL] = writes_traditional(text)


def for_reader(user_data: dict | None, text: str) -> str:
    """`text` in the script this resident writes."""
    if user_data and user_data.get(TRADITIONAL):
        return _s2t().convert(text)
    return text
