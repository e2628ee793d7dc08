"""Readiness checks behind ``/readyz/``: may this process take traffic now?

``/healthz/`` (core/views.py) is liveness only: the process answers and the database does. A
load balancer or orchestrator asks ``/readyz/`` before sending requests: database, cache, Celery
broker, migrations applied and this year's holiday schedule (without it every deadline is
Monday–Friday and provisional). Each check is bounded (≈0.5 s: socket timeouts, no retries) so a
dead dependency makes the answer a fast 503, never a hung probe. The answer names each check and
its outcome, never data, hostnames or credentials.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

CHECK_TIMEOUT_SECONDS = 0.5

_migrations_applied = False  # once true it stays true for the life of the process (no un-migrate in production)


class CheckFailed(Exception):
    """A readiness check's failure, with a short reason that is safe to publish."""


DATABASE_PROBE_SQL = "SELECT 1"
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


def check_database() -> str:
    """On PostgreSQL the probe runs in its own transaction under ``SET LOCAL statement_timeout``: a database
    that accepts the connection but does not answer (I/O stall, a lock on the catalog, a saturated server)
    fails the check in 0.5 s instead of holding the probe, and the setting ends with the transaction, so a
    persistent connection keeps no timeout afterwards."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(DATABASE_PROBE_SQL)
        return "ok"
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(CHECK_TIMEOUT_SECONDS * 1000)}")
            cursor.execute(DATABASE_PROBE_SQL)
    except OperationalError as exc:
        cause = exc.__cause__
        if _QUERY_CANCELED in (getattr(cause, "pgcode", None), getattr(cause, "sqlstate", None)):
            raise CheckFailed(f"database did not answer within {CHECK_TIMEOUT_SECONDS} s") from exc
        raise
    return "ok"


def check_cache() -> str:
    """Write and read back a key: the resilient Redis cache turns an outage into a miss, not an error."""
    from django.core.cache import cache

    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise CheckFailed("cache did not return the value written")
    return "ok"


def check_broker() -> str:
    """Eager mode with the in-memory transport has no broker to reach: reported as "eager"."""
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url or url.startswith("memory://"):
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            return "eager"
        raise CheckFailed("no broker configured")
    if urlsplit(url).scheme in {"redis", "rediss"}:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    from kombu import Connection

    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_SECONDS)
    return "ok"


def check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CheckFailed("unapplied migrations")
    _migrations_applied = True
    return "ok"


def check_holiday_schedule() -> str:
    """Only the current year: next year's schedule missing in November is a warning (core.W001), not an outage."""
    from .workdays import schedule_known, today

    if not schedule_known(today().year):
        raise CheckFailed("holiday schedule of the current year missing")
    return "ok"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("database", check_database),
    ("cache", check_cache),
    ("broker", check_broker),
    ("migrations", check_migrations),
    ("holiday_schedule", check_holiday_schedule),
)


def run_checks() -> tuple[bool, dict[str, dict]]:
    """Every check runs (one failure does not hide another); an unexpected exception is a failure
    reported by its class name only — its message may carry a host, a user name or a password."""
    results: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS:
        started = time.monotonic()
        try:
            outcome = {"status": check()}
        except CheckFailed as exc:
            outcome = {"status": "error", "error": str(exc)}
        except Exception as exc:
            outcome = {"status": "error", "error": type(exc).__name__}
        outcome["ms"] = round((time.monotonic() - started) * 1000, 1)
        healthy = healthy and outcome["status"] != "error"
        results[name] = outcome
    return healthy, results
