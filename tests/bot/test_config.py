"""Running the bot: settings are checked before anything starts, and the mode follows them."""

import subprocess
import sys

import pytest

from bot import app as app_module
from bot.config import BotSettings
from tests.timing import scaled


def run_main(env):
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        env={"PATH": "/usr/bin:/bin", **env},
    )


def test_missing_or_malformed_settings_are_named():
    out = run_main({})
    assert out.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in out.stderr
    out = run_main({"TELEGRAM_BOT_TOKEN": "not a token"})
    assert out.returncode == 2 and "TELEGRAM_BOT_TOKEN should look like" in out.stderr
    out = run_main({"TELEGRAM_BOT_TOKEN": "1:abc", "WEBHOOK_URL": "http://example.org/hook"})
    assert out.returncode == 2 and "WEBHOOK_URL must be an https:// URL" in out.stderr


@pytest.mark.parametrize("webhook", ["", "https://bot.example.org/tg/hook-path"])
def test_polling_by_default_webhook_by_configuration(monkeypatch, webhook):
    calls = {}

    class FakeApp:
        def run_polling(self):
            calls["polling"] = True

        def run_webhook(self, **kwargs):
            calls["webhook"] = kwargs

    monkeypatch.setattr(app_module, "build_application", lambda settings: FakeApp())
    app_module.run(BotSettings(telegram_bot_token="1:abc", webhook_url=webhook, webhook_secret="s3cret", rasa_url=""))
    if webhook:
        assert calls["webhook"]["webhook_url"] == webhook and calls["webhook"]["url_path"] == "hook-path"
        assert calls["webhook"]["secret_token"] == "s3cret" and "polling" not in calls
    else:
        assert calls == {"polling": True}
