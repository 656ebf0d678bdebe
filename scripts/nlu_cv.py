"""`rasa test nlu --cross-validation` with reproducible folds.

Rasa 3.6 splits the folds with ``StratifiedKFold(shuffle=True)`` and no random_state
(rasa/nlu/test.py, generate_folds), so every run scores different folds and the
macro-F1 moves by about ±0.005 from run to run. The folds are drawn from numpy's global
generator the first time they are asked for, before any training, so seeding it here
fixes them.

    python scripts/nlu_cv.py --fold-seed 0 test nlu --nlu DIR --config config.yml \
        --cross-validation --folds 5 --out results/nlu/cv
"""

from __future__ import annotations

import sys

import numpy


def main() -> None:
    args = sys.argv[1:]
    seed = 0
    if args[:1] == ["--fold-seed"]:
        seed, args = int(args[1]), args[2:]
    numpy.random.seed(seed)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
