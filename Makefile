# 暖心 Nuanxin — one entry point. `make run` runs the product on embedded defaults,
# `make test` runs the tests. Both install what is missing first and skip it when nothing
# changed (each environment carries a stamp that is newer than its requirement file).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
PY        := $(VENV)/bin/python
PIP_FLAGS := --quiet --disable-pip-version-check --progress-bar off

.PHONY: help run demo chat test lint env rasa-env emulator model browser clean

help:
	@echo "make run    # the product: offline demo day without TELEGRAM_BOT_TOKEN, real Telegram with it"
	@echo "make demo   # a community day through the real bot, Rasa and the Bot API emulator; stats + chart"
	@echo "make chat   # talk to the bot yourself in the terminal (resident, volunteer or staff)"
	@echo "make test   # all tests (SQLite and PostgreSQL)"
	@echo "make lint   # ruff format and lint, mypy"
	@echo "make env    # only the Python 3.11 environment ($(VENV))"
	@echo "make rasa-env  # only the Python 3.10 environment for Rasa ($(RASA_VENV))"
	@echo "make emulator  # only the offline Telegram Bot API emulator (node_modules; needs node, npm)"
	@echo "make model  # train the Rasa model if its inputs changed (models/nuanxin.tar.gz)"

# Everything the product runs on; then sim/ starts the processes (honcho, Procfile*).
run: env rasa-env emulator model
	@$(PY) -m sim run $(SIM_ARGS)

demo: env rasa-env emulator model
	@$(PY) -m sim demo $(SIM_ARGS)

chat: env rasa-env emulator model
	@$(PY) -m sim chat $(SIM_ARGS)

# ruff (format and lint) on everything; mypy strict on the core (what it checks: [tool.mypy]
# in pyproject.toml). .pre-commit-config.yaml runs the same three before each commit.
lint: env
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# On TEST_WORKERS processes (pytest-xdist); tests sharing a heavy fixture (Rasa, the demo day)
# stay on one worker (--dist loadgroup, see tests/conftest.py), so it starts once.
# Three on two cores: the suite mostly waits (processes starting, Telegram's pace, retry_after), so a
# third worker fills the gaps (idle fresh clone: tests 16 min 19 s on two, 12 min 36 s on three).
TEST_WORKERS ?= 3
test: env rasa-env node_modules/.installed model browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

env: $(VENV)/.installed
rasa-env: $(RASA_VENV)/.installed
emulator: node_modules/.installed

# Trains on first use and when config, domain, data or nlu/ changed (content hash, see script).
model: rasa-env
	@scripts/rasa-model.sh >/dev/null

# Headless Chromium for the dashboard's browser tests (tests/web), from Debian's packages,
# with a CJK font: without one the screenshots show boxes and text widths are wrong.
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi -e "wenquanyi" -e "noto sans cjk" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-wqy-microhei; }

$(VENV)/.installed: pyproject.toml
	@echo "==> Python 3.11 environment ($(VENV))"
	@test -x $(PY) || "$$(scripts/find-python.sh 3.11)" -m venv $(VENV)
	@set -o pipefail; $(VENV)/bin/pip install $(PIP_FLAGS) -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	@$(PY) -c "import community.lifecycle" && touch $@

# Rasa 3.6 needs Python < 3.11 and pins SQLAlchemy 1.4: it gets its own environment and is
# reached over HTTP only. About 3 minutes and 2.7 GB the first time.
$(RASA_VENV)/.installed: requirements-rasa.txt
	@echo "==> Python 3.10 environment for Rasa ($(RASA_VENV)); first install takes ~3 minutes"
	@test -x $(RASA_VENV)/bin/python || "$$(scripts/find-python.sh 3.10)" -m venv $(RASA_VENV)
	@set -o pipefail; $(RASA_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-rasa.txt 2>&1 | { grep -vE "^WARNING: Location|DEPRECATION" || true; }
	@$(RASA_VENV)/bin/rasa --version >/dev/null && touch $@

# The offline Telegram Bot API emulator (telegram-test-api, pinned in package-lock.json) that
# sim/emulator.py runs under node for the bot's tests.
node_modules/.installed: package.json package-lock.json
	@echo "==> Telegram Bot API emulator (node_modules)"
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed: install Node.js (>= 18)" >&2; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

clean:
	rm -rf $(VENV) $(RASA_VENV) var .pytest_cache
