#!/usr/bin/env bash
# One Rasa action server (rasa-sdk, stateless: any Rasa server may call any of them), as honcho
# starts it from the Procfile (`actions` line; `honcho start -c actions=N` for ACTION_SERVERS=N).
# Instance i (HONCHO_PROCESS_NAME=actions.i, 1 when run by hand) listens on ACTIONS_PORT + i - 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
i="${HONCHO_PROCESS_NAME:-}"; i="${i##*.}"
[[ "$i" =~ ^[0-9]+$ ]] || i=1
exec .venv/bin/python -m rasa_sdk --actions actions -p "$((${ACTIONS_PORT:-5055} + i - 1))"
