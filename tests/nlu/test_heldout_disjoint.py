"""The held-out NLU set must stay out of the training data.

Compares the examples after the same normalisation the pipeline applies
(Traditional -> Simplified, NFKC, whitespace) and lower-casing (the count-vector
featurizers lower-case), so 再見 in one file and 再见 in the other count as the same.
"""

import re
from pathlib import Path

from nlu.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILES = [ROOT / "data/nlu.yml"]
HELDOUT = ROOT / "tests/nlu/heldout.yml"
MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def examples(path: Path) -> dict[str, str]:
    """intent of every example, keyed by the example's normalised text."""
    out: dict[str, str] = {}
    intent = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- intent: (\S+)", line)
        if m:
            intent = m.group(1)
            continue
        m = re.match(r"\s+- (.*)$", line)
        if intent and m:
            text = MARKUP.sub(r"\1", m.group(1))
            out[normalize_text(text).lower()] = intent
    return out


def test_heldout_is_large_enough_and_covers_every_intent():
    held = examples(HELDOUT)
    assert len(held) >= 170
    train_intents = set()
    for f in TRAIN_FILES:
        train_intents |= set(examples(f).values())
    assert set(held.values()) == train_intents


def test_no_heldout_sentence_in_training_data():
    held = examples(HELDOUT)
    train: dict[str, str] = {}
    for f in TRAIN_FILES:
        train.update(examples(f))
    assert sorted(set(held) & set(train)) == []


def test_heldout_says_it_is_held_out():
    assert "held-out" in HELDOUT.read_text(encoding="utf-8").splitlines()[0].lower()


# Near-copies: the same sentence with only a sentence-final particle, punctuation or
# spacing changed (你好 / 你好呀, 谢了 / 谢啦, 妥 / 妥了) counts as a copy too.
PARTICLES = re.compile(r"[\s,，.。!！?？~～…啊呀吧呢嘛啦了哈哦噢嘞]")


def _core(text: str) -> str:
    return PARTICLES.sub("", text)


def test_no_heldout_near_copy_in_training_data():
    held = {_core(t): t for t in examples(HELDOUT)}
    clashes = []
    for f in TRAIN_FILES:
        for t in examples(f):
            core = _core(t)
            if core and core in held:
                clashes.append((t, held[core]))
    assert sorted(clashes) == []
