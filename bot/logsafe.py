"""The bot token (and the webhook secret) never reach a log.

httpx logs every request's URL at INFO, and a Bot API URL carries the token
(`…/bot123456:AA…/getUpdates`); a traceback may quote it too. `protect_logs` quiets httpx to
WARNING and puts a filter on every handler of the root logger that replaces the secrets in
each record's final text with `<token>`, whoever logged it (PTB, httpx, apscheduler, ours).
"""

import logging

MASK = "<token>"


class SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # The whole token and its secret half (after the colon), longest first.
        parts = {s for secret in secrets if secret for s in (secret, secret.partition(":")[2]) if len(s) >= 8}
        self.secrets = sorted(parts, key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True


def protect_logs(*secrets: str) -> SecretFilter:
    """Call after logging is configured (logging.basicConfig)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    secret_filter = SecretFilter(list(secrets))
    for handler in logging.getLogger().handlers:
        handler.addFilter(secret_filter)
    return secret_filter
