"""Shared fixtures. Tests that need PostgreSQL, Redis, a worker or Chromium skip with a
clear reason on a machine without them, but fail when CI=true (CI must run them)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def skip_or_fail(reason: str) -> None:
    if CI:
        pytest.fail(f"{reason} — required when CI=true", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = settings.REDIS_URL
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def require_postgres():
    if not settings.IS_POSTGRES:
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def require_redis():
    if not redis_available():
        skip_or_fail("needs a Redis server: set REDIS_URL=redis://… and start redis-server")


@pytest.fixture
def require_chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        skip_or_fail(f"needs Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("needs the playwright Python package")


@pytest.fixture(autouse=True)
def _celery_eager():
    """Unit tests run tasks in-process; tests with a real worker use ``celery_worker_real``."""
    from integrity_portal.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


@pytest.fixture(autouse=True)
def _closed_circuit_breakers():
    """A test that simulates a Redis outage trips the in-process breakers; the next test starts with them closed."""
    from integrity_portal.core.cache import CircuitBreaker

    CircuitBreaker.reset_all()
    yield
    CircuitBreaker.reset_all()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Region tree and page caches must not leak between tests (rolled-back rows leave no signal)."""
    from django.core.cache import cache

    from merchants import regions as region_tree

    region_tree.clear_cache()
    cache.clear()
    yield
    region_tree.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_holiday_calendar():
    """The working-day calendar caches schedules per year in-process; a rolled-back test's
    schedule must not be seen by the next test (the schedule itself is filled lazily)."""
    from integrity_portal.core.workdays import invalidate_calendar_cache

    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def regions(db):
    """The four seed cities and their districts (merchants/fixtures/regions.json)."""
    from merchants import regions as region_tree
    from merchants.models import Region

    call_command("loaddata", "regions", verbosity=0)
    region_tree.clear_cache()
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def celery_worker_real(require_redis, transactional_db):
    """A real Celery worker thread consuming from the Redis broker (not eager)."""
    from celery.contrib.testing.worker import start_worker

    from integrity_portal.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app
    app.conf.task_always_eager = True
