"""Every custom action, run as Rasa runs it: a constructed rasa_sdk `Tracker`, a
`CollectingDispatcher`, the real domain.yml, and the community database (SQLite and
PostgreSQL). Assertions are on what the resident would read and on what ends up stored."""

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import forms, manage, store, texts
from community import clock, lifecycle
from community import texts as core
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Event, OutboxMessage, Person, Rating, Request, RequestKind, RequestState
from tests.builders import build_world

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def fixed_clock():
    with clock.use_clock(lambda: NOW):
        yield


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        ids = {
            "wang": w.residents["王奶奶"].person.telegram_id,
            "chen": w.residents["陈大爷"].person.telegram_id,
            "staff": w.staff.person.telegram_id,
            "zhang": w.volunteers["张师傅"].person.telegram_id,
        }
    store.use_factory(db.factory)
    yield ids
    store.use_factory(None)


def tracker(
    sender: int | str,
    text: str = "",
    intent: str = "inform",
    entities=(),
    slots=None,
    turn_slots=None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
) -> Tracker:
    """A tracker whose latest user turn said `text`; `turn_slots` were set by that turn."""
    turn_slots = turn_slots or {}
    all_slots = dict.fromkeys(DOMAIN["slots"]) | (slots or {}) | turn_slots
    all_slots["requested_slot"] = requested_slot
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    events = [{"event": "user", "text": text, "parse_data": message}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in turn_slots.items()]
    return Tracker(
        str(sender),
        all_slots,
        message,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


async def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, DOMAIN)
    return dispatcher.messages, events


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(messages) -> str:
    return "\n".join(m.get("text") or (m.get("custom") or {}).get("text") or "" for m in messages)


def button_titles(messages) -> list[str]:
    return [b["title"] for m in messages for b in m.get("buttons") or []]


def submit_service(db, who: str, description: str = "厨房水管漏水") -> int:
    with db.factory() as s, s.begin():
        person = s.scalar(select(Person).where(Person.name == who))
        return lifecycle.submit(
            s,
            actor_for_person(s, person),
            NewRequest(kind=RequestKind.SERVICE, description=description, category="维修"),
        ).id


# --- starting a request ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_begin_forgets_old_slots_and_fills_in_the_record(world):
    t = tracker(
        world["wang"],
        "我要预约理发 明天上午",
        intent="order_service",
        entities=[{"entity": "service", "value": "理发"}],
        slots={"address": "5号楼3单元602", "item": "旧的心愿", "confirmed": True},
    )
    messages, events = await run(forms.ActionBeginService(), t)
    values = slot_values(events)
    assert messages == []
    assert values["request_kind"] == "service"
    assert values["item"] is None and values["confirmed"] is None  # leftovers from an earlier conversation
    assert values["address"] == "1号楼1单元101"  # from her record; the form takes a spoken one instead
    assert values["phone"] == "13912345678"
    assert values["description"] == "我要预约理发 明天上午"


@pytest.mark.anyio
async def test_begin_asks_for_a_description_when_the_message_says_nothing(world):
    _, events = await run(forms.ActionBeginWish(), tracker(world["wang"], "我想许个心愿", intent="make_wish"))
    assert slot_values(events)["description"] is None


@pytest.mark.anyio
async def test_begin_for_someone_who_never_consented_stores_nothing(world):
    messages, events = await run(forms.ActionBeginService(), tracker(99999, "我要理发", intent="order_service"))
    assert said(messages) == texts.NOT_REGISTERED
    assert FollowupAction("action_listen") in events


# --- validating what the resident says --------------------------------------------------------------


async def validate(world, form, text, turn_slots, slots=None, requested=None, intent="inform"):
    action = forms.ValidateServiceForm() if form == "service_form" else forms.ValidateWishForm()
    t = tracker(
        world["wang"],
        text,
        intent=intent,
        slots=slots,
        turn_slots=turn_slots,
        active_loop=form,
        requested_slot=requested,
    )
    messages, events = await run(action, t)
    return said(messages), slot_values(events), messages


@pytest.mark.anyio
async def test_service_words_map_to_the_menu_and_unknown_ones_are_refused(world):
    _, values, _ = await validate(world, "service_form", "水管", {"service": "水管"})
    assert values["service"] == "维修"
    text, values, _ = await validate(world, "service_form", "修飞机", {"service": "修飞机"})
    assert values["service"] is None and "修飞机" in text


@pytest.mark.anyio
async def test_typed_payloads_go_through_the_same_checks(world):
    # /inform{"address": "火星"} typed by hand: the entity reaches the form like any other value
    text, values, _ = await validate(
        world, "service_form", '/inform{"address": "火星"}', {"address": "火星"}, requested="address"
    )
    assert values["address"] is None and text == ""  # not taken; the form asks "几号楼…" again
    text, values, _ = await validate(world, "wish_form", '/inform{"item": "<b>x</b>"}', {"item": "<b>x</b>"})
    assert values["item"] is None and text == texts.BAD_ITEM
    text, values, _ = await validate(world, "service_form", '/inform{"phone": "123"}', {"phone": "123"})
    assert values["phone"] is None and "123" in text
    # the raw payload text is never taken as a description
    _, values, _ = await validate(world, "service_form", '/inform{"x":1}', {"description": '/inform{"x":1}'})
    assert values["description"] is None


@pytest.mark.anyio
async def test_a_bad_value_riding_along_keeps_what_the_slot_had(world):
    """Giving a phone number, the NLU also read it as an address: the address already
    given stays, and nobody is asked about an address they did not give."""
    t = tracker(
        world["wang"],
        "13987654321",
        turn_slots={"phone": "13987654321", "address": "13987654321"},
        active_loop="service_form",
        requested_slot="phone",
    )
    t.events.insert(0, {"event": "slot", "name": "address", "value": "2号楼1单元201"})
    messages, events = await run(forms.ValidateServiceForm(), t)
    assert slot_values(events) == {"phone": "13987654321", "address": "2号楼1单元201"} and messages == []
    # at the read-back a refused change is explained and the old value kept
    t = tracker(
        world["wang"],
        "地址改成99号楼",
        turn_slots={"address": "99号楼"},
        active_loop="service_form",
        requested_slot="confirmed",
    )
    t.events.insert(0, {"event": "slot", "name": "address", "value": "2号楼1单元201"})
    messages, events = await run(forms.ValidateServiceForm(), t)
    assert slot_values(events)["address"] == "2号楼1单元201" and "99号楼" in said(messages)


@pytest.mark.anyio
async def test_addresses_resolve_to_a_building_or_ask_with_buttons(world):
    _, values, _ = await validate(world, "service_form", "三号楼二单元502", {"address": "三号楼二单元502"})
    assert values["address"] == "3号楼2单元502"
    text, values, _ = await validate(world, "service_form", "9号楼", {"address": "9号楼"})
    assert values["address"] is None and "9号楼" in text


@pytest.mark.anyio
async def test_times_must_be_normalised_future_and_near(world):
    _, values, _ = await validate(world, "service_form", "明天上午", {"preferred_time": "2026-11-24T09:00:00+08:00"})
    assert values["preferred_time"] == "2026-11-24T09:00:00+08:00"
    _, values, _ = await validate(world, "service_form", "越快越好", {"preferred_time": "越快越好"})
    assert values["preferred_time"] == forms.ASAP
    text, values, _ = await validate(world, "service_form", "昨天", {"preferred_time": "2026-11-22T09:00:00+08:00"})
    assert values["preferred_time"] is None and text == texts.TIME_IN_PAST
    text, values, _ = await validate(world, "service_form", "明年", {"preferred_time": "2027-06-01T09:00:00+08:00"})
    assert values["preferred_time"] is None and text == texts.TIME_TOO_FAR
    text, values, _ = await validate(world, "service_form", "随便哪天", {"preferred_time": "随便哪天"})
    assert values["preferred_time"] is None and text == texts.BAD_TIME


@pytest.mark.anyio
async def test_phone_numbers_are_normalised(world):
    _, values, _ = await validate(world, "service_form", "138 1234 5678", {"phone": "138 1234 5678"})
    assert values["phone"] == "13812345678"


@pytest.mark.anyio
async def test_a_wish_item_also_becomes_the_description_when_there_is_none(world):
    _, values, _ = await validate(world, "wish_form", "想要一台轮椅", {"item": "想要一台轮椅"})
    assert values["item"] == "想要一台轮椅" and values["description"] == "想要一台轮椅"
    long_item = "轮" * 80
    _, values, _ = await validate(world, "wish_form", long_item, {"item": long_item}, slots={"description": "已有"})
    assert len(values["item"]) == forms.ITEM_MAX_CHARS and "description" not in values


@pytest.mark.anyio
async def test_a_too_long_description_is_refused_politely(world):
    text, values, _ = await validate(world, "service_form", "漏" * 5000, {"description": "漏" * 5000})
    assert values["description"] is None and "5000" in text


@pytest.mark.anyio
async def test_change_keeps_the_form_at_the_read_back(world):
    _, values, _ = await validate(world, "service_form", "修改", {"confirmed": False}, intent="deny")
    assert values["confirmed"] is None
    _, values, _ = await validate(world, "service_form", "确认", {"confirmed": True}, intent="affirm")
    assert values["confirmed"] is True


# --- asking -------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_time_buttons_carry_values_the_validator_accepts(world):
    messages, _ = await run(forms.ActionAskPreferredTime(), tracker(world["wang"]))
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [
        texts.TIME_ASAP,
        texts.TIME_TODAY_AFTERNOON,
        texts.TIME_TOMORROW_MORNING,
        texts.TIME_TOMORROW_AFTERNOON,
    ]
    for b in buttons[1:]:
        value = yaml.safe_load(b["payload"][len("/inform") :])["time"]
        _, values, _ = await validate(world, "service_form", b["title"], {"preferred_time": value})
        assert values["preferred_time"] == value


@pytest.mark.anyio
async def test_service_question_shows_the_menu_and_phone_question_asks_for_the_contact(world):
    messages, _ = await run(forms.ActionAskService(), tracker(world["wang"]))
    assert button_titles(messages) == ["维修", "助老", "代购", "理发"]
    messages, _ = await run(forms.ActionAskPhone(), tracker(world["wang"]))
    assert messages[0]["custom"]["request_contact"] is True


@pytest.mark.anyio
async def test_read_back_lists_everything_and_change_asks_what(world):
    slots = {
        "request_kind": "service",
        "service": "维修",
        "description": "厨房水管漏水",
        "address": "3号楼2单元502",
        "preferred_time": "2026-11-24T09:00:00+08:00",
        "phone": "13812345678",
    }
    messages, _ = await run(forms.ActionAskConfirmed(), tracker(world["wang"], slots=slots, active_loop="service_form"))
    text = said(messages)
    for part in ("维修", "厨房水管漏水", "3号楼2单元502", "11-24 09:00", "13812345678"):
        assert part in text
    fields = [texts.CHANGE_ADDRESS, texts.CHANGE_TIME, texts.CHANGE_PHONE, texts.CHANGE_DESCRIPTION]
    assert button_titles(messages) == [texts.BUTTON_CONFIRM, texts.BUTTON_CHANGE, texts.BUTTON_STOP, *fields]
    messages, _ = await run(forms.ActionAskConfirmed(), tracker(world["wang"], "不对", intent="deny", slots=slots))
    assert said(messages) == texts.WHAT_TO_CHANGE
    assert button_titles(messages) == [*fields, texts.BUTTON_CONFIRM, texts.BUTTON_STOP]


def finished_request(db) -> int:
    """王奶奶's repair, claimed and finished by 张师傅: waiting for her rating."""
    rid = submit_service(db, "王奶奶")
    with db.factory() as s, s.begin():
        actor = actor_for_person(s, s.scalar(select(Person).where(Person.name == "张师傅")))
        lifecycle.claim(s, actor, rid)
        lifecycle.finish(s, actor, rid)
    return rid


# --- submitting and stopping --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_submit_stores_the_request_and_the_outbox_confirms(db, world):
    slots = {
        "request_kind": "service",
        "service": "维修",
        "description": "厨房水管漏水",
        "address": "3号楼2单元502",
        "preferred_time": "2026-11-24T09:00:00+08:00",
        "phone": "13812345678",
        "confirmed": True,
    }
    messages, events = await run(
        forms.ActionSubmitRequest(), tracker(world["wang"], "确认提交", intent="affirm", slots=slots)
    )
    assert [m["custom"] for m in messages] == [forms.OUTBOX_SPEAKS]  # the bot sends the outbox's 已收到
    assert all(v is None for v in slot_values(events).values())
    with db.factory() as s:
        req = s.scalar(select(Request))
        assert (req.kind, req.category.name, req.address_text, req.contact_phone) == (
            RequestKind.SERVICE,
            "维修",
            "3号楼2单元502",
            "13812345678",
        )
        assert req.preferred_time == datetime(2026, 11, 24, 1, 0)
        received = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "received"))
        assert s.get(Person, received.person_id).telegram_id == world["wang"] and str(req.id) in received.text


@pytest.mark.anyio
async def test_submit_refusal_is_said_and_nothing_is_stored(db, world):
    slots = {"request_kind": "service", "service": "维修", "description": "水管", "address": "1号楼", "confirmed": True}
    messages, _ = await run(forms.ActionSubmitRequest(), tracker(12345, "确认", intent="affirm", slots=slots))
    assert said(messages) == texts.NOT_REGISTERED
    with db.factory() as s:
        assert s.scalar(select(func.count(Request.id))) == 0


@pytest.mark.anyio
async def test_stop_ends_the_form_and_forgets_the_draft(world):
    messages, events = await run(
        forms.ActionStopForm(),
        tracker(world["wang"], "算了", intent="deny", slots={"address": "3号楼"}, active_loop="service_form"),
    )
    assert said(messages) == texts.STOPPED
    assert ActiveLoop(None) in events and slot_values(events)["address"] is None


# --- status, cancel, urge, rate, complain -------------------------------------------------------------


@pytest.mark.anyio
async def test_status_lists_only_my_requests(db, world):
    mine = submit_service(db, "王奶奶")
    theirs = submit_service(db, "陈大爷", "楼道灯坏了")
    messages, _ = await run(
        manage.ActionCheckStatus(), tracker(world["wang"], "我的单子怎么样了", intent="check_status")
    )
    text = said(messages)
    assert f"编号 {mine}" in text and f"编号 {theirs}" not in text and "待接单" in text
    assert button_titles(messages) == [texts.BUTTON_URGE, texts.BUTTON_CANCEL]
    messages, _ = await run(manage.ActionCheckStatus(), tracker(world["zhang"], "进度", intent="check_status"))
    assert said(messages) == texts.NOT_REGISTERED


@pytest.mark.anyio
async def test_status_of_a_request_named_by_number_shows_only_that_one_and_only_if_mine(db, world):
    first = submit_service(db, "王奶奶")
    second = submit_service(db, "王奶奶", "楼道灯坏了")
    theirs = submit_service(db, "陈大爷", "水管漏水")
    messages, _ = await run(
        manage.ActionCheckStatus(), tracker(world["wang"], f"编号{first}怎么样了", intent="check_status")
    )
    text = said(messages)
    assert f"编号 {first}" in text and f"编号 {second}" not in text
    # someone else's number: the same answer as a number that does not exist, nothing of theirs
    for asked in (f"#{theirs}到哪了", "编号99999怎么样了"):
        messages, _ = await run(manage.ActionCheckStatus(), tracker(world["wang"], asked, intent="check_status"))
        text = said(messages)
        assert "没有找到" in text and "水管" not in text and "陈大爷" not in text
    # a building number is not a request number: the recent list as before
    messages, _ = await run(
        manage.ActionCheckStatus(), tracker(world["wang"], "3号楼的单子到哪了", intent="check_status")
    )
    assert f"编号 {first}" in said(messages) and f"编号 {second}" in said(messages)


@pytest.mark.anyio
async def test_cancel_picks_the_only_request_and_cancels_after_yes(db, world):
    rid = submit_service(db, "王奶奶")
    _, events = await run(manage.ActionBeginCancel(), tracker(world["wang"], "取消订单", intent="cancel_request"))
    assert slot_values(events)["request_choice"] == str(rid)
    messages, _ = await run(
        manage.ActionAskCancelConfirmed(), tracker(world["wang"], slots={"request_choice": str(rid)})
    )
    assert str(rid) in said(messages) and button_titles(messages) == [texts.BUTTON_YES_CANCEL, texts.BUTTON_NO_CANCEL]
    messages, _ = await run(
        manage.ActionCancelRequest(),
        tracker(world["wang"], "不取消", intent="deny", slots={"request_choice": str(rid), "cancel_confirmed": False}),
    )
    assert said(messages) == texts.NOT_CANCELLED.format(id=rid)
    await run(
        manage.ActionCancelRequest(),
        tracker(world["wang"], "确定", intent="affirm", slots={"request_choice": str(rid), "cancel_confirmed": True}),
    )
    with db.factory() as s:
        assert s.get(Request, rid).state == RequestState.CANCELLED


@pytest.mark.anyio
async def test_someone_elses_request_number_is_refused(db, world):
    submit_service(db, "王奶奶")
    submit_service(db, "王奶奶", "灯不亮")
    theirs = submit_service(db, "陈大爷", "楼道灯坏了")
    validator = manage.ValidateCancelForm()
    t = tracker(
        world["wang"],
        str(theirs),
        turn_slots={"request_choice": str(theirs)},
        active_loop="cancel_form",
        requested_slot="request_choice",
    )
    messages, events = await run(validator, t)
    assert slot_values(events)["request_choice"] is None and said(messages) == texts.BAD_CHOICE
    # and forging the slot straight into the final action changes nothing either
    messages, _ = await run(
        manage.ActionCancelRequest(),
        tracker(
            world["wang"], "确定", intent="affirm", slots={"request_choice": str(theirs), "cancel_confirmed": True}
        ),
    )
    assert said(messages) == core.ERR_NOT_YOUR_REQUEST
    with db.factory() as s:
        assert s.get(Request, theirs).state == RequestState.OPEN


@pytest.mark.anyio
async def test_cancel_with_nothing_to_cancel_says_so(world):
    validator = manage.ValidateCancelForm()
    assert (
        await validator.required_slots(
            ["request_choice", "cancel_confirmed"], CollectingDispatcher(), tracker(world["wang"]), DOMAIN
        )
        == []
    )
    messages, _ = await run(manage.ActionCancelRequest(), tracker(world["wang"], "取消", intent="cancel_request"))
    assert said(messages) == texts.NONE_TO_CANCEL


@pytest.mark.anyio
async def test_urge_tells_the_leader_once_an_hour(db, world):
    rid = submit_service(db, "王奶奶")
    slots = {"request_choice": str(rid)}
    messages, _ = await run(manage.ActionUrgeRequest(), tracker(world["wang"], "催一下", intent="urge", slots=slots))
    assert messages[0]["custom"] == forms.OUTBOX_SPEAKS
    messages, _ = await run(manage.ActionUrgeRequest(), tracker(world["wang"], "催一下", intent="urge", slots=slots))
    assert "分钟" in said(messages)  # too soon: a polite refusal
    with db.factory() as s:
        assert s.scalar(select(func.count(Event.id)).where(Event.action == "urge")) == 1
        urged = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urged")).all()
        assert [s.get(Person, m.person_id).name for m in urged] == ["G1网格长"]


@pytest.mark.anyio
async def test_rating_by_words_is_recorded_with_the_comment(db, world):
    rid = finished_request(db)
    _, events = await run(
        manage.ActionBeginRate(),
        tracker(world["wang"], "张师傅修得很好 给五星", intent="rate_service", turn_slots={"score": "5"}),
    )
    values = slot_values(events)
    assert values["request_choice"] == str(rid) and "修得很好" in values["rate_comment"]
    _, events = await run(
        manage.ValidateRateForm(),
        tracker(world["wang"], "五星", turn_slots={"score": "五星"}, active_loop="rate_form", requested_slot="score"),
    )
    assert slot_values(events)["score"] == "5"
    await run(
        manage.ActionRateRequest(),
        tracker(
            world["wang"],
            "五星",
            intent="rate_service",
            slots={"request_choice": str(rid), "score": "5", "rate_comment": "张师傅修得很好 给五星"},
        ),
    )
    with db.factory() as s:
        rating = s.scalar(select(Rating))
        assert (rating.score, rating.request_id) == (5, rid) and "修得很好" in rating.comment
        assert s.get(Request, rid).state == RequestState.CLOSED


@pytest.mark.anyio
async def test_bad_scores_are_refused(db, world):
    finished_request(db)
    for bad in ("8", "十分", '/rate_service{"score": 99}'):
        messages, events = await run(
            manage.ValidateRateForm(),
            tracker(world["wang"], bad, turn_slots={"score": bad}, active_loop="rate_form", requested_slot="score"),
        )
        assert slot_values(events)["score"] is None and said(messages) == texts.BAD_SCORE


@pytest.mark.anyio
async def test_complaint_reaches_staff_and_flags_the_request(db, world):
    rid = submit_service(db, "王奶奶")
    messages, _ = await run(manage.ActionComplain(), tracker(world["wang"], "师傅态度太差了", intent="complain"))
    assert said(messages) == texts.COMPLAINT_RECEIVED
    with db.factory() as s:
        assert s.get(Request, rid).needs_followup is True
        complaints = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "complaint")).all()
        assert {s.get(Person, m.person_id).name for m in complaints} == {"G1网格长", "李主任"}
        assert all("态度太差" in m.text for m in complaints)


@pytest.mark.anyio
async def test_ask_request_choice_lists_only_my_open_requests(db, world):
    first = submit_service(db, "王奶奶")
    second = submit_service(db, "王奶奶", "灯泡坏了")
    theirs = submit_service(db, "陈大爷", "楼道灯坏了")
    messages, _ = await run(manage.ActionAskRequestChoice(), tracker(world["wang"], active_loop="urge_form"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [str(second), str(first)] and str(theirs) not in payloads
    assert texts.VERB_URGE in said(messages)


def test_parse_time_reads_only_normalised_values():
    assert forms.parse_time("2026-11-24T09:00:00+08:00") == datetime(2026, 11, 24, 1, 0)
    assert forms.parse_time("2026-11-24T09:00:00") is None  # no offset: typed, not normalised
    assert forms.parse_time("尽快") == forms.ASAP
    assert forms.parse_time(None) is None


@pytest.mark.anyio
async def test_plain_questions(world):
    for action, expected in [
        (forms.ActionAskItem(), texts.ASK_ITEM),
        (forms.ActionAskDescription(), texts.ASK_DESCRIPTION),
        (forms.ActionAskAddress(), texts.ASK_ADDRESS),
    ]:
        messages, events = await run(action, tracker(world["wang"]))
        assert said(messages) == expected and events == []


@pytest.mark.anyio
async def test_score_question_offers_five_to_one_stars(db, world):
    rid = finished_request(db)
    messages, _ = await run(manage.ActionAskScore(), tracker(world["wang"], slots={"request_choice": str(rid)}))
    assert str(rid) in said(messages) and "维修" in said(messages)
    assert button_titles(messages) == ["5星", "4星", "3星", "2星", "1星"]
    assert messages[0]["buttons"][0]["payload"] == '/rate_service{"score": "5"}'


@pytest.mark.anyio
async def test_urge_begins_with_the_request_named_in_the_message(db, world):
    first = submit_service(db, "王奶奶")
    submit_service(db, "王奶奶", "灯泡坏了")
    _, events = await run(manage.ActionBeginUrge(), tracker(world["wang"], f"帮我催一下{first}号", intent="urge"))
    assert slot_values(events)["request_choice"] == str(first)
    _, events = await run(manage.ActionBeginUrge(), tracker(world["wang"], "催一下", intent="urge"))
    assert slot_values(events)["request_choice"] is None  # two open: the form asks which
    validator = manage.ValidateUrgeForm()
    assert await validator.required_slots(
        ["request_choice"], CollectingDispatcher(), tracker(world["wang"]), DOMAIN
    ) == ["request_choice"]
    assert (
        await validator.required_slots(["request_choice"], CollectingDispatcher(), tracker(world["chen"]), DOMAIN) == []
    )  # 陈大爷 has nothing open


def test_numbers_are_read_only_where_they_name_a_number():
    assert manage.numbers_in("催一下") == [] and manage.numbers_in("看一看第二个") == [2]
    assert manage.numbers_in("取消编号十二") == [12] and manage.numbers_in("十二号那个") == [12]
    assert manage.numbers_in("12") == [12] and manage.numbers_in("#７") == [7]
    assert [manage.parse_score(t) for t in ("五星", "给4分", "三颗星", "5", "一下子", "十分满意")] == [
        5,
        4,
        3,
        5,
        None,
        None,
    ]


@pytest.mark.anyio
async def test_slots_cleared_for_a_new_order_are_not_complained_about(world):
    """Starting a form right after a misunderstanding: the begin action clears the slots and
    Rasa hands the cleared (None) values to validation; the resident must not get a burst of
    “没有找到“”这项服务”, “请简单说一下…”, … before the first question."""
    cleared = dict.fromkeys(("service", "description", "address", "preferred_time", "phone"))
    messages, events = await run(
        forms.ValidateServiceForm(),
        tracker(
            world["wang"], "/order_service", intent="order_service", turn_slots=cleared, active_loop="service_form"
        ),
    )
    assert messages == [] and all(v is None for v in slot_values(events).values())


@pytest.mark.anyio
async def test_a_misunderstood_problem_that_names_a_service_starts_the_order(world):
    messages, events = await run(
        forms.ActionNotUnderstood(),
        tracker(
            world["wang"],
            "热水器不出热水了",
            intent="nlu_fallback",
            entities=[{"entity": "service", "value": "热水器"}],
        ),
    )
    assert messages == [] and FollowupAction("service_form") in events
    values = slot_values(events)
    assert values["request_kind"] == "service" and values["description"] == "热水器不出热水了"
    messages, events = await run(
        forms.ActionNotUnderstood(), tracker(world["wang"], "今天天气不错", intent="nlu_fallback")
    )
    assert [m["response"] for m in messages] == ["utter_default"] and events == []
    messages, events = await run(
        forms.ActionNotUnderstood(),
        tracker(
            world["wang"],
            '/inform{"service": "维修"}',
            intent="inform",
            entities=[{"entity": "service", "value": "维修"}],
        ),
    )
    assert [m["response"] for m in messages] == ["utter_default"] and events == []  # a typed payload starts nothing


@pytest.mark.anyio
async def test_an_action_waiting_on_the_database_does_not_block_other_conversations(db, world, monkeypatch):
    """An urge waits on the request's row lock (held by another transaction, as a claim would);
    meanwhile another resident's action runs to the end on the same event loop. Before, the
    action server called the database synchronously inside `async def run`: the loop stalled
    until the lock was released, and every conversation waited with it."""
    import asyncio
    import threading

    rid = submit_service(db, "王奶奶")
    entered = threading.Event()
    original = store._write

    def noting_write(fn):
        entered.set()
        return original(fn)

    monkeypatch.setattr(store, "_write", noting_write)
    blocker = db.factory()
    blocker.begin()
    blocker.scalar(select(Request).where(Request.id == rid).with_for_update())  # SQLite: the write lock too
    slots = {"request_choice": str(rid)}
    try:
        urge = asyncio.ensure_future(
            run(manage.ActionUrgeRequest(), tracker(world["wang"], "催一下", intent="urge", slots=slots))
        )
        assert await asyncio.to_thread(entered.wait, 30)
        t = tracker(
            world["chen"], "我要预约理发", intent="order_service", entities=[{"entity": "service", "value": "理发"}]
        )
        _, events = await run(forms.ActionBeginService(), t)
        assert slot_values(events)["request_kind"] == "service"
        assert not urge.done()  # still waiting for the lock we hold
    finally:
        blocker.commit()
        blocker.close()
    messages, _ = await asyncio.wait_for(urge, timeout=60)
    assert messages[0]["custom"] == forms.OUTBOX_SPEAKS
    with db.factory() as s:
        assert s.scalar(select(func.count(Event.id)).where(Event.action == "urge")) == 1
