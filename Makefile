# palmares: every target sets up .venv from the project's own files when needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export PYTHONHASHSEED := 0

.PHONY: demo test fuzz lint types bench lock clean postgres chromium fonts screenshots examples

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@$(UV) pip install --quiet --python $(PY) -r requirements.lock
	@$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@touch $(STAMP)

# In a terminal, the demo ends by serving what it wrote (Ctrl-C stops); SERVE=0 or no terminal
# on stdin: it prints the command and exits.
SERVE ?= 1
PORT ?= 8000
demo: $(STAMP)
	$(VENV)/bin/palmares demo --db palmares.duckdb
	@serve="$(VENV)/bin/palmares serve --db palmares.duckdb --port $(PORT)"; \
	url="http://127.0.0.1:$(PORT)/"; \
	case "$${PALMARES_LANG:-fr}" in [Ee][Nn]*) english=1 ;; *) english= ;; esac; \
	if [ -t 0 ] && [ "$(SERVE)" != "0" ]; then \
	  if [ -n "$$english" ]; then echo "Serving the demo on $$url (Ctrl-C stops)"; \
	  else echo "La démo est servie sur $$url (Ctrl-C pour arrêter)"; fi; \
	  $$serve --log-level warning; \
	elif [ -n "$$english" ]; then echo "Serve it: $$serve, then open $$url"; \
	else echo "Pour la servir : $$serve, puis ouvrez $$url"; \
	fi

# The store tests start a real PostgreSQL from the machine's server binaries: install them
# when missing (CI runs as root), or stop saying so.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq postgresql >/dev/null); } || \
	  { echo "PostgreSQL server binaries missing: run apt-get install -y postgresql" >&2; exit 1; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

# The browser tests drive Debian's Chromium; install it with the system package manager when
# absent (never a browser download).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# Charts are drawn in DejaVu Sans (one font family in every SVG/PNG): install it when absent.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq fonts-dejavu-core >/dev/null); } || \
	  { echo "DejaVu Sans missing: run apt-get install -y fonts-dejavu-core" >&2; exit 1; }

# loadgroup: tests marked xdist_group share one worker (the web tests: one server, one browser).
test: lint types postgres chromium fonts
	$(PY) -m pytest -n auto --dist loadgroup

# The fuzzing suite at length (tests/fuzz; FUZZ_EXAMPLES per test, default 1500).
fuzz: $(STAMP)
	PALMARES_FUZZ=fuzz-long $(PY) -m pytest tests/fuzz -q -p no:cacheprovider

# Screenshots of every page, desktop and 375 px, into docs/screenshots/ (seed world).
screenshots: $(STAMP) chromium
	$(PY) tests/web/screenshots.py docs/screenshots

# The example charts of docs/examples (docs/charts.md), drawn from fresh seed and demo worlds.
examples: $(STAMP)
	$(PY) -m palmares.demo.chart_examples docs/examples

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Re-pin requirements.lock from pyproject.toml (maintainers only).
lock: $(STAMP)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --no-header --no-annotate -o requirements.lock

clean:
	rm -rf $(VENV) palmares-demo palmares.duckdb palmares.duckdb.wal .pytest_cache .mypy_cache .ruff_cache
