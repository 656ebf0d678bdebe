"""转人工 as in production: the bot polling the Bot API emulator, the real Rasa with the
trained model, the real action server, one community database. A resident asks for a person
in her own words; the grid leader of her building gets the conversation with the last turns;
three messages go each way; her voice message reaches him; he places an order for her and
ends it. Another resident is misunderstood twice and is offered the 找人工 button."""

import itertools

import pytest
from sqlalchemy import select

from bot import texts
from community.models import Handoff, HandoffState, Person, Request, RequestKind, Resident
from sim.emulator import User
from tests.bot.test_e2e_rasa import bot_and_client, daytime, tap  # noqa: F401 - daytime is a fixture

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]
_ids = itertools.count(772_001)


def newcomer(rasa_stack, name: str, building: int = 2) -> User:
    world = rasa_stack.world
    with rasa_stack.factory() as s, s.begin():
        person = Person(community_id=world.community.id, name=name, telegram_id=next(_ids), phone="13800003333")
        consent = world.residents["王奶奶"].consent_at
        s.add(Resident(person=person, building_id=world.buildings[building].id, unit=1, room="201", consent_at=consent))
    return User(id=person.telegram_id, first_name=name)


async def test_a_resident_asks_for_a_person_talks_sends_a_voice_and_gets_an_order(rasa_stack, emulator, daytime):  # noqa: F811
    leader_person = rasa_stack.world.leaders["G1"]
    leader = User(id=leader_person.telegram_id, first_name=leader_person.name)
    li = newcomer(rasa_stack, "李阿婆")
    repair = rasa_stack.world.categories["repair"].id
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling_app(app), client:
        await client.send_text(li, li.id, "你好")
        await client.wait_for(li.id, lambda m: "暖心社区小助手" in m.text)
        await client.send_text(li, li.id, "我要找社区的人")
        connected = await client.wait_for(li.id, lambda m: "已为您接通" in m.text)
        assert leader.first_name in connected.text
        card = await client.wait_for(leader.id, lambda m: "转人工" in m.text and "李阿婆" in m.text)
        assert "最近的对话" in card.text and "居民：你好" in card.text and "2号楼1单元" in card.text

        for said in ("我家阳台的晾衣架掉下来了", "一个人弄不动", "今天能来吗"):
            await client.send_text(li, li.id, said)  # to the person, not to the assistant
            await client.wait_for(leader.id, lambda m, said=said: m.text == f"居民李阿婆：{said}")
        for said in ("阿婆别急", "我叫维修队的师傅", "下午三点到"):
            await client.send_text(leader, leader.id, said)
            await client.wait_for(li.id, lambda m, said=said: m.text == f"社区工作人员{leader.first_name}：{said}")

        await client.send_voice(li, li.id)
        intro = await client.wait_for(leader.id, lambda m: "发来一条语音" in m.text)
        assert "李阿婆（2号楼1单元）" in intro.text
        await client.wait_for(leader.id, lambda m: "voice" in m.raw["message"])
        await client.wait_for(li.id, lambda m: m.text.startswith("已转给社区工作人员"))

        await tap(client, leader, card, "代下单")
        choose = await client.wait_for(leader.id, lambda m: m.text == texts.HO_CHOOSE_CATEGORY)
        handoff_id = choose.callback_data[0].split(":")[1]
        await client.press(leader, leader.id, f"hocat:{handoff_id}:{repair}", choose.message_id)
        told = await client.wait_for(li.id, lambda m: m.text.startswith("社区工作人员已为您下单"))
        await tap(client, leader, card, texts.HO_BUTTON_END)
        await client.wait_for(li.id, lambda m: "结束了这次对话" in m.text)

        await client.send_text(li, li.id, "谢谢你们")  # the assistant again
        await client.wait_for(li.id, lambda m: "不客气" in m.text)
    with rasa_stack.factory() as s:
        h = s.get(Handoff, int(handoff_id))
        assert (h.state, h.reason, h.staff_person_id) == (HandoffState.ENDED, "asked", leader_person.id)
        req = s.get(Request, h.request_id)
        assert str(req.id) in told.text and req.kind == RequestKind.SERVICE and req.category_id == repair
        assert "晾衣架掉下来了" in req.description
        assert (
            s.scalar(select(Handoff.id).where(Handoff.id != h.id, Handoff.resident_person_id == h.resident_person_id))
            is None
        )


async def test_after_two_misunderstandings_the_person_button_is_offered(rasa_stack, emulator, daytime):  # noqa: F811
    zhou = newcomer(rasa_stack, "周大伯", building=4)  # second grid
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling_app(app), client:
        await client.send_text(zhou, zhou.id, "嗯嗯那个啥呢嗯")
        first = await client.wait_for(zhou.id, lambda m: "没太明白" in m.text or "帮不上" in m.text)
        assert texts.HO_BUTTON_HUMAN in first.button_texts  # under every not-understood reply
        await client.send_text(zhou, zhou.id, "呃呃呃那个那个")
        offer = await client.wait_for(zhou.id, lambda m: m.text == texts.HO_OFFER_AUTO)
        assert offer.button_texts == [texts.HO_BUTTON_HUMAN, texts.HO_BUTTON_NO]
        await tap(client, zhou, offer, texts.HO_BUTTON_HUMAN)
        await client.wait_for(zhou.id, lambda m: "已为您接通" in m.text)
        leader = rasa_stack.world.leaders["G2"]
        await client.wait_for(leader.telegram_id, lambda m: "周大伯" in m.text and "转人工" in m.text)
    with rasa_stack.factory() as s:
        h = s.scalar(
            select(Handoff).join(Person, Person.id == Handoff.resident_person_id).where(Person.telegram_id == zhou.id)
        )
        assert h.reason == "auto" and h.state == HandoffState.ACTIVE


class polling_app:
    """The bot polling with its background tasks (outbox sender, scheduler) running."""

    def __init__(self, app) -> None:
        from sim.emulator import polling

        self.app, self._polling = app, polling(app)

    async def __aenter__(self):
        await self._polling.__aenter__()
        await self.app.post_init(self.app)
        return self.app

    async def __aexit__(self, *exc):
        try:
            await self.app.post_shutdown(self.app)
        finally:
            await self._polling.__aexit__(*exc)
