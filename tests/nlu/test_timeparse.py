"""Unit tests of nlu/timeparse.py against a fixed "now" (needs jionlp)."""

import datetime as dt

import pytest

from nlu.timeparse import TZ, find_times, parse_time

# Wednesday 12 March 2025, 10:00 in Shanghai
NOW = dt.datetime(2025, 3, 12, 10, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    "text, iso, grain",
    [
        ("明天下午三点", "2025-03-13T15:00:00+08:00", "hour"),
        ("明天下午3点", "2025-03-13T15:00:00+08:00", "hour"),
        ("后天", "2025-03-14T00:00:00+08:00", "day"),
        ("今晚7点", "2025-03-12T19:00:00+08:00", "hour"),
        ("下周一上午", "2025-03-17T09:00:00+08:00", "blur"),  # the middle of 上午, on the hour
        ("下周二", "2025-03-18T00:00:00+08:00", "day"),
        ("周六上午十点", "2025-03-15T10:00:00+08:00", "hour"),
        ("明早8点半", "2025-03-13T08:30:00+08:00", "minute"),
        ("明儿个下午", "2025-03-13T15:00:00+08:00", "blur"),
        ("后儿", "2025-03-14T00:00:00+08:00", "day"),
        ("下礼拜三", "2025-03-19T00:00:00+08:00", "day"),
        ("大后天上午十点", "2025-03-15T10:00:00+08:00", "hour"),
        # a bare hour between 1 and 6 means the afternoon
        ("两点", "2025-03-12T14:00:00+08:00", "hour"),
        ("下午两点半", "2025-03-12T14:30:00+08:00", "minute"),
    ],
)
def test_parse_time(text, iso, grain):
    parsed = parse_time(text, NOW)
    assert parsed is not None, text
    assert parsed.value == iso
    assert parsed.grain == grain
    assert dt.datetime.fromisoformat(parsed.value).utcoffset() == dt.timedelta(hours=8)


def test_naive_now_is_shanghai_wall_time():
    parsed = parse_time("明天下午三点", dt.datetime(2025, 3, 12, 10, 0))
    assert parsed.value == "2025-03-13T15:00:00+08:00"


def test_now_in_another_zone_is_converted():
    # 2025-03-12 20:00 UTC is already the 13th in Shanghai
    now_utc = dt.datetime(2025, 3, 12, 20, 0, tzinfo=dt.UTC)
    assert parse_time("明天", now_utc).value == "2025-03-14T00:00:00+08:00"


@pytest.mark.parametrize("text", ["天气", "", "   ", "轮椅"])
def test_not_a_time(text):
    assert parse_time(text, NOW) is None


def test_find_times_skips_building_numbers():
    found = find_times("帮我约明天下午三点来3号楼2单元502修水管", NOW)
    assert [f.text for f in found] == ["明天下午三点"]
    assert found[0].parsed.value == "2025-03-13T15:00:00+08:00"
    assert (found[0].start, found[0].end) == (3, 9)


def test_a_bare_weekday_already_past_this_week_is_next_week():
    import datetime as dt

    from nlu.timeparse import TZ, parse_time

    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=TZ)
    assert parse_time("礼拜三下午", friday).value.startswith("2026-12-09T15")
    assert parse_time("周一", friday).value.startswith("2026-12-07")
    assert parse_time("周六", friday).value.startswith("2026-12-05")  # still ahead
    assert parse_time("这周三", friday).value.startswith("2026-12-02")  # the week named
    assert parse_time("下周三", friday).value.startswith("2026-12-09")
