"""Short utterances read in the light of the resident's open requests (issue 14, item 1).

"先停一停", "先不要了", "到哪了", "怎么还没人来" say nothing by themselves; with an open request
they mean "cancel it" and "where is it". The NLU may call such a message cancel_request,
deny, check_status, urge or nlu_fallback; outside a form each of those intents goes to
`action_read_context` (data/rules.yml), which decides here, in one place:

- the cue words of the message (`cue_of`: cancel, urge or status words), else the intent;
- then the resident's own requests in the states the lifecycle allows for that action
  (`lifecycle.TRANSITIONS["cancel"]`, `PRECONDITIONS["urge"]`): one → that one, several →
  which one (buttons), none → a polite answer.

This module only decides (it imports nothing from the other action modules);
`actions/status.py` holds `action_read_context` and the status answer. A status question
is answered there at once. Cancel and urge set the slot `context_route`,
and the rules start the cancel or urge form (whose first step picks the only candidate,
or asks which). A deny without a cue word is a plain "好的", a fallback without one goes to
`action_not_understood` as before.
"""

import json
import re
from functools import lru_cache
from typing import Any

import cn2an

from community.validation import normalize_text

# What `action_read_context` decided; the rules after it branch on this slot.
CANCEL = "cancel"
URGE = "urge"
ANSWERED = "answered"  # the action has already replied (a status question)
ACK = "ack"
NOT_UNDERSTOOD = "not_understood"
ROUTES = (CANCEL, URGE, ANSWERED, ACK, NOT_UNDERSTOOD)
SLOT = "context_route"

# Cue words, on the Simplified text. Cancel words first: "怎么还没来 不要了" is a cancel.
CANCEL_CUES = (
    "停一停",
    "停一下",
    "先停",
    "暂停",
    "不要了",
    "先不要",
    "不用来了",
    "别来了",
    "不要来了",
    "不需要了",
    "不办了",
    "不弄了",
    "不修了",
    "取消",
    "撤销",
    "撤回",
)
# "不要取消", "别取消", "不取消": the opposite.
_NEGATED_CANCEL = re.compile(r"(?:不要|不用|别|不)(?:再)?(?:取消|撤销|撤回|停)")
URGE_CUES = ("催",)
STATUS_CUES = (
    "到哪",
    "怎么还没",
    "咋还没",
    "还没来",
    "还没到",
    "还没人",
    "没人来",
    "没人接",
    "有人接",
    "什么时候来",
    "什么时候到",
    "啥时候来",
    "啥时候到",
    "几点来",
    "几点到",
    "多久",
    "来了没",
    "到了没",
    "来没来",
    "怎么样了",
    "咋样了",
    "进度",
    "办好了没",
    "好了没",
)
# Words that ask about all of one's requests ("我的单子怎么样了"): the list, not "which one".
LIST_WORDS = ("单子", "订单", "诉求", "心愿", "所有", "全部", "都", "几个", "哪些")

_INTENT_ROUTE = {"cancel_request": CANCEL, "urge": URGE, "check_status": "status"}


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC  # opencc-python-reimplemented

    return OpenCC("t2s")


def plain(text: str | None) -> str:
    """The message as the cue words are written: Simplified, half-width, no spaces."""
    return re.sub(r"\s+", "", _t2s().convert(normalize_text(text or "")))


def cue_of(text: str | None) -> str | None:
    """ "cancel", "urge", "status" or None, from the words of a typed message."""
    if not text or typed_payload(text):
        return None
    said = plain(text)
    if any(c in said for c in CANCEL_CUES) and not _NEGATED_CANCEL.search(said):
        return CANCEL
    if any(c in said for c in URGE_CUES):
        return URGE
    if any(c in said for c in STATUS_CUES):
        return "status"
    return None


def route(intent: str | None, text: str | None) -> str:
    """What a short message outside a form asks for: "cancel", "urge", "status", "ack" or
    "not_understood". The words decide first, the NLU's intent second."""
    decided = cue_of(text) or _INTENT_ROUTE.get(intent or "")
    if decided:
        return decided
    return ACK if intent == "deny" else NOT_UNDERSTOOD


def points_at_one(text: str | None) -> bool:
    """A status question about "it" (到哪了, 怎么还没人来), not about all of one's requests."""
    if not text or typed_payload(text):
        return False
    said = plain(text)
    return cue_of(text) == "status" and not any(w in said for w in LIST_WORDS)


def chosen_in_payload(text: str | None) -> int | None:
    """The request number a status button carries: /check_status{"request_choice": "12"}."""
    if not text or not typed_payload(text) or "{" not in text:
        return None
    try:
        value = json.loads(text[text.index("{") :]).get("request_choice")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, (str, int)) and str(value).isdigit() else None


def typed_payload(text: str | None) -> bool:
    """A button's payload or one typed by hand ("/deny"): no words to read."""
    return text is not None and text.lstrip().startswith("/")


CN_NUMBER = "零一二两三四五六七八九十百千"


def cn_number(numeral: str) -> int | None:
    try:
        return int(cn2an.cn2an(numeral, "smart"))
    except (ValueError, KeyError):
        return None


# A request named by its number ("编号12怎么样了", "#12", "十二号单子"): the resident asks about
# that one. Bare digits are not enough (3号楼, a phone number).
_NAMED_REQUEST = re.compile(
    rf"(?:编号|单号|订单号|[#＃])\s*(\d+|[{CN_NUMBER}]+)|(\d+|[{CN_NUMBER}]+)\s*号(?:单|订单|心愿|诉求)"
)


def named_requests(text: str) -> list[int]:
    text = normalize_text(text or "")
    found = []
    for m in _NAMED_REQUEST.finditer(text):
        numeral = next(g for g in m.groups() if g)
        n = int(numeral) if numeral.isdigit() else cn_number(numeral)
        if n is not None:
            found.append(n)
    return found


def names_own_request(text: str | None) -> bool:
    """ "编号5怎么样了", "#12呢": a request named by its number, asked about (not to cancel or
    urge it). The NLU sometimes calls these out_of_scope or ask_info; they are status
    questions (the status answer shows the request only if it is the sender's)."""
    if not text or typed_payload(text):
        return False
    return bool(named_requests(text)) and cue_of(text) in ("status", None)
