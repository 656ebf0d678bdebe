"""Chinese numbers, addresses, phone numbers and ratings (no Rasa imports).

Addresses and Chinese numerals are read by `community.address`, the one address parser
the domain uses too (pure: stdlib and cn2an, importable from Rasa's Python 3.10
environment), so an address Rasa normalised reads the same in the domain:

    三号楼二单元502   -> 3号楼2单元502
    3栋2门洞502室     -> 3号楼2单元502
    3-2-502           -> 3号楼2单元502
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from community import address as _address
from community.address import chinese_run_to_digits, digits_in

__all__ = ["Address", "chinese_run_to_digits", "digits_in", "normalize_address", "normalize_phone", "normalize_score"]


@dataclass
class Address:
    building: str | None
    unit: str | None
    room: str | None
    prefix: str  # text before the building (a compound or street name), if any
    value: str  # canonical form, e.g. 3号楼2单元502


def normalize_address(text: str) -> Address | None:
    """An address entity in its canonical form; None if it names no building, unit or
    room, or several buildings (then the raw text goes to the form, whose validation asks
    which building: the same question the domain asks)."""
    parsed = _address.parse(text)
    if not parsed.found or len(parsed.building_numbers) > 1:
        return None
    building, unit = parsed.building, parsed.unit
    return Address(
        str(building) if building is not None else None,
        str(unit) if unit is not None else None,
        parsed.room,
        parsed.prefix,
        parsed.prefix + parsed.label,
    )


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
