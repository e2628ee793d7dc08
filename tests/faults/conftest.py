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
