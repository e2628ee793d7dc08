"""/readyz/: each dependency named with its outcome; 503 as soon as one is not there."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from integrity_portal.core import workdays
from integrity_portal.core.holidays import chinesecalendar_years

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_year(monkeypatch):
    monkeypatch.setattr(workdays, "today", lambda: date(max(chinesecalendar_years()), 6, 1))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readyz_is_200_and_lists_every_check_on_a_healthy_setup(client, known_year, settings):
    response = client.get("/readyz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "migrations", "holiday_schedule"}
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        assert body["checks"]["broker"]["status"] == "eager"  # eager tasks on the memory transport: no broker
    else:
        assert body["checks"]["broker"]["status"] == "ok"
    assert all(c["status"] in {"ok", "eager"} for c in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_503_when_the_broker_port_is_closed(client, known_year, settings):
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://user:s3cret@127.0.0.1:{port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["broker"]["ms"] < 2000
    assert body["checks"]["database"]["status"] == "ok"
    assert "s3cret" not in response.content.decode() and str(port) not in response.content.decode()


def test_readyz_is_503_when_this_years_holiday_schedule_is_missing(client, monkeypatch):
    far = max(chinesecalendar_years()) + 4
    monkeypatch.setattr(workdays, "today", lambda: date(far, 3, 1))
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["holiday_schedule"]["status"] == "error"


def test_readyz_is_200_again_once_the_schedule_is_entered(client, monkeypatch):
    from integrity_portal.core.models import HolidaySchedule

    far = max(chinesecalendar_years()) + 4
    monkeypatch.setattr(workdays, "today", lambda: date(far, 3, 1))
    assert client.get("/readyz/").status_code == 503
    HolidaySchedule.objects.create(year=far)
    assert client.get("/readyz/").status_code == 200


def test_readyz_reports_eager_without_a_broker(client, known_year, settings):
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get("/readyz/").json()["checks"]["broker"]["status"] == "eager"
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a memory broker for real tasks reaches no worker
    assert client.get("/readyz/").status_code == 503


def test_readyz_is_503_when_the_cache_loses_what_it_was_given(client, known_year, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["status"] == "error"


@pytest.mark.postgres
def test_readyz_database_probe_gives_up_after_half_a_second_on_a_database_that_does_not_answer(
    require_postgres, client, known_year, monkeypatch
):
    """A statement that would take 5 s stands for a database that accepts and never answers."""
    import time

    from integrity_portal.core import health

    monkeypatch.setattr(health, "DATABASE_PROBE_SQL", "SELECT pg_sleep(5)")
    started = time.monotonic()
    response = client.get("/readyz/")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["status"] == "error"
    assert database["error"] == "database did not answer within 0.5 s"
    assert database["ms"] < 1500


@pytest.mark.postgres
def test_readyz_database_probe_leaves_no_statement_timeout_on_the_connection(
    require_postgres, transactional_db
):
    """The timeout is SET LOCAL: a persistent connection the probe used keeps the server's default."""
    from django.db import connection

    from integrity_portal.core.health import check_database

    assert check_database() == "ok"
    with connection.cursor() as cursor:  # the same connection, in autocommit again
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
