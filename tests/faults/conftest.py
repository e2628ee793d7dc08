"""Helpers for the fault suite: an unreachable broker, a Redis that is down, the test database's DSN."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection

from integrity_portal.core.roles import StaffRole
from tests.factories import make_staff

JIEFANG = "410802"
CITY = "410800"


def closed_port() -> int:
    """A local TCP port nothing listens on: connecting to it is refused at once, like a stopped server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def broker_unreachable():
    """Point the Celery app at a closed port (production retry options kept) and send for real, not eagerly.

    ``.delay()`` then fails exactly as it does when Redis is stopped: kombu gives up
    after its publish retries and raises ``kombu.exceptions.OperationalError``.
    """
    from integrity_portal.celery import app

    saved_conf = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved_pools = (app._pool, app.amqp._producer_pool)
    app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    app.conf.task_always_eager = False
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield app
    finally:
        for key, value in saved_conf.items():
            app.conf[key] = value
        app._pool, app.amqp._producer_pool = saved_pools


@contextmanager
def hung_redis():
    """A local server that accepts connections and never answers: a hung Redis (or a black-holed host
    behind a proxy). Yields its port; every accepted socket is held open until the block ends."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


@contextmanager
def redis_outage(settings, port: int):
    """Cache, broker and result backend all on ``127.0.0.1:port``, with the production timeouts and retry
    options from settings.py; tasks are sent for real (not eagerly). Unlike ``broker_unreachable`` the
    result backend is Redis too, as in production: its reconnect loop is what made a send take 20 s."""
    from integrity_portal.celery import app

    url = f"redis://127.0.0.1:{port}/0"
    production_cache_options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}  # as settings.py
    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ip",
            "OPTIONS": production_cache_options,
        }
    }
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved_conf = {key: app.conf[key] for key in keys}
    saved = (app._pool, app.amqp._producer_pool, app._backend_cache, getattr(app._local, "backend", None))

    def set_backend(cache, local):
        app._backend_cache = cache
        if local is None:
            app._local.__dict__.pop("backend", None)
        else:
            app._local.backend = local

    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    app._pool, app.amqp._producer_pool = None, None
    set_backend(None, None)
    try:
        yield app
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        for key, value in saved_conf.items():
            app.conf[key] = value
        app._pool, app.amqp._producer_pool = saved[:2]
        set_backend(*saved[2:])


@pytest.fixture
def city_staff(regions):
    return make_staff(CITY, StaffRole.CITY_BUREAU)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def complaint_form_data(**overrides) -> dict:
    """A valid public complaint (投诉) as the browser posts it to ``/complaints/new/``."""
    from integrity_portal.core import workdays

    data = {
        "kind": "complaint",
        "name": "测试李明",
        "phone": "13912340000",
        "address": "测试地址建设路2号",
        "harm_known_on": (workdays.today() - timedelta(days=3)).isoformat(),
        "target_name": "街口水果摊",
        "target_address": "建设路5号",
        "region": JIEFANG,
        "category": "short_weight",
        "description": "买了两斤苹果回家复秤只有一斤六两。",
        "consent": "on",
    }
    data.update(overrides)
    return data


def pg_dsn() -> dict:
    """Connection parameters of the pytest database (``test_<name>``), for subprocesses and side connections."""
    s = connection.settings_dict
    return {
        "dbname": s["NAME"],
        "user": s.get("USER") or "postgres",
        "password": s.get("PASSWORD") or "",
        "host": s.get("HOST") or "127.0.0.1",
        "port": str(s.get("PORT") or 5432),
    }
