"""Chinese time expressions -> ISO datetimes in Asia/Shanghai (no Rasa imports).

The parsing itself is JioNLP's ``parse_time`` / ``extract_time`` (jionlp on PyPI,
works offline). This module only adds:

* a few colloquial/dialect spellings JioNLP does not know (明儿个, 后儿, 明早, 晌午 ...);
* the "bare hour" rule: 两点 / 5点 with no 上午/下午/晚上 word means 14:00 / 17:00
  (between 1 and 6 o'clock residents mean the afternoon; JioNLP reads 02:00);
* a stable result shape: ``value`` is the ISO start with a +08:00 offset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

# Applied in order, longest first.
_COLLOQUIAL = [
    ("大后儿个", "大后天"),
    ("大后儿", "大后天"),
    ("明儿个", "明天"),
    ("今儿个", "今天"),
    ("后儿个", "后天"),
    ("昨儿个", "昨天"),
    ("明儿", "明天"),
    ("今儿", "今天"),
    ("后儿", "后天"),
    ("昨儿", "昨天"),
    ("明早", "明天早上"),
    ("明晚", "明天晚上"),
    ("今早", "今天早上"),
    ("今晚", "今天晚上"),
    ("后晌", "下午"),
    ("晌午", "中午"),
    ("头午", "上午"),
    ("傍黑", "傍晚"),
    ("礼拜天", "周日"),
    ("礼拜日", "周日"),
    ("星期天", "星期日"),
    ("这礼拜", "这周"),
    ("下礼拜", "下周"),
    ("礼拜", "周"),
    ("钟头", "小时"),
]
_PERIOD_WORDS = re.compile(r"凌晨|早|上午|中午|午|下午|傍晚|晚|夜|am|pm|AM|PM")
_HOUR_MARK = re.compile(r"[点點:：]")


@dataclass
class ParsedTime:
    value: str  # ISO 8601, e.g. 2025-03-13T15:00:00+08:00: the start, or the middle of a part of day
    start: str
    end: str | None  # None when open-ended (过两天 -> from then on)
    grain: str  # "minute", "hour", "day", "blur" (a part of day), "span"
    text: str  # the text that was parsed

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "grain": self.grain,
            "text": self.text,
        }


@lru_cache(maxsize=1)
def _jio():
    # jionlp prints a banner on import; keep stdout clean.
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp  # noqa: WPS433

    return jionlp


def _colloquial(text: str) -> str:
    for a, b in _COLLOQUIAL:
        text = text.replace(a, b)
    return text


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(TZ)
    if now.tzinfo is None:
        return now.replace(tzinfo=TZ)
    return now.astimezone(TZ)


def _to_dt(s: str) -> dt.datetime | None:
    if s in ("inf", "-inf"):
        return None
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)


def _iso(d: dt.datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def _grain(start: dt.datetime, end: dt.datetime | None, definition: str) -> str:
    if end is None:
        return "span"
    if definition == "blur":
        return "blur"
    width = (end - start).total_seconds()
    if width < 60:
        return "minute"
    if width < 3600 + 60:
        return "hour" if start.minute == 0 else "minute"
    if 86340 <= width < 86460 and start.hour == 0 and start.minute == 0:
        return "day"
    return "span"


_BARE_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天](?![一二三四五六日天])")


def parse_time(text: str, now: dt.datetime | None = None) -> ParsedTime | None:
    """Parse one time expression (the text of a ``time`` entity).

    ``now`` is the reference time (aware, or naive Asia/Shanghai wall time);
    returns None when the text is not a time.
    """
    if not text or not text.strip():
        return None
    ref = _now(now)
    cleaned = _colloquial(text.strip())
    cleaned = re.sub(r"\s+", "", cleaned)
    # strip words that often ride along inside a time entity
    cleaned = re.sub(r"(左右|前后|之前|以前|的时候|都行|都可以|吧|呢|啊)$", "", cleaned)
    if not cleaned:
        return None
    try:
        res = _jio().parse_time(cleaned, time_base=ref.replace(tzinfo=None))
    except Exception:  # noqa: BLE001 - jionlp raises assorted errors on strings it cannot read
        return None
    kind = res.get("type")
    if kind == "time_period":  # recurring: 每周三下午 -> its first point
        point = res["time"].get("point") or {}
        times = point.get("time")
        if not times:
            return None
    elif kind in ("time_point", "time_span"):
        times = res["time"]
    else:  # time_delta (三天) is a duration, not a moment
        return None
    start = _to_dt(times[0])
    end = _to_dt(times[1]) if len(times) > 1 else None
    if start is None:
        return None
    if 1 <= start.hour <= 6 and _HOUR_MARK.search(cleaned) and not _PERIOD_WORDS.search(cleaned):
        start += dt.timedelta(hours=12)
        if end is not None:
            end += dt.timedelta(hours=12)
    if _BARE_WEEKDAY.match(cleaned) and start.date() < ref.date():
        # 周三 / 礼拜三下午 said on a Friday is next Wednesday: an appointment is ahead
        # (这周三, 上周三 keep the week they name)
        start += dt.timedelta(days=7)
        if end is not None:
            end += dt.timedelta(days=7)
    grain = _grain(start, end, res.get("definition", ""))
    # A part of the day (明天上午 = 07:00–12:00) is an appointment around its middle, on the
    # hour (09:00; 下午 15:00), not at its first minute: nobody wants the plumber at 07:00.
    value = start + (end - start) / 2 if grain == "blur" and end is not None else start
    value = value.replace(minute=0, second=0, microsecond=0) if grain == "blur" else value
    return ParsedTime(
        value=_iso(value),
        start=_iso(start),
        end=_iso(end),
        grain=grain,
        text=text,
    )


_NOT_TIME_AFTER = re.compile(r"\s*(楼|栋|幢|单元|院|床|门|线|室|房)")


@dataclass
class FoundTime:
    start: int
    end: int
    text: str
    parsed: ParsedTime


def find_times(text: str, now: dt.datetime | None = None) -> list[FoundTime]:
    """Find time expressions in a whole message (used when the model found none)."""
    if not text:
        return []
    ref = _now(now)
    try:
        found = _jio().ner.extract_time(text, time_base=ref.replace(tzinfo=None), with_parsing=False)
    except Exception:  # noqa: BLE001 - as above: an unreadable string has no times
        return []
    out: list[FoundTime] = []
    for item in found:
        s, e = item["offset"]
        frag = item["text"]
        if _NOT_TIME_AFTER.match(text, e):  # 3号楼, 2号床: a place, not a date
            continue
        parsed = parse_time(frag, ref)
        if parsed is not None:
            out.append(FoundTime(s, e, frag, parsed))
    return out
