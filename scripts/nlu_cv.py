"""`rasa test nlu --cross-validation` with reproducible folds.

Rasa 3.6 splits the folds with ``StratifiedKFold(shuffle=True)`` and no random_state
(rasa/nlu/test.py, generate_folds), so every run scores different folds and the
macro-F1 moves by about ±0.005 from run to run. The folds are drawn from numpy's global
generator the first time they are asked for, before any training, so seeding it here
fixes them.

    python scripts/nlu_cv.py --fold-seed 0 [--skip-train-scores] test nlu --nlu DIR \
        --config config.yml --cross-validation --folds 5 --out results/nlu/cv
"""

from __future__ import annotations

import sys

import numpy


def main() -> None:
    args = sys.argv[1:]
    seed = 0
    if args[:1] == ["--fold-seed"]:
        seed, args = int(args[1]), args[2:]
    skip_train_scores = False
    if args[:1] == ["--skip-train-scores"]:
        skip_train_scores, args = True, args[1:]
    numpy.random.seed(seed)
    if skip_train_scores:
        _skip_train_scores()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


def _skip_train_scores() -> None:
    """Rasa parses every training example of every fold again to report training-set
    scores (rasa/nlu/test.py, cross_validate: the first combine_result call, the one
    without result lists). Nobody reads them, and on a loaded 2-core machine they double
    the run. Skip that call; the test-fold scores are untouched."""
    import rasa.nlu.test as nlu_test

    original = nlu_test.combine_result

    async def combine_result(*args, **kwargs):  # type: ignore[no-untyped-def]
        if len(args) + len(kwargs) <= 5:  # the training-set call
            return args[0], args[1], args[2]
        return await original(*args, **kwargs)

    nlu_test.combine_result = combine_result


if __name__ == "__main__":
    main()
