# cangku — the two commands a new user needs:
#   make run    create .venv, install, build demo data on SQLite, serve http://127.0.0.1:8000
#   make test   install everything the tests need and run the whole suite (SQLite + PostgreSQL)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DB ?= cangku.db
export CANGKU_DATABASE_URL ?= sqlite:///$(DEMO_DB)
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test install install-test lint test-sqlite test-postgresql browser-deps demo serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# stamp files: (re)install only on the first run or after pyproject.toml has changed
# (the install is editable: changes to the code need none)
install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: install
	@if [ ! -f "$(DEMO_DB)" ]; then $(BIN)/cangku demo; else echo "using existing $(DEMO_DB) (sign-ins as printed when it was built; delete it to rebuild the demo)"; $(BIN)/cangku db upgrade; fi
	$(BIN)/cangku serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/cangku demo

serve: install
	$(BIN)/cangku serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian's Chromium for the browser tests (only as root; otherwise those tests are skipped)
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium and CJK fonts (apt-get)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test-sqlite: install-test browser-deps
	CANGKU_TEST_DB=sqlite $(BIN)/pytest -n 2 -q

test-postgresql: install-test
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		CANGKU_TEST_DB=postgresql CANGKU_TEST_PG=$(PG_URL) $(BIN)/pytest -n 2 -q -m "not browser"; \
	elif [ -n "$$CANGKU_REQUIRE_POSTGRESQL" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable" >&2; exit 1; \
	else \
		echo "*** PostgreSQL at $(PG_URL) is not reachable: the PostgreSQL run is SKIPPED (set PG_URL) ***"; \
	fi

test: lint test-sqlite test-postgresql

bench: install-test
	$(BIN)/python bench/posting.py
	$(BIN)/python bench/bulk.py
	$(BIN)/python bench/http_api.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
