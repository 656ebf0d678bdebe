"""Button presses through a real PTB Application (fake transport): the right person's press
works, everyone else's is refused politely and changes nothing, and every query is
answered."""

import asyncio

import pytest
from sqlalchemy import func, select
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.callbacks import Callbacks
from bot.config import BotSettings
from community import lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Event, OutboxMessage, Person, Request, RequestKind, RequestState
from tests.bot.fake_telegram import FakeRequest, make_app, press
from tests.builders import build_world

SETTINGS = BotSettings(telegram_bot_token="123456:" + "A" * 30, rasa_url="")


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        resident = w.residents["王奶奶"]
        w.request_id = lifecycle.submit(
            s,
            actor_for_person(s, resident.person),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        ).id
    return w


def tg(db, person_id):
    with db.factory() as s:
        return s.get(Person, person_id).telegram_id


def run(db, make_updates):
    """The bot's whole application (every handler, its wizards and persistence), fake transport."""

    async def go():
        request = FakeRequest()
        app = build_application(SETTINGS, db.factory, request=request)
        await app.initialize()
        for update in make_updates(app):
            await app.process_update(update)
        await app.shutdown()
        return request

    return asyncio.run(go())


def presses(db, *pairs):
    """pairs of (person_id, callback_data) → the fake transport after processing them."""
    return run(db, lambda app: [press(app, tg(db, p), data) for p, data in pairs])


def state(db, rid):
    with db.factory() as s:
        return s.get(Request, rid).state


def snapshot(db):
    with db.factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Event, OutboxMessage))


def test_claim_race_through_buttons(db, world):
    rid = world.request_id
    zhang, liu = world.volunteers["张师傅"].person_id, world.volunteers["刘师傅"].person_id
    request = presses(db, (zhang, f"claim:{rid}"), (liu, f"claim:{rid}"))
    answers = request.of("answerCallbackQuery")
    assert len(answers) == 2  # every press answered
    assert "接单成功" in answers[0]["text"]
    assert "已被其他志愿者认领" in answers[1]["text"] and answers[1]["show_alert"]
    assert "已被认领" in request.of("editMessageText")[0]["text"]  # the loser's card
    assert state(db, rid) == RequestState.CLAIMED


@pytest.mark.parametrize(
    ("who", "data", "fragment"),
    [
        ("张师傅", "publish:{rid}", "只有社区工作人员"),  # a volunteer cannot publish
        ("陈大爷", "release:{rid}", "不是由您认领"),  # not their task
        ("陈大爷", "rate:{rid}:1", "不是您提交"),  # not their request
        ("张师傅", "claim:99999", "没有找到编号"),  # forged id
        ("张师傅", "nonsense", "按钮已失效"),  # malformed
        ("张师傅", "drop_table:{rid}", "按钮已失效"),  # unknown action
        ("张师傅", "reject:{rid}", "仅供社区工作人员"),  # the staff question is not even asked
        ("张师傅", "reassign:{rid}", "只有社区工作人员或本网格网格长"),
    ],
)
def test_forged_or_not_allowed_presses_are_refused_and_change_nothing(db, world, who, data, fragment):
    person = world.volunteers[who].person_id if who in world.volunteers else world.residents[who].person_id
    before = snapshot(db)
    request = presses(db, (person, data.format(rid=world.request_id)))
    answer = request.of("answerCallbackQuery")[0]
    assert fragment in answer["text"] and answer["show_alert"]
    assert snapshot(db) == before and state(db, world.request_id) == RequestState.OPEN


def test_unregistered_user_is_told_how_to_join(db, world):
    async def go():
        app, request = await make_app(CallbackQueryHandler(Callbacks(db.factory).handle))
        await app.process_update(press(app, 424242, f"claim:{world.request_id}"))
        return request

    request = asyncio.run(go())
    assert "邀请链接" in request.of("answerCallbackQuery")[0]["text"]


def test_finish_asks_for_hours_then_records_the_choice(db, world):
    rid, zhang = world.request_id, world.volunteers["张师傅"].person_id
    request = presses(db, (zhang, f"claim:{rid}"), (zhang, f"finish:{rid}"))
    question = request.of("sendMessage")[-1]
    assert "用了多长时间" in question["text"]
    buttons = [b["callback_data"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0] == f"hours:{rid}:1.5"  # the category's default first
    presses(db, (zhang, buttons[2]))
    with db.factory() as s:
        req = s.get(Request, rid)
        assert req.state == RequestState.DONE and req.hours == float(buttons[2].rsplit(":", 1)[1])


def test_grid_leader_reassigns_from_a_ranked_list(db, world):
    rid, zhang, leader = world.request_id, world.volunteers["张师傅"].person_id, world.leaders["G1"].id
    request = presses(db, (zhang, f"claim:{rid}"), (leader, f"reassign:{rid}"))
    options = request.of("sendMessage")[-1]["reply_markup"]["inline_keyboard"]
    assert options[0][0]["text"].startswith("刘师傅")  # G1 repair team, not the current volunteer
    presses(db, (leader, options[0][0]["callback_data"]))
    with db.factory() as s:
        assert s.get(Request, rid).volunteer_id == world.volunteers["刘师傅"].id


def test_resident_rates_with_stars(db, world):
    rid, zhang, wang = world.request_id, world.volunteers["张师傅"].person_id, world.residents["王奶奶"].person_id
    presses(db, (zhang, f"claim:{rid}"), (zhang, f"hours:{rid}:1"), (wang, f"rate:{rid}:5"))
    assert state(db, rid) == RequestState.CLOSED
