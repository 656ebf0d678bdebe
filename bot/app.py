"""The bot process: one PTB Application, the outbox sender and the follow-up scheduler.

Run with `python -m bot` (needs TELEGRAM_BOT_TOKEN; TELEGRAM_BASE_URL points it at a local
Bot API emulator). The schema is upgraded on start, as everywhere.
"""

import asyncio
import functools
import logging

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import district, faq, presses, recognition, roles, staff, texts, wizards
from bot.callbacks import DOMAIN_ACTIONS, Callbacks
from bot.concurrency import PerChatUpdateProcessor
from bot.config import BotSettings
from bot.errors import on_error
from bot.handoff import HandoffHandlers
from bot.inbox import Inbox, InboxBot, database_answers
from bot.linking import LINK_PREFIX, LinkHandlers
from bot.persistence import DatabasePersistence
from bot.poll_lease import DatabaseStore, PollLease, RedisStore
from bot.rasa import CALLBACK_PATTERN as RASA_BUTTONS
from bot.rasa import RasaRelay
from bot.ratelimit import TelegramRateLimiter, make_limiter
from bot.resident import COMMUNITY_PREFIX, ResidentHandlers
from bot.scheduler import FollowUpScheduler
from bot.sender import OutboxSender
from bot.volunteer import JOIN_PREFIX, VolunteerHandlers
from community import people
from community.db import make_engine, session_factory, upgrade

log = logging.getLogger(__name__)
MALFORMED_GROUP = -100  # before the wizards' groups (bot/wizards.py)


def build_application(
    settings: BotSettings, factory=None, request: HTTPXRequest | None = None, relay=None
) -> Application:
    if factory is None:
        engine = make_engine()
        upgrade(engine)
        factory = session_factory(engine)
    bot_id = int(settings.telegram_bot_token.split(":")[0])
    inbox = Inbox(factory, bot_id, settings.telegram_bot_token)
    limiter = make_limiter(settings.redis_url, bot_id, prefix=f"{settings.redis_prefix}:rl")
    bot = InboxBot(
        inbox,
        token=settings.telegram_bot_token,
        base_url=settings.telegram_base_url,
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=type(request)() if request is not None else HTTPXRequest(),
        rate_limiter=TelegramRateLimiter(limiter),  # 30/s per bot, 1/s per chat, 429 pauses (bot/ratelimit.py)
    )
    processor = PerChatUpdateProcessor(
        settings.max_concurrent_updates,
        retry_seconds=settings.update_retry_seconds,
        busy_notice_seconds=settings.busy_notice_seconds,
    )
    builder = ApplicationBuilder().bot(bot).concurrent_updates(processor)
    builder = builder.persistence(DatabasePersistence(factory))  # drafts and conversations survive a restart
    app = builder.post_init(_start_background).post_shutdown(_stop_background).build()
    processor.app, processor.inbox = app, inbox
    processor.database_answers = lambda: database_answers(inbox.quick)
    app.add_error_handler(on_error)
    app.bot_data["factory"] = factory
    app.bot_data["settings"] = settings
    app.bot_data["inbox"] = inbox
    wizards.set_timeout(app, settings.draft_timeout_seconds)
    sender = OutboxSender(app.bot, factory, limiter=limiter, concurrency=settings.outbox_concurrency)
    app.bot_data["sender"] = sender
    store = RedisStore(settings.redis_url, settings.redis_prefix) if settings.redis_url else DatabaseStore(factory)
    # Polling only: with a webhook Telegram calls us, and any number of processes may answer.
    lease = None if settings.webhook_url else PollLease(store, f"getupdates:{bot_id}", settings.poll_lease_seconds)
    app.bot_data["poll_lease"] = lease
    wake = sender.wake.set
    presses.install(app, factory, wake)
    if relay is None and settings.rasa_url:
        relay = RasaRelay(factory, settings.rasa_url, settings.rasa_timeout_seconds)
    if relay is not None:
        relay.on_reply = wake
    app.bot_data["relay"] = relay
    callbacks = Callbacks(factory, on_commit=wake)
    volunteers = VolunteerHandlers(factory, wake, callbacks)
    residents = ResidentHandlers(factory, wake, relay=relay)
    handoffs = HandoffHandlers(factory, wake)  # 转人工: a person on call
    app.bot_data["handoff"] = handoffs
    if relay is not None:
        relay.handoff = handoffs
    links = LinkHandlers(factory, wake)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start join-<code> is a volunteer's invite link; staff, grid leaders and volunteers
        get their own greeting; anyone else is a resident (consent first; `c-<CODE>` names
        their community)."""
        arg = context.args[0] if context.args else ""
        await asyncio.to_thread(_unblock, factory, update.effective_user.id)  # they are back
        if arg.startswith(JOIN_PREFIX):
            await volunteers.join(update, context, arg.removeprefix(JOIN_PREFIX))
            return
        if arg.startswith(LINK_PREFIX):
            await links.start_link(update, context, arg.removeprefix(LINK_PREFIX))
            return
        greeting = await _role_help(factory, update.effective_user.id)
        if greeting:
            await update.effective_message.reply_text(greeting)
        else:  # `c-<CODE>`: the community's poster link, so a new resident lands in theirs
            code = arg.removeprefix(COMMUNITY_PREFIX) if arg.startswith(COMMUNITY_PREFIX) else None
            await residents.start(update, context, community_code=code)

    async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command no handler knows: said so, with the help for the sender's role."""
        command = (update.effective_message.text or "").split(maxsplit=1)[0].split("@")[0]
        if command.lstrip("/").lower() in known:
            return  # a wizard's command (its own group took it)
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND.format(command=command[:32]))
        help_text = await _role_help(factory, update.effective_user.id)
        if help_text:
            await update.effective_message.reply_text(help_text)
        else:
            await residents.menu(update, context)

    # Before anything else (the wizards' groups too): a braked account's presses, and a press
    # whose callback_data is not one the bot makes (bot/keyboards.decode), stop here, so no
    # handler ever parses malformed data.
    app.add_handler(CallbackQueryHandler(presses.gate), group=MALFORMED_GROUP)
    # Group 0 holds everything but the wizards (their own groups before it, bot/wizards.py):
    # the first handler that matches takes the update.
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(callbacks.handle, pattern=DOMAIN_ACTIONS))
    volunteers.register(app)
    links.register(app)  # a spreadsheet volunteer links their account; staff's /linkcode
    staff.register(app, factory, wake)
    recognition.register(app, factory)  # /rank, /certificate, /workunits
    faq.register(app, factory)  # /faq (answers without Rasa), /faqgaps
    district.register(app, factory)  # /district: a supervisor's communities side by side
    if relay is not None:
        app.add_handler(CallbackQueryHandler(relay.press, pattern=RASA_BUTTONS))
    handoffs.register(app)  # before the resident's catch-alls: 找人工 buttons, /queue, voice and photos
    residents.register(app, role_help=functools.partial(_role_help, factory))  # takes whatever no one else did
    handoffs.register_relay(app)  # after the guided order, in its group: texts while talking to a person
    # Last: every command nobody answered gets a reply (with the help for the sender's role).
    known = roles.known_commands(app)
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(presses.stale))  # every press is answered, even unknown ones
    return app


def _unblock(factory, telegram_id: int) -> None:
    with factory() as s, s.begin():
        people.set_blocked(s, telegram_id, False)


async def _role_help(factory, telegram_id: int, *, unless_resident: bool = False) -> str | None:
    """The help for a staff member, grid leader or volunteer; None for residents and
    newcomers (and, with `unless_resident`, for one who is also a resident who consented)."""

    def work():
        with factory() as s:
            return roles.role_help(s, telegram_id)

    text, consented = await asyncio.to_thread(work)
    return None if unless_resident and consented else text


async def _start_background(app: Application) -> None:
    # The sender and the scheduler claim their rows: every process runs them, the poller or not.
    stop = asyncio.Event()
    scheduler = FollowUpScheduler(app.bot_data["factory"])
    scheduler.start()
    sender: OutboxSender = app.bot_data["sender"]
    idle = app.bot_data["settings"].outbox_idle_seconds
    app.bot_data.update(stop=stop, scheduler=scheduler, sender_task=asyncio.create_task(sender.run(stop, idle)))
    settings: BotSettings = app.bot_data["settings"]
    relay: RasaRelay | None = app.bot_data.get("relay")
    if relay is not None and settings.rasa_url:  # take messages now; Rasa once it has loaded (bot/rasa.py)
        app.bot_data["rasa_watch"] = await relay.watch(
            settings.action_server_url, warn_after=settings.ready_timeout_seconds
        )
    # Only one process per token polls (bot/poll_lease.py): wait for the lease first. PTB
    # starts polling once this returns.
    lease: PollLease | None = app.bot_data["poll_lease"]
    if lease is not None:
        await lease.acquire(stop)
    # What a crash left unhandled goes first, before anything new is fetched (bot/inbox.py).
    await app.bot_data["inbox"].replay(app.bot, app.update_queue)
    app.bot_data["draft_expiry"] = asyncio.create_task(wizards.expire_drafts_every(app))
    if lease is not None:
        app.bot_data["lease_keeper"] = asyncio.create_task(_keep_polling_lease(app, lease, stop))


async def _keep_polling_lease(app: Application, lease: PollLease, stop: asyncio.Event) -> None:
    """Renew the poll lease; if it is lost, stop polling, wait for it, and poll again."""

    async def stop_polling() -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()

    while not stop.is_set():
        await lease.keep(stop_polling, stop)
        if stop.is_set() or not await lease.acquire(stop):
            return
        await app.bot_data["inbox"].replay(app.bot, app.update_queue)
        if app.updater is not None and not app.updater.running:
            await app.updater.start_polling()


async def _stop_background(app: Application) -> None:
    if "stop" not in app.bot_data:  # start-up failed before post_init: nothing was started
        return
    app.bot_data["stop"].set()
    if "draft_expiry" in app.bot_data:
        app.bot_data["draft_expiry"].cancel()
    if "lease_keeper" in app.bot_data:
        await app.bot_data["lease_keeper"]
    if app.bot_data.get("rasa_watch") is not None:
        app.bot_data["rasa_watch"].cancel()
    app.bot_data["inbox"].close()
    await app.bot_data["sender_task"]
    await asyncio.to_thread(app.bot_data["scheduler"].shutdown)
    if app.bot_data["poll_lease"] is not None:
        await asyncio.to_thread(app.bot_data["poll_lease"].release)


def run(settings: BotSettings) -> None:
    """Polling by default; webhook mode when WEBHOOK_URL is set. Takes messages at once; the
    guided order answers until Rasa has loaded its model (RasaRelay.watch)."""
    app = build_application(settings)
    if not settings.webhook_url:
        app.run_polling()
        return
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_url.rstrip("/").rsplit("/", 1)[-1],
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret or None,
    )
