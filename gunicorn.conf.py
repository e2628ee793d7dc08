"""Gunicorn settings for the web container (Dockerfile CMD and docker-compose ``web`` use ``-c gunicorn.conf.py``).

The timeouts are chosen so that gunicorn never kills a request the portal can still answer
(docs/FAULTS.md §6). The worst request by design is bounded well under ``timeout``:

- a Redis outage costs a write at most one 0.5 s socket timeout (cache and broker share a per-process
  circuit breaker; sends are not retried; no result backend round trip);
- a PostgreSQL lock wait or a large staff export is the long tail: seconds, not a minute.

When gunicorn does kill a worker, the visitor gets no portal page at all (the connection is dropped and
nginx answers 502), and an action that was already committed looks failed; so ``timeout`` is twice
anything we expect, and nginx's ``proxy_read_timeout`` (120 s, deploy/nginx/portal.conf) is longer
still. Every error the portal itself raises is the portal's own 500 page (``handler500``).

Each value can be overridden from the environment (``GUNICORN_TIMEOUT`` …) or with ``GUNICORN_CMD_ARGS``,
which gunicorn applies after this file (the Dockerfile sets ``--bind 0.0.0.0:8000`` there).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# A worker silent for this long is killed (its request answered by nginx's 502): twice the worst request.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On SIGTERM (docker stop, a deploy) running requests get this long to finish before the workers are killed.
# docker compose must wait longer than this before its SIGKILL (web: stop_grace_period).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind nginx with keep-alive upstream connections (proxy_http_version 1.1).
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak cannot grow without bound; jitter avoids all restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Load the portal once, in the master, and fork every worker from it (GUNICORN_PRELOAD=false: each worker
# loads it itself). A worker that loads it pays ~2.6 s of CPU before its first answer (imports 2.0 s, URLconf,
# templates and statements of its first requests 0.6 s: docs/BENCHMARKS.md §7); with the recycling above, at
# full load, that was a worker start every few seconds. A forked worker starts with all of it in place. What
# the master loads opens no connection (tests/core/test_deploy_files.py): each worker opens its own. A new
# release needs a restart of the master (the container), not a HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no", "off")

# Request line and header limits: gunicorn's defaults, written down (nginx limits the body).
limit_request_line = 4094
limit_request_fields = 100

accesslog = None  # one JSON line per request comes from the portal's own logging, not gunicorn's
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def when_ready(server):
    """In the master, once the application is loaded (``preload_app``) and before any worker is forked: resolve
    the URLconf (imports every view module; otherwise each worker's first request does) and freeze the loaded
    objects out of the cyclic collector's reach (``gc.freeze``), so that workers share those pages with the
    master instead of copying them when a collection touches them."""
    if not server.cfg.preload_app:
        return
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — the import is the point
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """Move what the worker loaded — Django, the apps, their modules: ~180,000 objects — into the permanent
    generation (``gc.freeze``), once the application is loaded and before the first request: Python's cyclic
    collector then no longer walks them at every older-generation collection. An uncached search allocates
    enough to trigger one every few requests; measured in process at 140k, collections cost 0.081 ms per search
    before and 0.024 ms after (docs/BENCHMARKS.md §7). Objects made later (templates, shells, caches) are
    collected as usual."""
    import gc

    gc.collect()
    gc.freeze()
