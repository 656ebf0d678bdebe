"""One slow chat does not hold up the others; one chat's updates keep their order."""

import asyncio

from telegram import Chat, Message, Update

from bot.concurrency import PerChatUpdateProcessor


def update(chat_id: int, n: int) -> Update:
    return Update(n, message=Message(n, None, Chat(chat_id, "private")))


def test_chats_overlap_but_each_chat_keeps_its_order():
    log: list[str] = []

    async def handle(name: str, delay: float):
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    async def go():
        processor = PerChatUpdateProcessor(8)
        async with processor:
            await asyncio.gather(
                processor.process_update(update(1, 1), handle("a1", 0.2)),  # slow, like a Rasa call
                processor.process_update(update(1, 2), handle("a2", 0.0)),
                processor.process_update(update(2, 3), handle("b1", 0.0)),
            )
        return processor

    processor = asyncio.run(go())
    assert log.index("end b1") < log.index("end a1")  # chat 2 did not wait for chat 1
    assert log.index("end a1") < log.index("start a2")  # chat 1's second update waited for its first
    assert processor._locks == {} and processor._users == {}  # idle chats are forgotten
