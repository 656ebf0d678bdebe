"""New residents of a district of several communities, through the bot and the Bot API
emulator (Rasa off, the bot's own guided order), on SQLite and PostgreSQL: one arrives by
their community's poster link (`/start c-C02`), one chooses their community with the
buttons after typing their problem first, one types the community's name; each request
belongs to their community and is offered to that community's volunteers only. A forged
community press is refused and changes nothing."""

from datetime import datetime

import pytest
from sqlalchemy import select

from bot import texts
from bot.app import build_application
from bot.config import BotSettings
from community import clock
from community.models import Community, Offer, Person, Request, Volunteer
from sim.emulator import EmulatorRequest, User, polling
from tests.bot.test_e2e_emulator import press_as_shown
from tests.district_world import load_sample
from tests.timing import scaled

BY_LINK = User(id=990_101, first_name="赵奶奶")
BY_BUTTON = User(id=990_102, first_name="钱大爷")
BY_NAME = User(id=990_103, first_name="孙阿姨")
FORGER = User(id=990_104, first_name="李某")
SUPERVISOR = User(id=880_001, first_name="周督查")


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):  # 10:00 Shanghai, outside quiet hours
        yield


def _ids(s, code: str) -> tuple[int, set[int]]:
    """The community's id and its volunteers' Telegram ids."""
    c = s.scalar(select(Community).where(Community.code == code))
    vols = s.scalars(
        select(Person.telegram_id).join(Volunteer, Volunteer.person_id == Person.id).where(Person.community_id == c.id)
    )
    return c.id, set(vols)


@pytest.mark.anyio
@pytest.mark.timeout(180)
async def test_new_residents_reach_their_own_community(db, emulator, tmp_path):
    load_sample(db.factory, tmp_path, count=3, supervisor_telegram=SUPERVISOR.id)
    with db.factory() as s:
        communities = {code: _ids(s, code) for code in ("C01", "C02", "C03")}
    settings = BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )
    app = build_application(settings, db.factory, request=EmulatorRequest())
    client = emulator.client(timeout=scaled(20))

    async def tap(who: User, data: str) -> str:
        async def latest():
            return next((m for m in reversed(await client.history(who.id)) if data in m.callback_data), None)

        message = await client.until(latest, what=f"a button {data} for {who.first_name}")
        return await client.press(who, who.id, data, message.message_id)

    async def order(who: User, *, use_draft: bool = False) -> int:
        """The guided order from the menu: 维修 (the first category), the address, the phone."""
        await tap(who, "menu:1")
        category = await client.wait_for(who.id, lambda m: "请选择服务项目" in m.text)
        await client.press(who, who.id, category.callback_data[0], category.message_id)
        if use_draft:
            await tap(who, "usetext:0")
        else:
            await client.wait_for(who.id, lambda m: "需要什么帮助" in m.text)
            await client.send_text(who, who.id, "厨房水管漏水")
        await client.wait_for(who.id, lambda m: "地址" in m.text)
        await client.send_text(who, who.id, "3号楼2单元502")
        await client.wait_for(who.id, lambda m: "联系电话" in m.text)
        await client.send_contact(who, who.id, f"1390000{who.id % 10000:04d}")
        await tap(who, "submit:0")
        received = await client.wait_for(who.id, lambda m: "预约（编号" in m.text)
        return int(received.text.split("编号 ")[1].split("）")[0])

    async def home_button(who: User, code: str) -> str:
        ask = await client.wait_for(who.id, lambda m: m.text == texts.RES_CHOOSE_COMMUNITY)
        assert len(ask.callback_data) == 3  # one button per community
        return next(d for d in ask.callback_data if d == f"home:{communities[code][0]}")

    async with polling(app):
        await app.post_init(app)
        try:
            # The poster link of 和谐家园社区 (C02): consent, and they are there.
            await client.send_command(BY_LINK, BY_LINK.id, "/start c-C02")
            await tap(BY_LINK, "consent:1")
            await client.wait_for(BY_LINK.id, lambda m: "请问需要什么帮助" in m.text)
            assert not [m for m in await client.history(BY_LINK.id) if m.text == texts.RES_CHOOSE_COMMUNITY]
            link_rid = await order(BY_LINK)

            # No link: they write their problem first, consent, then choose 阳光花园社区 (C03);
            # what they wrote is offered as the description.
            await client.send_text(BY_BUTTON, BY_BUTTON.id, "厨房水管漏水了，麻烦来看看")
            await tap(BY_BUTTON, "consent:1")
            await tap(BY_BUTTON, await home_button(BY_BUTTON, "C03"))
            await client.wait_for(
                BY_BUTTON.id, lambda m: m.text == texts.RES_COMMUNITY_CHOSEN.format(name="阳光花园社区")
            )
            button_rid = await order(BY_BUTTON, use_draft=True)

            # They type the name instead of pressing: an unknown one is asked again, politely.
            await client.send_command(BY_NAME, BY_NAME.id, "/start")
            await tap(BY_NAME, "consent:1")
            await client.wait_for(BY_NAME.id, lambda m: m.text == texts.RES_CHOOSE_COMMUNITY)
            await client.send_text(BY_NAME, BY_NAME.id, "火星")
            again = await client.wait_for(BY_NAME.id, lambda m: "没有找到“火星”这个社区" in m.text)
            assert len(again.callback_data) == 3  # the buttons again
            await client.send_text(BY_NAME, BY_NAME.id, "我住幸福里")
            await client.wait_for(BY_NAME.id, lambda m: m.text == texts.RES_COMMUNITY_CHOSEN.format(name="幸福里社区"))
            name_rid = await order(BY_NAME)

            # A forged press: a community id the bot never offered. Refused; nobody registered.
            await client.send_command(FORGER, FORGER.id, "/start c-ZZ9")  # a link of no community here
            await client.wait_for(FORGER.id, lambda m: m.text == texts.RES_COMMUNITY_LINK_UNKNOWN)
            await tap(FORGER, "consent:1")
            ask = await client.wait_for(FORGER.id, lambda m: m.text == texts.RES_CHOOSE_COMMUNITY)
            forged = await press_as_shown(client, FORGER, ask, "home:999999")
            answer = await client.until(lambda: client.callback_answer(forged))
            assert answer["text"] == texts.RES_COMMUNITY_GONE

            everyone = set().union(*(vols for _, vols in communities.values()))
            # The district's supervisor is greeted as one, never asked to register as a resident.
            await client.send_command(SUPERVISOR, SUPERVISOR.id, "/start")
            await client.wait_for(SUPERVISOR.id, lambda m: "街道督查" in m.text and "/district" in m.text)
            assert not [m for m in await client.history(SUPERVISOR.id) if m.callback_data]

            for rid, code in ((link_rid, "C02"), (button_rid, "C03"), (name_rid, "C01")):
                own = communities[code][1]
                await client.until(lambda rid=rid, own=own: _card_holders(client, rid, own), what=f"a card for {rid}")
                holders = await _card_holders(client, rid, everyone)
                assert holders <= own, f"request {rid} of {code} was offered outside it"
        finally:
            await app.post_shutdown(app)

    with db.factory() as s:
        for rid, code, who in ((link_rid, "C02", BY_LINK), (button_rid, "C03", BY_BUTTON), (name_rid, "C01", BY_NAME)):
            community_id, own_volunteers = communities[code]
            req = s.get(Request, rid)
            assert req.community_id == community_id
            assert s.scalar(select(Person.community_id).where(Person.telegram_id == who.id)) == community_id
            offered = set(
                s.scalars(
                    select(Person.telegram_id)
                    .join(Volunteer, Volunteer.person_id == Person.id)
                    .join(Offer, Offer.volunteer_id == Volunteer.id)
                    .where(Offer.request_id == rid)
                )
            )
            assert offered and offered <= own_volunteers
        assert s.get(Request, button_rid).description == "厨房水管漏水了，麻烦来看看"
        assert s.scalar(select(Person).where(Person.telegram_id == FORGER.id)) is None


async def _card_holders(client, rid: int, chats: set[int]) -> set[int]:
    """Which of these chats got the claim card of request `rid`."""
    return {chat for chat in chats if any(f"claim:{rid}" in m.callback_data for m in await client.history(chat))}


@pytest.mark.anyio
@pytest.mark.timeout(180)
async def test_with_more_communities_than_buttons_the_resident_types_the_name(db, emulator, tmp_path):
    load_sample(db.factory, tmp_path, count=13, supervisor_telegram=None)
    settings = BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )
    app = build_application(settings, db.factory, request=EmulatorRequest())
    client = emulator.client(timeout=scaled(20))
    async with polling(app):
        await app.post_init(app)
        try:
            await client.send_command(BY_NAME, BY_NAME.id, "/start")
            consent = await client.wait_for(BY_NAME.id, lambda m: "consent:1" in m.callback_data)
            await client.press(BY_NAME, BY_NAME.id, "consent:1", consent.message_id)
            ask = await client.wait_for(BY_NAME.id, lambda m: m.text == texts.RES_TYPE_COMMUNITY)
            assert not ask.callback_data  # no wall of 13 buttons
            await client.send_text(BY_NAME, BY_NAME.id, "新华里社区")  # C13
            await client.wait_for(BY_NAME.id, lambda m: m.text == texts.RES_COMMUNITY_CHOSEN.format(name="新华里社区"))
            await client.wait_for(BY_NAME.id, lambda m: "请问需要什么帮助" in m.text)
        finally:
            await app.post_shutdown(app)
    with db.factory() as s:
        home = s.scalar(select(Person.community_id).where(Person.telegram_id == BY_NAME.id))
        assert home == s.scalar(select(Community.id).where(Community.code == "C13"))
