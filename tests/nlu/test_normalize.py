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
    assert normalize_text("ＯＫ，没问题！", colloquial=False) == "OK,没问题!"


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


def test_spoken_digits_in_number_runs():
    assert normalize_text("电话幺三九幺二三四五六七八") == "电话13912345678"
    assert normalize_text("一三八零零幺三八零零零") == "13800138000"
    assert normalize_text("四号楼二单元六零一") == "四号楼二单元601"
    assert normalize_text("房间洞幺两") == "房间012"
    # number words and short runs stay: cn2an and the time parser read those
    assert normalize_text("一百零五") == "一百零五"
    assert normalize_text("三七二十一") == "三七二十一"
    assert normalize_text("两三天没出门") == "两三天没出门"
    # 门洞 is an entrance (a unit), not 门 + a zero
    assert normalize_text("3号楼2门洞502") == "3号楼2门洞502"
    assert normalize_text("二门洞幺零二") == "二门洞102"


def test_fillers_are_dropped():
    assert normalize_text("那个那个 水管漏了 来个人") == "水管漏了 来个人"
    assert normalize_text("嗯 就是 灯不亮") == "灯不亮"
    assert normalize_text("下水道堵了 嗯 那个 厨房的") == "下水道堵了 厨房的"
    assert normalize_text("呃,我想理发") == "我想理发"
    # a determiner or a meaning 就是 stays
    assert normalize_text("那个单撤了吧") == "那个单撤了吧"
    assert normalize_text("就是想有人陪我") == "就是想有人陪我"
    # a message that is nothing but a filler keeps it (嗯 alone says yes)
    assert normalize_text("嗯") == "嗯"
    assert normalize_text("嗯嗯") == "嗯嗯"


def test_chat_words_are_mapped():
    assert normalize_text("ok thx") == "好的 谢谢"
    assert normalize_text("3Q啦") == "谢谢啦"
    assert normalize_text("886") == "拜拜"
    assert normalize_text("Hi 在吗") == "你好 在吗"
    # not inside addresses, rooms or longer words
    assert normalize_text("88号楼") == "88号楼"
    assert normalize_text("3号楼886") == "3号楼886"
    assert normalize_text("hifi音响") == "hifi音响"


def test_repeated_punctuation_collapses():
    assert normalize_text("太好了！！！") == "太好了!"
    assert normalize_text("怎么还没来？？？。。。") == "怎么还没来?。"


def test_offsets_follow_colloquial_rewrites():
    text = "嗯 那个 电话 一三八零零幺三八零零零 修水管"
    norm = normalize_with_offsets(text)
    assert norm.text == "电话 13800138000 修水管"
    for word, want in [("一三八零零幺三八零零零", "13800138000"), ("修水管", "修水管")]:
        i = text.index(word)
        s, e = norm.map_span(i, i + len(word))
        assert norm.text[s:e] == want
