"""The information desk's actions as Rasa runs them (constructed Tracker, CollectingDispatcher,
the real domain.yml) on the community database, SQLite and PostgreSQL: ask_info answered from
the database, a miss recorded and answered with the office's phone, and out_of_scope /
nlu_fallback messages that clearly ask the desk answered instead of 帮不上忙 or the menu."""

import pytest
from sqlalchemy import select

from actions import faq as faq_actions
from actions import forms, texts
from actions.handoff import HANDOFF_OFFER
from community import texts as core
from community.models import Community, FaqEntry, FaqMiss
from tests.actions.test_actions import DOMAIN, fixed_clock, run, said, tracker, world  # noqa: F401

pytestmark = pytest.mark.anyio
CERTIFICATE = "开证明到便民服务窗口，带身份证。"


@pytest.fixture
def desk(db, world):  # noqa: F811
    with db.factory() as s, s.begin():
        community = s.scalar(select(Community))
        community.office_phone = "0371-67881234"
        community.office_hours = "周一至周五 8:30-17:30"
        s.add(
            FaqEntry(
                community_id=community.id,
                key="开证明",
                questions="开证明|怎么开证明|开证明要带什么",
                answer=CERTIFICATE,
                position=0,
            )
        )
    return world


async def test_ask_info_is_answered_from_the_database(db, desk):
    messages, events = await run(faq_actions.ActionAnswerInfo(), tracker(desk["wang"], "開證明要帶什麼", "ask_info"))
    assert said(messages) == CERTIFICATE and events == []
    messages, _ = await run(faq_actions.ActionAnswerInfo(), tracker(desk["wang"], "你们几点上班", "ask_info"))
    assert said(messages) == core.FAQ_OFFICE_HOURS.format(name="幸福里社区", hours="周一至周五 8:30-17:30")


async def test_a_question_the_desk_cannot_answer_is_recorded_and_gets_the_office_phone(db, desk):
    messages, events = await run(faq_actions.ActionAnswerInfo(), tracker(desk["wang"], "狗证在哪里办", "ask_info"))
    assert messages[0]["text"] == core.FAQ_UNKNOWN_WITH_PHONE.format(name="幸福里社区", phone="0371-67881234")
    assert messages[-1]["custom"] == faq_actions.OFFER_HUMAN == HANDOFF_OFFER  # the bot adds 找人工
    assert events == []
    with db.factory() as s:
        assert s.scalars(select(FaqMiss.text)).all() == ["狗证在哪里办"]

    # Inside a form too: the answer, the offer, and the form goes on (no events).
    inside = tracker(desk["wang"], "狗证在哪里办", "ask_info", active_loop="service_form")
    messages, events = await run(faq_actions.ActionAnswerInfo(), inside)
    assert messages[-1]["custom"] == HANDOFF_OFFER and events == []


async def test_a_bare_payload_asks_what_the_question_is(db, desk):
    messages, _ = await run(faq_actions.ActionAnswerInfo(), tracker(desk["wang"], "/ask_info", "ask_info"))
    assert said(messages) == texts.FAQ_ASK_WHAT
    with db.factory() as s:
        assert s.scalars(select(FaqMiss)).all() == []


async def test_out_of_scope_and_not_understood_messages_that_clearly_ask_the_desk_get_its_answer(db, desk):
    messages, _ = await run(faq_actions.ActionOutOfScope(), tracker(desk["wang"], "怎么开证明呀", "out_of_scope"))
    assert said(messages) == CERTIFICATE
    messages, _ = await run(faq_actions.ActionOutOfScope(), tracker(desk["wang"], "今天天气怎么样", "out_of_scope"))
    assert messages[0]["response"] == "utter_out_of_scope"
    messages, _ = await run(forms.ActionNotUnderstood(), tracker(desk["wang"], "我想开个证明", "nlu_fallback"))
    assert said(messages) == CERTIFICATE
    messages, _ = await run(forms.ActionNotUnderstood(), tracker(desk["wang"], "嗯嗯那个", "nlu_fallback"))
    assert messages[0]["response"] == "utter_default"
    with db.factory() as s:
        assert s.scalars(select(FaqMiss)).all() == []  # only ask_info records misses
