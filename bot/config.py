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
    # Messages the outbox sender has in flight at once (never two to one chat; bot/sender.py).
    # 1: a crash (kill -9) can double at most one message. More: faster over a slow link to
    # Telegram, but up to this many may be doubled by a crash.
    outbox_concurrency: int = 1
    # Redis (e.g. redis://127.0.0.1:6379/0): the rate limiter's buckets and the getUpdates
    # lease shared by every bot process on one token. Empty: in-process limiter, database lease.
    redis_url: str = ""
    redis_prefix: str = "nuanxin"
    # The getUpdates poller's lease (bot/poll_lease.py): renewed every quarter of it; another
    # process takes over this long after the poller stopped renewing (at once if it died here).
    poll_lease_seconds: float = 20.0
    # Updates from different chats handled at once (one chat's updates stay in order).
    max_concurrent_updates: int = 64
    # A message that failed because the database did not answer is tried again this long.
    update_retry_seconds: float = 600.0
    # Still waiting for the database after this long: the chat hears "系统繁忙，稍后为您处理".
    busy_notice_seconds: float = 5.0
    # A guided order, staff question or note left untouched this long is dropped, politely.
    draft_timeout_seconds: float = 24 * 3600.0
    # The Rasa server's REST channel (bind Rasa to 127.0.0.1: that endpoint has no auth).
    # Empty: no Rasa, residents use the guided order only.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = 10.0
    # The Rasa action server, checked (GET /health) before Rasa answers residents. "" skips it.
    action_server_url: str = "http://127.0.0.1:5055"
    # The bot takes messages at once and uses the guided order until Rasa has loaded its model
    # and the action server answers; after this long without them it logs a warning (and keeps trying).
    ready_timeout_seconds: float = 600.0
    # Polling by default. Set WEBHOOK_URL (the public https URL Telegram calls) for webhook
    # mode; the bot then listens on WEBHOOK_LISTEN:WEBHOOK_PORT behind your reverse proxy.
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = ""  # checked on every update (X-Telegram-Bot-Api-Secret-Token)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram only calls https webhooks)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("may only contain A-Z, a-z, 0-9, _ and - (1-256 characters)")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        if not TOKEN_PATTERN.match(value.strip()):
            raise ValueError("should look like 123456789:AA… (the token @BotFather gave you)")
        return value.strip()
