"""The real Rasa server with the trained model and the real action server, talked to over
Rasa's REST channel exactly as the bot does: whole conversations in Chinese, checked in
the replies and in the community database the actions wrote to."""

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from actions import texts
from actions.forms import OUTBOX_SPEAKS
from community.models import Person, Request, RequestKind, RequestState, Resident
from tests.timing import scaled

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def stack(rasa_stack):
    return rasa_stack.rasa, rasa_stack.factory, rasa_stack.telegram


class Chat:
    """One resident's conversation with Rasa through the REST channel."""

    def __init__(self, rasa_url: str, sender: int) -> None:
        self.url, self.sender = rasa_url, str(sender)
        self.replies: list[dict] = []

    def say(self, text: str, expect_reply: bool = True) -> list[dict]:
        response = httpx.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=scaled(60)
        )
        response.raise_for_status()
        self.replies = response.json()
        assert self.replies or not expect_reply, f"Rasa said nothing to {text!r}"
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(r.get("text") or (r.get("custom") or {}).get("text") or "" for r in self.replies)

    def button(self, title: str) -> str | None:
        return next((b["payload"] for r in self.replies for b in r.get("buttons") or [] if b["title"] == title), None)

    def press(self, title: str) -> list[dict]:
        payload = self.button(title)
        assert payload, f"no button {title!r} in {self.replies}"
        return self.say(payload)

    def answer_until_read_back(self, address: str, turns: int = 8) -> str:
        """Answer whatever is asked, as a resident would, until the summary shows up."""
        for _ in range(turns):
            if self.button(texts.BUTTON_CONFIRM):
                return self.text
            if "哪项服务" in self.text:
                self.press("维修")
            elif "几号楼" in self.text:
                self.say(address)
            elif "什么时间" in self.text:
                self.press(texts.TIME_TOMORROW_MORNING)
            elif "电话" in self.text:
                self.say("13812345678")
            elif "具体情况" in self.text or "什么心愿" in self.text:
                self.say("家里厨房的水管一直在漏水")
            else:
                pytest.fail(f"unexpected question: {self.text}")
        pytest.fail(f"no read-back after {turns} answers: {self.text}")

    def slots(self) -> dict:
        tracker = httpx.get(f"{self.url}/conversations/{self.sender}/tracker", timeout=scaled(30)).json()
        return tracker["slots"]


@dataclass
class Stored:
    id: int
    kind: RequestKind
    category: str | None
    item: str | None
    address: str
    state: RequestState


def requests_of(factory, telegram_id: int) -> list[Stored]:
    with factory() as s:
        rows = s.scalars(
            select(Request)
            .join(Resident, Request.resident_id == Resident.id)
            .join(Person, Resident.person_id == Person.id)
            .where(Person.telegram_id == telegram_id)
            .order_by(Request.id)
        )
        return [
            Stored(r.id, r.kind, r.category.name if r.category else None, r.item, r.address_text, r.state) for r in rows
        ]


def test_a_service_order_in_one_sentence_is_read_back_and_submitted(stack):
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["wang"])
    chat.say("3号楼2单元502厨房水管漏水了，明天上午来修一下")
    summary = chat.answer_until_read_back("3号楼2单元502")
    assert "维修" in summary and "3号楼2单元502" in summary and "13912345678" in summary  # her phone on record
    assert requests_of(factory, people["wang"]) == []  # nothing is stored before she confirms
    replies = chat.press(texts.BUTTON_CONFIRM)
    assert [r.get("custom") for r in replies] == [OUTBOX_SPEAKS]  # the bot sends the outbox's 已收到
    [req] = requests_of(factory, people["wang"])
    assert (req.kind, req.category, req.address, req.state) == (
        RequestKind.SERVICE,
        "维修",
        "3号楼2单元502",
        RequestState.OPEN,
    )


def test_a_newcomer_is_asked_for_everything_and_typed_payloads_are_checked(stack):
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["zhao"])
    chat.say("我想预约理发")
    assert "几号楼" in chat.text  # no address on record: asked
    chat.say('/inform{"address": "火星基地"}')  # typed by hand: validated like anything else
    assert "几号楼" in chat.text and chat.slots()["address"] is None
    chat.say("2号楼1单元201")
    assert "什么时间" in chat.text
    chat.say('/inform{"time": "2020-01-01T09:00:00+08:00"}')
    assert texts.TIME_IN_PAST in chat.text
    chat.press(texts.TIME_TOMORROW_AFTERNOON)
    assert "电话" in chat.text and any((r.get("custom") or {}).get("request_contact") for r in chat.replies)
    chat.say("12345")
    assert "12345" in chat.text and chat.slots()["phone"] is None
    chat.say("13987654321")
    assert chat.button(texts.BUTTON_CONFIRM) and "2号楼1单元201" in chat.text and "理发" in chat.text
    chat.press(texts.BUTTON_CHANGE)
    assert chat.text == texts.WHAT_TO_CHANGE
    chat.say("地址改成3号楼2单元301")
    assert "3号楼2单元301" in chat.text and chat.button(texts.BUTTON_CONFIRM)
    chat.press(texts.BUTTON_STOP)
    assert texts.STOPPED in chat.text
    assert requests_of(factory, people["zhao"]) == [] and chat.slots()["address"] is None


def test_help_in_the_middle_of_a_wish_then_carry_on(stack):
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["chen"])
    chat.say("我想许个心愿")
    assert "什么心愿" in chat.text
    chat.say("你能帮我做什么")
    assert "许微心愿" in chat.text and "什么心愿" in chat.text  # the help, then the question again
    chat.say("想要一台轮椅")
    assert chat.button(texts.BUTTON_CONFIRM) and "轮椅" in chat.text
    chat.press(texts.BUTTON_CONFIRM)
    # (the session's other tests may have given 陈大爷 service orders)
    [req] = [r for r in requests_of(factory, people["chen"]) if r.kind == RequestKind.WISH]
    assert req.state == RequestState.SUBMITTED and "轮椅" in req.item


def test_status_urge_and_cancel_with_confirmation(stack):
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["wang"])
    [req] = [r for r in requests_of(factory, people["wang"]) if r.state == RequestState.OPEN][:1] or [None]
    assert req is not None, "runs after the service order test"
    chat.say("我的单子怎么样了")
    assert f"编号 {req.id}" in chat.text and "待接单" in chat.text
    chat.say("催一下")
    assert chat.replies[0].get("custom") == OUTBOX_SPEAKS
    chat.say("再催一下")
    assert "分钟" in chat.text  # at most once an hour
    chat.say("取消订单")
    assert str(req.id) in chat.text and chat.button(texts.BUTTON_YES_CANCEL)
    chat.press(texts.BUTTON_NO_CANCEL)
    assert texts.NOT_CANCELLED.format(id=req.id) in chat.text
    chat.say("还是取消吧")
    chat.press(texts.BUTTON_YES_CANCEL)
    with factory() as s:
        assert s.get(Request, req.id).state == RequestState.CANCELLED


# Emoji-only text and stickers never reach Rasa: the bot answers them (tests/bot/test_rasa_relay.py).
BAD_INPUT = [
    "啊" * 5000,
    "hello, can you help me?",
    "我哋部冷氣機壞咗 唔該幫手整下",
    "13812345678",
    '/inform{"item": "<script>alert(1)</script>"}',
    '/inform{"phone": "110"}',
    "/no_such_intent",
    "。。。",
]


@pytest.mark.parametrize("message", BAD_INPUT, ids=lambda m: m[:12])
def test_bad_input_gets_an_answer_and_changes_nothing(stack, message):
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["zhao"])  # nothing on record, so no slot is filled from the record
    chat.say("/restart", expect_reply=False)
    with factory() as s:
        before = s.scalar(select(func.count(Request.id)))
    chat.say(message)
    assert chat.text.strip(), chat.replies  # never silence
    slots = chat.slots()
    assert slots["item"] is None and slots["phone"] is None and slots["preferred_time"] is None
    assert slots["address"] is None
    with factory() as s:
        assert s.scalar(select(func.count(Request.id))) == before


def test_a_problem_described_not_asked_still_starts_an_order(stack):
    """Elderly residents describe the problem ("热水器不出热水了") instead of asking for a
    service; whether the NLU calls it an order or is unsure, the order starts."""
    live, factory, people = stack
    chat = Chat(live.rasa_url, people["zhao"])
    chat.say("/restart", expect_reply=False)
    chat.say("热水器不出热水了")
    assert "没太明白" not in chat.text and chat.slots()["request_kind"] == "service", chat.text
    chat.say("不填了")
    assert texts.STOPPED in chat.text
