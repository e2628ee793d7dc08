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
    from celery._state import _set_task_join_will_block

    from integrity_portal.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    # Celery's process-wide "a join would block" flag is set by a worker's pool component, in the worker's
    # thread, possibly after a real-worker test has torn down; left set, an eager ``.get()`` in a later test
    # fails with "Never call result.get() within a task!" (seen twice in CI after test_celery_worker.py).
    _set_task_join_will_block(False)
    yield
    app.conf.task_always_eager = old


@pytest.fixture(autouse=True)
def _default_language_and_timezone():
    """A request through the test client leaves its language (LocaleMiddleware) active in the thread: a
    test that asked for English must not make the next test's services speak English."""
    from django.utils import timezone, translation

    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


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

    from integrity_portal.core import public_cache, ratelimit
    from merchants import regions as region_tree
    from merchants.views import directory

    region_tree.clear_cache()
    cache.clear()
    public_cache._ASKED.clear()  # the page cache's per-process admission counts
    ratelimit._batch.reset()  # the API throttle's per-process counts, heard from a cache now cleared
    directory._SHELLS.clear()
    directory._RESULTS.clear()
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
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")  # never the repository's var/ (make demo's)


class SMSFile:
    """The SMS the file backend wrote in this test: ``lines()`` → [{"at", "to", "text"}, …]."""

    def __init__(self, path):
        self.path = path

    def lines(self) -> list[dict]:
        import json
        from pathlib import Path

        path = Path(self.path)
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def sms_file(settings):
    """SMS through notifications.sms.FileSMSBackend into this test's own file."""
    settings.SMS_BACKEND = "notifications.sms.FileSMSBackend"
    return SMSFile(settings.SMS_FILE_PATH)


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
    from celery._state import _set_task_join_will_block
    from celery.contrib.testing.worker import start_worker

    from integrity_portal.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True
        # The worker thread's pool component sets Celery's process-wide "a join would block" flag
        # (celery/worker/components.py), possibly after start_worker has cleared it; left set, every later
        # test's ``.get()`` fails with "Never call result.get() within a task!".
        _set_task_join_will_block(False)


def give_second_factor(client, user) -> None:
    """Mark ``client``'s session as having passed two-factor sign-in for ``user``, as the verify page
    does after a correct code (core/two_factor.py): a recovery-code device stands in for the phone."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from integrity_portal.core.two_factor import RECOVERY_DEVICE_NAME

    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    if not device.token_set.exists():
        device.token_set.create(token="testcode")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _second_factor_for_test_sign_ins(request, monkeypatch):
    """Staff must give a second factor on every page (core/two_factor.py). Tests that sign a user in with
    ``client.force_login``/``client.login`` are about something else, so their staff sessions are given
    one, like a clerk who typed the code. Tests of two-factor sign-in itself use
    ``@pytest.mark.real_two_factor`` and get plain password sessions."""
    if request.node.get_closest_marker("real_two_factor"):
        return
    from django.test import Client

    from integrity_portal.core.two_factor import two_factor_required

    original_force_login = Client.force_login
    original_login = Client.login

    def force_login(self, user, backend=None):
        original_force_login(self, user, backend)
        if two_factor_required(user):
            give_second_factor(self, user)

    def login(self, **credentials):
        ok = original_login(self, **credentials)
        if ok:
            from django.contrib.auth import get_user_model

            user = get_user_model()._default_manager.get(pk=self.session["_auth_user_id"])
            if two_factor_required(user):
                give_second_factor(self, user)
        return ok

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "login", login)
