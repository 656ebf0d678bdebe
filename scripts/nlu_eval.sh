#!/usr/bin/env bash
# Evaluate the Nuanxin NLU and write nlu/REPORT.md.
#
#   scripts/nlu_eval.sh            train if inputs changed, both held-out sets, 5-fold CV, latency
#   scripts/nlu_eval.sh --no-cv    skip the cross-validation (it trains 5 models: slow);
#                                  results/nlu/cv from an earlier --cv-only run stay in the report
#   scripts/nlu_eval.sh --cv-only  only the cross-validation (start it early on a loaded machine)
#   CV_INTENTS_ONLY=1 scripts/nlu_eval.sh --cv-only
#                                  intent CV only (the pipeline without DIET: same intent
#                                  figures, no entity figures, a fraction of the time)
#   MODEL=models/nuanxin.tar.gz scripts/nlu_eval.sh --no-cv
#                                  score the full model `make model` trained (same NLU data and
#                                  config) instead of training an NLU-only one
#
# The model evaluated is an NLU-only model (`rasa train nlu` on the NLU training files:
# data/nlu.yml, data/nlu/*.yml, data/synonyms.yml, data/lookups.yml); `make model`
# trains the full model from the same files and config. Both held-out sets
# (tests/nlu/heldout.yml, tests/nlu/heldout_colloquial.yml) are scored through the whole
# pipeline by scripts/nlu_score.py (intent as the dialogue gets it, fallback rate,
# entity F1 per type over all extractors); the cross-validation is Rasa's
# (`rasa test nlu --cross-validation`, DIET entities, folds from a fixed seed).
#
# Uses the Rasa venv (.venv-rasa, Python 3.10, rasa[jieba]==3.6.21 and
# requirements-rasa.txt). Every rasa command runs under `nice -n 19`; the steps run
# one after the other, never two trainings at once. The machine's load average is
# recorded before and after each step (results/nlu/load.txt) and goes into the report.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RASA_VENV="${RASA_VENV:-$ROOT/.venv-rasa}"
RASA="$RASA_VENV/bin/rasa"
PY="$RASA_VENV/bin/python"
MODEL_DIR="$ROOT/models"
MODEL_NAME="nuanxin-nlu"
MODEL_FROM_ENV="${MODEL:-}"
MODEL="${MODEL:-$MODEL_DIR/$MODEL_NAME.tar.gz}"
RESULTS="$ROOT/results/nlu"
HELDOUT="$ROOT/tests/nlu/heldout.yml"
HELDOUT2="$ROOT/tests/nlu/heldout_colloquial.yml"
FOLDS="${FOLDS:-5}"
FOLD_SEED="${FOLD_SEED:-0}"
LATENCY_N="${LATENCY_N:-300}"
DO_CV=1
CV_ONLY=0
[[ "${1:-}" == "--no-cv" ]] && DO_CV=0
[[ "${1:-}" == "--cv-only" ]] && CV_ONLY=1

export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore SQLALCHEMY_SILENCE_UBER_WARNING=1
# hash-order independent feature columns, so a rerun gives the same figures
export PYTHONHASHSEED=0
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

if [[ ! -x "$RASA" ]]; then
  echo "no rasa at $RASA (create .venv-rasa: python3.10 -m venv .venv-rasa &&" \
       ".venv-rasa/bin/pip install -r requirements-rasa.txt)" >&2
  exit 2
fi

mkdir -p "$RESULTS" "$MODEL_DIR"
if (( CV_ONLY )); then
  echo "${CV_INTENTS_ONLY:+CV_INTENTS_ONLY=1 }scripts/nlu_eval.sh $*" > "$RESULTS/cv_command.txt"
else
  echo "${MODEL_FROM_ENV:+MODEL=$MODEL }scripts/nlu_eval.sh $*" > "$RESULTS/command.txt"
  : > "$RESULTS/load.txt"
fi
LOADFILE="$RESULTS/load.txt"
(( CV_ONLY )) && LOADFILE="$RESULTS/cv_load.txt" && : > "$LOADFILE"
load() { echo "$1 $(date -u +%H:%M:%S) load average $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)" >> "$LOADFILE"; }

# NLU training files only (data/ also holds dialogue files and the community tables).
NLU_DIR="$(mktemp -d)"
trap 'rm -rf "$NLU_DIR"' EXIT
for f in data/nlu.yml data/synonyms.yml data/lookups.yml data/nlu/*.yml; do
  ln -s "$ROOT/$f" "$NLU_DIR/$(echo "$f" | tr / _)"
done

# 1. train only if an input is newer than the model
needs_train=0
if (( CV_ONLY )); then
  needs_train=-1
elif [[ ! -f "$MODEL" ]]; then
  needs_train=1
elif [[ -n "$(find config.yml data nlu requirements-rasa.txt -newer "$MODEL" \
              \( -name '*.yml' -o -name '*.py' -o -name '*.txt' -o -name '*.csv' \) -print -quit)" ]]; then
  needs_train=1
fi
if (( needs_train == -1 )); then
  :
elif (( needs_train )); then
  if [[ -n "$MODEL_FROM_ENV" ]]; then
    echo "$MODEL is older than its inputs: run 'make model' first" >&2
    exit 1
  fi
  echo "== training $MODEL (NLU only)"
  load "train-start"
  start=$(date +%s)
  nice -n 19 "$RASA" train nlu --config config.yml --nlu "$NLU_DIR" \
    --out "$MODEL_DIR" --fixed-model-name "$MODEL_NAME" > "$RESULTS/train.log" 2>&1 \
    || { tail -40 "$RESULTS/train.log" >&2; exit 1; }
  echo $(( $(date +%s) - start )) > "$RESULTS/train_seconds.txt"
  load "train-end"
  grep -c "Misaligned entity annotation" "$RESULTS/train.log" > "$RESULTS/misaligned_count.txt" || true
else
  echo "== model is up to date: $MODEL"
fi

# 2. both held-out sets through the whole pipeline
if (( ! CV_ONLY )); then
echo "== held-out sets ($HELDOUT, $HELDOUT2)"
load "heldout-start"
nice -n 19 "$PY" scripts/nlu_score.py --model "$MODEL" --data "$HELDOUT" --data "$HELDOUT2" \
  --out "$RESULTS/score.json" --save-parses "$RESULTS/parses.json" > "$RESULTS/score.log" 2>&1 \
  || { tail -40 "$RESULTS/score.log" >&2; exit 1; }
load "heldout-end"
fi

# 3. cross-validation on the training data
if (( DO_CV )); then
  echo "== ${FOLDS}-fold cross-validation (trains ${FOLDS} models)"
  rm -rf "$RESULTS/cv"
  load "cv-start"
  start=$(date +%s)
  # scripts/nlu_cv.py: the same command with the folds drawn from a fixed seed
  echo "$FOLD_SEED" > "$RESULTS/cv_fold_seed.txt"
  CV_CONFIG=config.yml
  if [[ -n "${CV_INTENTS_ONLY:-}" ]]; then
    # the pipeline without DIET: the intent classifier reads no DIET output
    # (intent_classification: false), so its CV figures are the full pipeline's; the
    # five DIET trainings (most of the run) are skipped and there are no entity figures
    CV_CONFIG="$NLU_DIR/config_intents_only.yml"
    "$PY" - "$CV_CONFIG" <<'PYEOF'
import sys, yaml
cfg = yaml.safe_load(open("config.yml", encoding="utf-8"))
cfg["pipeline"] = [c for c in cfg["pipeline"] if c["name"] != "DIETClassifier"]
yaml.safe_dump(cfg, open(sys.argv[1], "w", encoding="utf-8"), allow_unicode=True, sort_keys=False)
PYEOF
    echo "intents only (config.yml without DIETClassifier)" > "$RESULTS/cv_mode.txt"
  else
    echo "full pipeline" > "$RESULTS/cv_mode.txt"
  fi
  nice -n 19 "$PY" scripts/nlu_cv.py --fold-seed "$FOLD_SEED" --skip-train-scores test nlu --nlu "$NLU_DIR" \
    --config "$CV_CONFIG" --cross-validation --folds "$FOLDS" --out "$RESULTS/cv" \
    > "$RESULTS/cv.log" 2>&1 \
    || { tail -40 "$RESULTS/cv.log" >&2; exit 1; }
  echo $(( $(date +%s) - start )) > "$RESULTS/cv_seconds.txt"
  load "cv-end"
fi

(( CV_ONLY )) && { echo "== cross-validation done: $RESULTS/cv"; exit 0; }

# 4. parse latency through rasa.core.agent
echo "== parse latency (${LATENCY_N} calls)"
load "latency-start"
nice -n 19 "$PY" scripts/nlu_latency.py --model "$MODEL" --data "$HELDOUT2" \
  --n "$LATENCY_N" --out "$RESULTS/latency.json" > "$RESULTS/latency.log" 2>&1 \
  || { tail -40 "$RESULTS/latency.log" >&2; exit 1; }
load "latency-end"

# 5. report
"$PY" scripts/nlu_report.py --results "$RESULTS" --out nlu/REPORT.md
echo "== wrote nlu/REPORT.md"
