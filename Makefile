# The two commands a bureau needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
DEMO_MERCHANTS ?= 2000
HOST ?= 127.0.0.1
PORT ?= 8000
# Every Celery queue (settings CELERY_TASK_QUEUES, docs/OPERATIONS.md "Celery").
CELERY_QUEUES := celery,recompute,notices,reports
# Every target that runs the portal runs it like `make demo` does: development mode unless DEBUG is set,
# and absolute links (demo printout, plaques, QR codes) on the host and port it serves. SMS go to a file
# (var/sms.jsonl, git-ignored: one JSON line per message) and e-mail to the console (docs/NOTIFICATIONS.md).
DEV_ENV = DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
	SMS_BACKEND=$${SMS_BACKEND:-notifications.sms.FileSMSBackend} SMS_FILE_PATH=$${SMS_FILE_PATH:-var/sms.jsonl}

.PHONY: demo test lint fmt worker beat bench migrate seed serve clean messages check venv

# Development installs both locks (requirements-dev.lock includes requirements.lock); images install only
# the production lock (Dockerfile).
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $(STAMP)

venv: $(STAMP)

## make demo: install, migrate, load demo data and serve http://$(HOST):$(PORT) (default 127.0.0.1:8000)
demo: $(STAMP)
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(DEV_ENV) $(MANAGE) seed_demo --merchants $(DEMO_MERCHANTS)
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "Starting a Celery worker and beat against $$REDIS_URL"; \
	  $(DEV_ENV) $(BIN)/celery -A integrity_portal worker -B -Q $(CELERY_QUEUES) -l info --concurrency 2 & \
	fi; \
	$(DEV_ENV) $(MANAGE) runserver $(HOST):$(PORT)

## make migrate / seed / serve: the three steps of `make demo`, one at a time
migrate: $(STAMP)
	$(DEV_ENV) $(MANAGE) migrate --noinput

seed: $(STAMP)
	$(DEV_ENV) $(MANAGE) seed_demo --merchants $(DEMO_MERCHANTS)

serve: $(STAMP)
	$(DEV_ENV) $(MANAGE) runserver $(HOST):$(PORT)

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
	$(DEV_ENV) $(BIN)/celery -A integrity_portal worker -Q $(CELERY_QUEUES) -l info

beat: $(STAMP)
	$(DEV_ENV) $(BIN)/celery -A integrity_portal beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -o addopts="-ra" -o python_files="bench_*.py" -p no:cacheprovider -s $(PYTEST_ARGS)

messages: $(STAMP)
	$(DEV_ENV) $(MANAGE) makemessages -l en --ignore=.venv --ignore=tests
	$(DEV_ENV) $(MANAGE) compilemessages --ignore=.venv

check: $(STAMP)
	$(DEV_ENV) $(MANAGE) check

clean:
	rm -rf $(VENV) db.sqlite3 media .pytest_cache
