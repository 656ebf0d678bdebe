"""`make chat`: talk to the bot yourself, in the terminal, through the same emulator and the
same processes as the demo (real time, fresh database with the embedded community).

You choose who you are at the start (a new resident, a volunteer, the staff member, a
newcomer with an invite link) and can become someone else at any time with `:as <name>`
(e.g. the volunteer who just got an offer card). Everything the bot sends to anyone is
shown in the transcript; buttons on *your* messages get numbers: type the number to press.
Typing anything else sends it as a message; `/commands` are commands.

    :as 张建国      become that person (resident, volunteer, staff or leader)
    :who           who can I be (names by role)
    :phone         share your phone number (the answer to 分享我的手机号)
    :quit          stop everything (Ctrl-D and Ctrl-C do too)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from sim import day as dayscript
from sim.demo import console_progress, prepare
from sim.emulator import BotMessage, EmulatorClient
from sim.hub import STYLE, Hub, Party
from sim.stack import ROOT, Stack, StackConfig, free_port, rasa_problem, servers_setting

HELP = __doc__[__doc__.index("    :as") :]


class Chat:
    def __init__(self, hub: Hub, console: Console, parties: dict[int, Party]) -> None:
        self.hub = hub
        self.console = console
        self.parties = parties
        self.me: Party | None = None
        self.choices: dict[int, tuple[BotMessage, str | None, str, bool]] = {}  # n -> (message, data, text, contact)
        self.counter = 0
        hub.listeners.append(self.number)

    def number(self, m: BotMessage) -> None:
        if self.me is None or m.chat_id != self.me.id:
            return
        shown = []
        for row in m.buttons:
            for b in row:
                self.counter += 1
                self.choices[self.counter] = (m, b.callback_data, b.text, False)
                shown.append(f"[bold]{self.counter}[/] {escape(b.text)}")
        for row in m.keyboard:
            for b in row:
                self.counter += 1
                self.choices[self.counter] = (m, None, b.text, b.request_contact)
                shown.append(
                    f"[bold]{self.counter}[/] {escape(b.text)}" + ("（分享手机号）" if b.request_contact else "")
                )
        if shown:
            self.console.print("      [reverse] 输入数字按按钮 [/] " + "   ".join(shown))

    def become(self, who: str) -> bool:
        match = [p for p in self.parties.values() if p.name == who.strip()]
        if not match:
            self.console.print(f"[red]no one called {who!r}; :who lists people[/]")
            return False
        self.me = match[0]
        self.console.print(f"now you are {self.me.tag()} ({self.me.role}, Telegram id {self.me.id})")
        return True

    def who(self) -> None:
        by_role: dict[str, list[str]] = {}
        for p in self.parties.values():
            by_role.setdefault(p.role, []).append(p.name)
        for role, names in by_role.items():
            self.console.print(
                f"[{STYLE[role]}]{role}[/]: " + "、".join(names[:40]) + (" …" if len(names) > 40 else "")
            )

    async def handle(self, line: str) -> bool:
        """One line typed by the user; False to stop."""
        line = line.strip()
        if not line:
            return True
        if line in (":quit", ":q", "exit"):
            return False
        if line == ":who":
            self.who()
        elif line.startswith(":as "):
            self.become(line[4:])
        elif line == ":help":
            self.console.print(HELP)
        elif line == ":phone":
            await self.hub.contact(self.me, self.phone())
        elif line.isdigit() and int(line) in self.choices:
            message, data, text, contact = self.choices[int(line)]
            if contact:
                await self.hub.contact(self.me, self.phone())
            elif data is None:  # a reply-keyboard button sends its text
                await self.hub.text(self.me, text)
            else:
                toast = await self.hub.toast(await self.hub.press(self.me, message, data))
                if toast:
                    self.console.print(f"      [italic]（提示）{escape(toast)}[/]")
        elif line.startswith("/"):
            await self.hub.command(self.me, line)
        else:
            await self.hub.text(self.me, line)
        return True

    def phone(self) -> str:
        return f"139{self.me.id % 10**8:08d}"


def choose(console: Console, chat: Chat, residents: list[Party], invites) -> None:
    staff = next(p for p in chat.parties.values() if p.id == dayscript.STAFF_ID)
    volunteer = next(p for p in chat.parties.values() if p.role == "volunteer")
    console.print(
        "你是谁？  [bold]1[/] 新居民  [bold]2[/] 志愿者（"
        + volunteer.name
        + "）  [bold]3[/] 社区工作人员（"
        + staff.name
        + "）  [bold]4[/] 拿到邀请链接的新志愿者"
    )
    answer = (input("1-4 [1]: ").strip() or "1")[:1]
    if answer == "2":
        chat.me = volunteer
    elif answer == "3":
        chat.me = staff
    elif answer == "4":
        code, name = invites[0]
        chat.me = Party(dayscript.NEWCOMER_BASE, name, "volunteer")
        chat.parties[chat.me.id] = chat.me
        chat.hub.parties[chat.me.id] = chat.me
        console.print(f"你的邀请链接：t.me/<bot>?start=join-{code} —— 发送 [bold]/start join-{code}[/] 加入")
    else:
        chat.me = residents[0]
    console.print(
        f"you are {chat.me.tag()}. Type a message (residents: e.g. 我家水管漏水了), a /command, "
        "or a number to press a button. :help for more."
    )
    if chat.me.role == "resident":
        console.print("[dim]try: /start, then 我想预约理发，明天上午 — or /menu for the buttons[/]")


async def _session(stack: Stack, console: Console, invites) -> None:
    from community.db import make_engine, session_factory

    engine = make_engine(stack.config.database_url)
    _staff, _volunteers, parties = dayscript.load_people(session_factory(engine))
    engine.dispose()
    residents = [
        Party(dayscript.RESIDENT_BASE + i, name, "resident")
        for i, name in enumerate(("我（居民）", "王奶奶", "李大爷"))
    ]
    for p in residents:
        parties[p.id] = p
    async with EmulatorClient(stack.emulator.url, stack.emulator.token, timeout=30) as client:
        hub = Hub(client, console)
        hub.parties.update(parties)
        chat = Chat(hub, console, parties)
        hub.start()
        await asyncio.to_thread(choose, console, chat, residents, invites)
        while True:
            try:
                line = await asyncio.to_thread(input, "")
            except EOFError:
                break
            try:
                if not await chat.handle(line):
                    break
            except Exception as exc:  # noqa: BLE001 - a bad press must not end the session
                console.print(f"[red]{escape(str(exc))}[/]")
        await hub.stop()


def run_chat(rasa: bool | None = None, workdir: Path = ROOT / "var" / "chat") -> int:
    console = Console()
    if rasa is None:
        problem = rasa_problem()
        rasa = problem is None
        if problem:
            console.print(f"[yellow]Rasa is off: {problem}; residents get the guided button flow.[/]")
    config = StackConfig(
        workdir=workdir,
        sim_start=None,
        rasa=rasa,
        rasa_port=free_port(5005, servers_setting("RASA_SERVERS")),
        actions_port=free_port(5055, servers_setting("ACTION_SERVERS")),
        env={"SCHEDULER_MAX_SLEEP_SECONDS": "5", "OUTBOX_IDLE_SECONDS": "0.2"},
    )
    progress = console_progress(console)
    stack = Stack(config, progress=progress)
    stack.fresh_workdir()
    invites = prepare(config.database_url, _now(), ["新志愿者小吴"])
    try:
        stack.start()
        progress.stop()
        console.print(f"[dim]ready · Rasa {'on' if rasa else 'off'} · database {config.database}[/]")
        asyncio.run(_session(stack, console, invites))
    except KeyboardInterrupt:
        console.print("\n[yellow]stopping …[/]")
    finally:
        progress.stop()
        strays = stack.stop()
    console.print(f"stopped{'; swept strays ' + str(strays) if strays else ''}.")
    return 0


def _now():
    from community import clock

    return clock.now()


if __name__ == "__main__":
    sys.exit(run_chat())
