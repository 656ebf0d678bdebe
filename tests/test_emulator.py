"""The offline Telegram Bot API emulator (sim/emulator.py): a real PTB 22 Application polls
telegram-test-api under node, and EmulatorClient plays the user. Needs node and the npm
package (`make emulator`; `make test` installs it): without them these tests fail, saying so.
"""

import time

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from sim import emulator
from sim.emulator import EmulatorRequest, EmulatorServer, EmulatorUnavailable, User, polling

ALICE = User(id=1001, first_name="小红", username="xiaohong")


def start_emulator() -> EmulatorServer:
    try:
        return EmulatorServer().start()
    except EmulatorUnavailable as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_a_real_ptb_application_talks_to_a_user_through_the_emulator():
    began = time.monotonic()
    seen_args: list[list[str]] = []
    edit_results = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen_args.append(context.args)
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("认领", callback_data="claim:42"),
                    InlineKeyboardButton("跳过", callback_data="skip:42"),
                ]
            ]
        )
        await update.message.reply_text(f"欢迎！邀请码 {context.args[0]}", reply_markup=keyboard)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"你说：{update.message.text}")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer(f"收到 {query.data}")
        edit_results.append(await query.edit_message_text(f"已认领（{query.from_user.first_name}）"))

    server = start_emulator()
    with server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)
            .request(EmulatorRequest())
            .get_updates_request(EmulatorRequest())
            .build()
        )
        app.add_handler(CommandHandler("start", start))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        app.add_handler(CallbackQueryHandler(pressed))

        async with polling(app), server.client() as client:
            # A deep link t.me/<bot>?start=join-ABC arrives as "/start join-ABC".
            await client.send_command(ALICE, ALICE.id, "/start join-ABC")
            welcome = await client.wait_for(ALICE.id, lambda m: m.text.startswith("欢迎"))
            assert seen_args == [["join-ABC"]]
            assert welcome.text == "欢迎！邀请码 join-ABC"
            assert welcome.button_texts == ["认领", "跳过"]
            assert welcome.callback_data == ["claim:42", "skip:42"]

            await client.send_text(ALICE, ALICE.id, "楼道灯坏了")
            echoed = await client.wait_for(ALICE.id, lambda m: m.text.startswith("你说"))
            assert echoed.text == "你说：楼道灯坏了"

            query_id = await client.press(ALICE, ALICE.id, "claim:42", welcome.message_id)
            answer = await client.until(lambda: client.callback_answer(query_id), what="the callback answer")
            assert answer["text"] == "收到 claim:42"

            async def edited():
                now = {m.message_id: m for m in await client.history(ALICE.id)}[welcome.message_id]
                return now if now.text != welcome.text else None

            now = await client.until(edited, what="the edit")
            assert now.text == "已认领（小红）"
            assert now.buttons == []  # an edit without reply_markup drops the keyboard, as Telegram does
            # What the handler got back from edit_message_text is a proper Message.
            assert edit_results[0].text == "已认领（小红）" and edit_results[0].message_id == welcome.message_id
            # The user's own getUpdates shows each message once, as it arrived.
            assert [m.text for m in await client.updates_for(ALICE.id)] == [welcome.text, echoed.text]

    assert server.process.returncode is not None, "the node process outlived the test"
    assert time.monotonic() - began < 30


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_contact_requests_and_what_the_emulator_cannot_do():
    phones = []

    async def ask_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        button = KeyboardButton("分享手机号", request_contact=True)
        await update.message.reply_text("请分享手机号", reply_markup=ReplyKeyboardMarkup([[button]]))

    async def got_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        phones.append(update.message.contact.phone_number)
        await update.message.reply_text("已记录")

    with start_emulator() as server:
        app = server.application_builder().build()
        app.add_handler(CommandHandler("phone", ask_phone))
        app.add_handler(MessageHandler(filters.CONTACT, got_contact))
        async with polling(app), server.client() as client:
            await client.send_command(ALICE, ALICE.id, "/phone")
            asked = await client.wait_for(ALICE.id, lambda m: m.text == "请分享手机号")
            assert asked.keyboard[0][0].text == "分享手机号" and asked.keyboard[0][0].request_contact
            await client.send_contact(ALICE, ALICE.id, "13800000000")
            await client.wait_for(ALICE.id, lambda m: m.text == "已记录")
            assert phones == ["13800000000"]

            sent = await app.bot.send_message(ALICE.id, "原文")
            with pytest.raises(BadRequest, match="not modified"):
                await app.bot.edit_message_text("原文", chat_id=ALICE.id, message_id=sent.message_id)
            with pytest.raises(BadRequest, match="not found"):
                await app.bot.edit_message_text("新", chat_id=ALICE.id, message_id=9999)
            with pytest.raises(BadRequest, match="cannot do sendPhoto"):
                await app.bot.send_photo(ALICE.id, b"\x89PNG")
    assert server.process.returncode is not None


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_documents_are_delivered_and_the_user_can_download_them():
    content = b"%PDF-1.4 " + bytes(range(256)) * 800  # binary, and larger than a JSON body may be

    async def send_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_document(content, filename="证明.pdf", caption="您的证明")

    with start_emulator() as server:
        app = server.application_builder().build()
        app.add_handler(CommandHandler("file", send_file))
        async with polling(app), server.client() as client:
            await client.send_command(ALICE, ALICE.id, "/file")
            got = await client.wait_for(ALICE.id, lambda m: m.document is not None)
            assert got.caption == "您的证明"
            assert got.document["file_name"] == "证明.pdf" and got.document["file_size"] == len(content)
            assert await client.document(got) == content
            sent = await app.bot.send_document(ALICE.id, b"abc", filename="a.txt", caption="直接发")
            assert sent.document.file_name == "a.txt" and sent.caption == "直接发" and sent.chat.id == ALICE.id
            with pytest.raises(BadRequest, match="only takes uploaded documents"):
                await app.bot.send_document(ALICE.id, sent.document.file_id)
            await app.bot.send_message(ALICE.id, "只是文字")
            plain = await client.wait_for(ALICE.id, lambda m: m.text == "只是文字")
            with pytest.raises(AssertionError, match="carries no document"):
                await client.document(plain)


def test_the_node_process_stops_even_when_the_test_fails():
    server = start_emulator()
    with pytest.raises(RuntimeError, match="boom"), server:
        assert server.process.poll() is None
        raise RuntimeError("boom")
    assert server.process.returncode is not None


def test_without_node_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(emulator.shutil, "which", lambda name: None)
    with pytest.raises(EmulatorUnavailable, match=r"needs Node\.js.*make emulator"):
        EmulatorServer().start()
