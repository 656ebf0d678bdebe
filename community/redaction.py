"""Residents' phone numbers, door numbers and ID-card numbers out of free text.

Residents write their phone and door number into descriptions all the time ("想要一个轮椅，
我电话13812349999，住7号楼2单元601"). The rule "only the claimer and staff see them" must
hold for free text too, so everything shown to anyone else passes through `redact`:

    想要一个轮椅，我电话***，住7号楼***

The building stays (volunteers need to know roughly where), unit and room go. Digits may
be written as Chinese numerals (also the financial ones, 壹贰叁), spoken (幺 for 1, 洞 for 0,
两 for 2), full-width, or with spaces, dashes and brackets between them; a run of seven or
more digits is always private (a phone, an ID-card or bank number), whatever surrounds it.
What the patterns miss, `phonenumbers`' matcher for China gets a second look at.

Who may see the original is `community.lifecycle.sees_private` (the resident, the claimer,
staff); this module only masks.
"""

import re

import phonenumbers

MASK = "***"
# One digit as residents write or dictate it.
_D = "0-9０-９零〇一二三四五六七八九十百两幺洞壹贰叁肆伍陆柒捌玖拾"
_DIGIT = f"[{_D}]"
_SEP = r"[\s\-—–－~～.·()（）]"
# 7+ digits, separators allowed between them (138 1234 9999, 010-8888-6666, (010)8888 6666,
# +86 138…, 0086…).
_LONG_NUMBER = re.compile(rf"(?:(?:\+|＋|00)\s*86{_SEP}*)?[(（]?{_DIGIT}(?:{_SEP}*{_DIGIT}){{6,}}(?:[xX](?![A-Za-z]))?")
# Unit and room: 2单元601, 二单元五零二, 2门洞502, 3门502室, 2单元, 601室, 601号 (not 6号楼).
_UNIT_ROOM = re.compile(
    rf"{_DIGIT}{{1,3}}\s*(?:单元|门洞|门|梯)(?:\s*{_DIGIT}{{2,5}}(?:\s*(?:室|号|房间?|户))?)?"
    rf"|{_DIGIT}{{2,5}}\s*(?:室|房间?|户)"
    rf"|{_DIGIT}{{3,5}}\s*号(?![楼院栋幢座])"
)
# The room right after the building or floor: 7号楼601, 7栋1202, 5楼502.
_ROOM_AFTER_BUILDING = re.compile(rf"((?:楼|栋|幢|座|号院)\s*){_DIGIT}{{3,5}}(?!\s*(?:单元|门洞|门))")
# A room number named as such: 门牌号502, 房号是 1202, 房间：301.
_NAMED_ROOM = re.compile(rf"((?:门牌号?|房号|房间号?|室号)\s*(?:是|为|[:：])?\s*){_DIGIT}{{2,5}}")
# Dashed door numbers: 3-502, 7-2-601 (building-unit-room); the building number stays. Not a
# time or a range of hours (10:00-12:00, 3-5点) or a date (12-03日).
_DASHED = re.compile(
    rf"(?<![{_D}:：])({_DIGIT}{{1,4}})\s*[-－—]\s*{_DIGIT}{{1,4}}(?:\s*[-－—]\s*{_DIGIT}{{1,5}})?"
    rf"(?![{_D}:：])(?!\s*(?:点|时|日|月|号(?!楼)|个|岁|天|小时|分|元|块|斤|次|人|[％%]))"
)


def _phonenumbers_pass(text: str) -> str:
    """Whatever China-valid number libphonenumber still finds (odd spacing, extensions)."""
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "CN", phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + MASK + text[end:]
    return text


def redact(text: str | None) -> str:
    """`text` with phone, ID-card and door numbers replaced by ***; buildings kept."""
    if not text:
        return text or ""
    out = _LONG_NUMBER.sub(MASK, text)
    out = _phonenumbers_pass(out)
    out = _NAMED_ROOM.sub(lambda m: m.group(1) + MASK, out)
    out = _ROOM_AFTER_BUILDING.sub(lambda m: m.group(1) + MASK, out)
    out = _UNIT_ROOM.sub(MASK, out)
    out = _DASHED.sub(lambda m: f"{m.group(1)}-{MASK}", out)
    return re.sub(r"(?:\*\*\*\s*){2,}", MASK, out)


def has_private_data(text: str | None) -> bool:
    return bool(text) and redact(text) != text
