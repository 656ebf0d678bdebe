"""How much of a message is slot values (no Rasa imports).

A resident answering a form question sends a bare value: 3号楼2单元502, 明天下午,
13812345678, 理发. A request carries the same values plus words asking for
something (明天下午来3号楼修水管). Bag-of-n-gram intent models see the same value
n-grams in both; these few dense features say how much of the text is *not* a
slot value, which is what separates `inform` from `order_service`.

``slot_shape(text)`` masks address, time, phone, number, menu/service and item words
(the lookup tables and synonyms in data/) and
returns [coverage, residual==0, residual 1-2, residual 3-5, residual 6-10,
residual > 10, anything masked, short text (<= 2 chars), has an address/time/number,
has a service/item word, has both], where residual is the number of characters left
after masking (spaces and punctuation ignored). The last one is the conjunction a
linear model cannot form itself: 修马桶 alone or 明天上午 alone answer a question,
修马桶 明天上午 together is an order.
"""

from __future__ import annotations

import re
from pathlib import Path

from nlu.services import SERVICE_MENU

_DATA = Path(__file__).resolve().parents[1] / "data"


def _lexicon() -> list[str]:
    """Menu names, the `service` and `item` lookup tables (data/lookups.yml) and the
    colloquial service/item spellings in data/synonyms.yml, longest first."""
    words = set(SERVICE_MENU)
    for name in ("lookups.yml", "synonyms.yml"):
        path = _DATA / name
        if not path.exists():
            continue
        keep = False
        for line in path.read_text(encoding="utf-8").splitlines():
            head = re.match(r"- (lookup|synonym|regex): (\S+)", line)
            if head:
                keep = head.group(1) != "regex" and (head.group(1) == "synonym" or head.group(2) in ("service", "item"))
                if head.group(1) == "synonym":
                    words.add(head.group(2))
                continue
            item = re.match(r"\s+- (.+)$", line)
            if keep and item and len(item.group(1).strip()) >= 2:
                words.add(item.group(1).strip())
    return sorted(words, key=len, reverse=True)


_NUM = r"[0-9零〇一二两三四五六七八九十百]"
_PATTERNS = [
    # phone numbers and other digit runs
    r"\+?86\s*1[3-9]\d{9}",
    r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}",
    # addresses: compound name glued to a building, building/unit/room
    rf"{_NUM}+\s*(?:号楼|号院|栋楼|栋|幢|号|座)",
    rf"{_NUM}+\s*(?:单元|门洞)",
    rf"{_NUM}+\s*(?:室|层|楼)",
    r"\d{1,3}-\d{1,2}-\d{2,5}",
    r"[\u4e00-\u9fa5]{2,4}(?:小区|花园|家园|新村|里|苑)(?=\s*" + _NUM + ")",
    # times
    r"(?:大后天|后天|明天|今天|昨天|前天|明儿个|明儿|今儿|后儿|明早|明晚|今晚|今早)",
    r"(?:早上|上午|中午|下午|傍晚|晚上|夜里|一早|凌晨|白天)",
    r"(?:下下|下个|这个|下|这|本|上)?(?:周|星期|礼拜)[一二三四五六日天末]?",
    r"(?:周末|月底|月初|下个月|下月|年底)",
    rf"{_NUM}+\s*(?:点半|点钟|点|:\d\d|分|号|月|日)",
    r"(?:左右|以后|之前|以前|前后|到)",
    r"\d+",
]
_RX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))
_SERVICE_RX = re.compile("|".join(re.escape(w) for w in _lexicon()))
_IGNORE = re.compile(r"[\s,，.。!！?？、~～:：;；\-_/]")


def _item_lexicon() -> frozenset[str]:
    words: set[str] = set()
    path = _DATA / "lookups.yml"
    if path.exists():
        keep = False
        for line in path.read_text(encoding="utf-8").splitlines():
            head = re.match(r"- (lookup|synonym|regex): (\S+)", line)
            if head:
                keep = head.group(1) == "lookup" and head.group(2) == "item"
                continue
            item = re.match(r"\s+- (.+)$", line)
            if keep and item:
                words.add(item.group(1).strip())
    return frozenset(words)


_ITEMS = _item_lexicon()


def item_words() -> frozenset[str]:
    """The `item` lookup table of data/lookups.yml."""
    return _ITEMS


def service_or_item_word(text: str) -> bool:
    """True if ``text`` contains a menu, lookup-table or synonym word (service or item)."""
    return bool(_SERVICE_RX.search(text or ""))


def slot_shape(text: str) -> list[float]:
    t = _IGNORE.sub("", text or "")
    n = len(t)
    if n == 0:
        return [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    no_values = _RX.sub("", t)
    masked = _SERVICE_RX.sub("", no_values)
    residual = len(masked)
    covered = n - residual
    has_value = len(no_values) < n  # an address, time, phone or number
    has_word = len(masked) < len(no_values)  # a service or item word
    return [
        covered / n,
        float(residual == 0),
        float(1 <= residual <= 2),
        float(3 <= residual <= 5),
        float(6 <= residual <= 10),
        float(residual > 10),
        float(covered > 0),
        float(n <= 2),
        float(has_value),
        float(has_word),
        float(has_value and has_word),
    ]
