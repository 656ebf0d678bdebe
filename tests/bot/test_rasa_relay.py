"""The resident relay to Rasa (a fake Rasa behind httpx.MockTransport): text and metadata
go over, replies and buttons come back, long payloads stay server-side and only their
owner can press them, and when Rasa fails the resident gets the guided menu with nothing
they typed lost."""

import asyncio
import json
from datetime import datetime

import httpx
import pytest

from bot import texts as bot_texts
from bot.app import build_application
from bot.config import BotSettings
from bot.rasa import RasaRelay
from community import clock
from community.models import ButtonPayload
from tests.bot.fake_telegram import FakeRequest, press
from tests.bot.updates import sticker, text
from tests.builders import build_world

RESIDENT_ALT = 888_002


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):
        yield


@pytest.fixture
def resident(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        return world.residents["王奶奶"].person.telegram_id


class FakeRasa:
    def __init__(self, replies=None, status=200, fail=None):
        self.received, self.replies, self.status, self.fail = [], replies or [], status, fail

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            raise self.fail
        self.received.append(json.loads(request.content))
        return httpx.Response(self.status, json=self.replies)


def run(db, rasa: FakeRasa, *makers):
    relay = RasaRelay(db.factory, "http://rasa.test", transport=httpx.MockTransport(rasa))
    request = FakeRequest()
    app = build_application(
        BotSettings(telegram_bot_token="1:T", rasa_url=""), db.factory, request=request, relay=relay
    )

    async def go():
        await app.initialize()
        for make in makers:
            await app.process_update(make(app))
        await app.shutdown()

    asyncio.run(go())
    return request


def sent(request, chat_id):
    return [p for m, p in request.calls if m == "sendMessage" and p["chat_id"] == chat_id]


def test_text_goes_to_rasa_and_buttons_come_back_with_short_keys(db, resident):
    long_payload = '/inform{"item": "' + "轮椅" * 30 + '"}'
    rasa = FakeRasa(
        [
            {
                "recipient_id": str(resident),
                "text": "您想要什么东西？",
                "buttons": [
                    {"title": "轮椅", "payload": long_payload},
                    {"title": "老花镜", "payload": '/inform{"item":"老花镜"}'},
                ],
            }
        ]
    )
    request = run(db, rasa, lambda app: text(app, resident, "我想许个愿"))
    assert rasa.received[0]["sender"] == str(resident) and rasa.received[0]["message"] == "我想许个愿"
    assert rasa.received[0]["metadata"]["telegram"]["id"] == resident
    reply = sent(request, resident)[-1]
    assert reply["text"] == "您想要什么东西？"
    keys = [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert all(k.startswith("rasa:") and len(k.encode()) <= 64 for k in keys)
    with db.factory() as s:
        assert s.get(ButtonPayload, int(keys[0].split(":")[1])).payload == long_payload

    rasa2 = FakeRasa([{"text": "好的，记下了轮椅。"}])
    request = run(db, rasa2, lambda app: press(app, resident, keys[0]))
    assert rasa2.received[0]["message"] == long_payload
    assert sent(request, resident)[-1]["text"] == "好的，记下了轮椅。"

    rasa3 = FakeRasa([{"text": "不该出现"}])
    request = run(db, rasa3, lambda app: press(app, RESIDENT_ALT, keys[0]))  # someone else's button
    assert rasa3.received == []
    assert "按钮已失效" in [p for m, p in request.calls if m == "answerCallbackQuery"][0]["text"]


def test_request_contact_reply_shows_the_share_button(db, resident):
    rasa = FakeRasa([{"custom": {"text": "请留个电话", "request_contact": True}}])
    request = run(db, rasa, lambda app: text(app, resident, "修水管"))
    keyboard = sent(request, resident)[-1]["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True


@pytest.mark.parametrize(
    "rasa",
    [
        FakeRasa(status=500),
        FakeRasa(fail=httpx.ConnectError("connection refused")),
        FakeRasa(fail=httpx.ReadTimeout("too slow")),
        FakeRasa(replies=[]),
    ],
    ids=["500", "down", "slow", "silent"],
)
def test_rasa_failure_falls_back_to_the_guided_menu_keeping_the_text(db, resident, rasa):
    request = run(db, rasa, lambda app: text(app, resident, "家里灯泡坏了帮忙换一下"))
    said = [p["text"] for p in sent(request, resident)]
    assert any("智能助手暂时不在线" in t for t in said)
    menu = sent(request, resident)[-1]
    assert any(b["callback_data"].startswith("order:") for row in menu["reply_markup"]["inline_keyboard"] for b in row)
    # Choosing a category offers the typed text back as the description.
    request = run(
        db,
        FakeRasa(status=500),
        lambda app: text(app, resident, "家里灯泡坏了帮忙换一下"),
        lambda app: press(app, resident, "order:1"),
    )
    offer = sent(request, resident)[-1]
    assert "家里灯泡坏了" in offer["reply_markup"]["inline_keyboard"][0][0]["text"]


def test_waiting_for_rasa_gives_up_after_the_timeout_and_says_so(caplog):
    """Nothing listens on the port: the bot waits, logs what it waits for, and after the
    timeout starts anyway (residents get the guided menu) instead of hanging forever."""
    import logging
    import time

    from bot.rasa import wait_until_ready
    from tests.live import free_port

    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="bot.rasa"):
        ready = asyncio.run(wait_until_ready(url, url, timeout=1.0, interval=0.2))
    assert ready is False and 1.0 <= time.monotonic() - started < 5
    assert "waiting for Rasa and action server" in caplog.text
    assert "not ready after 1 s" in caplog.text


def test_silent_rasa_answers_are_not_shown_but_count_as_answered(db, resident):
    """An action that leaves the talking to the outbox (已收到 …) returns a custom marker:
    nothing is shown for it, the guided fallback does not kick in, and the metadata carries
    the community clock's "now" for reading 明天上午."""
    rasa = FakeRasa([{"recipient_id": str(resident), "custom": {"nuanxin": "outbox"}}])
    request = run(db, rasa, lambda app: text(app, resident, "确认提交"))
    assert sent(request, resident) == []
    assert rasa.received[0]["metadata"]["now"] == "2026-11-23T10:00:00+08:00"


@pytest.mark.parametrize("message", ["😀😀😀", "？？？", "👍 ！"])
def test_emoji_only_gets_the_menu_without_bothering_rasa(db, resident, message):
    rasa = FakeRasa([{"text": "不该出现"}])
    request = run(db, rasa, lambda app: text(app, resident, message))
    assert rasa.received == []
    said = sent(request, resident)
    assert said[0]["text"] == bot_texts.RES_NO_WORDS
    assert any(b["callback_data"] == "my:0" for row in said[-1]["reply_markup"]["inline_keyboard"] for b in row)


def test_a_sticker_gets_a_polite_answer_and_the_menu(db, resident):
    rasa = FakeRasa([{"text": "不该出现"}])
    request = run(db, rasa, lambda app: sticker(app, resident))
    assert rasa.received == []
    assert [p["text"] for p in sent(request, resident)] == [bot_texts.RES_NOT_TEXT, bot_texts.RES_MENU]
