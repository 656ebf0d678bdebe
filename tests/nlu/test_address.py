"""Unit tests of nlu/address.py and nlu/services.py (pure Python, cn2an)."""

import pytest

from nlu.address import (
    chinese_run_to_digits,
    normalize_address,
    normalize_phone,
    normalize_score,
)
from nlu.services import SERVICE_MENU, canonical_service


@pytest.mark.parametrize(
    "text, value",
    [
        ("三号楼二单元502", "3号楼2单元502"),
        ("3栋2单元502室", "3号楼2单元502"),
        ("3-2-502", "3号楼2单元502"),
        ("3号楼2单元502", "3号楼2单元502"),
        ("12号楼1单元602室", "12号楼1单元602"),
        ("七栋三单元201", "7号楼3单元201"),
        ("二十三栋一单元1201", "23号楼1单元1201"),
        ("幸福小区3号楼2单元五零二", "幸福小区3号楼2单元502"),
        ("3号楼2门502", "3号楼2单元502"),
        ("3号楼2单元5楼502", "3号楼2单元502"),
        ("3#2-502", "3号楼2单元502"),
        ("5栋301", "5号楼301"),
        ("十二号楼", "12号楼"),
        ("2单元", "2单元"),
    ],
)
def test_addresses_normalise(text, value):
    addr = normalize_address(text)
    assert addr is not None
    assert addr.value == value


def test_address_parts():
    addr = normalize_address("三号楼二单元502")
    assert (addr.building, addr.unit, addr.room) == ("3", "2", "502")


def test_not_an_address():
    assert normalize_address("我家住在旁边") is None
    assert normalize_address("") is None


def test_chinese_numerals():
    assert chinese_run_to_digits("十二") == "12"
    assert chinese_run_to_digits("一百零二") == "102"
    assert chinese_run_to_digits("五零二") == "502"
    assert chinese_run_to_digits("两") == "2"


@pytest.mark.parametrize(
    "text, phone",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("幺三八一二三四五六七八", "13812345678"),
        ("0371-12345678", "037112345678"),
        ("123", None),
    ],
)
def test_phone(text, phone):
    assert normalize_phone(text) == phone


@pytest.mark.parametrize(
    "text, score",
    [
        ("五星", 5),
        ("5星", 5),
        ("打5分", 5),
        ("两星", 2),
        ("四分", 4),
        ("满分", 5),
        ("非常满意", 5),
        ("差评", 1),
        ("8分", 4),
        ("3", 3),
        ("一般", None),
        ("好", None),
    ],
)
def test_score(text, score):
    assert normalize_score(text) == score


@pytest.mark.parametrize(
    "text, service",
    [
        ("维修", "维修"),
        ("水管又漏了", "维修"),
        ("灯不亮了", "维修"),
        ("剪个头", "理发"),
        ("陪我去医院", "陪医"),
        ("买菜", "代购"),
        ("打扫卫生", "保洁"),
        ("聊聊天", "心理疏导"),
        ("家政服务", "家政"),
        ("请个律师", "法律咨询"),
        ("送饭", "助餐"),
        ("看电影", None),
    ],
)
def test_canonical_service(text, service):
    assert canonical_service(text) == service
    assert service is None or service in SERVICE_MENU
