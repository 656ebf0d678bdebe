"""python-telegram-bot's persistence on the project's database (table `chat_states`).

PTB keeps user_data, chat_data, bot_data and the state of every persistent
ConversationHandler in memory and hands changes to a `BasePersistence` (PTB's
examples/persistentconversationbot.py uses the pickle file version). This one stores them
as JSON rows, so a half-filled guided order, a staff question or a volunteer's note survives
`kill -9` of the bot and continues where it was.

Changes are staged in memory by PTB's `update_persistence()` and written by `commit()`, in
one transaction together with whatever the caller adds (the update processor marks the
update handled in the same transaction: bot/concurrency.py). A failed commit keeps the
staged changes for the next one.

Only the process that polls Telegram (one per token) writes here, so nothing is re-read
during operation: the `refresh_*` hooks do nothing. The application does not store
bot_data (it holds the process's runtime objects: session factory, sender, relay); values in
user_data must be JSON (str keys, lists rather than tuples).
"""

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, BasePersistence, PersistenceInput

from community import clock
from community.models import ChatState

_DROP = object()  # staged deletion
ConversationKey = tuple[int | str, ...]
BOT_KEY = "bot"


def conversation_key(name: str, key: ConversationKey) -> str:
    return f"{name}:{json.dumps(list(key))}"


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    def __init__(self, factory: sessionmaker[Session], store_data: PersistenceInput | None = None) -> None:
        # update_interval: PTB's own periodic run only stages; commit() writes.
        super().__init__(store_data=store_data or PersistenceInput(bot_data=False, callback_data=False))
        self.factory = factory
        self._staged: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()  # staged from the event loop, written from a worker thread

    # --- reading, once at start ---------------------------------------------------------

    def _rows(self, kind: str, prefix: str = "") -> dict[str, Any]:
        with self.factory() as s:
            query = select(ChatState.key, ChatState.data).where(ChatState.kind == kind)
            if prefix:
                query = query.where(ChatState.key.startswith(prefix, autoescape=True))
            return {key: data for key, data in s.execute(query)}

    async def get_user_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await asyncio.to_thread(self._rows, "user")).items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await asyncio.to_thread(self._rows, "chat")).items()}

    async def get_bot_data(self) -> dict:
        return (await asyncio.to_thread(self._rows, "bot")).get(BOT_KEY) or {}

    async def get_callback_data(self) -> None:
        return None  # arbitrary callback data is not used: buttons carry short ids (bot/keyboards.py)

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        rows = await asyncio.to_thread(self._rows, "conversation", f"{name}:")
        return {tuple(json.loads(key[len(name) + 1 :])): state for key, state in rows.items()}

    # --- staging (PTB calls these from update_persistence) ----------------------------------

    def _stage(self, kind: str, key: str, data: Any) -> None:
        with self._lock:
            self._staged[(kind, key)] = data

    async def update_user_data(self, user_id: int, data: dict) -> None:
        self._stage("user", str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        self._stage("chat", str(chat_id), data)

    async def update_bot_data(self, data: dict) -> None:
        self._stage("bot", BOT_KEY, data)

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        self._stage("conversation", conversation_key(name, key), _DROP if new_state is None else new_state)

    async def drop_user_data(self, user_id: int) -> None:
        self._stage("user", str(user_id), _DROP)

    async def drop_chat_data(self, chat_id: int) -> None:
        self._stage("chat", str(chat_id), _DROP)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict) -> None:
        pass

    # --- writing ------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return bool(self._staged)

    def commit(self, also: Callable[[Session], None] | None = None) -> None:
        """Write what is staged, and run `also(session)`, in one transaction (blocking: call
        it in a thread). On failure the staged changes stay staged (newer ones win)."""
        with self._lock:
            staged, self._staged = self._staged, {}
        try:
            with self.factory() as s, s.begin():
                now = clock.now()
                for (kind, key), data in staged.items():
                    if data is _DROP:
                        s.execute(delete(ChatState).where(ChatState.kind == kind, ChatState.key == key))
                    else:
                        s.merge(ChatState(kind=kind, key=key, data=data, updated_at=now))
                if also is not None:
                    also(s)
        except BaseException:
            with self._lock:
                self._staged = {**staged, **self._staged}
            raise

    async def flush(self) -> None:
        """Called by PTB when the application stops."""
        await asyncio.to_thread(self.commit)


async def save_state(app: Application, also: Callable[[Session], None] | None = None) -> None:
    """Stage what changed in the application (PTB) and commit it with `also`."""
    await app.update_persistence()
    persistence = app.persistence
    if not isinstance(persistence, DatabasePersistence):
        raise TypeError("the application's persistence is not a DatabasePersistence")
    await asyncio.to_thread(persistence.commit, also)
