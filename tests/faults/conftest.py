"""Helpers for the fault suite: an unreachable broker, a Redis that is down, the test database's DSN,
real Celery worker subprocesses and throwaway ``redis-server`` processes."""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from integrity_portal.core.roles import StaffRole
from tests.conftest import skip_or_fail
from tests.factories import make_staff

JIEFANG = "410802"
CITY = "410800"
# The public pages the outage tests time (plus a merchant profile): home, directory, statistics, open-data
# API, red list, notices.
PUBLIC_PAGES = [
    "/",
    "/merchants/",
    "/merchants/?q=%E4%BA%94%E9%87%91",  # a search (五金): its shell; a first ask is not looked up in the cache
    "/complaints/statistics/",
    "/api/v1/merchants/",
    "/api/v1/merchants/?search=%E4%BA%94%E9%87%91",
    "/lists/red/",
    "/notices/",
]


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
def hung_redis(port: int = 0):
    """A local server that accepts connections and never answers: a hung Redis (or a black-holed host
    behind a proxy). Yields its port (``port``, or a free one); every accepted socket is held open until
    the block ends."""
    import threading

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the port a stopped redis-server just left
    server.bind(("127.0.0.1", port))
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


def p95(samples: list[float]) -> float:
    """The 95th percentile, nearest rank: with fewer than 20 samples it is the worst one."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def complaint_in_mediation(merchant, staff, n: int):
    """A price complaint against ``merchant``, accepted, assigned to Jiefang and in mediation (services,
    not HTTP: the set-up of a test whose subject is closing it)."""
    from complaints.services import (
        Submission,
        complaint_accept,
        complaint_assign,
        complaint_start_mediation,
        complaint_submit,
    )
    from integrity_portal.core import workdays

    (complaint,) = complaint_submit(
        submission=Submission(
            kind="complaint",
            category="price",
            description=f"结账时实际收费高于标价二十元，商家拒绝退还。第{n}件。",
            name="测试王芳",
            phone=f"139123456{n:02d}",
            address="测试地址人民路1号",
            harm_known_on=workdays.today(),
            merchant_id=merchant.pk,
            consent=True,
        )
    )
    complaint_accept(complaint=complaint, actor=staff)
    complaint_assign(complaint=complaint, actor=staff, region_code=JIEFANG)
    complaint_start_mediation(complaint=complaint, actor=staff)
    return complaint


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


# --- Real Celery workers (subprocesses) ------------------------------------------------------------------

BASE_DIR = Path(settings.BASE_DIR)


def worker_env(*, redis_url: str | None = None, visibility_timeout: int | None = None) -> dict:
    """A worker's environment: the pytest database, ``redis_url`` (default REDIS_URL) as broker and cache."""
    dsn = pg_dsn()
    auth = quote(dsn["user"]) + (f":{quote(dsn['password'])}" if dsn["password"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{dsn['host']}:{dsn['port']}/{dsn['dbname']}",
        "REDIS_URL": redis_url or settings.REDIS_URL,
        "SECRET_KEY": "fault-suite-worker-key-not-for-production",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CONN_MAX_AGE": "0",
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env.pop("CACHE_URL", None)  # a worker on a throwaway Redis uses it for the cache too
    env.pop("FAULTS_VISIBILITY_TIMEOUT", None)
    if visibility_timeout is not None:
        env["FAULTS_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
    return env


def start_worker(
    name: str,
    log_path: Path,
    *,
    queues: str | None = None,
    redis_url: str | None = None,
    visibility_timeout: int | None = None,
):
    """``celery -A tests.faults.worker_app worker --pool=solo`` in its own process group, logging to
    ``log_path``; ``queues`` (comma-separated) or, by default, every queue in CELERY_TASK_QUEUES."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed by stop_worker
    command = [sys.executable, "-m", "celery", "-A", "tests.faults.worker_app", "worker", "--pool=solo"]
    command += ["-l", "info", "-n", f"{name}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    if queues:
        command += ["-Q", queues]
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=BASE_DIR,
        env=worker_env(redis_url=redis_url, visibility_timeout=visibility_timeout),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_file = log
    return proc


def stop_worker(proc, sig=signal.SIGKILL) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.log_file.close()


def wait_for(predicate, *, timeout: float, what: str, proc=None, log_path: Path | None = None):
    """Poll ``predicate`` every 0.1 s until it returns something true; fail with the worker's log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-3000:] if log_path and log_path.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n--- worker log ---\n{tail}")


# --- A throwaway Redis ----------------------------------------------------------------------------------


@pytest.fixture
def require_redis_server():
    if not shutil.which("redis-server"):
        skip_or_fail("needs the redis-server binary (apt-get install redis-server)")


class RedisServer:
    """A private ``redis-server`` on its own port, nothing persisted. ``stop()`` makes the port refuse
    connections (a stopped Redis); ``start()`` brings an empty server back on the same port (a restarted
    Redis without persistence, the worst case: whatever was queued before the outage is gone too)."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or closed_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.proc = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def answers():
            try:
                return redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.2).ping()
            except redis.exceptions.RedisError:
                return False

        wait_for(answers, timeout=10, what=f"redis-server on port {self.port}", proc=self.proc)
        return self

    def stop(self) -> None:
        """SIGKILL, as a crash or a pulled plug would: the port refuses from now on."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
