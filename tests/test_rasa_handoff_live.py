"""The real Rasa and action server (REST channel, as the bot talks to them): asking for a
person (转人工) outside and inside a form, the not-understood marker the bot turns into a
找人工 button, and the read-back fixes: a typed 不提交了 / 算了不要了 stops without
submitting, and the per-field 修改 buttons ask just that question again."""

import itertools

import pytest
from sqlalchemy import select

from actions import texts
from actions.handoff import HANDOFF_START, NOT_UNDERSTOOD
from community.models import Person, Request, Resident
from tests.test_rasa_live import Chat

pytestmark = pytest.mark.timeout(600)
_ids = itertools.count(771_001)


def newcomer(stack, name: str, building: int = 2) -> int:
    """A consented resident of their own (the session's other tests use the shared ones)."""
    factory, world = stack.factory, stack.world
    with factory() as s, s.begin():
        person = Person(community_id=world.community.id, name=name, telegram_id=next(_ids), phone="13800002222")
        s.add(
            Resident(
                person=person,
                building_id=world.buildings[building].id,
                unit=1,
                room="101",
                consent_at=world.residents["王奶奶"].consent_at,
            )
        )
        s.flush()
        return person.telegram_id


def markers(chat: Chat) -> list[dict]:
    return [r["custom"] for r in chat.replies if r.get("custom") and "nuanxin" in r["custom"]]


def stored(factory, telegram_id: int) -> list[Request]:
    with factory() as s:
        return list(
            s.scalars(
                select(Request)
                .join(Resident, Request.resident_id == Resident.id)
                .join(Person, Resident.person_id == Person.id)
                .where(Person.telegram_id == telegram_id)
            )
        )


@pytest.mark.parametrize("said", ["转人工", "我要找社区的人", "给我打个电话吧", "人工客服"])
def test_asking_for_a_person_hands_the_conversation_to_the_bot(rasa_stack, said):
    chat = Chat(rasa_stack.rasa.rasa_url, newcomer(rasa_stack, f"居民{said}"))
    chat.say(said)
    assert markers(chat) == [HANDOFF_START], chat.replies


def test_asking_for_a_person_inside_a_form_ends_the_form(rasa_stack):
    chat = Chat(rasa_stack.rasa.rasa_url, newcomer(rasa_stack, "表单中转人工"))
    chat.say("我想预约理发")
    assert "什么时间" in chat.text or "几号楼" in chat.text or "具体" in chat.text, chat.text
    chat.say("我要找人工")
    assert markers(chat) == [HANDOFF_START]
    assert chat.slots()["requested_slot"] is None and chat.slots()["service"] is None


def test_a_reply_that_did_not_understand_carries_the_marker(rasa_stack):
    chat = Chat(rasa_stack.rasa.rasa_url, newcomer(rasa_stack, "听不懂"))
    chat.say("嗯嗯那个啥呢嗯")
    assert NOT_UNDERSTOOD in markers(chat), chat.replies


@pytest.mark.parametrize("stop", ["不提交了", "算了不要了", "不填了"])
def test_typing_a_stop_at_the_read_back_stops_without_submitting(rasa_stack, stop):
    tid = newcomer(rasa_stack, f"停止{stop}")
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("家里水管漏水了 麻烦派个师傅来修修")
    chat.answer_until_read_back("2号楼1单元101")
    chat.say(stop)
    assert texts.STOPPED in chat.text, chat.text
    assert stored(rasa_stack.factory, tid) == []
    chat.say("你好")  # the form is over: a greeting is a greeting
    assert texts.BUTTON_CONFIRM not in [b["title"] for r in chat.replies for b in r.get("buttons") or []]


def test_the_per_field_change_buttons_ask_that_one_question_again(rasa_stack):
    tid = newcomer(rasa_stack, "改地址")
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("家里水管漏水了 麻烦派个师傅来修修")
    chat.answer_until_read_back("2号楼1单元101")
    for title in (texts.CHANGE_ADDRESS, texts.CHANGE_TIME, texts.CHANGE_PHONE, texts.CHANGE_DESCRIPTION):
        assert chat.button(title), f"no {title} button: {chat.replies}"
    chat.press(texts.CHANGE_ADDRESS)
    assert "几号楼" in chat.text, chat.text
    chat.say("3号楼2单元502")
    assert chat.button(texts.BUTTON_CONFIRM) and "3号楼2单元502" in chat.text, chat.text
    chat.press(texts.CHANGE_PHONE)
    assert "电话" in chat.text, chat.text
    chat.say("13812340000")
    assert "13812340000" in chat.text and "3号楼2单元502" in chat.text
    chat.press(texts.BUTTON_CONFIRM)
    [req] = stored(rasa_stack.factory, tid)
    assert (req.address_text, req.contact_phone) == ("3号楼2单元502", "13812340000")


def test_an_unknown_service_in_a_wish_like_sentence_is_no_dead_end(rasa_stack):
    chat = Chat(rasa_stack.rasa.rasa_url, newcomer(rasa_stack, "晒太阳"))
    chat.say("就是想有人陪我去楼下晒晒太阳")
    assert "没有找到" not in chat.text, chat.text
    # either it is taken as a wish, or the answer offers a person (the bot's 找人工 button)
    wish = chat.slots()["request_kind"] == "wish"
    assert wish or {"nuanxin": "offer_human"} in markers(chat), chat.replies
    if not wish:
        assert "找人工" in chat.text and "许个心愿" in chat.text
