"""Residents' phone numbers, door numbers and ID-card numbers out of free text.

Residents write their phone and door number into descriptions all the time ("想要一个轮椅，
我电话13812349999，住7号楼2单元601"). The rule "only the claimer and staff see them" must
hold for free text too, so everything shown to anyone else passes through `redact`:

    想要一个轮椅，我电话***，住7号楼***

The building stays (volunteers need to know roughly where), unit and room go. Digits may
be written as Chinese numerals or spoken (幺 for 1, 洞 for 0, 两 for 2), full-width, or with
spaces and dashes between them; a run of seven or more digits is always private (a phone,
an ID-card or bank number), whatever surrounds it.
"""

import re

MASK = "***"
# One digit as residents write or dictate it.
_D = "0-9０-９零〇一二三四五六七八九十百两幺洞"
_DIGIT = f"[{_D}]"
_SEP = r"[\s\-—–－~～.·]"
# 7+ digits, separators allowed between them (138 1234 9999, 010-8888-6666, +86 138…).
_LONG_NUMBER = re.compile(rf"(?:\+\s*86{_SEP}*)?{_DIGIT}(?:{_SEP}*{_DIGIT}){{6,}}(?:[xX](?![A-Za-z]))?")
# Unit and room: 2单元601, 二单元五零二, 2门洞502, 3门502室, 2单元, 601室, 601号 (not 6号楼).
_UNIT_ROOM = re.compile(
    rf"{_DIGIT}{{1,3}}\s*(?:单元|门洞|门|梯)(?:\s*{_DIGIT}{{2,5}}(?:\s*(?:室|号|房间?|户))?)?"
    rf"|{_DIGIT}{{2,5}}\s*(?:室|房间?|户)"
    rf"|{_DIGIT}{{3,5}}\s*号(?![楼院栋幢座])"
)
# The room right after the building: 7号楼601, 7栋1202.
_ROOM_AFTER_BUILDING = re.compile(rf"((?:号楼|栋|幢|座|号院)\s*){_DIGIT}{{3,5}}(?!\s*(?:单元|门洞|门))")
# Dashed door numbers: 3-502, 7-2-601 (building-unit-room); the building number stays.
_DASHED = re.compile(
    rf"(?<![{_D}])({_DIGIT}{{1,4}})\s*[-－—]\s*{_DIGIT}{{1,4}}(?:\s*[-－—]\s*{_DIGIT}{{1,5}})?(?![{_D}])"
)


def redact(text: str | None) -> str:
    """`text` with phone, ID-card and door numbers replaced by ***; buildings kept."""
    if not text:
        return text or ""
    out = _LONG_NUMBER.sub(MASK, text)
    out = _ROOM_AFTER_BUILDING.sub(lambda m: m.group(1) + MASK, out)
    out = _UNIT_ROOM.sub(MASK, out)
    out = _DASHED.sub(lambda m: f"{m.group(1)}-{MASK}", out)
    return re.sub(r"(?:\*\*\*\s*){2,}", MASK, out)


def has_private_data(text: str | None) -> bool:
    return bool(text) and redact(text) != text
