"""`make run` / `make demo`: set up the embedded community, start every process, play the day,
print the statistics, draw the chart, stop everything.

The database is a fresh SQLite file (var/demo/nuanxin.db); the spreadsheet volunteers and
staff are given Telegram ids (they "are on Telegram already"); two invite links are issued
for newcomers who join during the day. Then the real processes start (sim.stack) and
sim.day plays the day through the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import select

from community import clock, people
from community.clock import ScaledClock
from sim import day as dayscript
from sim.hub import Hub, Party
from sim.stack import ROOT, Stack, StackConfig, free_port, rasa_problem, servers_setting

# 07:55 in Shanghai: the residents start writing at 08:00.
DAY = datetime(2026, 11, 23)
START_LOCAL = DAY.replace(hour=7, minute=55)


@dataclass
class DemoOptions:
    workdir: Path = ROOT / "var" / "demo"
    stories: list = field(default_factory=lambda: list(dayscript.STORIES))
    speed: float = 120  # daytime: 1 real second = 2 simulated minutes
    night_speed: float = 1800  # fast-forward: 1 real second = 30 simulated minutes
    end_local: datetime = DAY + timedelta(days=1, hours=11, minutes=30)
    rasa: bool | None = None  # None: on if the dialogue is ready
    chart: Path | None = ROOT / "var" / "demo" / "demo-day.png"
    quiet: bool = False  # no transcript (tests)
    fixed_ports: bool = True  # 5005/5055 as documented (unless taken); tests pick free ports
    day_timeout: float = 900  # real seconds for the daytime stories
    reply_timeout: float = 30.0  # real seconds a scripted user waits for the bot's reply
    ready_timeout: float = 300  # real seconds for the processes to come up (Rasa loads its model)
    settings: dict[str, str] = field(
        default_factory=lambda: {
            "OFFER_TOP_K": "10",  # ten cards per order: the race has ten runners
            "SCHEDULER_MAX_SLEEP_SECONDS": "0.3",  # follow-ups fire within 0.3 s of real time
            "OUTBOX_IDLE_SECONDS": "0.2",
        }
    )


@dataclass
class DemoResult:
    database_url: str
    stories: list
    stats: object
    chart: Path | None
    strays: list[int]
    seconds: float
    race: list[str]
    delivered: int
    edited: int
    emulator_history: list = field(default_factory=list)


def prepare(database_url: str, at: datetime, newcomers: list[str]) -> list[tuple[str, str]]:
    """The embedded community, its people on Telegram, and invite codes for the newcomers."""
    from community.actors import actor_for_person
    from community.db import make_engine, session_factory, transaction, upgrade
    from community.loader import load_directory
    from community.models import Person, Staff, Volunteer

    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    with clock.use_clock(lambda: at), transaction(factory) as s:
        load_directory(s, ROOT / "data" / "community")
        community = people.community_by_code(s)
        staff = people.add_staff(s, community, "社区李主任", "13755550001", dayscript.STAFF_ID)
        volunteer_ids = set(s.scalars(select(Volunteer.person_id)))
        staff_ids = set(s.scalars(select(Staff.person_id)))
        next_id = {"staff": dayscript.STAFF_ID + 1, "volunteer": dayscript.VOLUNTEER_BASE, "other": 150_001}
        for person in s.scalars(select(Person).where(Person.telegram_id.is_(None)).order_by(Person.id)):
            kind = "volunteer" if person.id in volunteer_ids else "staff" if person.id in staff_ids else "other"
            person.telegram_id = next_id[kind]
            next_id[kind] += 1
        actor = actor_for_person(s, staff.person)
        teams = ["elderly", "repair1", "homecare", "escort"]
        codes = [
            (people.issue_invites(s, actor, count=1, team_code=teams[i % len(teams)])[0].code, name)
            for i, name in enumerate(newcomers)
        ]
    engine.dispose()
    return codes


def console_progress(console: Console):
    status = console.status("starting …", spinner="dots")
    status.start()

    def progress(message: str) -> None:
        status.update(f"[bold]{message}")

    progress.stop = status.stop  # type: ignore[attr-defined]
    return progress


def run_demo(options: DemoOptions | None = None, console: Console | None = None) -> DemoResult:
    options = options or DemoOptions()
    console = console or Console()
    began = time.monotonic()
    rasa = options.rasa
    if rasa is None:
        problem = rasa_problem()
        rasa = problem is None
        if problem:
            console.print(
                f"[yellow]Rasa is off for this run: {problem}. Residents get the bot's guided "
                f"button flow instead of the dialogue.[/]"
            )
    config = StackConfig(
        workdir=options.workdir,
        sim_start=clock.from_local(START_LOCAL),
        speed=options.speed,
        rasa=rasa,
        rasa_port=free_port(5005 if options.fixed_ports else 0, servers_setting("RASA_SERVERS")),
        actions_port=free_port(5055 if options.fixed_ports else 0, servers_setting("ACTION_SERVERS")),
        env=dict(options.settings),
        ready_timeout=options.ready_timeout,
    )
    progress = console_progress(console) if not options.quiet else (lambda _m: None)
    stack = Stack(config, progress=progress)
    stack.fresh_workdir()
    progress("loading the community (data/community/) into a fresh SQLite file")
    invites = prepare(config.database_url, config.sim_start, ["新志愿者小吴", "新志愿者小钱"])
    try:
        stack.start()
        if hasattr(progress, "stop"):
            progress.stop()
        console.print(
            f"[dim]ready in {time.monotonic() - began:.0f} s · Rasa {'on' if rasa else 'off'} · "
            f"database {config.database} · process log {config.log}[/]"
        )
        result = asyncio.run(_play(stack, options, console, invites))
    except KeyboardInterrupt:
        console.print("\n[yellow]interrupted: stopping every process …[/]")
        raise
    finally:
        if hasattr(progress, "stop"):
            progress.stop()
        strays = stack.stop()
        if strays:
            console.print(f"[red]swept {len(strays)} stray processes: {strays}[/]")
    result.strays = strays
    result.seconds = time.monotonic() - began
    _report(result, options, console, config)
    return result


async def _play(stack: Stack, options: DemoOptions, console: Console, invites) -> DemoResult:
    from community.db import make_engine, session_factory
    from sim.emulator import EmulatorClient

    cfg = stack.config
    engine = make_engine(cfg.database_url)
    factory = session_factory(engine)
    sim = ScaledClock(cfg.sim_start, cfg.speed, epoch_file=str(cfg.epoch_file))
    client = EmulatorClient(stack.emulator.url, stack.emulator.token, timeout=30)
    hub = Hub(client, console, sim_now=sim, quiet=options.quiet)
    staff, volunteers, parties = dayscript.load_people(factory)
    hub.parties.update(parties)
    stories = [
        dayscript.Story(
            **{
                k: getattr(s, k)
                for k in ("name", "first", "category", "address", "at", "plan", "score", "clarify", "note")
            }
        )
        for s in options.stories
    ]
    for i, s in enumerate(stories):
        s.party = Party(dayscript.RESIDENT_BASE + i, s.name, "resident")
        s.phone = f"139{2000_0000 + i:08d}"
        hub.parties[s.party.id] = s.party
    day = dayscript.Day(
        hub,
        stories,
        speed=cfg.speed,
        sim_now=sim,
        staff=staff,
        volunteers=volunteers,
        invites=invites,
        reply_timeout=options.reply_timeout,
    )
    with clock.use_clock(sim):
        stack.start_clock()
        day.day_start = clock.from_local(START_LOCAL + timedelta(minutes=5))
        hub.start()
        console.print(
            Rule(f"暖心 · 社区的一天 · {len(stories)} 位居民 · {len(volunteers)} 位志愿者 · 时钟 ×{cfg.speed:g}")
        )
        try:
            await asyncio.wait_for(day.play(), options.day_timeout)
            await asyncio.sleep(2)  # the last ratings reach the volunteers
            console.print(
                Rule(f"夜间与次日上午：时钟快进 ×{options.night_speed:g}，跟进按时触发，免打扰时段的消息早上 8 点发出")
            )
            stack.set_speed(options.night_speed)
            day.speed = options.night_speed
            await day.until_sim(clock.from_local(options.end_local))
            stack.set_speed(cfg.speed)
            day.speed = cfg.speed
            console.print(Rule("工作人员在 bot 里看统计和队列"))
            await day.staff_reports()
        finally:  # on Ctrl-C the emulator may already be gone: clean up what can be
            history = []
            with contextlib.suppress(Exception):
                await hub.stop()
                history = await client.history()
            await client.__aexit__(None, None, None)
    from community.stats import compute_stats

    with factory() as s:
        community = people.community_by_code(s)
        with clock.use_clock(sim):
            stats = compute_stats(s, community.id)
    chart = None
    if options.chart:
        from sim.chart import day_chart

        chart = day_chart(factory, options.chart, stats)
    engine.dispose()
    return DemoResult(
        cfg.database_url, stories, stats, chart, [], 0.0, day.race_report, hub.delivered, hub.edited, history
    )


def _report(result: DemoResult, options: DemoOptions, console: Console, config: StackConfig) -> None:
    from community.cli import render_stats

    console.print(Rule("统计（community/stats.py compute_stats，来自数据库）"))
    for table in render_stats(result.stats):
        console.print(table)
    console.print(
        f"bot messages delivered {result.delivered}, edited {result.edited}; "
        f"real time {result.seconds:.0f} s; stray processes: {len(result.strays)}"
    )
    if result.chart:
        console.print(f"[bold]chart: {result.chart}[/]")
    console.print(
        f"[dim]database: {config.database} — e.g. DATABASE_URL=sqlite:///{config.database} "
        f".venv/bin/python -m community queue low_rating[/]"
    )
