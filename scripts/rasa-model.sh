#!/usr/bin/env bash
# Train the Rasa model (models/nuanxin.tar.gz) on first use and again only when its inputs
# changed: config.yml, domain.yml, the Rasa training files in data/, the custom NLU
# components in nlu/, the address parser they share with the domain (community/address.py)
# and requirements-rasa.txt. The inputs' content hash is kept beside
# the model, so a fresh checkout (new mtimes, same content) does not retrain.
#
# Like pip's wheel cache, trained models are also kept per input hash in a cache outside
# the checkout (NUANXIN_MODEL_CACHE, default ~/.cache/nuanxin/models; empty disables it):
# a fresh clone of the same content on the same machine reuses the model instead of
# training it again. A machine that never trained these inputs trains them.
#
#   scripts/rasa-model.sh           train if needed, print the model path
#   scripts/rasa-model.sh --check   exit 1 if the model is missing or stale, 0 otherwise
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RASA="${RASA_VENV:-$ROOT/.venv-rasa}/bin/rasa"
MODEL_DIR="$ROOT/models"
MODEL="$MODEL_DIR/nuanxin.tar.gz"
STAMP="$MODEL_DIR/nuanxin.inputs.sha256"
# Rasa's training files are the YAML files directly in data/ and in data/nlu/ (one file per
# part of the assistant; data/community/ holds the community's CSVs, which are not Rasa data).
shopt -s nullglob
DATA=(data/*.yml data/nlu/*.yml)
shopt -u nullglob

fingerprint() {
  { sha256sum config.yml domain.yml "${DATA[@]}" requirements-rasa.txt community/address.py
    find nlu -type f \( -name '*.py' -o -name '*.txt' \) -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}

CACHE="${NUANXIN_MODEL_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/nuanxin/models}"
KEEP_CACHED=6  # models kept in the cache, newest first

current="$(fingerprint)"
if [[ -f "$MODEL" && -f "$STAMP" && "$(cat "$STAMP")" == "$current" ]]; then
  [[ "${1:-}" == "--check" ]] || echo "$MODEL"
  exit 0
fi
[[ "${1:-}" == "--check" ]] && exit 1

if [[ -n "$CACHE" && -f "$CACHE/$current.tar.gz" ]]; then
  mkdir -p "$MODEL_DIR"
  cp "$CACHE/$current.tar.gz" "$MODEL.tmp" && mv "$MODEL.tmp" "$MODEL"
  echo "$current" > "$STAMP"
  echo "==> Rasa model for these inputs taken from the cache ($CACHE)" >&2
  echo "$MODEL"
  exit 0
fi

if [[ ! -x "$RASA" ]]; then
  echo "no Rasa at $RASA: run 'make rasa-env' first" >&2
  exit 2
fi
mkdir -p "$MODEL_DIR" var
LOG="$ROOT/var/rasa-train.log"
echo "==> training the Rasa model (first time or inputs changed; a few minutes on 2 cores)" >&2
echo "    progress: $LOG" >&2
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore SQLALCHEMY_SILENCE_UBER_WARNING=1
start=$(date +%s)
# Everything goes to the log; one line per component (and its epochs) comes to the terminal.
set +e
nice -n 10 "$RASA" train --config config.yml --domain domain.yml --data "${DATA[@]}" \
    --out "$MODEL_DIR" --fixed-model-name nuanxin 2>&1 | tee "$LOG" | tr '\r' '\n' \
  | grep --line-buffered -oE "(Starting to train component '[A-Za-z]+'|Epochs: +100%)" \
  | sed -u 's/^/    /' >&2
status=${PIPESTATUS[0]}
set -e
if (( status != 0 )); then
  tail -40 "$LOG" >&2
  echo "Rasa training failed; full log in $LOG" >&2
  exit 1
fi
echo "$current" > "$STAMP"
if [[ -n "$CACHE" ]]; then
  mkdir -p "$CACHE"
  cp "$MODEL" "$CACHE/$current.tar.gz.tmp" && mv "$CACHE/$current.tar.gz.tmp" "$CACHE/$current.tar.gz"
  ls -1t "$CACHE"/*.tar.gz 2>/dev/null | tail -n +$((KEEP_CACHED + 1)) | xargs -r rm -f
fi
echo "==> model trained in $(( $(date +%s) - start )) s: $MODEL" >&2
echo "$MODEL"
