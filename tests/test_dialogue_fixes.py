"""Issue 14's dialogue fixes below the dialogue: 尽快 stays 尽快 on the volunteers' cards, and a
resident who writes Traditional is answered in Traditional (bot/chinese.py)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from bot import chinese
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import OutboxMessage, RequestKind
from tests.builders import build_world


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 12, 2, 2, 0)):
        yield


@pytest.mark.parametrize(("asap", "shown"), [(True, "时间：尽快"), (False, "时间：时间可商量")])
def test_asap_is_shown_as_asap_on_the_cards(db, asap, shown):
    with db.factory() as s, s.begin():
        w = build_world(s)
        req = lifecycle.submit(
            s,
            actor_for_person(s, w.residents["王奶奶"].person),
            NewRequest(RequestKind.SERVICE, "厨房水管漏水", category="维修", asap=asap),
        )
        cards = s.scalars(
            select(OutboxMessage.text).where(OutboxMessage.request_id == req.id, OutboxMessage.kind == "offer")
        ).all()
        assert cards and all(shown in c for c in cards), cards
        assert req.asap is asap


def test_a_traditional_writer_reads_traditional_and_a_simplified_one_simplified():
    data: dict = {}
    chinese.note(data, "我想預約理髮，明天上午")
    assert chinese.for_reader(data, "请问服务地址是哪里？") == "請問服務地址是哪裡？"
    chinese.note(data, "/affirm")  # a button's payload changes nothing
    assert chinese.for_reader(data, "已为您接通") == "已為您接通"
    chinese.note(data, "我想预约理发")
    assert chinese.for_reader(data, "请问服务地址是哪里？") == "请问服务地址是哪里？"
    assert chinese.for_reader(None, "请问") == "请问"
