"""The real Rasa (trained model) and action server over the REST channel, as the bot talks
to them: short messages read in the light of the resident's open requests (issue 14, item
1: 先停一停 / 先不要了 cancel it, 到哪了 / 怎么还没人来 show its status; several ask which;
none, a polite answer), and issue 14's dialogue bullets checked through the real dialogue:
编号N怎么样了 shows the resident's own request N, 尽快 reaches the volunteers' cards as 尽快.
(The read-back stop and the unknown service in a wish-like sentence are in
tests/test_rasa_handoff_live.py; Traditional replies and voice messages go through the bot:
tests/bot/test_e2e_rasa_context.py.)"""

import itertools

import httpx
import pytest
from sqlalchemy import select

from actions import texts
from actions.forms import OUTBOX_SPEAKS
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import OutboxMessage, Person, Request, RequestKind, RequestState, Resident
from tests.test_rasa_live import Chat
from tests.timing import scaled

pytestmark = pytest.mark.timeout(600)
_ids = itertools.count(775_001)  # 771…774 are the other live tests' (one shared community)
SHORT_INTENTS = {"cancel_request", "deny", "check_status", "urge", "nlu_fallback"}


def resident(stack, name: str, orders: list[str] = ()) -> tuple[int, list[int]]:
    """A consented resident of their own with these open service orders (维修), oldest first."""
    with clock.use_clock(stack.clock), stack.factory() as s, s.begin():
        world = stack.world
        person = Person(community_id=world.community.id, name=name, telegram_id=next(_ids), phone="13800004444")
        s.add(
            Resident(
                person=person,
                building_id=world.buildings[2].id,
                unit=1,
                room="301",
                consent_at=world.residents["王奶奶"].consent_at,
            )
        )
        s.flush()
        actor = actor_for_person(s, person)
        ids = [lifecycle.submit(s, actor, NewRequest(RequestKind.SERVICE, d, category="维修")).id for d in orders]
        return person.telegram_id, ids


def intent_of(stack, text: str) -> str:
    parsed = httpx.post(f"{stack.rasa.rasa_url}/model/parse", json={"text": text}, timeout=scaled(30)).json()
    return parsed["intent"]["name"]


def state_of(stack, rid: int) -> RequestState:
    with stack.factory() as s:
        return s.get(Request, rid).state


@pytest.mark.parametrize("said", ["先停一停", "先不要了"])
def test_a_stop_word_with_one_open_request_asks_to_cancel_that_one_and_cancels(rasa_stack, said):
    tid, [rid] = resident(rasa_stack, f"停{said}", ["卫生间水管漏水"])
    assert intent_of(rasa_stack, said) in SHORT_INTENTS  # whichever: the words decide
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say(said)
    assert texts.ASK_CANCEL_CONFIRM.format(id=rid, what="维修") in chat.text, chat.text
    assert chat.button(texts.BUTTON_YES_CANCEL) and chat.button(texts.BUTTON_NO_CANCEL)
    replies = chat.press(texts.BUTTON_YES_CANCEL)
    assert [r.get("custom") for r in replies] == [OUTBOX_SPEAKS]  # the bot sends the outbox's 已取消
    assert state_of(rasa_stack, rid) == RequestState.CANCELLED


def test_no_at_the_cancel_question_keeps_the_request(rasa_stack):
    tid, [rid] = resident(rasa_stack, "不取消了", ["厨房水龙头坏了"])
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("先停一停")
    chat.press(texts.BUTTON_NO_CANCEL)
    assert texts.NOT_CANCELLED.format(id=rid) in chat.text
    assert state_of(rasa_stack, rid) == RequestState.OPEN


@pytest.mark.parametrize("said", ["到哪了", "怎么还没人来"])
def test_a_where_is_it_with_one_open_request_shows_that_one(rasa_stack, said):
    tid, [old, rid] = resident(rasa_stack, f"问{said}", ["上个月的灯泡", "阳台水管漏水"])
    with clock.use_clock(rasa_stack.clock), rasa_stack.factory() as s, s.begin():
        lifecycle.cancel(s, actor_for_person(s, s.scalar(select(Person).where(Person.telegram_id == tid))), old, "好了")
    assert intent_of(rasa_stack, said) in SHORT_INTENTS
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say(said)
    assert chat.text.startswith(texts.STATUS_HEAD_ONE) and f"编号 {rid}｜维修｜待接单" in chat.text, chat.text
    assert f"编号 {old}" not in chat.text
    assert chat.button(texts.BUTTON_URGE) and state_of(rasa_stack, rid) == RequestState.OPEN


def test_with_several_open_requests_the_resident_is_asked_which(rasa_stack):
    tid, [first, second] = resident(rasa_stack, "两件事", ["厨房水管漏水", "楼道灯坏了"])
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("到哪了")
    assert chat.text == texts.ASK_WHICH_STATUS
    titles = [b["title"] for r in chat.replies for b in r.get("buttons") or []]
    assert titles == [f"编号 {second} 维修：楼道灯坏了", f"编号 {first} 维修：厨房水管漏水"]
    chat.press(f"编号 {first} 维修：厨房水管漏水")
    assert f"编号 {first}｜维修" in chat.text and f"编号 {second}" not in chat.text, chat.text

    chat.say("先停一停")
    assert texts.ASK_WHICH.format(verb=texts.VERB_CANCEL) in chat.text
    chat.press(f"编号 {second} 维修：楼道灯坏了")
    assert texts.ASK_CANCEL_CONFIRM.format(id=second, what="维修") in chat.text
    chat.press(texts.BUTTON_YES_CANCEL)
    assert state_of(rasa_stack, second) == RequestState.CANCELLED
    assert state_of(rasa_stack, first) == RequestState.OPEN


def test_with_no_open_request_the_answers_are_polite(rasa_stack):
    tid, _ = resident(rasa_stack, "没单子")
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("到哪了")
    assert chat.text == texts.NO_OPEN_REQUESTS
    chat.say("先停一停")
    assert chat.text == texts.NONE_TO_CANCEL
    chat.say("怎么还没人来")
    assert chat.text == texts.NO_OPEN_REQUESTS


def test_a_request_named_by_number_shows_that_one_if_it_is_mine(rasa_stack):
    tid, [first, second] = resident(rasa_stack, "问编号", ["厨房水管漏水", "楼道灯坏了"])
    other, [theirs] = resident(rasa_stack, "别人", ["别人家的水管"])
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say(f"编号{first}怎么样了")
    assert chat.text.startswith(texts.STATUS_HEAD_ONE) and f"编号 {first}" in chat.text, chat.text
    assert f"编号 {second}" not in chat.text and "帮不上" not in chat.text
    chat.say(f"编号{theirs}怎么样了")
    assert texts.STATUS_NOT_FOUND.format(id=theirs) in chat.text and "别人家" not in chat.text


def test_asap_reaches_the_volunteers_cards_as_asap(rasa_stack):
    tid, _ = resident(rasa_stack, "尽快的人")
    chat = Chat(rasa_stack.rasa.rasa_url, tid)
    chat.say("家里水管漏水了 麻烦派个师傅来修修")
    for _ in range(8):
        if chat.button(texts.BUTTON_CONFIRM):
            break
        if "什么时间" in chat.text:
            chat.press(texts.TIME_ASAP)
        elif "具体情况" in chat.text:
            chat.say("厨房的水管一直在漏水")
        elif "几号楼" in chat.text:
            chat.say("2号楼1单元301")
        elif "电话" in chat.text:
            chat.say("13812345678")
        else:
            pytest.fail(f"unexpected question: {chat.text}")
    assert "时间：尽快" in chat.text, chat.text
    chat.press(texts.BUTTON_CONFIRM)
    with rasa_stack.factory() as s:
        req = s.scalar(
            select(Request)
            .join(Resident)
            .join(Person, Resident.person_id == Person.id)
            .where(Person.telegram_id == tid)
        )
        cards = s.scalars(
            select(OutboxMessage.text).where(OutboxMessage.request_id == req.id, OutboxMessage.kind == "offer")
        ).all()
    assert req.asap and cards and all("时间：尽快" in c and "时间可商量" not in c for c in cards), cards
