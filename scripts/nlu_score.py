"""Score a trained Rasa model on a held-out NLU file as the product sees it.

    .venv-rasa/bin/python scripts/nlu_score.py --model models/nuanxin.tar.gz \
        --data tests/nlu/heldout.yml --data tests/nlu/heldout_colloquial.yml \
        [--out results/nlu/score.json] [--save-parses results/nlu/parses.json]
    python scripts/nlu_score.py --url http://127.0.0.1:5005 --data ...   # a running `rasa run --enable-api`

Every utterance goes through the whole pipeline (`/model/parse` or the in-process agent),
so the figures include the normaliser, the lookup-table extractor, the entity normaliser
and the FallbackClassifier — unlike `rasa test nlu`, which scores DIET's entities alone
and undoes the fallback. Reported:

- intent F1 per intent and macro-F1 over the gold intents the model knows, twice: the
  classifier's top intent (``top``: what `rasa test nlu` scores) and the intent the
  dialogue gets (``final``: an `nlu_fallback` is a miss);
- the fallback rate (share of utterances parsed as `nlu_fallback`);
- entity precision/recall/F1 per type and over all types: a predicted entity is right if it
  has the gold type and overlaps the gold span in the normalised text (one match per gold
  entity); for `service` the value must also be the gold menu name.

Gold intents the model does not know (an intent another piece of work adds in the same
round, not yet in the training data) are left out of the scores and counted apart.
Only the standard library and nlu/normalize.py are used, so tests can import it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlu.normalize import normalize_text, normalize_with_offsets  # noqa: E402

MARKUP = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
TARGETS = {"intent_macro_f1": 0.95, "entity_f1": 0.90, "fallback_rate": 0.02}


@dataclass
class Example:
    text: str  # without markup, as the resident wrote it
    intent: str
    entities: list[dict] = field(default_factory=list)  # {entity, value, start, end} in `text`


def load_examples(path: Path) -> list[Example]:
    out: list[Example] = []
    intent = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- intent: (\S+)", line)
        if m:
            intent = m.group(1)
            continue
        m = re.match(r"\s+- (.*)$", line)
        if not (intent and m):
            continue
        raw, text, ents, pos = m.group(1), "", [], 0
        for mm in MARKUP.finditer(raw):
            text += raw[pos : mm.start()]
            label = mm.group(2)
            etype, _, value = label.partition(":")
            start = len(text)
            text += mm.group(1)
            ents.append({"entity": etype, "value": value or mm.group(1), "start": start, "end": len(text)})
            pos = mm.end()
        text += raw[pos:]
        out.append(Example(text, intent, ents))
    return out


def training_intents() -> set[str]:
    """Intents with examples in the Rasa training files (data/*.yml, data/nlu/*.yml)."""
    intents: set[str] = set()
    for p in [*ROOT.glob("data/*.yml"), *ROOT.glob("data/nlu/*.yml")]:
        intents |= set(re.findall(r"^- intent: (\S+)", p.read_text(encoding="utf-8"), re.M))
    return intents


def _f1(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": tp + fn}


def _intent_scores(pairs: list[tuple[str, str]], labels: list[str]) -> dict:
    per = {}
    for lab in labels:
        tp = sum(1 for g, p in pairs if g == lab and p == lab)
        fp = sum(1 for g, p in pairs if g != lab and p == lab)
        fn = sum(1 for g, p in pairs if g == lab and p != lab)
        per[lab] = _f1(tp, fp, fn)
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return {"macro_f1": round(macro, 3), "per_intent": per}


def _gold_in_normalised(ex: Example) -> list[dict]:
    norm = normalize_with_offsets(ex.text)
    out = []
    for e in ex.entities:
        s, t = norm.map_span(e["start"], e["end"])
        out.append({**e, "start": s, "end": t, "value": normalize_text(e["value"])})
    return out


def score(examples: list[Example], parses: list[dict], known_intents: set[str]) -> dict:
    """Scores of `parses` (Rasa parse results, in the order of `examples`)."""
    used = [(ex, p) for ex, p in zip(examples, parses, strict=True) if ex.intent in known_intents]
    skipped = Counter(ex.intent for ex in examples if ex.intent not in known_intents)
    labels = sorted({ex.intent for ex, _ in used})
    final, top, errors = [], [], []
    fallbacks = 0
    ent_counts: dict[str, Counter] = {}
    ent_errors = []
    for ex, p in used:
        name = (p.get("intent") or {}).get("name")
        ranking = [r["name"] for r in p.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        top_name = ranking[0] if ranking else name
        if name == "nlu_fallback":
            fallbacks += 1
        final.append((ex.intent, name))
        top.append((ex.intent, top_name))
        if name != ex.intent:
            conf = (p.get("intent") or {}).get("confidence") or 0.0
            errors.append(
                {"text": ex.text, "gold": ex.intent, "predicted": name, "top": top_name, "confidence": round(conf, 2)}
            )
        gold = _gold_in_normalised(ex)
        pred = [e for e in p.get("entities") or []]
        matched: set[int] = set()
        wrong = False
        for g in gold:
            c = ent_counts.setdefault(g["entity"], Counter())
            hit = None
            for i, e in enumerate(pred):
                if i in matched or e.get("entity") != g["entity"]:
                    continue
                if e["start"] < g["end"] and g["start"] < e["end"]:
                    if g["entity"] == "service" and str(e.get("value")) != g["value"]:
                        continue
                    hit = i
                    break
            if hit is None:
                c["fn"] += 1
                wrong = True
            else:
                matched.add(hit)
                c["tp"] += 1
        for i, e in enumerate(pred):
            if i not in matched:
                ent_counts.setdefault(e.get("entity"), Counter())["fp"] += 1
                wrong = True
        if wrong:
            text = p.get("text") or ex.text
            ent_errors.append(
                {
                    "text": ex.text,
                    "gold": [f"{g['entity']}:{text[g['start'] : g['end']]}" for g in gold],
                    "predicted": [f"{e.get('entity')}:{text[e['start'] : e['end']]}={e.get('value')}" for e in pred],
                }
            )
    per_type = {t: _f1(c["tp"], c["fp"], c["fn"]) for t, c in sorted(ent_counts.items())}
    total = Counter()
    for c in ent_counts.values():
        total.update(c)
    return {
        "utterances": len(used),
        "skipped_unknown_intents": dict(skipped),
        "intent_top": _intent_scores(top, labels),
        "intent_final": _intent_scores(final, labels),
        "fallback_rate": round(fallbacks / len(used), 4) if used else 0.0,
        "fallbacks": fallbacks,
        "entity": {"all": _f1(total["tp"], total["fp"], total["fn"]), "per_type": per_type},
        "intent_errors": errors,
        "entity_errors": ent_errors,
    }


def parse_http(url: str, texts: list[str]) -> list[dict]:
    out = []
    for t in texts:
        req = urllib.request.Request(
            f"{url}/model/parse",
            data=json.dumps({"text": t}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            out.append(json.loads(resp.read()))
    return out


def parse_agent(model: str, texts: list[str]) -> list[dict]:
    async def run() -> list[dict]:
        from rasa.core.agent import load_agent

        agent = await load_agent(model_path=model)
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model")
    src.add_argument("--url")
    src.add_argument("--parses", help="score parse results saved by an earlier run (--save-parses)")
    ap.add_argument("--save-parses", help="keep the raw parse results (JSON, keyed by text)")
    ap.add_argument("--data", action="append", required=True)
    ap.add_argument("--out")
    args = ap.parse_args()
    known = training_intents()
    sets = {d: load_examples(Path(d)) for d in args.data}
    texts = [ex.text for exs in sets.values() for ex in exs]
    if args.parses:
        saved = json.loads(Path(args.parses).read_text(encoding="utf-8"))
        parses = [saved[t] for t in texts]
    else:
        parses = parse_http(args.url, texts) if args.url else parse_agent(args.model, texts)
    if args.save_parses:
        Path(args.save_parses).write_text(
            json.dumps(dict(zip(texts, parses, strict=True)), ensure_ascii=False), encoding="utf-8"
        )
    result, i = {}, 0
    for d, exs in sets.items():
        result[Path(d).name] = score(exs, parses[i : i + len(exs)], known)
        i += len(exs)
    summary = {
        k: {
            "intent_macro_f1_top": v["intent_top"]["macro_f1"],
            "intent_macro_f1_final": v["intent_final"]["macro_f1"],
            "entity_f1": v["entity"]["all"]["f1"],
            "fallback_rate": v["fallback_rate"],
            "utterances": v["utterances"],
            "skipped": v["skipped_unknown_intents"],
        }
        for k, v in result.items()
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
