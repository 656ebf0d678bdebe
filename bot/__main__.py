"""`python -m bot`: run the bot (polling) with its outbox sender and scheduler."""

import logging
import sys

from pydantic import ValidationError

from bot.config import BotSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = BotSettings()
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]).upper()
            reason = "is not set" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
            print(f"error: {name} {reason}", file=sys.stderr)
        sys.exit(2)
    from bot.app import run
    from bot.logsafe import protect_logs

    protect_logs(settings.telegram_bot_token, settings.webhook_secret)

    run(settings)


if __name__ == "__main__":
    main()
