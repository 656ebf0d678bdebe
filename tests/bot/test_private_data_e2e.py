"""Done when: a resident's phone, door and ID-card numbers, typed into free text, reach only
the resident's, the claimer's and staff's chats.

Through the Bot API emulator and the real bot process on default settings, on SQLite and
PostgreSQL: 王奶奶 orders a repair with the guided order and writes her phone, door and ID
number into the description; two volunteers get the card, she urges (her grid leader is
told), 张师傅 claims, 放弃, 刘师傅 gets a fresh card and claims. 陈大爷 makes a wish the same
way; staff review and publish it to grid 2's volunteers. Then every message every chat
received is read back from the emulator as it arrived and as it is now (edits applied) and
scanned."""

import pytest

from bot import texts
from community import clock
from community.db import make_engine, session_factory, upgrade
from sim.emulator import User
from tests.bot.live_bot import BotProcess, bot_env, scaled
from tests.builders import build_world
from tests.live import daytime_clock

WANG = {"phone": "13812349999", "door": "2单元601", "id": "110105194912310021"}
CHEN = {"phone": "13698765432", "door": "3单元702", "id": "44030019800101123X"}


@pytest.fixture(autouse=True)
def day():
    shared = daytime_clock()
    with clock.use_clock(shared):
        yield shared


async def _tap(client, who: User, data: str):
    async def latest():
        return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

    message = await client.until(latest, what=f"a button {data} for {who.first_name}")
    qid = await client.press(who, who.id, data, message.message_id)
    return await client.until(lambda: client.callback_answer(qid), what=f"the answer to {data}")


async def _guided(client, who: User, choose: list[str], description: str, address: str) -> int:
    """The guided order as a resident taps and types it; the request id it got."""
    await client.send_command(who, who.id, "/menu")
    for data in choose:
        await _tap(client, who, data)
    await client.wait_for(who.id, lambda m: m.text == texts.RES_ASK_DESCRIPTION)
    await client.send_text(who, who.id, description)
    await client.wait_for(who.id, lambda m: m.text == texts.RES_ASK_ADDRESS)
    await client.send_text(who, who.id, address)
    await client.wait_for(who.id, lambda m: "请确认" in m.text)
    await _tap(client, who, "submit:0")
    received = await client.wait_for(who.id, lambda m: "已收到" in m.text and "编号" in m.text)
    return int(received.text.split("编号 ")[1].split("）")[0])


@pytest.mark.anyio
@pytest.mark.timeout(600)
async def test_private_numbers_in_free_text_reach_only_resident_claimer_and_staff(db_url, emulator, tmp_path, day):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        w = build_world(s)
        people = {
            "wang": w.residents["王奶奶"].person,
            "chen": w.residents["陈大爷"].person,
            "staff": w.staff.person,
            "leader1": w.leaders["G1"],
            "leader2": w.leaders["G2"],
            **{f"v{i}": v.person for i, v in enumerate(w.volunteers.values())},
        }
        u = {k: User(id=p.telegram_id, first_name=p.name) for k, p in people.items()}
        repair = w.categories["repair"].id
        by_name = {p.name: k for k, p in people.items()}
    zhang, liu = u[by_name["张师傅"]], u[by_name["刘师傅"]]
    wang, chen, staff, leader1 = u["wang"], u["chen"], u["staff"], u["leader1"]
    bot = BotProcess(tmp_path, bot_env(db_url, emulator, day=day, OUTBOX_IDLE_SECONDS="0.05"))
    async with emulator.client(timeout=scaled(40)) as client:
        with bot:
            job = await _guided(
                client,
                wang,
                ["menu:1", f"order:{repair}"],
                f"厨房水管漏水，我电话{WANG['phone']}，住1号楼{WANG['door']}，身份证{WANG['id']}",
                f"1号楼{WANG['door']}",
            )
            card_z = await client.wait_for(zhang.id, lambda m: f"claim:{job}" in m.callback_data)
            await client.wait_for(liu.id, lambda m: f"claim:{job}" in m.callback_data)
            assert "1号楼" in card_z.text and "***" in card_z.text  # where, roughly; not the door
            # She urges: her grid leader (not staff) is told what it is about.
            await client.send_command(wang, wang.id, "/my")
            await _tap(client, wang, f"urge:{job}")
            await client.wait_for(leader1.id, lambda m: "催办" in m.text and f"编号 {job}" in m.text)
            # 张师傅 claims (the contact is his), then gives it up; 刘师傅 is offered it again.
            answer = await _tap(client, zhang, f"claim:{job}")
            assert "接单成功" in answer["text"]
            await client.wait_for(zhang.id, lambda m: WANG["phone"] in m.text)
            await _tap(client, zhang, f"release:{job}")
            await client.wait_for(liu.id, lambda m: f"claim:{job}" in m.callback_data and "已被认领" not in m.text)
            answer = await _tap(client, liu, f"claim:{job}")
            assert "接单成功" in answer["text"]
            await client.wait_for(liu.id, lambda m: WANG["phone"] in m.text)

            wish = await _guided(
                client,
                chen,
                ["order:0"],
                f"想要一台收音机，电话 {CHEN['phone'][:3]} {CHEN['phone'][3:7]} {CHEN['phone'][7:]}，"
                f"4号楼{CHEN['door']}，身份证号{CHEN['id']}",
                f"4号楼{CHEN['door']}",
            )
            await client.wait_for(staff.id, lambda m: f"publish:{wish}" in m.callback_data)
            await _tap(client, staff, f"publish:{wish}")
            offered = [u[by_name[n]] for n in ("孙师傅", "周大姐")]
            for volunteer in offered:
                card = await client.wait_for(volunteer.id, lambda m: f"claim:{wish}" in m.callback_data)
                assert "收音机" in card.text

            allowed = {
                "wang": {wang.id, zhang.id, liu.id, staff.id},  # the resident, both claimers, staff
                "chen": {chen.id, staff.id},  # not claimed yet
            }
            leaks = []
            for who in u.values():
                # every message as it arrived and as it is now (edits applied): a card edited
                # into "已被认领" had its first text, and an edit must not add a number either
                for message in [*await client.updates_for(who.id), *await client.history(who.id)]:
                    for owner, values in (("wang", WANG), ("chen", CHEN)):
                        if who.id in allowed[owner]:
                            continue
                        # also the phone as 陈大爷 typed it, with spaces
                        spaced = " ".join([values["phone"][:3], values["phone"][3:7], values["phone"][7:]])
                        for secret in [*values.values(), spaced]:
                            if secret in message.text:
                                leaks.append((who.first_name, secret, message.text))
            assert not leaks, leaks
            # and the scan did see the cards: every volunteer offered something got one
            for v in (zhang, liu, *offered):
                assert await client.history(v.id)
        log = bot.output()
    assert "Traceback" not in log, log[-3000:]
    engine.dispose()
