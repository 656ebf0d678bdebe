"""The application's one error handler (`app.add_error_handler(on_error)`).

Refusals are not errors: handlers answer a DomainError with its Chinese message themselves.
What reaches this handler is one of:

- the database not answering (connection refused or lost, SQLite "database is locked"):
  the update is handed back to the update processor, which runs it again with backoff until
  the database answers (bot/concurrency.py); nobody is told anything here;
- a callback query answered too late for Telegram (after such a wait): logged, no apology;
- anything else, a real error: logged once with the update id and a traceback without
  personal data (SQL parameters hidden, phone and door numbers masked, the token removed),
  and whoever was waiting is told "系统开小差了…" (a press as an alert, a message in the
  chat). No later handler group sees the update.
"""

import contextvars
import logging
import traceback
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from community.redaction import redact

log = logging.getLogger(__name__)

# SQLite's ways of saying "not now" (everything else it raises as OperationalError is a bug:
# no such table, syntax error, ...).
_SQLITE_NOT_NOW = ("database is locked", "database table is locked", "unable to open database file", "disk i/o error")
_LATE_ANSWER = ("query is too old", "query id is invalid")


def is_late_answer(error: BaseException) -> bool:
    """Telegram refused answerCallbackQuery: the press waited too long (or was answered)."""
    return isinstance(error, BadRequest) and any(text in str(error).lower() for text in _LATE_ANSWER)


@dataclass
class Attempt:
    """One run of an update's handlers; the error handler marks it when the database was away."""

    update: object = None
    outage: BaseException | None = None


# Set by the update processor around each run, read here (the same asyncio task).
ATTEMPT: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("attempt", default=None)


def _chain(error: BaseException):
    seen = 0
    while error is not None and seen < 5:
        yield error
        error, seen = error.__cause__ or error.__context__, seen + 1


def is_database_outage(error: BaseException) -> bool:
    """The database did not answer (try again later), as opposed to a bug or a bad statement."""
    for exc in _chain(error):
        if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool
            return True
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated:
                return True
            if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
                return False
            if type(exc.orig).__module__.startswith("sqlite3"):
                return any(text in str(exc.orig).lower() for text in _SQLITE_NOT_NOW)
            return True  # psycopg: connection refused or lost, server shutting down, deadlock
    return False


def describe(error: BaseException, secret: str = "") -> str:
    """The traceback, fit for a log: no SQL parameters, no phone or door numbers, no token."""
    for exc in _chain(error):
        if isinstance(exc, sa_exc.StatementError):
            exc.hide_parameters = True
    text = redact("".join(traceback.format_exception(error)).rstrip())
    return text.replace(secret, "<token>") if secret else text


def update_id(update: object) -> int | None:
    return update.update_id if isinstance(update, Update) else None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    attempt = ATTEMPT.get()
    if attempt is not None and error is not None and is_database_outage(error):
        attempt.outage = error
        log.warning(
            "update %s: the database is not answering (%s); it will be retried", update_id(update), type(error).__name__
        )
        raise ApplicationHandlerStop
    if error is not None and is_late_answer(error):
        log.info("update %s: the button press was answered too late for Telegram", update_id(update))
        raise ApplicationHandlerStop
    log.error("update %s failed:\n%s", update_id(update), describe(error, context.bot.token) if error else "")
    if isinstance(update, Update):
        await apologize(update, context)
        raise ApplicationHandlerStop


async def apologize(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str = texts.SOMETHING_WRONG) -> None:
    """Tell whoever is waiting for this update: an alert on a press, else a message."""
    try:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:  # already answered, or too late: say it in the chat instead
                pass
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError as exc:
        log.warning("update %s: could not tell the user (%s)", update_id(update), type(exc).__name__)
