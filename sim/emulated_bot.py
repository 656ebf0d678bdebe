"""`python -m sim.emulated_bot`: the bot process (`python -m bot`) against the local Bot API
emulator. The same application, sender and scheduler; only the request class differs
(sim.emulator.EmulatorRequest adapts the emulator's answers to the Bot API's). Settings come
from the environment as for `python -m bot` (TELEGRAM_BASE_URL = the emulator's .../bot).
Prints READY_LINE once polling has started, for the launcher."""

import logging

from bot.__main__ import main as bot_main

READY_LINE = "nuanxin-bot-ready"


def main() -> None:
    import sys

    from pydantic import ValidationError

    from bot.app import build_application
    from bot.config import BotSettings
    from bot.logsafe import protect_logs
    from sim.emulator import EmulatorRequest

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a tick every 0.3 s in the demo
    try:
        settings = BotSettings()
    except ValidationError:
        bot_main()  # prints the named setting and exits 2
        sys.exit(2)
    protect_logs(settings.telegram_bot_token, settings.webhook_secret)
    app = build_application(settings, request=EmulatorRequest())
    start_background = app.post_init

    async def post_init(application) -> None:
        await start_background(application)
        print(READY_LINE, flush=True)

    app.post_init = post_init
    app.run_polling()


if __name__ == "__main__":
    main()
