#!/usr/bin/env bash
# One Rasa server, as honcho starts it from the Procfile (`rasa` line; `honcho start -c rasa=N`
# for N of them, which sim/ does for RASA_SERVERS=N). Instance i (HONCHO_PROCESS_NAME=rasa.i,
# 1 when run by hand) listens on RASA_PORT + i - 1 (5005, 5006, …) and calls action server
# (i - 1) mod ACTION_SERVERS (ACTIONS_PORT + that: 5055, 5056, …).
#
# One server: endpoints.yml (SQL tracker store RASA_TRACKER_URL, default sqlite:///var/rasa-tracker.db).
# Several (RASA_SERVERS > 1): endpoints.cluster.yml, a shared PostgreSQL tracker store
# (RASA_TRACKER_URL, required) and a Redis lock store (REDIS_HOST/PORT/DB/PASSWORD, defaults below).
# RASA_ENDPOINTS overrides the choice.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
i="${HONCHO_PROCESS_NAME:-}"; i="${i##*.}"
[[ "$i" =~ ^[0-9]+$ ]] || i=1
servers="${RASA_SERVERS:-1}"
actions="${ACTION_SERVERS:-1}"
if [[ -z "${RASA_ENDPOINTS:-}" ]]; then
  RASA_ENDPOINTS=endpoints.yml
  ((servers > 1)) && RASA_ENDPOINTS=endpoints.cluster.yml
fi
if [[ "$RASA_ENDPOINTS" == *cluster* && "${RASA_TRACKER_URL:-}" != postgresql* ]]; then
  echo "rasa-server: several Rasa servers share one tracker store: set RASA_TRACKER_URL=postgresql://user@host:5432/db" >&2
  exit 2
fi
export RASA_TRACKER_URL="${RASA_TRACKER_URL:-sqlite:///var/rasa-tracker.db}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$((${ACTIONS_PORT:-5055} + (i - 1) % actions))/webhook}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-1}"
export REDIS_PASSWORD="${REDIS_PASSWORD:-}" RASA_LOCK_PREFIX="${RASA_LOCK_PREFIX:-nuanxin}"
mkdir -p var
# `rasa run` with rasa_server.speedups applied (rasa_server/__main__.py)
exec "${RASA_VENV:-.venv-rasa}/bin/python" -m rasa_server run --enable-api -m "${RASA_MODEL:-models/nuanxin.tar.gz}" -i 127.0.0.1 \
  -p "$((${RASA_PORT:-5005} + i - 1))" --endpoints "$RASA_ENDPOINTS" --credentials credentials.yml
