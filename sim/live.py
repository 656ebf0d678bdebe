"""`make run` with TELEGRAM_BOT_TOKEN set: the product against real Telegram.

Checks the settings first and names the one that is missing or malformed (exit 2), then
hands over to honcho (Procfile: Rasa, the action server, the bot; plus the staff web
dashboard when `web/` exists). honcho stops every process group on Ctrl-C.
"""

from __future__ import annotations

import os
import sys

from sim.stack import HONCHO, ROOT, concurrency, rasa_cluster_env, rasa_problem, servers_setting


def settings_problems(env: dict[str, str] | None = None) -> list[str]:
    """One line per bad setting, naming it (empty when everything is usable)."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from bot.config import BotSettings

    env = dict(os.environ if env is None else env)
    problems = []
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        BotSettings()
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]).upper()
            reason = "is not set" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
            problems.append(f"{name} {reason}")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    from sim.stack import servers_setting

    try:
        if servers_setting("RASA_SERVERS", env) > 1 and not env.get("RASA_TRACKER_URL", "").startswith("postgresql"):
            problems.append(
                "RASA_TRACKER_URL must name a PostgreSQL database of Rasa's own when RASA_SERVERS > 1 "
                "(postgresql://user@host:5432/nuanxin_rasa): the servers share it"
            )
        servers_setting("ACTION_SERVERS", env)
    except ValueError as exc:
        problems.append(str(exc))
    url = env.get("DATABASE_URL")
    if url:
        try:
            parsed = make_url(url)
            if parsed.get_backend_name() not in ("sqlite", "postgresql"):
                problems.append(
                    f"DATABASE_URL must be sqlite:///… or postgresql+psycopg://…, not {parsed.get_backend_name()}"
                )
        except ArgumentError:
            problems.append("DATABASE_URL is not a database URL (e.g. postgresql+psycopg://user@host/db)")
        else:
            from community.db import connection_problem

            if not problems and (reason := connection_problem(url)):
                problems.append(f"DATABASE_URL does not answer: {reason}")
    return problems


def processes(rasa: bool) -> list[str]:
    procs = ["rasa", "actions", "bot"] if rasa else ["bot"]
    if (ROOT / "web" / "__main__.py").exists() and "web:" in (ROOT / "Procfile").read_text():
        procs.append("web")
    return procs


def run_live() -> int:
    problems = settings_problems()
    if problems:
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    problem = rasa_problem()
    if problem:
        print(f"note: Rasa is off ({problem}); residents get the guided button flow.", file=sys.stderr)
        env["RASA_URL"] = ""
    procs = processes(problem is None)
    several: list[str] = []
    if problem is None:
        servers, actions = servers_setting("RASA_SERVERS", env), servers_setting("ACTION_SERVERS", env)
        ports = int(env.get("RASA_PORT", "5005")), int(env.get("ACTIONS_PORT", "5055"))
        # The bot's RASA_URL / ACTION_SERVER_URL list them all (unless set by hand).
        env = {**rasa_cluster_env(servers, actions, *ports), **env} | {
            "RASA_SERVERS": str(servers),
            "ACTION_SERVERS": str(actions),
        }
        several = concurrency(servers, actions)
        if several:
            print(f"{servers} Rasa servers, {actions} action servers", file=sys.stderr)
    print(f"starting {', '.join(procs)} with honcho (Procfile); Ctrl-C stops them all", file=sys.stderr)
    os.chdir(ROOT)
    os.execve(str(HONCHO), [str(HONCHO), "start", "-f", str(ROOT / "Procfile"), *several, *procs], env)
    return 0  # not reached
