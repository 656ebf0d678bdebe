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


def test_several_rasa_servers_need_a_shared_postgresql_tracker_store():
    token = {"TELEGRAM_BOT_TOKEN": "123456:ABCdef"}
    assert any("RASA_TRACKER_URL" in p for p in settings_problems({**token, "RASA_SERVERS": "2"}))
    assert not settings_problems({**token, "RASA_SERVERS": "2", "RASA_TRACKER_URL": "postgresql://u@h:5432/rasa"})
    assert any("RASA_SERVERS" in p for p in settings_problems({**token, "RASA_SERVERS": "zwei"}))
    done = run_sim(RASA_SERVERS="0")
    assert done.returncode == 2 and "RASA_SERVERS" in done.stderr


def test_rasa_servers_and_action_servers_are_numbered_as_the_scripts_number_them():
    from sim.stack import concurrency, rasa_cluster_env

    env = rasa_cluster_env(2, 1, 5005, 5055)
    assert env["RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5006"
    assert env["ACTION_SERVER_URL"] == "http://127.0.0.1:5055"
    assert concurrency(2, 1) == ["-c", "rasa=2,actions=1"] and concurrency(1, 1) == []


def test_the_rasa_server_script_numbers_its_instance_and_picks_the_cluster_endpoints(tmp_path):
    fake = tmp_path / "bin" / "python"  # prints what Rasa would be started with
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@" "$ACTION_ENDPOINT_URL" "$REDIS_HOST:$REDIS_PORT/$REDIS_DB"\n')
    fake.chmod(0o755)

    def start(**env):
        base = {k: v for k, v in os.environ.items() if not k.startswith(("RASA_", "ACTION", "REDIS_"))}
        return subprocess.run(
            [str(ROOT / "scripts" / "rasa-server.sh")],
            env={**base, "RASA_VENV": str(tmp_path), **env},
            capture_output=True,
            text=True,
            timeout=scaled(30),
        )

    second = start(HONCHO_PROCESS_NAME="rasa.2", RASA_SERVERS="2", RASA_TRACKER_URL="postgresql://u@h/rasa")
    assert second.returncode == 0, second.stderr
    assert "-p 5006" in second.stdout and "endpoints.cluster.yml" in second.stdout
    assert "http://127.0.0.1:5055/webhook 127.0.0.1:6379/1" in second.stdout  # one action server, Redis defaults
    two_actions = start(
        HONCHO_PROCESS_NAME="rasa.2", RASA_SERVERS="2", ACTION_SERVERS="2", RASA_TRACKER_URL="postgresql://u@h/r"
    )
    assert "http://127.0.0.1:5056/webhook" in two_actions.stdout
    alone = start()
    assert "-p 5005" in alone.stdout and "--endpoints endpoints.yml" in alone.stdout
    unshared = start(HONCHO_PROCESS_NAME="rasa.1", RASA_SERVERS="2")  # SQLite cannot be shared
    assert unshared.returncode == 2 and "RASA_TRACKER_URL" in unshared.stderr
