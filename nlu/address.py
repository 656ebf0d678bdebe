"""Chinese numbers, addresses, phone numbers and ratings (no Rasa imports).

Numbers with units (十二, 二十三, 一百零二) go through cn2an; runs of digit words
without units (五零二, 幺三八) are read digit by digit, as people dictate room and
phone numbers.

    三号楼二单元502   -> 3号楼2单元502
    3栋2单元502室     -> 3号楼2单元502
    3-2-502           -> 3号楼2单元502
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
# In an address only these may be digit words (洞, 拐, 勾 are radio slang; keep to phone).
_PHONE_ONLY = set("洞拐勾")


def chinese_run_to_digits(run: str) -> str | None:
    """十二 -> '12', 五零二 -> '502', 两 -> '2'; None if it is not a number."""
    if not run:
        return None
    if any(c in _UNIT_CHARS for c in run):
        import cn2an

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
        d = chinese_run_to_digits(run)
        return d if d is not None else run

    pattern = _NUM_RUN
    if allow_slang:
        pattern = re.compile(_NUM_RUN.pattern[:-2] + "洞拐勾]+")
    return pattern.sub(repl, text)


@dataclass
class Address:
    building: str | None
    unit: str | None
    room: str | None
    prefix: str  # text before the building (a compound or street name), if any
    value: str  # canonical form, e.g. 3号楼2单元502


_SEP = r"\s*[-－—–_/#]\s*"
_DASHED = re.compile(rf"^(?P<b>\d{{1,3}}){_SEP}(?P<u>\d{{1,2}}){_SEP}(?P<r>\d{{2,5}})$")
_DASHED2 = re.compile(rf"^(?P<b>\d{{1,3}}){_SEP}(?P<r>\d{{3,5}})$")
_BUILDING = re.compile(
    r"(?P<b>\d{1,3})\s*(?:号楼|号院楼|栋楼|号栋|幢楼|号幢|栋|幢|座|楼(?!\d*层)|号(?=\s*\d*\s*单元|\s*-))"
)
_UNIT = re.compile(r"(?P<u>\d{1,2})\s*(?:单元|门洞|门|单|-)")
_ROOM = re.compile(r"(?P<r>\d{2,5})\s*(?:室|号房|号|房间|房|户)?")
_FLOOR = re.compile(r"\d{1,2}\s*(?:楼|层)(?=\s*\d{3,5})")


def normalize_address(text: str) -> Address | None:
    """Parse a building/unit/room address; None if no building, unit or room is found."""
    if not text:
        return None
    s = digits_in(text.strip())
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"(室|号房|房间|户)$", "", s)

    m = _DASHED.match(s) or _DASHED2.match(s)
    if m:
        gd = m.groupdict()
        return _make("", gd.get("b"), gd.get("u"), gd.get("r"))

    building = unit = room = None
    prefix = ""
    rest = s
    mb = _BUILDING.search(rest)
    if mb:
        building = mb.group("b")
        prefix = rest[: mb.start()]
        rest = rest[mb.end() :]
    mu = _UNIT.match(rest)
    if mu:
        unit = mu.group("u")
        rest = rest[mu.end() :]
    rest = _FLOOR.sub("", rest)  # 3号楼2单元5楼502 -> drop the floor
    mr = _ROOM.match(rest)
    if mr:
        room = mr.group("r")
        rest = rest[mr.end() :]
    if building is None and unit is None and room is None:
        return None
    if rest.strip(" ,，。") and building is None:
        # something we do not understand follows; keep the parsed part only if
        # it covers the building at least
        return None
    return _make(prefix, building, unit, room)


def _make(prefix: str, b: str | None, u: str | None, r: str | None) -> Address:
    b = str(int(b)) if b else None
    u = str(int(u)) if u else None
    parts = [prefix]
    if b:
        parts.append(f"{b}号楼")
    if u:
        parts.append(f"{u}单元")
    if r:
        parts.append(r)
    return Address(b, u, r, prefix, "".join(parts))


def normalize_phone(text: str) -> str | None:
    """'138 1234 5678' / '+86-138...' / '幺三八...' -> '13812345678'; None if not a phone."""
    if not text:
        return None
    s = digits_in(text, allow_slang=True)
    digits = re.sub(r"\D", "", s)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    if re.fullmatch(r"0\d{9,11}|\d{7,8}", digits):  # landline, with or without area code
        return digits
    return None


_TOP = re.compile(r"满分|满星|非常满意|特别满意|十分满意|超级满意|好评")
_SCORE_NUM = re.compile(
    r"(\d+|[一二两三四五六七八九十百]+)\s*(?=颗星|颗|星|分)|^\s*(\d+|[一二两三四五六七八九十]+)\s*$"
)


def normalize_score(text: str) -> int | None:
    """五星 -> 5, 打4分 -> 4, 满分 -> 5, 8分 (of 10) -> 4; None if not a rating."""
    if not text:
        return None
    if _TOP.search(text) and not re.search(r"不|没", text):
        return 5
    if re.search(r"差评|非常不满意|太差", text):
        return 1
    m = _SCORE_NUM.search(text)
    if not m:
        return None
    num = (m.group(1) or m.group(2)).strip()
    d = num if num.isdigit() else chinese_run_to_digits(num)
    if d is None:
        return None
    n = int(d)
    if 1 <= n <= 5:
        return n
    if 6 <= n <= 10:  # a ten-point scale
        return max(1, min(5, round(n / 2)))
    if n == 100:
        return 5
    return None
