"""Bot settings, from the environment (or `.env`), checked before anything starts."""
import re

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: str
    # A local Bot API server or emulator, e.g. http://127.0.0.1:9000/bot (offline demo, tests).
    telegram_base_url: str = "https://api.telegram.org/bot"
    outbox_idle_seconds: float = 1.0
    # The Rasa server's REST channel (bind Rasa to 127.0.0.1: that endpoint has no auth).
    # Empty: no Rasa, residents use the guided order only.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 10.0

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        if not TOKEN_PATTERN.match(value.strip()):
            raise ValueError("should look like 123456789:AA… (the token @BotFather gave you)")
        return value.strip()
