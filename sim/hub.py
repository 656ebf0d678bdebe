"""Everyone's phone, in one place: one task polls the emulator's history of the bot's messages
(edits included), prints each new or edited message to the transcript in its recipient's
colour, and hands it to that user's inbox. Users act through `Hub` (text, commands,
contacts, button presses), and each action is printed too.

One poller instead of one getUpdates loop per user: 70 users polling a node process every
50 ms would eat the two cores the bot and Rasa need.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.markup import escape

from community import clock
from sim.emulator import BotMessage, EmulatorClient, User, _chat, _inline_rows

STYLE = {"resident": "cyan", "volunteer": "green", "staff": "magenta", "leader": "yellow", "system": "bright_black"}
LABEL = {"resident": "居民", "volunteer": "志愿者", "staff": "工作人员", "leader": "网格长", "system": "系统"}


@dataclass
class Party:
    id: int
    name: str
    role: str  # resident | volunteer | staff | leader

    @property
    def user(self) -> User:
        return User(id=self.id, first_name=self.name)

    def tag(self) -> str:
        return f"[{STYLE[self.role]}]{escape(self.name)}[/]"


class Stuck(AssertionError):
    """A scripted user waited in vain; carries what the bot said last."""


def one_line(text: str, limit: int = 160) -> str:
    flat = " / ".join(part.strip() for part in text.splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Hub:
    def __init__(
        self,
        client: EmulatorClient,
        console: Console,
        sim_now: Callable[[], datetime] = clock.now,
        poll_interval: float = 0.25,
        quiet: bool = False,
    ) -> None:
        self.client = client
        self.console = console
        self.sim_now = sim_now
        self.poll_interval = poll_interval
        self.quiet = quiet
        self.parties: dict[int, Party] = {}
        self.log: dict[int, list[BotMessage]] = defaultdict(list)  # per chat, as they arrived
        self.listeners: list[Callable[[BotMessage], None]] = []
        self._changed: asyncio.Condition | None = None
        self.current: dict[tuple[int, int], BotMessage] = {}
        self._seen: dict[tuple[int, int], tuple] = {}
        self._task: asyncio.Task | None = None
        self.delivered = 0
        self.edited = 0

    # ------------------------------------------------------------------ transcript
    def stamp(self) -> str:
        return f"[dim]{clock.to_local(self.sim_now()).strftime('%H:%M')}[/]"

    def print(self, markup: str) -> None:
        if not self.quiet:
            self.console.print(f"{self.stamp()} {markup}", highlight=False, soft_wrap=True)

    def note(self, text: str) -> None:
        self.print(f"[bright_black italic]{escape(text)}[/]")

    def say(self, party: Party, text: str) -> None:
        self.print(f"{party.tag()} ▶ [{STYLE[party.role]}]{escape(text)}[/]")

    def party(self, chat_id: int) -> Party:
        return self.parties.get(chat_id) or Party(chat_id, str(chat_id), "resident")

    def _show(self, messages: list[BotMessage], edited: bool) -> None:
        """Messages that arrived in one poll; identical texts to several users (offer cards,
        'already taken' edits) are printed once, with every recipient."""
        groups: dict[tuple, list[BotMessage]] = defaultdict(list)
        for m in messages:
            groups[(m.text, tuple(b.text for row in m.buttons for b in row))].append(m)
        for (text, buttons), group in groups.items():
            people = [self.party(m.chat_id) for m in group]
            if len(people) > 3:
                who = "、".join(p.tag() for p in people[:3]) + f" 等 {len(people)} 人"
            else:
                who = "、".join(p.tag() for p in people)
            arrow = "✎" if edited else "◀"
            shown = escape(one_line(text)) if text else ""
            keys = " ".join(f"[{escape(b)}]" for b in buttons)
            role = people[0].role
            self.print(f"  [{STYLE[role]}]{arrow}[/] {who}：{shown}" + (f" [dim]{escape(keys)}[/]" if keys else ""))

    # ----------------------------------------------------------------------- polling
    async def poll_once(self) -> None:
        new, edits = [], []
        for m in await self.client.history():
            key = (m.chat_id, m.message_id)
            signature = (m.text, tuple(m.callback_data), tuple(b.text for row in m.keyboard for b in row))
            old = self._seen.get(key)
            if old == signature:
                continue
            self._seen[key] = signature
            self.current[key] = m
            if old is None:
                new.append(m)
                self.log[m.chat_id].append(m)
            else:
                edits.append(m)
        self.delivered += len(new)
        self.edited += len(edits)
        if new:
            self._show(new, edited=False)
        if edits:
            self._show(edits, edited=True)
        for m in new:
            for listener in self.listeners:
                listener(m)
        if new or edits:
            async with self.condition:
                self.condition.notify_all()

    @property
    def condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception as exc:  # noqa: BLE001 - a hiccup of the emulator must not end the day
                self.note(f"(transcript poll failed: {exc})")
            await asyncio.sleep(self.poll_interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.poll_once()  # the last messages

    # ----------------------------------------------------------------------- reading
    async def expect(
        self,
        party: Party,
        predicate: Callable[[BotMessage], bool],
        since: int = 0,
        timeout: float = 30.0,
        what: str = "a message",
    ) -> tuple[int, BotMessage]:
        """The first message to `party` from index `since` on (in arrival order) that satisfies
        `predicate`, as (index, message). Nothing is consumed: several tasks may wait on one
        chat. Raises Stuck with the bot's last message after `timeout` seconds."""

        def find():
            log = self.log[party.id]
            return next(((i, log[i]) for i in range(since, len(log)) if predicate(log[i])), None)

        async with self.condition:
            try:
                return await asyncio.wait_for(self.condition.wait_for(find), timeout)
            except TimeoutError:
                log = self.log[party.id]
                last = one_line(log[-1].text) if log else "(nothing yet)"
                raise Stuck(
                    f"{party.name} waited {timeout:.0f} s for {what}; the bot's last message to them: {last!r}"
                ) from None

    def latest(self, chat_id: int, message_id: int) -> BotMessage | None:
        return self.current.get((chat_id, message_id))

    # ------------------------------------------------------------------------ acting
    async def text(self, party: Party, text: str) -> None:
        self.say(party, text)
        await self.client.send_text(party.user, party.id, text)

    async def command(self, party: Party, text: str, show: str | None = None) -> None:
        self.say(party, show or text)
        await self.client.send_command(party.user, party.id, text)

    async def contact(self, party: Party, phone: str) -> None:
        self.say(party, f"（分享手机号 {phone}）")
        await self.client.send_contact(party.user, party.id, phone)

    async def press(self, party: Party, message: BotMessage, data: str, show: bool = True) -> str:
        """Press a button on the message as the user's phone shows it now; returns the
        callback query id (for the toast, `toast`)."""
        shown = self.latest(message.chat_id, message.message_id) or message
        label = next((b.text for row in shown.buttons for b in row if b.callback_data == data), data)
        if show:
            self.say(party, f"按【{label}】")
        raw = shown.raw.get("message", {})
        payload = {
            "message_id": shown.message_id,
            "date": int(shown.raw.get("time", time.time() * 1000)) // 1000,
            "chat": _chat(shown.chat_id),
            "text": shown.text,
            "reply_markup": {"inline_keyboard": _inline_rows(raw.get("reply_markup"))},
        }
        query = {"botToken": self.client.token, "from": party.user.as_dict(), "message": payload, "data": data}
        return (await self.client._post("/sendCallback", query))["callback_query_id"]

    async def toast(self, callback_id: str, timeout: float = 10.0) -> str:
        """The text the bot answered a press with ('' if none)."""
        answer = await self.client.until(
            lambda: self.client.callback_answer(callback_id), timeout=timeout, what="the answer to a button press"
        )
        return answer.get("text") or ""
