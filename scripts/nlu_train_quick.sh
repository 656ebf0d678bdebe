#!/usr/bin/env bash
# NLU-only training for iterating on the NLU (no dialogue policies), then the whole-pipeline
# score of both held-out sets (scripts/nlu_score.py). Everything under nice -n 19.
#
#   scripts/nlu_train_quick.sh [OUT_DIR]      model in OUT_DIR/nlu.tar.gz, scores in OUT_DIR/score.json
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${1:-$ROOT/results/nlu/quick}"
RASA_VENV="${RASA_VENV:-$ROOT/.venv-rasa}"
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONHASHSEED=0
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"
NLU_DIR="$(mktemp -d)"
trap 'rm -rf "$NLU_DIR"' EXIT
# the NLU training files: data/nlu.yml, data/nlu/*.yml, synonyms, lookups
for f in data/nlu.yml data/synonyms.yml data/lookups.yml data/nlu/*.yml; do
  ln -s "$ROOT/$f" "$NLU_DIR/$(echo "$f" | tr / _)"
done
start=$(date +%s)
nice -n 19 "$RASA_VENV/bin/rasa" train nlu --config config.yml --nlu "$NLU_DIR" \
  --out "$OUT" --fixed-model-name nlu > "$OUT/train.log" 2>&1 || { tail -40 "$OUT/train.log" >&2; exit 1; }
echo $(( $(date +%s) - start )) > "$OUT/train_seconds.txt"
nice -n 19 "$RASA_VENV/bin/python" scripts/nlu_score.py --model "$OUT/nlu.tar.gz" \
  --data tests/nlu/heldout.yml --data tests/nlu/heldout_colloquial.yml \
  --out "$OUT/score.json" --save-parses "$OUT/parses.json" > "$OUT/score.log" 2>&1
tail -20 "$OUT/score.log"
