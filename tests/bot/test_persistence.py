"""The bot's PTB persistence on the project's database (both backends): what is committed
comes back after a restart, drops delete, a failed commit keeps what was staged."""

import asyncio

import pytest
from telegram.ext import PersistenceInput

from bot.persistence import DatabasePersistence


def fresh(db, **store) -> DatabasePersistence:
    return DatabasePersistence(db.factory, PersistenceInput(**store) if store else None)


def test_data_and_conversations_come_back_after_a_restart(db):
    first = fresh(db, bot_data=True)

    async def write():
        await first.update_user_data(42, {"draft:resident_order": {"category_id": 3, "at": 1.5}})
        await first.update_chat_data(-100, {"k": [1, 2]})
        await first.update_bot_data({"seen": True})
        await first.update_conversation("resident_order", (42, 42), "address")
        await first.update_conversation("staff_questions", (7, 7), "reason")
        first.commit()

    asyncio.run(write())
    second = fresh(db, bot_data=True)  # a new process

    async def read():
        return (
            await second.get_user_data(),
            await second.get_chat_data(),
            await second.get_bot_data(),
            await second.get_conversations("resident_order"),
            await second.get_conversations("staff_questions"),
        )

    users, chats, bot, orders, questions = asyncio.run(read())
    assert users == {42: {"draft:resident_order": {"category_id": 3, "at": 1.5}}}
    assert chats == {-100: {"k": [1, 2]}} and bot == {"seen": True}
    assert orders == {(42, 42): "address"} and questions == {(7, 7): "reason"}


def test_ended_conversations_and_dropped_data_are_deleted(db):
    p = fresh(db)

    async def go():
        await p.update_user_data(1, {"a": 1})
        await p.update_conversation("resident_order", (1, 1), "phone")
        p.commit()
        await p.update_conversation("resident_order", (1, 1), None)  # ConversationHandler.END
        await p.drop_user_data(1)
        p.commit()
        return await fresh(db).get_user_data(), await fresh(db).get_conversations("resident_order")

    assert asyncio.run(go()) == ({}, {})


def test_a_failed_commit_keeps_the_staged_changes_for_the_next(db):
    p = fresh(db)

    def fail(_session):
        raise RuntimeError("the transaction's other half failed")

    async def go():
        await p.update_user_data(5, {"step": "old"})
        with pytest.raises(RuntimeError):
            p.commit(fail)
        assert await fresh(db).get_user_data() == {}  # nothing written, all or nothing
        await p.update_user_data(6, {"step": "new"})
        p.commit()
        return await fresh(db).get_user_data()

    assert asyncio.run(go()) == {5: {"step": "old"}, 6: {"step": "new"}}
