"""The outbox sender: delivers once, waits out quiet hours and 429s, gives up on blocked
chats, retries transient errors a bounded number of times, and turns offer cards into
"已被认领" by editing them (or never sends a card that was taken before delivery)."""

import asyncio
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from telegram.error import Forbidden, RetryAfter, TimedOut

from bot import sender as sender_module
from bot.keyboards import decode, encode
from bot.sender import OutboxSender
from community import clock
from community.models import Community, OutboxMessage, Person

NOW = datetime(2026, 11, 23, 2, 0)


class FakeBot:
    """Records calls; `fail` maps chat_id → a list of exceptions to raise in turn."""

    def __init__(self, fail=None):
        self.sent, self.edited, self.fail, self.next_id = [], [], fail or {}, 100

    def _maybe_fail(self, chat_id):
        errors = self.fail.get(chat_id)
        if errors:
            raise errors.pop(0)

    async def send_message(self, chat_id, text, reply_markup=None, rate_limit_args=None):
        self._maybe_fail(chat_id)
        self.next_id += 1
        self.sent.append((chat_id, text, reply_markup))
        return SimpleNamespace(message_id=self.next_id)

    async def edit_message_text(self, text, chat_id, message_id, reply_markup=None, rate_limit_args=None):
        self._maybe_fail(chat_id)
        self.edited.append((chat_id, message_id, text))
        return True


@pytest.fixture
def fake():
    c = clock.FakeClock(NOW)
    with clock.use_clock(c):
        yield c


@pytest.fixture
def person(db):
    with db.factory() as s, s.begin():
        c = Community(code="T", name="测试社区")
        s.add(c)
        s.flush()
        p = Person(community_id=c.id, name="张三", telegram_id=555)
        s.add(p)
        s.flush()
        return p.id


def add(db, person_id, text, chat_id=555, **kw) -> int:
    with db.factory() as s, s.begin():
        row = OutboxMessage(person_id=person_id, chat_id=chat_id, kind="test", text=text, created_at=clock.now(), **kw)
        s.add(row)
        s.flush()
        return row.id


def row(db, row_id) -> OutboxMessage:
    with db.factory() as s:
        return s.get(OutboxMessage, row_id)


class Wall:
    """The sender's real-time clock (leases, retry_after), moved by hand."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 23, 2, 0)

    def __call__(self) -> datetime:
        return self.current


@pytest.fixture
def wall():
    return Wall()


def deliver(db, bot, wall=None, worker="w1") -> int:
    return asyncio.run(OutboxSender(bot, db.factory, wall=wall or Wall(), worker=worker).deliver_once())


def test_each_message_is_sent_once_with_its_keyboard(db, fake, person):
    buttons = [
        [{"text": "接单", "action": "claim", "request_id": 7}, {"text": "不方便", "action": "decline", "request_id": 7}]
    ]
    first = add(db, person, "【新便民服务】编号 7", buttons=buttons)
    second = add(db, person, "第二条")
    bot = FakeBot()
    assert deliver(db, bot) == 2
    assert [t for _, t, _ in bot.sent] == ["【新便民服务】编号 7", "第二条"]
    keyboard = bot.sent[0][2].inline_keyboard
    assert [(b.text, b.callback_data) for b in keyboard[0]] == [("接单", "claim:7"), ("不方便", "decline:7")]
    assert row(db, first).status == "sent" and row(db, first).telegram_message_id == 101
    assert row(db, second).status == "sent"
    assert deliver(db, bot) == 0 and len(bot.sent) == 2  # nothing twice


def test_quiet_hours_and_urgent_first(db, fake, person):
    held = add(db, person, "明早再发", not_before=NOW + timedelta(hours=6))
    add(db, person, "普通")
    add(db, person, "紧急", urgent=True)
    bot = FakeBot()
    deliver(db, bot)
    assert [t for _, t, _ in bot.sent] == ["紧急", "普通"]
    fake.current = NOW + timedelta(hours=6)
    deliver(db, bot)
    assert bot.sent[-1][1] == "明早再发" and row(db, held).status == "sent"


def test_429_waits_as_long_as_telegram_asks_in_real_seconds(db, fake, person, wall):
    msg = add(db, person, "限流")
    later = add(db, person, "同一个聊天的下一条")
    bot = FakeBot(fail={555: [RetryAfter(7)]})
    deliver(db, bot, wall)
    r = row(db, msg)
    assert r.status == "pending" and r.attempts == 1 and r.retry_at == wall.current + timedelta(seconds=7)
    fake.current = NOW + timedelta(hours=3)  # the domain clock racing ahead (the demo) changes nothing
    wall.current += timedelta(seconds=6)
    assert deliver(db, bot, wall) == 0  # the chat waits, in order: the next row does not jump ahead
    assert row(db, later).status == "pending"
    wall.current += timedelta(seconds=1)
    deliver(db, bot, wall)
    assert row(db, msg).status == "sent" and [t for _, t, _ in bot.sent] == ["限流", "同一个聊天的下一条"]


def test_blocked_bot_fails_at_once_and_others_still_go(db, fake, person):
    with db.factory() as s, s.begin():
        s.add(Person(community_id=s.get(Person, person).community_id, name="拉黑了", telegram_id=999))
    blocked = add(db, person, "发不出去", chat_id=999)
    fine = add(db, person, "正常")
    bot = FakeBot(fail={999: [Forbidden("Forbidden: bot was blocked by the user")]})
    deliver(db, bot)
    assert row(db, blocked).status == "failed" and "blocked" in row(db, blocked).last_error
    assert row(db, fine).status == "sent"
    with db.factory() as s:  # no more offer cards for them (community.routing REACH_TELEGRAM)
        assert s.scalar(select(Person.telegram_blocked_at).where(Person.telegram_id == 999)) == NOW
        assert s.get(Person, person).telegram_blocked_at is None
    fake.current = NOW + timedelta(days=1)
    assert deliver(db, bot) == 0  # never retried


def test_timeouts_back_off_and_give_up_after_max_attempts(db, fake, person, wall):
    msg = add(db, person, "网络不好")
    bot = FakeBot(fail={555: [TimedOut()] * sender_module.MAX_ATTEMPTS})
    for _ in range(sender_module.MAX_ATTEMPTS):
        wall.current += timedelta(minutes=10)
        deliver(db, bot, wall)
    r = row(db, msg)
    assert r.status == "failed" and r.attempts == sender_module.MAX_ATTEMPTS and not bot.sent


def test_edit_replaces_a_delivered_card_and_skips_an_undelivered_one(db, fake, person):
    card = add(db, person, "【新便民服务】编号 7")
    bot = FakeBot()
    deliver(db, bot)
    add(db, person, "【编号 7】已被认领", edit_of=card)
    deliver(db, bot)
    assert bot.edited == [(555, 101, "【编号 7】已被认领")]
    late_card = add(db, person, "【新便民服务】编号 8", not_before=NOW + timedelta(hours=8))  # quiet hours
    edit = add(db, person, "【编号 8】已被认领", edit_of=late_card)
    fake.current = NOW + timedelta(hours=9)
    deliver(db, bot)
    assert row(db, late_card).status == "skipped" and row(db, edit).status == "skipped"
    assert len(bot.sent) == 1 and len(bot.edited) == 1


def test_an_edit_of_a_card_whose_delivery_timed_out_is_sent_as_a_message(db, fake, person, wall):
    """Telegram took the card but the answer timed out: there is no message id to edit, and
    the volunteer may be looking at the card. The edit's text goes as a message of its own."""
    card = add(db, person, "【新便民服务】编号 9", buttons=[[{"text": "接单", "action": "claim", "request_id": 9}]])
    bot = FakeBot(fail={555: [TimedOut()]})
    deliver(db, bot, wall)
    assert row(db, card).status == "pending" and row(db, card).maybe_delivered
    edit = add(db, person, "【编号 9】已被认领", edit_of=card)
    wall.current += timedelta(minutes=10)
    deliver(db, bot, wall)
    assert row(db, card).status == "skipped"  # the stale card is not sent again
    assert row(db, edit).status == "sent" and bot.sent == [(555, "【编号 9】已被认领", None)]


def test_rows_claimed_by_one_sender_are_not_sent_by_another_until_the_lease_expires(db, fake, person, wall):
    from community.outbox import claim_due, mark_sent

    first = add(db, person, "甲")
    add(db, person, "乙", chat_id=556)
    with db.factory() as s, s.begin():
        claims = claim_due(s, "dead-worker", 10, wall=wall.current)
    assert {c.id for c in claims} == {first, first + 1}
    bot = FakeBot()
    assert deliver(db, bot, wall, worker="w2") == 0  # both in flight elsewhere
    wall.current += timedelta(seconds=61)  # the first sender died: its lease ran out
    assert deliver(db, bot, wall, worker="w2") == 2
    assert row(db, first).status == "sent" and row(db, first).maybe_delivered
    with db.factory() as s, s.begin():  # the dead sender's late record is refused
        assert not mark_sent(s, "dead-worker", first, 1)
    assert sorted(t for _, t, _ in bot.sent) == ["乙", "甲"]


def test_one_row_in_flight_per_chat_and_chats_in_order(db, fake, person, wall):
    from community.outbox import claim_due

    ids = [add(db, person, f"第{i}条") for i in range(3)] + [add(db, person, "别人", chat_id=777)]
    with db.factory() as s, s.begin():
        claims = claim_due(s, "w1", 10, wall=wall.current)
    assert sorted(c.id for c in claims) == [ids[0], ids[3]]
    with db.factory() as s, s.begin():
        assert claim_due(s, "w2", 10, wall=wall.current) == []


def test_callback_data_round_trips_and_malformed_payloads_are_refused():
    assert decode(encode({"action": "rate", "request_id": 12, "score": 5})) == decode("rate:12:5")
    assert decode("rate:12:5").arg == "5"
    for bad in (None, "", "claim", "claim:abc", "x" * 65, "claim:1:2:3", "💥:1", "claim:-1"):
        assert decode(bad) is None


def test_every_lifecycle_button_fits_telegrams_64_bytes(db, fake):
    """All domain buttons the lifecycle writes, with a very large id, still encode."""
    import re
    from pathlib import Path

    source = Path(sender_module.__file__).resolve().parent.parent / "community" / "lifecycle.py"
    actions = set(re.findall(r'button\([^,]+,\s*"(\w+)"', source.read_text(encoding="utf-8")))
    assert {
        "claim",
        "decline",
        "start",
        "finish",
        "release",
        "publish",
        "reject",
        "confirm",
        "reopen",
        "rate",
    } <= actions
    for action in actions:
        assert len(encode({"action": action, "request_id": 10**12, "score": 5}).encode()) <= 64
