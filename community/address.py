"""The one address parser: building, unit and room out of what a resident typed or said.

Pure (the standard library and cn2an only, no SQLAlchemy, nothing of this package), so it
is importable from both Python environments: the domain (`community.routing`: the guided
order, 代下单, Open311, the Rasa form's validation) and Rasa's NLU components
(`nlu/address.py`, Python 3.10), which therefore can never disagree again.

    三号楼二单元五零二        -> 3号楼2单元502
    3栋2门洞502室 / 3幢2-502 -> 3号楼2单元502
    7-2-601 / 3-502          -> 7号楼2单元601 / 3号楼502
    幸福里小区3號樓2單元502   -> 3号楼2单元502 (prefix 幸福里小区)
    我家在一楼               -> nothing: 一楼 is the ground floor, not building 1

Numbers with units (十二, 二十三, 一百零二) go through cn2an; runs of digit words without
units (五零二) are read digit by digit, as people dictate room numbers. Anything this
module cannot read is left for the caller to ask about; it never guesses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_DIGIT = {
    "零": "0",
    "〇": "0",
    "○": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "壹": "1",
    "二": "2",
    "两": "2",
    "贰": "2",
    "三": "3",
    "叁": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "七": "7",
    "柒": "7",
    "拐": "7",
    "八": "8",
    "捌": "8",
    "九": "9",
    "玖": "9",
    "勾": "9",
}
_UNIT_CHARS = "十百千拾佰仟"
_NUM_RUN = re.compile(r"[零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十百千拾佰仟]+")
_NUM_RUN_WITH_SLANG = re.compile(r"[零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十百千拾佰仟洞拐勾]+")
# Radio slang for digits (洞 0, 拐 7, 勾 9): only in phone numbers; in an address 门洞 is a unit.
_PHONE_ONLY = set("洞拐勾")
# The Traditional spellings of the address words (OpenCC runs in Rasa's pipeline only).
_TRADITIONAL = str.maketrans("號樓棟單門層戶間兩貳陸區", "号楼栋单门层户间两贰陆区")


def chinese_run_to_digits(run: str) -> str | None:
    """十二 -> '12', 五零二 -> '502', 两 -> '2'; None if it is not a number."""
    if not run:
        return None
    if any(c in _UNIT_CHARS for c in run):
        import cn2an  # only numbers with units need it

        try:
            value = cn2an.cn2an(run.replace("两", "二"), "smart")
        except (ValueError, KeyError):  # cn2an raises these on ill-formed numerals
            return None
        return str(int(value))
    if all(c in _DIGIT for c in run):
        return "".join(_DIGIT[c] for c in run)
    return None


def digits_in(text: str, allow_slang: bool = False) -> str:
    """Replace Chinese numerals in ``text`` with Arabic digits."""

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if not allow_slang and any(c in _PHONE_ONLY for c in run):
            return run
        digits = chinese_run_to_digits(run)
        return digits if digits is not None else run

    return (_NUM_RUN_WITH_SLANG if allow_slang else _NUM_RUN).sub(repl, text)


def normalize(text: str) -> str:
    """The form every rule below reads: half-width (NFKC: ３号楼 -> 3号楼), Simplified
    address words, Arabic digits, single spaces."""
    s = unicodedata.normalize("NFKC", text or "").translate(_TRADITIONAL)
    return re.sub(r"\s+", " ", digits_in(s)).strip()


@dataclass(frozen=True)
class Address:
    """What an address text names. Several building numbers mean the text names several
    buildings (3号楼和5号楼之间的路灯): the caller asks which one."""

    building_numbers: tuple[int, ...] = ()
    unit: int | None = None
    room: str | None = None
    prefix: str = field(default="", compare=False)  # a compound or street name before the building

    @property
    def building(self) -> int | None:
        return self.building_numbers[0] if len(self.building_numbers) == 1 else None

    @property
    def found(self) -> bool:
        return bool(self.building_numbers) or self.unit is not None or self.room is not None

    @property
    def label(self) -> str:
        """How an address reads everywhere: 3号楼2单元502 (no prefix)."""
        return (
            (f"{self.building}号楼" if self.building is not None else "")
            + (f"{self.unit}单元" if self.unit is not None else "")
            + (self.room or "")
        )


_DASH = r"[-－—–_/#]"
_UNIT_WORD = r"(?:单元|门洞|门|单(?!元))"
# A building: 3号楼 3栋 3幢 3座 3号院; bare 3楼 only when a unit follows (3楼2单元: otherwise
# it is a floor); bare 3号 only before a unit or a dash (4号2单元301, 3号2-502).
_BUILDING = re.compile(
    r"(?<![\d.])(\d{1,4})\s*(?:号楼|号院楼|栋楼|号栋|号幢|幢楼|号院|栋|幢|座"
    rf"|楼(?=\s*\d{{1,2}}\s*(?:{_UNIT_WORD}|{_DASH}\s*\d))"
    rf"|号(?=\s*\d{{1,2}}\s*(?:{_UNIT_WORD}|{_DASH})|\s*{_DASH}\s*\d)|#(?=\s*\d))"
)
_UNIT_AFTER = re.compile(rf"^[\s,，、]*(\d{{1,2}})\s*(?:{_UNIT_WORD}|{_DASH}(?=\s*\d{{2,4}}(?!\d)))")
_UNIT_ALONE = re.compile(r"(?<![\d.])(\d{1,2})\s*(?:单元|门洞)")
_FLOOR = re.compile(r"^[\s,，、]*\d{1,2}\s*(?:楼|层)")
# Rooms have three or four digits (502, 1201); a number followed by 楼/层 is a floor, by
# 单元 a unit, by 栋/号楼 another building.
_ROOM = re.compile(r"^[\s,，、]*(\d{3,4})(?![\d.]|\s*(?:楼|层|单元|门|栋|幢|座|号楼|点|时))")
_DASHED3 = re.compile(rf"(?<![\d.:-])(\d{{1,4}})\s*{_DASH}\s*(\d{{1,2}})\s*{_DASH}\s*(\d{{3,4}})(?![\d.:]|\s*{_DASH})")
_DASHED2 = re.compile(rf"(?<![\d.:-])(\d{{1,4}})\s*{_DASH}\s*(\d{{3,4}})(?![\d.:]|\s*{_DASH})")
_ROOM_ONLY = re.compile(r"^(\d{3,4})\s*(?:室|号房|房间|房|户)?$")
# Words people put before the address; the prefix is what remains (a compound's name).
_FILLER = re.compile(r"^(?:我家住在|我家在|我住在|我家住|住在|我住|我家|家住|地址是|地址|位置|在|是|住)+")


def parse(text: str) -> Address:
    """Building number(s), unit and room named in free text ("我住十二栋三单元1201室，
    水管坏了" -> 12, 3, 1201); an empty Address if none is named."""
    s = normalize(text)
    buildings = list(_BUILDING.finditer(s))
    if buildings:
        numbers = tuple(dict.fromkeys(int(m.group(1)) for m in buildings))
        unit, room = _unit_and_room(s[buildings[0].end() :])
        return Address(numbers, unit, room, _prefix(s[: buildings[0].start()]))
    dashed = _DASHED3.search(s)
    if dashed:
        return Address((int(dashed.group(1)),), int(dashed.group(2)), dashed.group(3), _prefix(s[: dashed.start()]))
    dashed = _DASHED2.search(s)
    if dashed:
        return Address((int(dashed.group(1)),), None, dashed.group(2), _prefix(s[: dashed.start()]))
    alone = _UNIT_ALONE.search(s)
    if alone:
        unit, room = _unit_and_room(s[alone.start() :])
        return Address((), unit, room)
    only = _ROOM_ONLY.match(s)
    if only:
        return Address((), None, only.group(1))
    return Address()


def _unit_and_room(rest: str) -> tuple[int | None, str | None]:
    unit = None
    if m := _UNIT_AFTER.match(rest):
        unit = int(m.group(1))
        rest = rest[m.end() :]
    if m := _FLOOR.match(rest):  # 3号楼2单元5楼502: the floor says nothing the room does not
        rest = rest[m.end() :]
    room = _ROOM.match(rest)
    return unit, room.group(1) if room else None


def _prefix(before: str) -> str:
    """The compound or street name just before the building (幸福里小区), without the
    words around it (我家住在 …, 地址：…)."""
    tail = re.split(r"[\s,，。:：;；!！?？、]", before)[-1]
    return _FILLER.sub("", tail)
