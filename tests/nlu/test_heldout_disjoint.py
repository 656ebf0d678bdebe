"""The held-out NLU sets must stay out of the training data.

Set 1 (tests/nlu/heldout.yml, textbook-style) and set 2 (tests/nlu/heldout_colloquial.yml,
as residents type or dictate) are checked against every NLU training file: data/nlu.yml
and the other YAML files under data/ that carry examples (data/nlu/*.yml of the info desk
and the person on call included).

Compares the examples after the same normalisation the pipeline applies
(Traditional -> Simplified, NFKC, whitespace) and lower-casing (the count-vector
featurizers lower-case), so 再見 in one file and 再见 in the other count as the same.
That normalisation includes the colloquial rewrites (fillers dropped, chat words mapped:
嗯 就这个 and 就这个 count as the same sentence). One exception: a held-out utterance
that is nothing but one chat word of the normaliser's table (hello, 886, 3q) becomes
the canonical word (你好, 拜拜, 谢谢), which training data must contain; such
utterances are left out of the comparison (listed in CHAT_WORD_ONLY, reported in
nlu/REPORT.md: the figures for them measure the table, not the model).
"""

import re
from pathlib import Path

import pytest

from nlu.normalize import is_chat_word, normalize_text

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILES = sorted(
    p for p in [*ROOT.glob("data/*.yml"), *ROOT.glob("data/nlu/*.yml")] if "- intent:" in p.read_text(encoding="utf-8")
)
HELDOUT = ROOT / "tests/nlu/heldout.yml"
HELDOUT2 = ROOT / "tests/nlu/heldout_colloquial.yml"
HELDOUT_SETS = [HELDOUT, HELDOUT2]
# intents of the held-out sets that come from training files of other work this round
LATER_INTENTS = {"ask_info", "request_human"}
MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# held-out utterances that are a bare chat word (see the module docstring)
CHAT_WORD_ONLY = {"hello", "886", "3q"}


def examples(path: Path, skip_chat_words: bool = False) -> dict[str, str]:
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
            if skip_chat_words and is_chat_word(text):
                continue
            out[normalize_text(text).lower()] = intent
    return out


def _train_intents() -> set[str]:
    intents: set[str] = set()
    for f in TRAIN_FILES:
        intents |= set(examples(f).values())
    return intents


def test_training_files_found():
    assert ROOT / "data/nlu.yml" in TRAIN_FILES


def test_heldout_is_large_enough_and_covers_every_intent():
    held = examples(HELDOUT)
    assert len(held) >= 170
    assert set(held.values()) == _train_intents() - LATER_INTENTS


def test_colloquial_heldout_is_large_enough_and_covers_every_intent():
    held = examples(HELDOUT2)
    assert len(held) >= 250
    assert set(held.values()) >= _train_intents()
    assert set(held.values()) <= _train_intents() | LATER_INTENTS


def test_colloquial_heldout_is_about_a_fifth_traditional():
    from nlu.normalize import to_simplified

    held = list(examples_raw(HELDOUT2))
    traditional = [t for t in held if to_simplified(t) != t]
    assert len(traditional) >= 0.18 * len(held)


def examples_raw(path: Path):
    """The examples' text without markup, before normalisation."""
    intent = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"- intent: (\S+)", line):
            intent = line
            continue
        m = re.match(r"\s+- (.*)$", line)
        if intent and m:
            yield MARKUP.sub(r"\1", m.group(1))


@pytest.mark.parametrize("heldout", HELDOUT_SETS, ids=lambda p: p.name)
def test_no_heldout_sentence_in_training_data(heldout):
    held = examples(heldout, skip_chat_words=True)
    train: dict[str, str] = {}
    for f in TRAIN_FILES:
        train.update(examples(f))
    assert sorted(set(held) & set(train)) == []


def test_heldout_sets_are_disjoint():
    assert sorted(set(examples(HELDOUT)) & set(examples(HELDOUT2))) == []


@pytest.mark.parametrize("heldout", HELDOUT_SETS, ids=lambda p: p.name)
def test_heldout_says_it_is_held_out(heldout):
    assert "held-out" in heldout.read_text(encoding="utf-8").splitlines()[0].lower()


# Near-copies: the same sentence with only a sentence-final particle, punctuation or
# spacing changed (你好 / 你好呀, 谢了 / 谢啦, 妥 / 妥了) counts as a copy too.
PARTICLES = re.compile(r"[\s,，.。!！?？~～…啊呀吧呢嘛啦了哈哦噢嘞]")


def _core(text: str) -> str:
    return PARTICLES.sub("", text)


@pytest.mark.parametrize("heldout", HELDOUT_SETS, ids=lambda p: p.name)
def test_no_heldout_near_copy_in_training_data(heldout):
    held = {_core(t): t for t in examples(heldout, skip_chat_words=True)}
    clashes = []
    for f in TRAIN_FILES:
        for t in examples(f):
            core = _core(t)
            if core and core in held:
                clashes.append((t, held[core]))
    assert sorted(clashes) == []


def test_only_bare_chat_words_are_left_out():
    skipped = {t for h in HELDOUT_SETS for t in examples_raw(h) if is_chat_word(t)}
    assert skipped == CHAT_WORD_ONLY
