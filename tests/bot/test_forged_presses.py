"""Forged, stale and malformed button presses sent through the Bot API emulator to the real
bot process (`python -m sim.emulated_bot`, default settings), on SQLite and PostgreSQL.

Each press is a callback query any Telegram client can send with any callback_data: other
people's requests, other roles' actions, stale buttons, garbage, huge and fractional ids.
Every one is answered with a polite Chinese refusal; nothing in the database changes
(requests, events, offers, ratings, hours, teams); the bot's log has no traceback. The
volunteer who presses 接单 on a request never offered to them sees no contact, the refusal
is on record with the presser, and after five refusals the account is braked and staff told.
"""

import re

import pytest
from sqlalchemy import func, select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, upgrade
from community.lifecycle import NewRequest
from community.models import (
    AuditEntry,
    Event,
    LedgerEntry,
    Offer,
    OutboxMessage,
    OutboxStatus,
    Person,
    Rating,
    Request,
    RequestKind,
    Resident,
    Volunteer,
    team_members,
)
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.builders import build_world
from tests.live import daytime_clock

CJK = re.compile(r"[\u4e00-\u9fff]")
PRIVATE_PHONE = "13812349999"
NINES = "9" * 58


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


def _user(person: Person) -> User:
    return User(id=person.telegram_id, first_name=person.name)


def _snapshot(factory) -> dict:
    """Everything a press could change, as plain values."""
    with factory() as s:
        return {
            "requests": [
                (r.id, r.state, r.volunteer_id, r.priority, r.reason, r.needs_followup, r.escalation_level, r.hours)
                for r in s.scalars(select(Request).order_by(Request.id))
            ],
            "events": s.scalar(select(func.count(Event.id))),
            "offers": [(o.id, o.status) for o in s.scalars(select(Offer).order_by(Offer.id))],
            "ratings": s.scalar(select(func.count(Rating.id))),
            "ledger": s.scalar(select(func.count(LedgerEntry.id))),
            "teams": sorted(s.execute(select(team_members)).all()),
            "volunteers": [
                (v.id, v.available, v.active_load) for v in s.scalars(select(Volunteer).order_by(Volunteer.id))
            ],
            "residents": [(r.id, r.consent_at) for r in s.scalars(select(Resident).order_by(Resident.id))],
            "persons": s.scalar(select(func.count(Person.id))),
        }


async def _press(client, who: User, card, data: str) -> str:
    """A callback query on `card` (a message in the presser's chat) with any data."""
    query = {
        "botToken": client.token,
        "from": who.as_dict(),
        "data": data,
        "message": {
            "message_id": card.message_id,
            "date": 0,
            "chat": {"id": who.id, "type": "private"},
            "text": card.text,
        },
    }
    return (await client._post("/sendCallback", query))["callback_query_id"]


@pytest.mark.anyio
@pytest.mark.timeout(600)
async def test_forged_and_malformed_presses_are_refused_politely(db_url, emulator, tmp_path, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        wang, chen = w.residents["王奶奶"], w.residents["陈大爷"]

        def submit(resident, kind, text, category=None):
            actor = actor_for_person(s, resident.person)
            return lifecycle.submit(s, actor, NewRequest(kind=kind, description=text, category=category)).id

        # open, offered to 张师傅 and 刘师傅 (grid 1's repair team); 孙师傅 (grid 2) is not offered it
        open_job = submit(wang, RequestKind.SERVICE, f"厨房水管漏水，我电话{PRIVATE_PHONE}", "维修")
        wish = submit(chen, RequestKind.WISH, "想要一台收音机")  # waiting for review
        taken = submit(wang, RequestKind.SERVICE, "灯泡坏了", "维修")
        lifecycle.claim(s, actor_for_person(s, w.volunteers["张师傅"].person), taken)
        gone = submit(wang, RequestKind.SERVICE, "门锁坏了", "维修")
        lifecycle.cancel(s, actor_for_person(s, wang.person), gone)
        zhang, liu, sun, zhao = (_user(w.volunteers[n].person) for n in ("张师傅", "刘师傅", "孙师傅", "赵阿姨"))
        resident, other_resident, staff = _user(wang.person), _user(chen.person), _user(w.staff.person)
        leader2 = _user(w.leaders["G2"])
        sun_vid = w.volunteers["孙师傅"].id
        sun_person = w.volunteers["孙师傅"].person_id

    forged = [
        # a request never offered to this volunteer (the claim:1), and the rest of theirs
        (sun, f"claim:{open_job}"),
        (sun, f"decline:{open_job}"),
        (sun, f"claim:{wish}"),
        (sun, f"start:{taken}"),
        (sun, f"finish:{taken}"),
        (zhao, f"claim:{open_job}"),
        (zhao, f"release:{taken}"),
        (zhao, f"hours:{taken}:1"),
        (zhao, f"finish:{taken}"),
        # other roles' actions
        (liu, f"publish:{wish}"),
        (liu, f"reject:{wish}"),
        (liu, f"dispatch:{open_job}:{sun_vid}"),
        (liu, f"reassign:{taken}"),
        (liu, f"confirm:{taken}"),
        (liu, f"reopen:{taken}"),
        (liu, f"rate:{taken}:5"),
        (liu, f"detail:{open_job}"),
        (liu, f"urgent:{open_job}:1"),
        (liu, f"staffcancel:{open_job}"),
        (liu, f"followup:{open_job}"),
        (liu, "queue:1:open"),
        (resident, f"claim:{open_job}"),
        (resident, f"publish:{wish}"),
        (resident, f"start:{taken}"),
        (resident, f"release:{taken}"),
        (resident, f"hours:{taken}:2"),
        (resident, f"dispatch:{taken}:{sun_vid}"),
        (resident, f"detail:{taken}"),
        (other_resident, f"mycancel:{open_job}"),  # someone else's request
        (other_resident, f"urge:{open_job}"),
        (other_resident, f"rate:{taken}:1"),
        (leader2, f"dispatch:{open_job}:{sun_vid}"),  # grid 2's leader, grid 1's request
        (leader2, f"reassign:{taken}"),
        (staff, f"claim:{open_job}"),  # staff is no volunteer
        # stale buttons
        (zhang, f"claim:{taken}"),  # already theirs
        (zhang, f"claim:{gone}"),  # cancelled
        (zhang, f"decline:{gone}"),
        (resident, f"rate:{gone}:5"),
        (resident, f"mycancel:{gone}"),
        (staff, f"publish:{open_job}"),  # published long ago
        (staff, f"urgent:{gone}:1"),
        (zhang, "skipnote:1"),
        (sun, f"team:{10**12}"),  # a team that does not exist
        # garbage
        (sun, ""),
        (sun, "claim:"),
        (sun, "claim"),
        (sun, ":::"),
        (sun, "claim:abc"),
        (sun, f"claim:{NINES}"),
        (sun, "claim:1.5"),
        (sun, "claim:-1"),
        (sun, "claim:²"),
        (sun, "claim:１"),
        (sun, "claim:1:2:3"),
        (sun, "claim:2147483647"),  # the largest id there can be: no such request
        (sun, "claim:2147483648"),  # one more: no column holds it
        (sun, "💥"),
        (sun, "x" * 64),
        (resident, f"rate:{taken}:5.5"),
        (resident, f"rate:{taken}:0"),
        (resident, f"rate:{taken}:6"),
        (resident, f"mycancel:{NINES}"),
        (resident, f"order:{NINES}"),
        (resident, f"addr:{10**15}"),
        (resident, "consent:7"),
        (zhang, f"hours:{taken}:abc"),
        (zhang, f"hours:{taken}:1e9"),
        (zhang, f"hours:{taken}:0"),
        (zhang, f"dispatch:{taken}:{NINES}"),
        (staff, f"detail:{NINES}"),
        (staff, f"queue:{NINES}:open"),
        (staff, f"urgent:{open_job}:5"),
        (staff, "rasa:99999"),
        (staff, "rankopt:2"),
        (staff, "staffres:1"),
    ]
    assert len(forged) >= 60
    pressers = {u.id: u for u, _ in forged}
    before = _snapshot(factory)

    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(30)) as client:
        with bot:
            # Every presser needs a message in their chat to press on: the outbox's for most,
            # /tasks or /help for those that got none.
            for u in (sun, zhao):
                await client.send_command(u, u.id, "/tasks")
            await client.send_command(leader2, leader2.id, "/help")
            cards = {}
            for uid, u in pressers.items():
                cards[uid] = await client.until(
                    lambda uid=uid: _last(client, uid), what=f"a message for {u.first_name}"
                )
            # Everything the set-up wrote (cards, the claimer's contact) delivered first: what
            # arrives after this is the presses' doing.
            await client.until(lambda: _drained(factory), what="the outbox delivered")
            before_messages = {uid: len(await client.history(uid)) for uid in pressers}

            refused = []
            for who, data in forged:
                qid = await _press(client, who, cards[who.id], data)
                answer = await client.until(lambda qid=qid: client.callback_answer(qid), what=f"an answer to {data!r}")
                refused.append((who.first_name, data, answer.get("text") or ""))
            impolite = [(n, d, a) for n, d, a in refused if not CJK.search(a)]
            assert not impolite, impolite

            # The volunteer never offered the request: refused, and no contact anywhere in their chat.
            assert "没有派给您" in refused[0][2]
            sun_chat = await client.history(sun.id)
            assert not any(PRIVATE_PHONE in m.text or "13912345678" in m.text for m in sun_chat)
            assert not any("接单成功" in m.text for m in sun_chat)
            # Staff hear that 孙师傅's account was braked (five refusals in ten minutes).
            await client.wait_for(staff.id, lambda m: "安全提醒" in m.text and "孙师傅" in m.text)
            # No press made the bot say anything but refusals: nobody got a contact card.
            for uid in pressers:
                for m in (await client.history(uid))[before_messages[uid] :]:
                    assert "接单成功" not in m.text and PRIVATE_PHONE not in m.text, m.text
        log = bot.output()

    assert "Traceback" not in log, log[-4000:]
    assert emulator.token not in log
    assert _snapshot(factory) == before
    with factory() as s:
        on_record = s.scalars(
            select(AuditEntry.note).where(
                AuditEntry.action == "press_refused", AuditEntry.actor_person_id == sun_person
            )
        ).all()
    assert any(f"编号 {open_job}" in note for note in on_record)
    assert f"claim on request {open_job} by telegram user {sun.id}" in log
    engine.dispose()


async def _drained(factory) -> bool:
    with factory() as s:
        waiting = s.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
            )
        )
    return waiting == 0


async def _last(client, chat_id: int):
    history = await client.history(chat_id)
    return history[-1] if history else None


@pytest.mark.anyio
@pytest.mark.timeout(600)
async def test_every_kind_of_refused_press_counts_towards_the_brake(db_url, emulator, tmp_path, day):
    """Not only the domain buttons: a resident's menu presses, staff presses and malformed
    data are refused through one place, so five of any mix brake the account."""
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        chen = w.residents["陈大爷"]
        others = lifecycle.submit(
            s,
            actor_for_person(s, chen.person),
            NewRequest(kind=RequestKind.SERVICE, description="灯坏了", category="维修"),
        ).id
        wang, staff = _user(w.residents["王奶奶"].person), _user(w.staff.person)
        people = {wang.id: w.residents["王奶奶"].person_id, staff.id: w.staff.person_id}
    probes = {
        wang: [f"mycancel:{others}", "consent:7", "💥", f"urge:{others}", "nosuch:1"],  # resident menu + garbage
        staff: [f"detail:{NINES}", "staffres:1", "rankopt:1", "x" * 64, "hoend:99999"],  # staff presses + garbage
    }
    honest = {wang: "my:0", staff: "queue:1:open"}  # what each may press: braked now
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(30)) as client:
        with bot:
            await client.send_command(wang, wang.id, "/my")
            await client.send_command(staff, staff.id, "/help")
            for who in probes:
                card = await client.until(lambda who=who: _last(client, who.id), what=f"a message for {who.first_name}")
                for data in [*probes[who], honest[who]]:
                    qid = await _press(client, who, card, data)
                    answer = await client.until(
                        lambda qid=qid: client.callback_answer(qid), what=f"an answer to {data!r}"
                    )
                    assert CJK.search(answer.get("text") or ""), (data, answer)
                assert "操作太频繁" in answer["text"], (who.first_name, honest[who], answer)
                await client.wait_for(staff.id, lambda m, who=who: "安全提醒" in m.text and who.first_name in m.text)
        log = bot.output()
    assert "Traceback" not in log, log[-4000:]
    with factory() as s:
        for uid, person_id in people.items():
            notes = s.scalars(
                select(AuditEntry.note).where(
                    AuditEntry.action == "press_refused", AuditEntry.actor_person_id == person_id
                )
            ).all()
            assert len(notes) == 5, (uid, notes)
            assert all(CJK.search(n) for n in notes)
    engine.dispose()
