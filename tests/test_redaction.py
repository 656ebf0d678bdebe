"""Free text loses phone, ID-card and door numbers before anyone but the claimer and staff
sees it (community.redaction); the building stays."""

import pytest

from community.redaction import redact

CASES = [
    ("想要一个轮椅，我电话13812349999，住7号楼2单元601", "想要一个轮椅，我电话***，住7号楼***"),
    ("三号楼二单元五零二 电话幺三八一二三四五六七八九", "三号楼*** 电话***"),
    ("手机 138 1234 9999", "手机 ***"),
    ("座机010-88886666", "座机***"),
    ("+86 138-1234-9999", "***"),
    ("身份证11010519491231002X", "身份证***"),
    ("住3-502", "住3-***"),
    ("7-2-601", "7-***"),
    ("我家7号楼601", "我家7号楼***"),
    ("2门洞502", "***"),
    ("601室", "***"),
    ("12号楼1单元301 明天上午", "12号楼*** 明天上午"),
]
UNTOUCHED = ["买两个西瓜", "维修水管，5楼", "1号楼", "预约理发，下午三点", "想要3本书", ""]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_private_numbers_are_masked_and_the_building_stays(text, shown):
    assert redact(text) == shown


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text
