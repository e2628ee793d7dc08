# The two commands a bureau needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
DEMO_MERCHANTS ?= 2000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint fmt worker beat bench migrate seed serve clean messages check

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

## make demo: install, migrate, load demo data and serve http://127.0.0.1:8000
demo: $(STAMP)
	DEBUG=$${DEBUG:-true} $(MANAGE) migrate --noinput
	DEBUG=$${DEBUG:-true} $(MANAGE) compilemessages --ignore=.venv >/dev/null 2>&1 || true
	DEBUG=$${DEBUG:-true} $(MANAGE) seed_demo --merchants $(DEMO_MERCHANTS)
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "Starting a Celery worker and beat against $$REDIS_URL"; \
	  DEBUG=$${DEBUG:-true} $(BIN)/celery -A integrity_portal worker -B -l info --concurrency 2 & \
	fi; \
	DEBUG=$${DEBUG:-true} $(MANAGE) runserver $(HOST):$(PORT)

## make test: install and run lint plus the whole suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(STAMP)
	$(BIN)/celery -A integrity_portal worker -l info

beat: $(STAMP)
	$(BIN)/celery -A integrity_portal beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -o addopts="-ra" -o python_files="bench_*.py" -p no:cacheprovider -s $(PYTEST_ARGS)

messages: $(STAMP)
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=tests
	$(MANAGE) compilemessages --ignore=.venv

check: $(STAMP)
	$(MANAGE) check

clean:
	rm -rf $(VENV) db.sqlite3 media .pytest_cache
