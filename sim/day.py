"""One community day, played through the real bot as Telegram users would play it.

The cast: residents (new Telegram users: /start, consent, then free text — some in
Traditional Chinese, some elderly and vague), the community's staff member reviewing wishes
with the bot's 发布/驳回 buttons, the 55 volunteers of data/community/ on Telegram (two more
join today through invite links), grid leaders. Every user only sees what the bot sent them
and only acts through the emulator's client API; the scripts are reactive (they answer
whatever the bot asked last), and a user who gets stuck fails the day loudly with the bot's
last message instead of hanging.

Timeline (Asia/Shanghai, simulated): residents write from 08:00 on; volunteers claim, travel,
finish; residents rate. When every story has played out the clock fast-forwards through the
evening and the night (quiet hours, follow-ups: widened offers, rating reminders, the 08:00
digest, a red flag) to the next morning.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from sim.emulator import BotMessage
from sim.hub import Hub, Party, Stuck

ID_PATTERN = re.compile(r"(?:编号\s*|#)(\d+)")
STAFF_ID = 100_001
RESIDENT_BASE = 200_001
VOLUNTEER_BASE = 300_001
NEWCOMER_BASE = 390_001


@dataclass
class Story:
    """One resident and what should happen to their request."""

    name: str
    first: str  # the first free text they send
    category: str  # for the guided flow: a category name, or "微心愿"
    address: str
    at: int  # minutes after 08:00 they start writing
    plan: str = "claim"  # claim | race | ignore | cancel | urge | reject
    score: int | None = 5  # the stars they give; None: they never rate
    clarify: str = ""  # what a vague resident says when asked what they need
    note: str = ""  # the volunteer's note after finishing
    phone: str = ""
    # filled in while playing
    request_id: int | None = None
    party: Party | None = None
    urged: asyncio.Event = field(default_factory=asyncio.Event)
    outcome: str = ""

    @property
    def expected_state(self) -> str:
        return {"cancel": "cancelled", "reject": "rejected", "ignore": "open"}.get(
            self.plan, "closed" if self.score else "done"
        )


STORIES = [
    Story(
        "王秀兰",
        "我家厨房水管漏水了，麻烦师傅来看看 3号楼2单元502",
        "维修",
        "3号楼2单元502",
        0,
        "claim",
        5,
        note="换了阀门，不漏了",
    ),
    Story("陳建國", "想許個心願：一副老花鏡，看報紙看不清了", "微心愿", "12号楼1单元301", 4, "race", 5),
    Story("李桂芬", "帮我买点菜和鸡蛋，腿脚不方便下楼", "代购", "7号楼3单元101", 8, "claim", 2, note="鸡蛋买到了"),
    Story("张德胜", "想剪个头发，明天上午方便吗", "理发", "21号楼2单元602", 12, "urge", 5),
    Story("刘淑珍", "家里需要打扫一下卫生", "保洁", "28号楼1单元202", 15, "cancel", None),
    Story(
        "赵长海",
        "我老了，腿脚不好……你们能帮帮我吗",
        "助老",
        "15号楼2单元401",
        18,
        "claim",
        5,
        clarify="就是想有人陪我去楼下晒晒太阳，说说话",
    ),
    Story("孫美玲", "家裏的燈不亮了，請師傅來修一下", "维修", "30号楼1单元101", 22, "claim", 4),
    Story(
        "周大爷",
        "那个……我一个人住，有点事想麻烦一下",
        "助餐",
        "5号楼1单元201",
        26,
        "claim",
        5,
        clarify="中午想有人送一份饭，少油少盐",
    ),
    Story("吴小梅", "想给我妈许个心愿 要一台轮椅", "微心愿", "18号楼3单元402", 30, "claim", 5),
    Story("郑国强", "咨询一下遗产继承的法律问题", "法律咨询", "33号楼2单元301", 34, "ignore", None),
    Story("黄丽华", "下午想找人陪我去医院复查血压", "陪医", "9号楼1单元102", 38, "claim", 5),
    Story("林志明", "馬桶堵了，急！", "维修", "14号楼2单元501", 42, "claim", 5),
    Story("何淑英", "想找个家政阿姨帮忙做顿饭", "家政", "24号楼1单元301", 46, "claim", 4),
    Story("高建军", "心里烦，想找人聊聊", "心理疏导", "36号楼2单元202", 50, "claim", 5),
    Story("马桂兰", "给孙子许个心愿，想要一套课外书", "微心愿", "2号楼1单元601", 54, "reject", None),
    Story("罗德明", "想理个发，家里老人行动不便", "理发", "26号楼2单元101", 58, "claim", None),
    Story("梁秀珍", "帮忙代买降压药", "代购", "11号楼2单元302", 62, "claim", 5),
    Story("宋玉兰", "我想请人帮我擦擦玻璃", "保洁", "31号楼1单元401", 66, "claim", 5),
    Story("謝文華", "廚房的水龍頭壞了，一直滴水", "维修", "20号楼2单元201", 70, "claim", 5),
    Story("唐桂芳", "想要人来陪陪我，儿女都不在身边", "助老", "35号楼1单元502", 74, "claim", 5),
    Story("韩志刚", "卫生间的灯坏了", "维修", "6号楼2单元301", 78, "claim", 4),
    Story("冯淑华", "需要人陪我去医院拿药", "陪医", "16号楼1单元201", 82, "claim", None),
    Story("曹国庆", "家里下水道堵了", "维修", "23号楼2单元602", 86, "claim", 5),
    Story("彭丽娟", "想请人帮忙整理一下房间", "家政", "38号楼1单元101", 90, "claim", 5),
    Story(
        "董秀云",
        "我腰不好，能不能有人……唉，说不清楚",
        "助餐",
        "10号楼1单元402",
        94,
        "claim",
        5,
        clarify="想每天中午有人送饭",
    ),
    Story("袁海峰", "老人家想理发", "理发", "29号楼2单元301", 98, "claim", 5),
    Story("蔣麗萍", "想許個心願，給社區的孩子們一些文具", "微心愿", "13号楼1单元202", 102, "claim", 5),
    Story("邓建华", "热水器不出热水了", "维修", "32号楼1单元601", 106, "claim", 5),
    Story("许桂英", "想买点水果，拎不动", "代购", "4号楼3单元202", 110, "claim", 5),
    Story("傅志强", "门锁坏了，进不了门", "维修", "25号楼2单元402", 114, "claim", 5),
    Story("沈玉珍", "想找人帮忙洗洗被子", "家政", "37号楼1单元301", 118, "claim", 5),
    Story("曾德华", "社区有没有免费的法律咨询？想问问房产的事", "法律咨询", "17号楼2单元101", 122, "claim", 4),
]


def short_day(n: int = 8) -> list[Story]:
    """The CI version: every kind of story once (race, wish, reject, cancel, urge, bad rating,
    vague elderly, Traditional Chinese, unclaimed, unrated), started closer together."""
    names = ["王秀兰", "陳建國", "李桂芬", "张德胜", "刘淑珍", "赵长海", "郑国强", "马桂兰", "罗德明"][:n]
    picked = [s for s in STORIES if s.name in names]
    return [
        Story(
            **{
                **{
                    k: getattr(s, k)
                    for k in ("name", "first", "category", "address", "plan", "score", "clarify", "note")
                },
                "at": i * 3,
            }
        )
        for i, s in enumerate(picked)
    ]


def parse_id(messages: list[BotMessage]) -> int | None:
    for m in messages:
        if ("已收到" in m.text or "已提交" in m.text) and (match := ID_PATTERN.search(m.text)):
            return int(match.group(1))
    return None


def find_button(messages: list[BotMessage], test: Callable[[str, str], bool]) -> tuple[BotMessage, str] | None:
    """The newest button (message, callback_data) whose (text, data) passes `test`."""
    for m in reversed(messages):
        for row in m.buttons:
            for b in row:
                if b.callback_data and test(b.text, b.callback_data):
                    return m, b.callback_data
    return None


class Day:
    def __init__(
        self,
        hub: Hub,
        stories: list[Story],
        *,
        speed: float,
        sim_now: Callable[[], datetime],
        staff: Party,
        volunteers: list[Party],
        invites: list[tuple[str, str]],
        seed: int = 6,
        reply_timeout: float = 30.0,
    ) -> None:
        self.hub = hub
        self.stories = stories
        self.speed = speed
        self.sim_now = sim_now
        self.staff = staff
        self.volunteers = volunteers
        self.invites = invites  # (code, newcomer name)
        self.rng = random.Random(seed)
        self.reply_timeout = reply_timeout
        self.by_request: dict[int, Story] = {}
        self.known = asyncio.Condition()
        self.cards: dict[int, list[tuple[Party, BotMessage]]] = defaultdict(list)
        self.race_report: list[str] = []
        self.tasks: list[asyncio.Task] = []
        self.errors: list[BaseException] = []
        self.day_start = sim_now()

    # ------------------------------------------------------------------ time
    def real_seconds(self, sim_minutes: float) -> float:
        return sim_minutes * 60 / self.speed

    async def sim_sleep(self, minutes: float) -> None:
        await asyncio.sleep(self.real_seconds(minutes))

    async def until_sim(self, when: datetime) -> None:
        while (left := (when - self.sim_now()).total_seconds()) > 0:
            await asyncio.sleep(min(left / self.speed, 0.5))

    # ------------------------------------------------------------- messages
    def count(self, party: Party) -> int:
        return len(self.hub.log[party.id])

    async def replies(self, party: Party, since: int, settle: float = 0.9) -> tuple[list[BotMessage], int]:
        """What the bot said after `since`: at least one message, then until it is quiet."""
        await self.hub.expect(party, lambda _m: True, since, self.reply_timeout, "a reply")
        while True:
            n = self.count(party)
            await asyncio.sleep(settle)
            if self.count(party) == n:
                return self.hub.log[party.id][since:n], n

    async def expect(
        self,
        party: Party,
        test: Callable[[BotMessage], bool],
        since: int = 0,
        timeout: float | None = None,
        what: str = "a message",
    ) -> BotMessage:
        return (await self.hub.expect(party, test, since, timeout or self.reply_timeout * 2, what))[1]

    def on_message(self, m: BotMessage) -> None:
        """Hub listener: offer cards for the volunteers' side of each story."""
        for data in m.callback_data:
            if data and data.startswith("claim:"):
                self.cards[int(data.split(":")[1])].append((self.hub.party(m.chat_id), m))

    # ------------------------------------------------------------ residents
    async def resident(self, story: Story) -> None:
        await self.until_sim(self.day_start + timedelta(minutes=story.at))
        p = story.party
        since = self.count(p)
        await self.hub.command(p, "/start")
        msgs, since = await self.replies(p, since)
        consent = find_button(msgs, lambda _t, d: d == "consent:1")
        if consent is None:
            raise Stuck(f"{p.name} was not asked for consent: {msgs[-1].text}")
        await self.hub.press(p, *consent)
        msgs, since = await self.replies(p, since)
        await self.hub.text(p, story.first)
        story.request_id = await self.converse(story, since)
        async with self.known:
            self.by_request[story.request_id] = story
            self.known.notify_all()
        self.hub.note(f"—— {p.name} 的诉求编号 {story.request_id}")

    async def converse(self, story: Story, since: int) -> int:
        """Answer whatever the bot asks until it confirms the request with its number."""
        p = story.party
        clarified, plain = False, ""
        seen: list[BotMessage] = []
        for _ in range(16):
            msgs, since = await self.replies(p, since)
            seen += msgs
            last = msgs[-1]
            text = "\n".join(m.text for m in msgs)
            if (rid := parse_id(msgs)) is not None:
                return rid
            if "已提交" in text:  # the number follows in the "已收到" notification
                got = await self.expect(p, lambda m: parse_id([m]) is not None, since, what="the request number")
                return parse_id([got])
            if b := find_button(msgs, lambda t, _d: t in ("确认提交", "提交", "确认")):
                await self.hub.press(p, *b)
                continue
            if b := find_button(msgs, lambda t, _d: t.startswith("就用刚才说的")):
                await self.hub.press(p, *b)
                continue
            if b := find_button(
                msgs, lambda t, _d: t == story.category or (story.category == "微心愿" and t == "许个微心愿")
            ):
                await self.hub.press(p, *b)
                continue
            wish = story.category == "微心愿"
            if (clarified or not story.clarify) and (
                b := find_button(
                    msgs,
                    lambda t, _d, wish=wish: (
                        t in (("许个心愿", "许个微心愿") if wish else ("预约服务", "预约便民服务"))
                    ),
                )
            ):
                await self.hub.press(p, *b)  # "I did not understand": the menu buttons
                continue
            if any(k.request_contact for row in last.keyboard for k in row) or re.search("电话|手机", last.text):
                await self.hub.contact(p, story.phone)
                continue
            if re.search("地址|几号楼|住在|哪个楼|门牌", last.text):
                if b := find_button(msgs, lambda _t, d: d.startswith("addr:")):
                    await self.hub.press(p, *b)
                else:
                    await self.hub.text(p, story.address)
                continue
            if b := find_button(msgs, lambda t, _d: any(w in t for w in ("尽快", "今天", "明天", "上午", "下午"))):
                await self.hub.press(p, *b)
                continue
            if story.clarify and not clarified and re.search("什么|哪方面|具体|帮助|需要", last.text):
                clarified = True
                await self.hub.text(p, story.clarify)
                continue
            if re.search("说说|描述|内容|什么", last.text):
                await self.hub.text(p, story.clarify or story.first)
                continue
            if not plain:  # not understood: say it the plain way once
                plain = "我想许个心愿：" + story.first if wish else f"我想预约{story.category}服务"
                await self.hub.text(p, plain)
                continue
            raise Stuck(f"{p.name} does not know how to answer: {last.text!r} (buttons {last.button_texts})")
        raise Stuck(f"{p.name} went round in circles; the bot said last: {seen[-1].text!r}")

    async def after_submit(self, story: Story) -> None:
        p, rid = story.party, story.request_id
        if story.plan == "cancel":
            await self.sim_sleep(20)
            await self.my_button(story, f"mycancel:{rid}", "（又发消息）不用了，孩子回来了，取消吧")
            await self.expect(p, lambda m: f"编号 {rid} 已取消" in m.text, what="the cancellation")
            story.outcome = "cancelled"
            return
        if story.plan == "urge":
            await self.sim_sleep(60)
            await self.my_button(story, f"urge:{rid}", "怎么还没人来？催一下")
            story.urged.set()
        if story.plan == "reject":
            await self.expect(
                p, lambda m: "未通过审核" in m.text, timeout=self.real_seconds(240) + 30, what="the review decision"
            )
            story.outcome = "rejected"
            return
        if story.plan == "ignore":
            story.outcome = "left open"
            return
        done = await self.expect(
            p,
            lambda m: f"rate:{rid}:5" in m.callback_data,
            timeout=self.real_seconds(600) + 60,
            what="the rating buttons",
        )
        if story.score is None:
            story.outcome = "done, not rated"
            return
        await self.sim_sleep(self.rng.uniform(5, 30))
        await self.hub.press(p, done, f"rate:{rid}:{story.score}")
        story.outcome = f"rated {story.score}"

    async def my_button(self, story: Story, data: str, words: str) -> None:
        p = story.party
        self.hub.say(p, words)
        since = self.count(p)
        await self.hub.command(p, "/my")
        listing = await self.expect(p, lambda m: data in m.callback_data, since, what=f"the {data} button")
        await self.hub.press(p, listing, data)

    # ---------------------------------------------------------------- staff
    async def staff_desk(self) -> None:
        """The staff member reviews each new wish a little after it arrives."""
        since = 0
        while True:
            card = await self.expect(
                self.staff,
                lambda m: any((d or "").startswith("publish:") for d in m.callback_data),
                since,
                timeout=10**6,
                what="a wish to review",
            )
            since = self.hub.log[self.staff.id].index(card) + 1
            rid = int(next(d for d in card.callback_data if d.startswith("publish:")).split(":")[1])
            self.tasks.append(asyncio.create_task(self.review(card, rid)))

    async def review(self, card: BotMessage, rid: int) -> None:
        await self.sim_sleep(self.rng.uniform(10, 25))
        story = await self.story_for(rid)
        if story.plan == "reject":
            since = self.count(self.staff)
            await self.hub.press(self.staff, card, f"reject:{rid}")
            await self.expect(self.staff, lambda m: "原因" in m.text, since, what="the reject question")
            await self.hub.text(self.staff, "课外书已有爱心书屋可借阅，建议到社区图书角借阅")
        else:
            await self.hub.press(self.staff, card, f"publish:{rid}")

    async def story_for(self, rid: int) -> Story:
        async with self.known:
            await asyncio.wait_for(self.known.wait_for(lambda: rid in self.by_request), self.reply_timeout)
            return self.by_request[rid]

    # ----------------------------------------------------------- volunteers
    async def volunteer_side(self, story: Story) -> None:
        """Whoever got the offer card claims it (ten at once for the race), goes, finishes."""
        rid = story.request_id
        if story.plan in ("cancel", "reject", "ignore"):
            return
        if story.plan == "urge":
            await story.urged.wait()
            await self.sim_sleep(10)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.real_seconds(600) + 60
        while not self.cards[rid]:
            if loop.time() > deadline:
                raise Stuck(f"no volunteer got a card for #{rid}")
            await asyncio.sleep(0.2)
        if story.plan == "race":
            first = loop.time()
            while len(self.cards[rid]) < 10 and loop.time() - first < 3:
                await asyncio.sleep(0.2)  # the rest of the cards land
            winner = await self.race(rid)
        else:
            await self.sim_sleep(self.rng.uniform(5, 25))
            holders = list(self.cards[rid])
            self.rng.shuffle(holders)
            winner = None
            for party, card in holders[:2]:  # the first who presses wins; a second may be too late
                toast = await self.hub.toast(await self.hub.press(party, card, f"claim:{rid}"))
                if "接单成功" in toast:
                    winner = winner or party
                else:
                    self.hub.print(f"  [green]{party.name}[/] 看到提示：{toast}")
            if winner is None:
                raise Stuck(f"nobody won #{rid}")
        await self.do_the_work(story, winner)

    async def race(self, rid: int) -> Party:
        racers = list({p.id: (p, card) for p, card in self.cards[rid]}.values())
        self.hub.print(
            f"{'、'.join(p.tag() for p, _c in racers)} ▶ [green]{len(racers)} 人同时按【接单】（编号 {rid}）[/]"
        )
        ids = await asyncio.gather(*(self.hub.press(p, card, f"claim:{rid}", show=False) for p, card in racers))
        toasts = await asyncio.gather(*(self.hub.toast(i) for i in ids))
        winners = [p for (p, _c), t in zip(racers, toasts, strict=True) if "接单成功" in t]
        for (p, _c), t in zip(racers, toasts, strict=True):
            self.hub.print(f"  {p.tag()} 看到提示：{t}")
            self.race_report.append(f"{p.name}: {t}")
        if len(winners) != 1:
            raise AssertionError(f"the race for #{rid} had {len(winners)} winners")
        return winners[0]

    async def do_the_work(self, story: Story, v: Party) -> None:
        rid = story.request_id
        task = await self.expect(v, lambda m: f"start:{rid}" in m.callback_data, what="the task card")
        await self.sim_sleep(self.rng.uniform(8, 20))
        await self.hub.press(v, task, f"start:{rid}")
        await self.sim_sleep(self.rng.uniform(30, 70))
        since = self.count(v)
        await self.hub.press(v, task, f"finish:{rid}")
        hours = await self.expect(
            v,
            lambda m: any((d or "").startswith(f"hours:{rid}:") for d in m.callback_data),
            since,
            what="the hours question",
        )
        since = self.count(v)
        await self.hub.press(v, hours, hours.callback_data[0])
        ask = await self.expect(v, lambda m: f"skipnote:{rid}" in m.callback_data, since, what="the note question")
        if story.note:
            await self.hub.text(v, story.note)
        else:
            await self.hub.press(v, ask, f"skipnote:{rid}")

    # ----------------------------------------------------------- newcomers
    async def newcomers(self) -> None:
        await self.until_sim(self.day_start + timedelta(minutes=20))
        for i, (code, name) in enumerate(self.invites):
            p = Party(NEWCOMER_BASE + i, name, "volunteer")
            self.hub.parties[p.id] = p
            since = self.count(p)
            await self.hub.command(p, f"/start join-{code}", show="（点开社区发来的邀请链接）")
            await self.expect(p, lambda m: "欢迎" in m.text, since, what="the welcome")

    # ---------------------------------------------------------------- play
    async def story(self, story: Story) -> None:
        try:
            await self.resident(story)
            await asyncio.gather(self.after_submit(story), self.volunteer_side(story))
        except BaseException as exc:
            self.errors.append(exc)
            raise

    async def play(self) -> None:
        """Run every story; fail on the first error with what the user saw."""
        self.hub.listeners.append(self.on_message)
        desk = asyncio.create_task(self.staff_desk())
        try:
            stories = [asyncio.create_task(self.story(s)) for s in self.stories]
            await asyncio.gather(self.newcomers(), *stories)
            if self.tasks:
                await asyncio.gather(*self.tasks)
        finally:
            desk.cancel()
            for t in self.tasks:
                t.cancel()

    async def staff_reports(self) -> None:
        """At the end, the staff member looks at the statistics and a queue in the bot."""
        for command in ("/stats", "/queue"):
            since = self.count(self.staff)
            await self.hub.command(self.staff, command)
            await self.replies(self.staff, since)


def load_people(factory) -> tuple[Party, list[Party], dict[int, Party]]:
    """The parties already on Telegram: staff, grid leaders, volunteers (ids given in setup)."""
    from community.models import Grid, Person, Staff, Volunteer

    parties: dict[int, Party] = {}
    with factory() as s:
        leaders = set(s.scalars(select(Grid.leader_person_id)))
        staff_ids = set(s.scalars(select(Staff.person_id)))
        volunteer_ids = set(s.scalars(select(Volunteer.person_id)))
        for person in s.scalars(select(Person).where(Person.telegram_id.is_not(None))):
            role = (
                "leader"
                if person.id in leaders
                else "staff"
                if person.id in staff_ids
                else "volunteer"
                if person.id in volunteer_ids
                else "resident"
            )
            parties[person.telegram_id] = Party(person.telegram_id, person.name, role)
    staff = parties[STAFF_ID]
    volunteers = [p for p in parties.values() if p.role == "volunteer"]
    return staff, volunteers, parties
