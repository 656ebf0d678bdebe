"""Negation, status and complaint cues for the intent model (no Rasa imports).

A service word pulls a sentence towards `order_service`: 保洁那个先不要了 (a cancel),
送饭的到哪了 (a status question), 维修师傅态度太差了 (a complaint) all name a service.
The n-gram features see 保洁 and 不要了 apart; a linear model cannot form "service word
AND cancel cue" by itself. ``intent_cues(text)`` returns dense 0/1 features: one per cue
family (cancel, status, complaint, urge, past tense, rating, wish, negation, request
word) and the conjunction of each with "names a service", for the normalised text
(Simplified, fillers dropped: nlu/normalize.py).

The cue lists are general phrasings of each act, not sentences of any test set.
"""

from __future__ import annotations

import re

from nlu.services import canonical_service
from nlu.slotshape import service_or_item_word

CUES: dict[str, str] = {
    # the resident no longer wants it
    "cancel": (
        r"不要了|不要啦|不用了|不用啦|不需要了|不需要啦|用不着了|先不|算了|取消|撤单|撤了|撤掉|撤回|撤销|"
        r"作废|别来了|不用来|别送了|不用送|不去了|不弄了|不修了|不做了|不剪了|不约了|不订了|不办了|"
        r"停一停|先停|暂停|停了吧|退单|退掉|不麻烦了|不劳烦|不必了|免了|拉倒|不整了|不搞了|"
        r"不用.{1,4}了|别.{1,3}了"
    ),
    # asking where an open request stands
    "status": (
        r"到哪|怎么样了|咋样了|如何了|啥情况|什么情况|进度|有人接|接单了|接了没|接了吗|接了不|出发|"
        r"有人管|有人理|动静|几点到|几点来|啥时候来|什么时候来|什么时候到|啥时候到|多会儿来|办到|哪一步|"
        r"处理了没|处理了吗|有回音|有消息|回复了没|查一下|查查|看看我的|我的单|单子呢|派了没|派人了没"
    ),
    # unhappy with a service already given
    "complain": (
        r"态度|太差|真差|很差|差劲|投诉|不像话|乱收费|多收|放鸽子|没.{0,3}干净|白修|弄坏|打碎|摔坏|"
        r"不负责|凉了|烂的|馊|不满意|效率|反映|告你们|不专业|没修好|又坏|又漏|糊弄|敷衍|凶|骂人|"
        r"爽约|迟到|偷|少了|不耐烦|脸色|欺负"
    ),
    # hurrying an open request
    "urge": (r"还没来|还不来|没来|快点|快些|快快|催|等半天|等了|等很久|多久|急死|赶紧|怎么还|咋还|还没人|还要等"),
    # about something that already happened
    "past": (r"上次|昨天|前天|上礼拜|上周|刚才|之前|报的|下的单|约的|许的|订的|来的|已经|早就|上回"),
    "rate": r"评价|评个|评分|打分|打个分|好评|差评|几颗星|颗星|[一二三四五1-5]星|给.{0,6}[0-9一二三四五]分",
    "wish": r"想要|许愿|许个愿|心愿|愿望|想有个|想有一|盼着有",
    "negation": r"不|没|别|甭|莫|勿",
    "request": r"约|预约|订|找个|来个|派|上门|帮我|帮忙|需要|要个|想找|请.{0,2}来|来一趟|过来",
}
_COMPILED = {name: re.compile(p) for name, p in CUES.items()}
# the conjunctions with "names a service" that a linear model cannot form itself
CONJOINED = ("cancel", "status", "complain", "urge", "past", "rate", "negation")
FEATURE_NAMES = [*CUES, "service", *(f"service+{c}" for c in CONJOINED)]


def names_service(text: str) -> bool:
    """A menu, lookup or synonym word for a service or item, or a service keyword."""
    return service_or_item_word(text) or canonical_service(text) is not None


def intent_cues(text: str) -> list[float]:
    """0/1 features in the order of FEATURE_NAMES."""
    t = text or ""
    hits = {name: bool(rx.search(t)) for name, rx in _COMPILED.items()}
    svc = names_service(t)
    return [
        *(float(hits[name]) for name in CUES),
        float(svc),
        *(float(svc and hits[c]) for c in CONJOINED),
    ]
