"""Time N parses of a trained Rasa model through rasa.core.agent (in-process).

Run with the Rasa venv:  .venv-rasa/bin/python scripts/nlu_latency.py --model models/x.tar.gz
Writes p50/p95/p99/max in milliseconds to --out (JSON). The texts come from an NLU
YAML file (entity markup removed), cycled until N calls have been made; the first
10 calls warm up and are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_texts(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = []
    for block in data.get("nlu", []):
        for line in (block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                t = line[2:]
                t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)
                t = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", t)
                texts.append(t)
    return texts


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def run(model: str, texts: list[str], n: int) -> dict:
    from rasa.core.agent import load_agent

    t0 = time.perf_counter()
    agent = await load_agent(model_path=model)
    load_s = time.perf_counter() - t0
    for t in texts[:10]:
        await agent.parse_message(t)
    times = []
    fallback = set()
    for i in range(n):
        text = texts[i % len(texts)]
        s = time.perf_counter()
        parsed = await agent.parse_message(text)
        times.append((time.perf_counter() - s) * 1000.0)
        if (parsed.get("intent") or {}).get("name") == "nlu_fallback":
            fallback.add(text)
    distinct = len({texts[i % len(texts)] for i in range(n)})
    return {
        # share of the distinct texts parsed that FallbackClassifier turned into
        # nlu_fallback (rasa test nlu undoes the fallback before scoring intents)
        "nlu_fallback_share": round(len(fallback) / max(distinct, 1), 3),
        "calls": n,
        "model_load_seconds": round(load_s, 1),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(statistics.mean(times), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=str(ROOT / "tests/nlu/heldout.yml"))
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    result = asyncio.run(run(args.model, load_texts(Path(args.data)), args.n))
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
