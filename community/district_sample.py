"""A sample district generated from the demo community (data/community/), for tests, the
benchmarks and trying a district out: `python -m community sample-district OUT --count 20`.

Each community is the demo community's spreadsheets with its own code (C01, C02 …), name
and phone numbers (the same people never appear in two communities); grids, buildings,
teams and categories keep their codes, which are per community. Nothing of it is
committed: 20 copies of the data would drift from the one they copy.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from community.district_loader import DISTRICT, SUPERVISORS
from community.settings import PROJECT_ROOT

DEMO = PROJECT_ROOT / "data" / "community"
NAMES = [
    "幸福里", "和谐家园", "阳光花园", "翠竹园", "锦绣苑", "春晖里", "长青里", "丽景湾", "东风里", "红旗里",
    "朝阳里", "民安里", "新华里", "育才里", "光明里", "桂花园", "金秋园", "梧桐里", "碧水湾", "康乐里",
]  # fmt: skip
# The third digit of a phone number per block of 20 communities (13x stays a valid mobile prefix).
THIRD_DIGIT = {"7": "7568", "9": "9012"}
PER_BLOCK = 20
MAX_COMMUNITIES = PER_BLOCK * 4
PHONE = re.compile(r"\b1[3-9]\d{9}\b")


def community_code(index: int) -> str:
    return f"C{index + 1:02d}"


def community_name(index: int) -> str:
    base = NAMES[index % len(NAMES)]
    return f"{base}社区" if index < len(NAMES) else f"{base}{index // len(NAMES) + 1}社区"


def phone_for(phone: str, index: int) -> str:
    """The demo phone `phone` as community `index` has it: distinct for every index < 80."""
    block, k = divmod(index, PER_BLOCK)
    third = THIRD_DIGIT[phone[2]][block]
    return f"{phone[:2]}{third}{int(phone[3:5]) + 5 * k:02d}{phone[5:]}"


def _phone_match(match: re.Match[str], index: int) -> str:
    return phone_for(match.group(0), index)


def write_sample(
    out: str | Path,
    count: int = 20,
    *,
    code: str = "HP",
    name: str = "和平街道",
    supervisors: list[tuple[str, str, int | None]] | None = None,
) -> Path:
    """Write a district folder of `count` communities to `out` and return it.
    `supervisors`: (name, phone, Telegram id or None) rows for supervisors.csv."""
    if not 1 <= count <= MAX_COMMUNITIES:
        raise ValueError(f"count must be 1..{MAX_COMMUNITIES}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / DISTRICT, [["编号", "名称", "级别"], [code, name, "街道"]])
    rows = [["姓名", "手机", "TelegramID"]]
    rows += [[n, p, str(t) if t else ""] for n, p, t in supervisors or [("周督查", "13800000001", None)]]
    _write(out / SUPERVISORS, rows)
    for index in range(count):
        folder = out / f"c{index + 1:02d}"
        folder.mkdir(exist_ok=True)
        for source in sorted(DEMO.glob("*.csv")):
            with source.open(encoding="utf-8-sig", newline="") as f:
                records = list(csv.reader(f))
            if source.name == "community.csv":
                records = [records[0], [community_code(index), community_name(index), *records[1][2:]]]
            else:
                records = [records[0]] + [
                    [PHONE.sub(functools.partial(_phone_match, index=index), cell) for cell in row]
                    for row in records[1:]
                ]
            _write(folder / source.name, records)
    return out


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
