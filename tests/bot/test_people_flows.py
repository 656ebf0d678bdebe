"""Volunteers and residents through the whole bot application (fake Telegram transport):
joining by invite, teams, pausing, tasks; consent, the guided order that works without
Rasa, my requests, cancelling; refusals for everyone else."""

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.app import build_application
from bot.config import BotSettings
from community import clock, lifecycle, people
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Person, Request, RequestKind, RequestState, Resident, Volunteer
from tests.bot.fake_telegram import FakeRequest, press
from tests.bot.updates import command, contact, text
from tests.builders import build_world

SETTINGS = BotSettings(telegram_bot_token="123:TEST", rasa_url="")
NEWCOMER = 777_001


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):
        yield


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        return build_world(s)


class Bot:
    """The application with a fake transport; `say` feeds updates, `replies` reads what the
    bot sent to a chat (text and button callback_data)."""

    def __init__(self, db, relay=None):
        self.request = FakeRequest()
        self.app = build_application(SETTINGS, db.factory, request=self.request, relay=relay)

    def run(self, *makers):
        async def go():
            await self.app.initialize()
            for make in makers:
                await self.app.process_update(make(self.app))
            await self.app.shutdown()

        asyncio.run(go())
        return self

    def replies(self, chat_id):
        out = []
        for method, p in self.request.calls:
            if method in ("sendMessage", "editMessageText") and p.get("chat_id") == chat_id:
                markup = p.get("reply_markup") or {}
                buttons = [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]
                out.append((p["text"], buttons))
        return out

    def last(self, chat_id):
        return self.replies(chat_id)[-1]

    def answers(self):
        return [p.get("text") for m, p in self.request.calls if m == "answerCallbackQuery"]


class DownRelay:
    """Rasa is down: nothing is forwarded."""

    async def forward(self, update, context, text=None):
        return False

    async def press(self, update, context):
        raise AssertionError("no Rasa buttons were shown")


class UntouchableRelay(DownRelay):
    """A relay this conversation must never reach."""

    def __init__(self, why: str) -> None:
        self.why = why

    async def forward(self, update, context, text=None):
        raise AssertionError(self.why)


def tg(db, person_id):
    with db.factory() as s:
        return s.get(Person, person_id).telegram_id


def actor(s, person_id):
    return actor_for_person(s, s.get(Person, person_id))


def invite(db, world, team="repair2"):
    with db.factory() as s, s.begin():
        return people.issue_invites(s, actor_for_person(s, s.get(Person, world.staff.person_id)), team_code=team)[
            0
        ].code


# --- volunteers ---------------------------------------------------------------------------


def test_invite_link_makes_a_volunteer_who_picks_teams(db, world):
    code = invite(db, world)
    bot = Bot(db).run(lambda app: command(app, NEWCOMER, f"/start join-{code}"))
    welcome, teams = bot.replies(NEWCOMER)[0], bot.replies(NEWCOMER)[1]
    assert "欢迎您加入志愿服务" in welcome[0] and "二网格维修队" in welcome[0]
    care_team = world.teams["care"].id
    assert f"team:{care_team}" in teams[1]
    bot = Bot(db).run(lambda app: press(app, NEWCOMER, f"team:{care_team}"))
    assert bot.answers() == ["已保存。"]
    edited = next(p for m, p in bot.request.calls if m == "editMessageText")
    labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ 社区助老服务队" in labels and "✅ 二网格维修队" in labels and "一网格维修队" in labels
    with db.factory() as s:
        v = s.scalar(select(Volunteer).join(Person).where(Person.telegram_id == NEWCOMER))
        assert sorted(t.code for t in v.teams) == ["care", "repair2"]
    bot = Bot(db).run(lambda app: command(app, 777_002, f"/start join-{code}"))  # used already
    assert "邀请码无效" in bot.last(777_002)[0]


def test_pause_resume_and_only_volunteers_may(db, world):
    zhang = tg(db, world.volunteers["张师傅"].person_id)
    Bot(db).run(lambda app: command(app, zhang, "/pause 这周出差"))
    with db.factory() as s:
        v = s.get(Volunteer, world.volunteers["张师傅"].id)
        assert not v.available and v.availability_note == "这周出差"
    Bot(db).run(lambda app: command(app, zhang, "/resume"))
    with db.factory() as s:
        assert s.get(Volunteer, world.volunteers["张师傅"].id).available
    resident = tg(db, world.residents["王奶奶"].person_id)
    bot = Bot(db).run(lambda app: command(app, resident, "/pause"))
    assert "不是登记的志愿者" in bot.last(resident)[0]


def test_tasks_show_contact_and_buttons_and_me_shows_the_record(db, world):
    with db.factory() as s, s.begin():
        rid = lifecycle.submit(
            s,
            actor(s, world.residents["王奶奶"].person_id),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        ).id
        lifecycle.claim(s, actor(s, world.volunteers["张师傅"].person_id), rid)
    zhang = tg(db, world.volunteers["张师傅"].person_id)
    bot = Bot(db).run(lambda app: command(app, zhang, "/tasks"), lambda app: command(app, zhang, "/me"))
    (task, buttons), (me, _) = bot.replies(zhang)
    assert f"编号 {rid}" in task and "13912345678" in task and "1号楼1单元101" in task
    assert buttons == [f"start:{rid}", f"finish:{rid}", f"release:{rid}"]
    assert "在办：1/3" in me and "接单中" in me


# --- residents ------------------------------------------------------------------------------


def test_first_message_asks_consent_and_declining_stores_nothing(db, world):
    bot = Bot(db).run(lambda app: text(app, NEWCOMER, "家里水管漏了"))
    prompt, buttons = bot.last(NEWCOMER)
    assert "您同意吗" in prompt and buttons == ["consent:1", "consent:0"]
    Bot(db).run(lambda app: press(app, NEWCOMER, "consent:0"))
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Person).where(Person.telegram_id == NEWCOMER)) == 0


def test_guided_order_without_rasa_from_consent_to_submission(db, world):
    """What a resident does when Rasa is unavailable: everything by buttons and short
    replies; what they first typed becomes the description."""
    repair = world.categories["repair"].id
    bot = Bot(db, relay=DownRelay()).run(
        lambda app: press(app, NEWCOMER, "consent:1"),
        lambda app: text(app, NEWCOMER, "厨房水管漏水了"),
        lambda app: press(app, NEWCOMER, f"order:{repair}"),
        lambda app: press(app, NEWCOMER, "usetext:0"),
        lambda app: text(app, NEWCOMER, "99号楼"),
        lambda app: text(app, NEWCOMER, "三号楼二单元502"),
        lambda app: contact(app, NEWCOMER, "+86 139 1111 2222"),
        lambda app: press(app, NEWCOMER, "submit:0"),
    )
    said = [t for t, _ in bot.replies(NEWCOMER)]
    assert any("智能助手暂时不在线" in t for t in said)
    assert any("usetext:0" in buttons for _, buttons in bot.replies(NEWCOMER))  # the typed text offered back
    assert any("没有找到“99号楼”" in t for t in said)  # asked back, not guessed
    assert any("请留一个联系电话" in t for t in said)
    assert any("项目：维修" in t and "厨房水管漏水了" in t and "3号楼2单元502" in t for t in said)
    with db.factory() as s:
        req = s.scalars(select(Request)).one()
        assert (req.state, req.description, req.address_text) == (RequestState.OPEN, "厨房水管漏水了", "3号楼2单元502")
        assert req.resident.person.phone == "13911112222" and req.resident.consent_at is not None


def test_my_requests_cancel_and_a_forged_cancel(db, world):
    with db.factory() as s, s.begin():
        mine = lifecycle.submit(
            s,
            actor(s, world.residents["王奶奶"].person_id),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        ).id
        theirs = lifecycle.submit(
            s,
            actor(s, world.residents["陈大爷"].person_id),
            NewRequest(kind=RequestKind.SERVICE, description="换灯泡", category="维修"),
        ).id
    wang = tg(db, world.residents["王奶奶"].person_id)
    bot = Bot(db).run(lambda app: command(app, wang, "/my"))
    listing, buttons = bot.last(wang)
    assert f"编号 {mine}" in listing and f"编号 {theirs}" not in listing
    assert f"mycancel:{mine}" in buttons and f"urge:{mine}" in buttons
    bot = Bot(db).run(
        lambda app: press(app, wang, f"mycancel:{theirs}"), lambda app: press(app, wang, f"mycancel:{mine}")
    )
    assert any("不是您提交" in (t or "") for t in bot.answers())  # the refusal is the press's answer
    with db.factory() as s:
        assert s.get(Request, theirs).state == RequestState.OPEN
        assert s.get(Request, mine).state == RequestState.CANCELLED


def test_unknown_button_is_still_answered(db, world):
    bot = Bot(db).run(lambda app: press(app, NEWCOMER, "something:1"))
    assert bot.answers() and "按钮已失效" in bot.answers()[0]


def test_resident_record_is_not_created_before_consent(db, world):
    Bot(db).run(lambda app: command(app, NEWCOMER, "/start"), lambda app: text(app, NEWCOMER, "帮我买菜"))
    with db.factory() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Resident)
                .join(Person, Person.id == Resident.person_id)
                .where(Person.telegram_id == NEWCOMER)
            )
            == 0
        )


def test_after_finishing_a_note_or_photo_is_kept_and_not_sent_to_the_relay(db, world):
    with db.factory() as s, s.begin():
        rid = lifecycle.submit(
            s,
            actor(s, world.residents["王奶奶"].person_id),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        ).id
        lifecycle.claim(s, actor(s, world.volunteers["张师傅"].person_id), rid)
    zhang = tg(db, world.volunteers["张师傅"].person_id)

    bot = Bot(db, relay=UntouchableRelay("a volunteer's note must not reach Rasa")).run(
        lambda app: press(app, zhang, f"hours:{rid}:2"),
        lambda app: text(app, zhang, "换了新阀门，建议半年后检查"),
    )
    said = [t for t, _ in bot.replies(zhang)]
    assert any("想补充一句" in t for t in said) and said[-1] == "补充说明已记下，谢谢！"
    with db.factory() as s:
        req = s.get(Request, rid)
        assert req.state == RequestState.DONE and req.hours == 2 and req.finish_note == "换了新阀门，建议半年后检查"


def test_staff_reject_reason_goes_to_the_request_not_to_the_resident_chat(db, world):
    """In the whole application: after 驳回 the staff member's next text is the reason; the
    resident side must not answer it (no consent prompt, no Rasa)."""
    with db.factory() as s, s.begin():
        rid = lifecycle.submit(
            s,
            actor(s, world.residents["王奶奶"].person_id),
            NewRequest(kind=RequestKind.WISH, description="想要一台电视"),
        ).id
    staff = tg(db, world.staff.person_id)

    bot = Bot(db, relay=UntouchableRelay("a staff answer must not reach Rasa")).run(
        lambda app: press(app, staff, f"reject:{rid}"),
        lambda app: text(app, staff, "超出微心愿范围，建议申请临时救助"),
    )
    said = [t for t, _ in bot.replies(staff)]
    assert not any("您同意吗" in t for t in said)
    with db.factory() as s:
        req = s.get(Request, rid)
        assert req.state == RequestState.REJECTED and req.reason == "超出微心愿范围，建议申请临时救助"
