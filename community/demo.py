"""A short community day played through the domain core, on an accelerated clock.

What `make run` shows until the Telegram front end exists: the demo community is loaded
from data/community/, residents order services and make wishes, staff review, volunteers
race to claim (in parallel threads, against the real database), finish and are rated;
every notification the outbox would deliver is printed under its recipient. It ends with
the staff queues and the statistics.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import select

from community import clock, followups, lifecycle, people, queues, texts
from community.actors import SYSTEM, actor_for_person
from community.db import make_engine, session_factory, transaction, upgrade
from community.errors import DomainError
from community.lifecycle import NewRequest
from community.models import Building, OutboxMessage, Person, RequestKind, Staff, Volunteer
from community.settings import PROJECT_ROOT

COLOURS = {"resident": "cyan", "volunteer": "green", "staff": "magenta", "leader": "yellow", "system": "bright_black"}
# 08:00 in Shanghai on a fixed day, in UTC as the database keeps it.
DAY_START = datetime(2026, 11, 23, 0, 0)

RESIDENTS = [  # name, building number, unit, room, phone
    ("王秀兰", 3, 2, "502", "13911110001"),
    ("陈建国", 12, 1, "301", "13911110002"),
    ("李桂芬", 7, 3, "101", "13911110003"),
    ("张德胜", 21, 2, "602", "13911110004"),
    ("刘淑珍", 28, 1, "202", "13911110005"),
    ("赵长海", 15, 2, "401", "13911110006"),
]


class Day:
    def __init__(self, factory, console: Console) -> None:
        self.factory = factory
        self.console = console
        self.clock = clock.FakeClock(DAY_START)
        self.last_outbox = 0
        self.roles: dict[int, str] = {}

    def say(self, role: str, who: str, text: str) -> None:
        local = clock.local_text(self.clock())
        self.console.print(f"[dim]{local}[/] [{COLOURS[role]}]{who}[/]：{text}")

    def act(self, role: str, person_id: int | None, fn, *args, **kwargs):
        with transaction(self.factory) as s:
            actor = SYSTEM if person_id is None else actor_for_person(s, s.get(Person, person_id))
            result = fn(s, actor, *args, **kwargs)
        self.flush_outbox()
        return result

    def attempt(self, role: str, who: str, person_id: int | None, fn, *args, **kwargs):
        """Like act, but a refusal is printed as the user would see it."""
        try:
            return self.act(role, person_id, fn, *args, **kwargs)
        except DomainError as exc:
            self.say("system", f"回复{who}", f"[red]{exc.message}[/]")
            return None

    def advance(self, **delta: float) -> None:
        self.run_scheduler_until(self.clock() + timedelta(**delta))

    def run_scheduler_until(self, end: datetime, step: timedelta = timedelta(minutes=10)) -> None:
        """What the scheduler in the bot process does, on the accelerated clock."""
        followups.ensure_digests(self.factory)
        while self.clock() < end:
            self.clock.current = min(end, self.clock() + step)
            report = followups.run_due(self.factory)
            if report.total:
                fired = "，".join(f"{texts.FOLLOWUP_NAMES.get(k, k)}×{n}" for k, n in report.fired.items())
                self.say("system", "调度", fired)
                self.flush_outbox()

    def flush_outbox(self) -> None:
        """Print (and mark sent) what the bot's sender would deliver."""
        with transaction(self.factory) as s:
            rows = s.execute(
                select(OutboxMessage, Person.name)
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(OutboxMessage.id > self.last_outbox)
                .order_by(OutboxMessage.id)
            ).all()
            for msg, name in rows:
                role = self.roles.get(msg.person_id, "resident")
                buttons = " ".join(f"[{b['text']}]" for row in msg.buttons or [] for b in row)
                arrow = "✎" if msg.edit_of else "→"
                if msg.not_before and msg.not_before > clock.now():  # quiet hours: the sender holds it
                    arrow = f"⏸ {clock.local_text(msg.not_before)} 后 →"
                text = msg.text.replace("\n", " / ")
                self.console.print(f"      {arrow} [{COLOURS[role]}]{name}[/] 收到：{text} [dim]{buttons}[/]")
                msg.status, msg.sent_at = "sent", clock.now()
                self.last_outbox = msg.id


def _setup(factory, console: Console) -> dict:
    from community.loader import load_directory

    with transaction(factory) as s:
        report = load_directory(s, PROJECT_ROOT / "data" / "community")
        for line in report.lines():
            console.print(f"[dim]{line}[/]")
        community = people.community_by_code(s)
        staff = people.add_staff(s, community, "社区李主任", "13755550001", 100001)
        residents = {}
        for i, (name, number, unit, room, phone) in enumerate(RESIDENTS):
            b = s.scalar(select(Building).where(Building.community_id == community.id, Building.number == number))
            r = people.register_resident(
                s,
                community,
                name,
                phone=phone,
                telegram_id=200001 + i,
                building_id=b.id,
                unit=unit,
                room=room,
                consent=True,
            )
            residents[name] = r
        offline = people.register_resident(
            s,
            community,
            "孙奶奶（无智能手机）",
            phone="13911110099",
            building_id=b.id,
            unit=1,
            room="101",
            consent=True,
            registered_by=actor_for_person(s, staff.person),
        )
        # Every volunteer from the spreadsheet joins the bot through an invite code.
        staff_actor = actor_for_person(s, staff.person)
        volunteers = s.scalars(select(Volunteer).order_by(Volunteer.id)).all()
        codes = people.issue_invites(s, staff_actor, count=len(volunteers))
        for i, (v, inv) in enumerate(zip(volunteers, codes, strict=True)):
            if v.person.telegram_id is None:
                people.redeem_invite(s, inv.code, 300001 + i, v.person.name, v.person.phone)
        leader_ids = {g.leader_person_id for g in community_grids(s, community.id)}
        roles = dict.fromkeys((r.person_id for r in residents.values()), "resident")
        roles |= {v.person_id: "volunteer" for v in volunteers}
        roles |= {p: "leader" for p in leader_ids if p}
        roles |= dict.fromkeys(s.scalars(select(Staff.person_id)), "staff")
        return {
            "staff": staff.person_id,
            "residents": {name: (r.person_id, r.id) for name, r in residents.items()},
            "offline": offline.id,
            "roles": roles,
        }


def community_grids(s, community_id):
    from community.models import Grid

    return s.scalars(select(Grid).where(Grid.community_id == community_id)).all()


def _race(day: Day, request_id: int, person_ids: list[int]) -> int | None:
    """Volunteers press 接单 at the same instant, each in its own transaction."""
    barrier = threading.Barrier(len(person_ids))

    def press(pid):
        barrier.wait()
        try:
            with transaction(day.factory) as s:
                lifecycle.claim(s, actor_for_person(s, s.get(Person, pid)), request_id)
            return pid, None
        except DomainError as exc:
            return pid, exc.message

    with ThreadPoolExecutor(len(person_ids)) as pool:
        results = list(pool.map(press, person_ids))
    winner = next((pid for pid, err in results if err is None), None)
    with day.factory() as s:
        names = {pid: s.get(Person, pid).name for pid in person_ids}
    for pid, err in results:
        day.say("volunteer", names[pid], "按下【接单】" + (" → [bold green]抢到了[/]" if err is None else f" → {err}"))
    day.flush_outbox()
    return winner


def _offered(day: Day, request_id: int) -> list[int]:
    from community.models import Offer

    with day.factory() as s:
        return list(
            s.scalars(
                select(Volunteer.person_id)
                .join(Offer, Offer.volunteer_id == Volunteer.id)
                .where(Offer.request_id == request_id)
                .order_by(Offer.id)
            )
        )


def _grid_mates(day: Day, person_id: int) -> list[int]:
    """Other volunteers of the same grid: they saw the card in the group chat and press too."""
    with day.factory() as s:
        grid_id = s.scalar(select(Volunteer.grid_id).where(Volunteer.person_id == person_id))
        return list(s.scalars(select(Volunteer.person_id).where(Volunteer.grid_id == grid_id).order_by(Volunteer.id)))


def run_demo(database: Path, console: Console) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    factory = session_factory(engine)
    day = Day(factory, console)
    with clock.use_clock(day.clock):
        console.print(Rule("暖心 · 社区的一天（领域核心演示）"))
        ids = _setup(factory, console)
        day.roles = ids["roles"]
        with factory() as s:
            day.last_outbox = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
        res = ids["residents"]
        staff = ids["staff"]

        console.print(Rule("上午：点单、审核、抢单"))
        day.say("resident", "王秀兰", "我家厨房水管漏水了，麻烦师傅来看看（3号楼2单元502）")
        repair = day.act(
            "resident",
            res["王秀兰"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水了，麻烦师傅来看看", category="维修"),
        )
        day.advance(seconds=20)
        day.say("resident", "王秀兰", "（着急，又点了一次提交）")
        day.attempt(
            "resident",
            "王秀兰",
            res["王秀兰"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水了，麻烦师傅来看看", category="维修"),
        )
        day.advance(minutes=6)
        offered = _offered(day, repair.id)
        racers = list(dict.fromkeys(offered + _grid_mates(day, offered[0])))[:10]
        winner = _race(day, repair.id, racers)

        day.advance(minutes=5)
        day.say("resident", "陈建国", "想要一副老花镜，看报纸看不清了")
        wish = day.act(
            "resident",
            res["陈建国"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.WISH, description="想要一副老花镜，看报纸看不清了", item="老花镜"),
        )
        day.advance(minutes=30)
        day.say("staff", "社区李主任", f"审核微心愿 {wish.id}：发布")
        day.act("staff", staff, lifecycle.publish, wish.id)

        day.advance(minutes=10)
        day.say("resident", "李桂芬", "我住99号楼，想请人帮忙买菜")
        day.attempt(
            "resident",
            "李桂芬",
            res["李桂芬"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="帮忙买菜", category="代购", address="99号楼"),
        )
        day.say("resident", "李桂芬", "说错了，是7号楼3单元101")
        groceries = day.act(
            "resident",
            res["李桂芬"][0],
            lifecycle.submit,
            NewRequest(
                kind=RequestKind.SERVICE, description="帮忙买点菜和鸡蛋", category="代购", address="7号楼3单元101"
            ),
        )

        day.say("staff", "社区李主任", "为没有智能手机的孙奶奶代下单：陪同去医院复查")
        escort = day.act(
            "staff",
            staff,
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="陪同去医院复查血压", category="陪医"),
            for_resident_id=ids["offline"],
        )

        day.say("resident", "张德胜", "想剪个头发，腿脚不方便下楼")
        haircut = day.act(
            "resident",
            res["张德胜"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="想剪个头发，腿脚不方便下楼", category="理发"),
        )
        day.say("resident", "刘淑珍", "家里需要打扫一下卫生")
        cleaning = day.act(
            "resident",
            res["刘淑珍"][0],
            lifecycle.submit,
            NewRequest(kind=RequestKind.SERVICE, description="家里需要打扫一下卫生", category="保洁"),
        )

        console.print(Rule("中午：出发、完成、评价"))
        day.advance(minutes=40)
        winner_name = _name(day, winner)
        day.say("volunteer", winner_name, "【出发了】")
        day.act("volunteer", winner, lifecycle.start, repair.id)
        day.advance(minutes=70)
        day.say("volunteer", winner_name, "【已完成】用时 1.5 小时，换了阀门")
        day.act("volunteer", winner, lifecycle.finish, repair.id, 1.5, "换了阀门")
        day.say("resident", "王秀兰", "★★★★★ 师傅很耐心")
        day.act("resident", res["王秀兰"][0], lifecycle.rate, repair.id, 5, "师傅很耐心")

        for req, resident_name, score, comment in (
            (wish, "陈建国", 4, "谢谢"),
            (groceries, "李桂芬", 2, "鸡蛋碎了好几个"),
        ):
            taker = _offered(day, req.id)[0]
            day.say("volunteer", _name(day, taker), f"接单 {req.id}")
            day.act("volunteer", taker, lifecycle.claim, req.id)
            day.advance(minutes=50)
            day.act("volunteer", taker, lifecycle.finish, req.id)
            day.say("resident", resident_name, f"{'★' * score} {comment}")
            day.act("resident", res[resident_name][0], lifecycle.rate, req.id, score, comment)

        console.print(Rule("下午：取消、催办"))
        day.say("resident", "刘淑珍", "不用打扫了，孩子回来了")
        day.act("resident", res["刘淑珍"][0], lifecycle.cancel, cleaning.id, "孩子回来了")
        day.advance(hours=1)
        day.say("resident", "张德胜", "理发的怎么还没人来？催一下")
        day.act("resident", res["张德胜"][0], lifecycle.urge, haircut.id)
        day.say("resident", "张德胜", "再催一下！")
        day.attempt("resident", "张德胜", res["张德胜"][0], lifecycle.urge, haircut.id)
        console.print(Rule("调度器：时间快进到次日上午，跟进按时触发"))
        day.run_scheduler_until(DAY_START + timedelta(days=1, hours=1, minutes=30))  # 09:30 next day

        console.print(Rule("工作人员的队列与统计"))
        from community.cli import render_queue, render_stats
        from community.stats import compute_stats

        with factory() as s:
            community = people.community_by_code(s)
            for name in ("unclaimed", "low_rating"):
                console.print(render_queue(queues.QUEUE_NAMES[name], queues.queue(s, community.id, name), 1))
            for table in render_stats(compute_stats(s, community.id)):
                console.print(table)
    console.print(
        f"[dim]数据库：{database}（再看统计：DATABASE_URL=sqlite:///{database} .venv/bin/python -m community stats）[/]"
    )
    engine.dispose()


def _name(day: Day, person_id: int) -> str:
    with day.factory() as s:
        return s.get(Person, person_id).name
