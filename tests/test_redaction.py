"""Free text loses phone, ID-card and door numbers before anyone but the claimer and staff
sees it (community.redaction); the building stays. The shapes are the ones residents type,
dictate (voice input writes 幺/洞/两) or paste."""

import pytest

from community.redaction import has_private_data, redact

CASES = [
    # the issue's own words
    ("想要一个轮椅，我电话13812349999，住7号楼2单元601", "想要一个轮椅，我电话***，住7号楼***"),
    # mobiles
    ("手机 138 1234 9999", "手机 ***"),
    ("手机138-1234-9999", "手机***"),
    ("电话：1 3 8 1 2 3 4 9 9 9 9", "电话：***"),
    ("+86 138-1234-9999", "***"),
    ("+8613812349999找我", "***找我"),
    ("0086 13812349999", "***"),
    ("（+86）13812349999", "（***"),
    ("打１３８１２３４９９９９", "打***"),
    ("138.1234.9999", "***"),
    ("联系13812349999或13912345678", "联系***或***"),
    # spoken and Chinese digits
    ("电话幺三八一二三四五六七八九", "电话***"),
    ("一三八一二三四九九九九", "***"),
    ("幺三八 幺二三四 九九九九", "***"),
    ("壹叁捌壹贰叁肆玖玖玖玖", "***"),
    ("138一二三四9999", "***"),
    ("电话是幺洞洞八六六六六", "电话是***"),
    # landlines with area code
    ("座机010-88886666", "座机***"),
    ("座机 (010) 8888 6666", "座机 ***"),
    ("（0755）23456789", "***"),
    ("家里电话021-6123-4567转8", "家里电话***转8"),
    ("打88886666就行", "打***就行"),
    # ID-card numbers
    ("身份证11010519491231002X", "身份证***"),
    ("身份证号 110105 19491231 002x", "身份证号 ***"),
    ("身份证110105194912310021", "身份证***"),
    # door numbers
    ("住3-502", "住3-***"),
    ("7-2-601", "7-***"),
    ("我家7号楼601", "我家7号楼***"),
    ("7栋1202", "7栋***"),
    ("5楼502", "5楼***"),
    ("2门洞502", "***"),
    ("3门502室", "***"),
    ("601室", "***"),
    ("五零二室", "***"),
    ("三号楼二单元五零二", "三号楼***"),
    ("12号楼1单元301 明天上午", "12号楼*** 明天上午"),
    ("12号楼 1 单元 301", "12号楼 ***"),
    ("住二单元", "住***"),
    ("门牌号502", "门牌号***"),
    ("房号是 1202", "房号是 ***"),
    ("601号房", "***房"),
    ("3号楼2单元502，电话幺三八一二三四五六七八九", "3号楼***，电话***"),
    ("三号楼二单元五零二 电话幺三八一二三四五六七八九", "三号楼*** 电话***"),
]
UNTOUCHED = [
    "买两个西瓜",
    "维修水管，5楼",
    "1号楼",
    "十二号楼",
    "预约理发，下午三点",
    "想要3本书",
    "下午3-5点都在家",
    "10:00-12:00 之间",
    "一副老花镜，看报纸看不清了",
    "2号楼楼道灯坏了",
    "想要一台收音机",
    "要买10斤大米",
    "",
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_private_numbers_are_masked_and_the_building_stays(text, shown):
    assert redact(text) == shown
    assert has_private_data(text)


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text
    assert not has_private_data(text)


def test_none_is_empty():
    assert redact(None) == ""
