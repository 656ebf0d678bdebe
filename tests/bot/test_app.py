"""The bot process as a whole (fake Telegram transport): the outbox sender delivers offer
cards the domain wrote, a press claims through the callbacks, the sender then delivers the
winner's contact and edits the other cards, and start/stop leave nothing running."""

import asyncio
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.config import BotSettings
from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import OutboxMessage, RequestKind
from tests.bot.fake_telegram import FakeRequest, press
from tests.builders import build_world
from tests.timing import scaled

SETTINGS = BotSettings(telegram_bot_token="123456:" + "A" * 30, outbox_idle_seconds=0.05, rasa_url="")


async def wait_until(predicate, timeout=10.0):
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def daytime():
    """10:00 in Shanghai: outside quiet hours, whatever the real time is."""
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):
        yield


def test_offer_claim_and_edits_flow_through_the_running_bot(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        wang = world.residents["王奶奶"].person
        rid = lifecycle.submit(
            s, actor_for_person(s, wang), NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修")
        ).id
        zhang_tg = world.volunteers["张师傅"].person.telegram_id
        liu_tg = world.volunteers["刘师傅"].person.telegram_id

    async def scenario():
        request = FakeRequest()
        app = build_application(SETTINGS, db.factory, request=request)
        await app.initialize()
        await app.post_init(app)
        try:
            sent_to = lambda chat: [p for p in request.of("sendMessage") if p["chat_id"] == chat]  # noqa: E731
            assert await wait_until(lambda: sent_to(zhang_tg) and sent_to(liu_tg))
            card = sent_to(zhang_tg)[0]
            assert card["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"claim:{rid}"
            await app.process_update(press(app, zhang_tg, f"claim:{rid}"))
            assert await wait_until(lambda: any("13912345678" in p["text"] for p in sent_to(zhang_tg)))
            assert await wait_until(
                lambda: any("已被认领" in p["text"] and p["chat_id"] == liu_tg for p in request.of("editMessageText"))
            )
        finally:
            await app.post_shutdown(app)
            await app.shutdown()
        return request

    asyncio.run(scenario())
    with db.factory() as s:
        statuses = set(s.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}  # everything delivered, nothing left behind
