"""`python -m sim run | demo | chat`.

run   With TELEGRAM_BOT_TOKEN set: the product against real Telegram (honcho, Procfile).
      Without: the offline demo (same as `demo`).
demo  The simulated community day through the real bot and the local Bot API emulator.
chat  Talk to the bot yourself through the emulator, as a resident, a volunteer or staff.
"""

import os
import signal
import sys

USAGE = "usage: python -m sim {run|demo|chat} [--short] [--no-rasa] [--workdir DIR]"


_interrupted = False


def _interrupt(signum, _frame):
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    # SIGTERM (a CI runner, `timeout`, systemd) and SIGHUP (the terminal closed) stop the demo
    # like Ctrl-C does: through the launcher's clean-up, which stops every process it started.
    # Ctrl-C reaches the whole process group, so a child may die of it first and the day then
    # fail with "stuck"/"stopped" before the interrupt surfaces here: it is still a Ctrl-C (130).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    if not argv or argv[0] not in ("run", "demo", "chat"):
        print(USAGE, file=sys.stderr)
        return 2
    command, args = argv[0], list(argv[1:])
    from sim.stack import servers_setting

    try:  # RASA_SERVERS / ACTION_SERVERS: checked before anything starts
        servers_setting("RASA_SERVERS"), servers_setting("ACTION_SERVERS")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    workdir = None
    if "--workdir" in args:
        i = args.index("--workdir")
        workdir = args[i + 1]
        del args[i : i + 2]
    flags = set(args)
    if command == "run" and os.environ.get("TELEGRAM_BOT_TOKEN"):
        from sim.live import run_live

        return run_live()
    if command == "chat":
        from sim.chat import run_chat

        return run_chat(rasa=False if "--no-rasa" in flags else None)
    from sim import day
    from sim.demo import DemoOptions, run_demo

    options = DemoOptions()
    if workdir:
        from pathlib import Path

        options.workdir = Path(workdir)
        options.chart = options.workdir / "demo-day.png"
    if "--no-rasa" in flags:
        options.rasa = False
    if "--short" in flags:
        options.stories = day.short_day()
    from sim.hub import Stuck

    try:
        result = run_demo(options)
    except KeyboardInterrupt:
        print("stopped.", file=sys.stderr)
        return 130
    except (Stuck, AssertionError, RuntimeError, TimeoutError) as exc:
        if _interrupted:
            print("stopped.", file=sys.stderr)
            return 130
        print(f"\nthe demo day failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"process log: {options.workdir / 'processes.log'}", file=sys.stderr)
        return 1
    failed = [s for s in result.stories if not s.outcome]
    if _interrupted:
        return 130
    return 1 if failed or result.strays else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
