#!/usr/bin/env bash
# Evaluate the Nuanxin NLU and write nlu/REPORT.md.
#
#   scripts/nlu_eval.sh            train if inputs changed, held-out test, 5-fold CV, latency
#   scripts/nlu_eval.sh --no-cv    skip the cross-validation (it trains 5 models: slow)
#
# Uses the Rasa venv (.venv-rasa, Python 3.10, rasa[jieba]==3.6.21 and
# requirements-rasa.txt). Every rasa command runs under `nice -n 19`; the steps run
# one after the other, never two trainings at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RASA_VENV="${RASA_VENV:-$ROOT/.venv-rasa}"
RASA="$RASA_VENV/bin/rasa"
PY="$RASA_VENV/bin/python"
MODEL_DIR="$ROOT/models"
MODEL_NAME="nuanxin-nlu"
MODEL="$MODEL_DIR/$MODEL_NAME.tar.gz"
RESULTS="$ROOT/results/nlu"
HELDOUT="$ROOT/tests/nlu/heldout.yml"
FOLDS="${FOLDS:-5}"
FOLD_SEED="${FOLD_SEED:-0}"
LATENCY_N="${LATENCY_N:-300}"
DO_CV=1
[[ "${1:-}" == "--no-cv" ]] && DO_CV=0

export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore SQLALCHEMY_SILENCE_UBER_WARNING=1
# hash-order independent feature columns, so a rerun gives the same figures
export PYTHONHASHSEED=0

if [[ ! -x "$RASA" ]]; then
  echo "no rasa at $RASA (create .venv-rasa: python3.10 -m venv .venv-rasa &&" \
       ".venv-rasa/bin/pip install -r requirements-rasa.txt)" >&2
  exit 2
fi

mkdir -p "$RESULTS" "$MODEL_DIR"

# NLU training files only (data/ may also hold files rasa must not read as NLU).
NLU_DIR="$(mktemp -d)"
trap 'rm -rf "$NLU_DIR"' EXIT
for f in data/nlu.yml data/synonyms.yml data/lookups.yml; do
  ln -s "$ROOT/$f" "$NLU_DIR/$(basename "$f")"
done

# 1. train only if an input is newer than the model
needs_train=0
if [[ ! -f "$MODEL" ]]; then
  needs_train=1
elif [[ -n "$(find config.yml domain.yml data nlu requirements-rasa.txt -newer "$MODEL" \
              \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) -print -quit)" ]]; then
  needs_train=1
fi
if (( needs_train )); then
  echo "== training $MODEL"
  start=$(date +%s)
  nice -n 19 "$RASA" train --config config.yml --domain domain.yml --data data \
    --out "$MODEL_DIR" --fixed-model-name "$MODEL_NAME" > "$RESULTS/train.log" 2>&1 \
    || { tail -40 "$RESULTS/train.log" >&2; exit 1; }
  echo $(( $(date +%s) - start )) > "$RESULTS/train_seconds.txt"
  grep -c "Misaligned entity annotation" "$RESULTS/train.log" > "$RESULTS/misaligned_count.txt" || true
else
  echo "== model is up to date: $MODEL"
fi

# 2. held-out test
echo "== held-out test ($HELDOUT)"
rm -rf "$RESULTS/heldout"
nice -n 19 "$RASA" test nlu --model "$MODEL" --nlu "$HELDOUT" \
  --out "$RESULTS/heldout" > "$RESULTS/heldout.log" 2>&1 \
  || { tail -40 "$RESULTS/heldout.log" >&2; exit 1; }

# 3. cross-validation on the training data
if (( DO_CV )); then
  echo "== ${FOLDS}-fold cross-validation (trains ${FOLDS} models)"
  rm -rf "$RESULTS/cv"
  start=$(date +%s)
  # scripts/nlu_cv.py: the same command with the folds drawn from a fixed seed
  echo "$FOLD_SEED" > "$RESULTS/cv_fold_seed.txt"
  nice -n 19 "$PY" scripts/nlu_cv.py --fold-seed "$FOLD_SEED" test nlu --nlu "$NLU_DIR" \
    --config config.yml --cross-validation --folds "$FOLDS" --out "$RESULTS/cv" \
    > "$RESULTS/cv.log" 2>&1 \
    || { tail -40 "$RESULTS/cv.log" >&2; exit 1; }
  echo $(( $(date +%s) - start )) > "$RESULTS/cv_seconds.txt"
fi

# 4. parse latency through rasa.core.agent
echo "== parse latency (${LATENCY_N} calls)"
nice -n 19 "$PY" scripts/nlu_latency.py --model "$MODEL" --data "$HELDOUT" \
  --n "$LATENCY_N" --out "$RESULTS/latency.json" > "$RESULTS/latency.log" 2>&1 \
  || { tail -40 "$RESULTS/latency.log" >&2; exit 1; }

# 5. report
"$PY" scripts/nlu_report.py --results "$RESULTS" --out nlu/REPORT.md
echo "== wrote nlu/REPORT.md"
