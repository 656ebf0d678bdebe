"""Short messages read in the light of the resident's open requests (actions/context.py):
"先停一停" / "先不要了" mean cancel it, "到哪了" / "怎么还没人来" mean its status, whichever of
cancel_request / deny / check_status / urge / nlu_fallback the NLU made of them. Run as Rasa
runs the actions, on both databases; what follows a route is the rules' part (pinned by
tests/rasa/ and by tests/test_rasa_context_live.py through the real Rasa)."""

import pytest

from actions import context, manage, status, texts
from community import clock, lifecycle
from community.actors import actor_for_person
from community.models import Person
from tests.actions import test_actions
from tests.actions.test_actions import button_titles, run, said, slot_values, submit_service, tracker

world = test_actions.world  # the same residents, staff and volunteers


@pytest.fixture(autouse=True)
def fixed_clock():
    with clock.use_clock(lambda: test_actions.NOW):
        yield


SHORT_INTENTS = ("cancel_request", "deny", "check_status", "urge", "nlu_fallback")


@pytest.mark.parametrize("intent", SHORT_INTENTS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("先停一停", "cancel"),
        ("先不要了", "cancel"),
        ("先別來了", "cancel"),  # Traditional
        ("到哪了", "status"),
        ("怎么还没人来", "status"),
        ("師傅到哪了", "status"),
        ("催一下", "urge"),
    ],
)
def test_the_cue_words_decide_whatever_the_intent(intent, text, expected):
    assert context.route(intent, text) == expected


def test_without_cue_words_the_intent_decides():
    assert context.route("cancel_request", "取个消") in ("cancel",)
    assert context.route("check_status", "查一查") == "status"
    assert context.route("urge", "快点") == "urge"
    assert context.route("deny", "不用了") == "ack"  # the answer to an offer, not a cancel
    assert context.route("deny", "不要取消") == "ack"
    assert context.route("nlu_fallback", "嗯嗯那个啥呢嗯") == "not_understood"
    # a button's payload is read by its intent only
    assert context.route("deny", "/deny") == "ack"


@pytest.mark.anyio
@pytest.mark.parametrize("intent", SHORT_INTENTS)
@pytest.mark.parametrize("text", ["先停一停", "先不要了"])
async def test_a_cancel_cue_starts_the_cancel_of_the_only_open_request(db, world, intent, text):
    rid = submit_service(db, "王奶奶")
    _, events = await run(status.ActionReadContext(), tracker(world["wang"], text, intent=intent))
    assert slot_values(events) == {context.SLOT: context.CANCEL}
    # the rules go on with action_begin_cancel, which picks the only request ...
    _, events = await run(manage.ActionBeginCancel(), tracker(world["wang"], text, intent=intent))
    assert slot_values(events)["request_choice"] == str(rid)
    # ... and the form asks to confirm that one
    messages, _ = await run(
        manage.ActionAskCancelConfirmed(), tracker(world["wang"], slots={"request_choice": str(rid)})
    )
    assert f"编号 {rid}" in said(messages) and "维修" in said(messages)
    assert button_titles(messages) == [texts.BUTTON_YES_CANCEL, texts.BUTTON_NO_CANCEL]


@pytest.mark.anyio
async def test_a_cancel_cue_with_several_open_requests_asks_which_with_numbers_and_summaries(db, world):
    first = submit_service(db, "王奶奶")
    second = submit_service(db, "王奶奶", "楼道灯坏了好几天了")
    _, events = await run(manage.ActionBeginCancel(), tracker(world["wang"], "先停一停", intent="deny"))
    assert slot_values(events)["request_choice"] is None  # the form asks
    messages, _ = await run(
        manage.ActionAskRequestChoice(), tracker(world["wang"], "先停一停", active_loop="cancel_form")
    )
    titles = button_titles(messages)
    assert titles == [f"编号 {second} 维修：楼道灯坏了好几天…", f"编号 {first} 维修：厨房水管漏水"], titles
    assert [b["payload"] for b in messages[0]["buttons"]] == [str(second), str(first)]


@pytest.mark.anyio
@pytest.mark.parametrize("intent", SHORT_INTENTS)
@pytest.mark.parametrize("text", ["到哪了", "怎么还没人来"])
async def test_a_status_cue_shows_the_only_open_request(db, world, intent, text):
    done = submit_service(db, "王奶奶", "上个月的事")
    with db.factory() as s, s.begin():
        lifecycle.cancel(s, actor_for_person(s, s.get(Person, _person_id(db, "王奶奶"))), done, "不需要了")
    rid = submit_service(db, "王奶奶")
    submit_service(db, "陈大爷", "楼道灯坏了")  # someone else's open request
    messages, events = await run(status.ActionReadContext(), tracker(world["wang"], text, intent=intent))
    assert slot_values(events) == {context.SLOT: context.ANSWERED}
    text_said = said(messages)
    assert text_said.startswith(texts.STATUS_HEAD_ONE) and f"编号 {rid}" in text_said, text_said
    assert f"编号 {done}" not in text_said and "待接单" in text_said
    assert button_titles(messages) == [texts.BUTTON_URGE, texts.BUTTON_CANCEL]


@pytest.mark.anyio
async def test_a_status_cue_with_several_open_requests_asks_which_and_the_button_answers(db, world):
    first = submit_service(db, "王奶奶")
    second = submit_service(db, "王奶奶", "楼道灯坏了")
    messages, _ = await run(status.ActionReadContext(), tracker(world["wang"], "到哪了", intent="nlu_fallback"))
    assert said(messages) == texts.ASK_WHICH_STATUS
    assert button_titles(messages) == [f"编号 {second} 维修：楼道灯坏了", f"编号 {first} 维修：厨房水管漏水"]
    pressed = messages[0]["buttons"][1]["payload"]
    messages, _ = await run(status.ActionReadContext(), tracker(world["wang"], pressed, intent="check_status"))
    assert f"编号 {first}" in said(messages) and f"编号 {second}" not in said(messages)
    # the same button typed with someone else's number shows nothing of theirs
    theirs = submit_service(db, "陈大爷", "水管漏水")
    forged = pressed.replace(str(first), str(theirs))
    messages, _ = await run(status.ActionReadContext(), tracker(world["wang"], forged, intent="check_status"))
    assert "没有找到" in said(messages) and "水管漏水" not in said(messages)


@pytest.mark.anyio
@pytest.mark.parametrize("text", ["到哪了", "怎么还没人来"])
async def test_a_status_cue_with_no_open_request_is_answered_politely(db, world, text):
    messages, events = await run(status.ActionReadContext(), tracker(world["wang"], text, intent="urge"))
    assert said(messages) == texts.NO_OPEN_REQUESTS
    assert slot_values(events) == {context.SLOT: context.ANSWERED}


@pytest.mark.anyio
async def test_a_cancel_cue_with_no_open_request_ends_politely(db, world):
    _, events = await run(status.ActionReadContext(), tracker(world["wang"], "先停一停", intent="deny"))
    assert slot_values(events) == {context.SLOT: context.CANCEL}
    _, events = await run(manage.ActionBeginCancel(), tracker(world["wang"], "先停一停", intent="deny"))
    assert slot_values(events)["request_choice"] is None
    messages, _ = await run(manage.ActionCancelRequest(), tracker(world["wang"], "先停一停"))
    assert said(messages) == texts.NONE_TO_CANCEL


@pytest.mark.anyio
async def test_a_plain_no_and_an_unclear_message_keep_their_old_answers(db, world):
    submit_service(db, "王奶奶")
    _, events = await run(status.ActionReadContext(), tracker(world["wang"], "不用了", intent="deny"))
    assert slot_values(events) == {context.SLOT: context.ACK}
    _, events = await run(status.ActionReadContext(), tracker(world["wang"], "嗯嗯那个啥", intent="nlu_fallback"))
    assert slot_values(events) == {context.SLOT: context.NOT_UNDERSTOOD}


def _person_id(db, name: str) -> int:
    from sqlalchemy import select

    with db.factory() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


@pytest.mark.anyio
@pytest.mark.parametrize("intent", ["out_of_scope", "ask_info"])
async def test_a_numbered_status_question_the_nlu_misread_is_still_answered(db, world, intent):
    from actions import faq

    first = submit_service(db, "王奶奶")
    submit_service(db, "王奶奶", "楼道灯坏了")
    action = faq.ActionOutOfScope() if intent == "out_of_scope" else faq.ActionAnswerInfo()
    messages, _ = await run(action, tracker(world["wang"], f"编号{first}怎么样了", intent=intent))
    assert said(messages).startswith(texts.STATUS_HEAD_ONE) and f"编号 {first}" in said(messages)
    theirs = submit_service(db, "陈大爷", "水管漏水")
    messages, _ = await run(action, tracker(world["wang"], f"编号{theirs}怎么样了", intent=intent))
    assert texts.STATUS_NOT_FOUND.format(id=theirs) in said(messages)
    # an ordinary question is still the desk's
    messages, _ = await run(action, tracker(world["wang"], "3号楼快递柜在哪", intent=intent))
    assert not said(messages).startswith(texts.STATUS_HEAD_ONE)
