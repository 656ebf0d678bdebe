"""Unit tests of the pure NLU modules (no Rasa needed; run under the Python 3.11 env).

Needs opencc-python-reimplemented and jionlp besides cn2an (see nlu/REPORT.md).
"""

from nlu.normalize import normalize_text, normalize_with_offsets


def test_traditional_to_simplified():
    assert normalize_text("我想要一台輪椅") == "我想要一台轮椅"
    assert normalize_text("預約保潔 後天") == "预约保洁 后天"
    assert normalize_text("九號樓二單元402") == "九号楼二单元402"


def test_full_width_to_half_width():
    assert normalize_text("３号楼２单元５０２") == "3号楼2单元502"
    assert normalize_text("ＯＫ，没问题！") == "OK,没问题!"


def test_emoji_and_control_characters_are_dropped():
    assert normalize_text("谢谢👍🏻😀") == "谢谢"
    assert normalize_text("修\u200b水管\x00") == "修水管"
    assert normalize_text("❤️好评⭐⭐⭐⭐⭐") == "好评"


def test_whitespace_collapses():
    assert normalize_text("  明天\t\n下午   三点 ") == "明天 下午 三点"
    assert normalize_text("\u3000修水管\u3000") == "修水管"  # ideographic space


def test_long_messages_are_capped():
    assert len(normalize_text("啊" * 20000)) == 5000
    assert len(normalize_text("啊" * 20, max_chars=10)) == 10


def test_empty_and_none():
    assert normalize_text("") == ""
    assert normalize_text(None) == ""


def test_offsets_follow_removed_characters():
    text = "😀想要 一台輪椅"
    norm = normalize_with_offsets(text)
    assert norm.text == "想要 一台轮椅"
    start = text.index("輪椅")
    s, e = norm.map_span(start, start + 2)
    assert norm.text[s:e] == "轮椅"
    # a span over collapsed whitespace still maps onto the same words
    text2 = "明天   下午"
    n2 = normalize_with_offsets(text2)
    assert n2.text == "明天 下午"
    s, e = n2.map_span(0, len(text2))
    assert n2.text[s:e] == "明天 下午"
