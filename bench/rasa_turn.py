"""CPU per dialogue turn inside Rasa, and where it goes (issue 16: ~138 ms a turn, target
<= 40 ms): stock Rasa 3.6, then with rasa_server.speedups, in the same process and run. The real action server (its own process, as in production) on a fresh community;
Rasa's Agent loaded in-process from the trained model, so only turns are measured and
profiled, not model loading or HTTP. One resident at a time orders a repair in one sentence,
answers what is asked with the first button, and confirms (the dialogue of bench/bot.py --rasa).
Per turn: this process's CPU time (time.process_time, Rasa's side only: the action server's
CPU is apart) and wall time; then cProfile's top functions over the timed turns.

  .venv/bin/python bench/rasa_turn.py                # 20 residents after 3 warm-up ones
  .venv/bin/python bench/rasa_turn.py --residents 5 --profile /tmp/turn.prof
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Runs in Rasa's environment (.venv-rasa); reads its settings from argv, prints JSON.
INSIDE = r"""
import asyncio, cProfile, io, json, pstats, sys, time, logging, os
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.utils.endpoints import EndpointConfig

model, action_url, residents, warmup, profile_path, now = sys.argv[1:7]
residents, warmup = int(residents), int(warmup)

async def main():
    agent = Agent.load(model, action_endpoint=EndpointConfig(action_url))
    turns, profiler = [], None

    async def say(sender, text, timed):
        out = CollectingOutputChannel()
        msg = UserMessage(text, out, sender, metadata={"telegram": {"id": int(sender)}, "now": now})
        cpu, wall = time.process_time(), time.perf_counter()
        if timed and profiler:
            profiler.enable()
        await agent.handle_message(msg)
        if timed and profiler:
            profiler.disable()
        if timed:
            turns.append({"cpu": (time.process_time() - cpu) * 1000, "wall": (time.perf_counter() - wall) * 1000})
        return out.messages

    async def converse(r, timed):
        sender = str(600_000 + r)
        replies = await say(sender, f"{1 + r % 5}号楼1单元{101 + r % 3}厨房水管漏水了 明天上午9点来修一下", timed)
        for _ in range(6):
            buttons = [b for m in replies for b in m.get("buttons") or []]
            confirm = [b for b in buttons if b["title"] == "确认提交"]
            if confirm:
                replies = await say(sender, confirm[0]["payload"], timed)
                break
            if not buttons:
                raise SystemExit(f"no buttons in {replies}")
            replies = await say(sender, buttons[0]["payload"], timed)
        else:
            raise SystemExit("no read-back")

    # Stock Rasa first, then with rasa_server.speedups: the same process, model and dialogue.
    figures = {}
    for label in ("stock", "speedups"):
        if label == "speedups":
            from rasa_server import speedups
            speedups.apply()
        turns.clear()
        base = 0 if label == "stock" else warmup + residents
        for r in range(base, base + warmup + residents):
            await converse(r, r >= base + warmup)
        figures[label] = list(turns)
    if profile_path:  # then a few more, profiled (cProfile's overhead is not in the figures above)
        profiler = cProfile.Profile()
        for r in range(2 * (warmup + residents), 2 * (warmup + residents) + 3):
            await converse(r, True)
    stats = io.StringIO()
    if profiler:  # the last residents' turns with the speedups (with its overhead: not timed)
        ps = pstats.Stats(profiler, stream=stats)
        ps.dump_stats(profile_path)
        ps.sort_stats("cumulative").print_stats(60)
    print(json.dumps({"turns": figures, "profile": stats.getvalue()}))

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", default="", help="also write cProfile's stats here")
    parser.add_argument("--top", type=int, default=45, help="lines of the profile to print")
    args = parser.parse_args()

    from community import clock
    from community.db import make_engine, session_factory, upgrade
    from community.models import Person, Resident
    from tests.builders import build_world
    from tests.live import RASA, _process_env, _spawn, daytime_clock, free_port, require_model

    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir / 'turn.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        world = build_world(s)
        for r in range(2 * (args.warmup + args.residents) + 3):
            person = Person(
                community_id=world.community.id, name=f"居民{r}", telegram_id=600_000 + r, phone="13900000000"
            )
            s.add(Resident(person=person, consent_at=clock.now()))
    day = daytime_clock()
    port = free_port()
    env = _process_env(url, day)
    actions = _spawn(
        "actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)], env, workdir
    )
    try:
        import asyncio

        from bot.rasa import wait_until_ready

        asyncio.run(wait_until_ready("", f"http://127.0.0.1:{port}", 120, interval=0.5))
        with clock.use_clock(day):
            now = clock.to_local(clock.now()).isoformat()
        done = subprocess.run(
            [
                str(RASA.parent / "python"),
                "-c",
                INSIDE,
                str(require_model()),
                f"http://127.0.0.1:{port}/webhook",
                str(args.residents),
                str(args.warmup),
                args.profile,
                now,
            ],
            cwd=ROOT,
            env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"},
            capture_output=True,
            text=True,
        )
    finally:
        actions.stop()
        engine.dispose()
    if done.returncode != 0:
        sys.exit(f"FAILED:\n{done.stderr[-4000:]}\n{actions.tail()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])

    def at(values: list[float], p: int) -> float:
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    print(f"{args.residents} residents one at a time after {args.warmup} warm-up ones; Rasa's process only, ms")
    print("(CPU: time.process_time of the Rasa process; wall includes waiting for the action server)")
    for label, turns in result["turns"].items():
        cpu, wall = sorted(t["cpu"] for t in turns), sorted(t["wall"] for t in turns)
        print(
            f"  {label:9} {len(turns)} turns: CPU p50 {at(cpu, 50):.1f}  p95 {at(cpu, 95):.1f}  "
            f"mean {sum(cpu) / len(cpu):.1f}; wall p50 {at(wall, 50):.1f}  p95 {at(wall, 95):.1f}"
        )
    print(f"  load average {os.getloadavg()[0]:.2f}")
    print("\n".join(result["profile"].splitlines()[: args.top]))


if __name__ == "__main__":
    main()
