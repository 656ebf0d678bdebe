"""`make run` with a token: settings are checked (the bad one named, exit 2) before honcho
starts the Procfile's processes."""

import os
import subprocess
import sys

from sim.live import processes, settings_problems
from sim.stack import HONCHO, ROOT
from tests.timing import scaled


def run_sim(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL")}
    return subprocess.run(
        [sys.executable, "-m", "sim", "run"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )


def test_a_malformed_token_is_named_and_exits_2():
    done = run_sim(TELEGRAM_BOT_TOKEN="not-a-token")
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "BotFather" in done.stderr


def test_a_malformed_database_url_is_named():
    done = run_sim(TELEGRAM_BOT_TOKEN="123456:ABCdef", DATABASE_URL="not a url")
    assert done.returncode == 2
    assert "DATABASE_URL" in done.stderr


def test_settings_problems_names_each_setting():
    assert settings_problems({"TELEGRAM_BOT_TOKEN": "123456:ABCdef"}) == []
    assert any(
        "WEBHOOK_URL" in p
        for p in settings_problems({"TELEGRAM_BOT_TOKEN": "123456:ABCdef", "WEBHOOK_URL": "http://example.org/hook"})
    )
    assert any(
        "DATABASE_URL" in p
        for p in settings_problems({"TELEGRAM_BOT_TOKEN": "123456:ABCdef", "DATABASE_URL": "mysql://x@y/z"})
    )


def test_the_procfiles_name_the_processes_honcho_starts():
    for procfile in ("Procfile", "Procfile.offline"):
        check = subprocess.run([str(HONCHO), "check", "-f", procfile], cwd=ROOT, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        names = {
            line.split(":", 1)[0]
            for line in (ROOT / procfile).read_text().splitlines()
            if line and not line.startswith("#")
        }
        assert {"rasa", "actions", "bot"} <= names
    assert processes(rasa=False)[0] == "bot" and "rasa" in processes(rasa=True)
