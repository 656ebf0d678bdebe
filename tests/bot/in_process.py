"""The bot application in the test's own process, polling the local Bot API emulator, on the
product's default settings except Rasa (off: the guided menu answers) and a short outbox
pause; and the emulator user for a person of the test world."""

from bot.app import build_application
from bot.config import BotSettings
from sim.emulator import EmulatorRequest, User


def user(person) -> User:
    return User(id=person.telegram_id, first_name=person.name)


def app_for(db, emulator):
    settings = BotSettings(
        telegram_bot_token=emulator.token, telegram_base_url=emulator.base_url, outbox_idle_seconds=0.05, rasa_url=""
    )
    return build_application(settings, db.factory, request=EmulatorRequest())
