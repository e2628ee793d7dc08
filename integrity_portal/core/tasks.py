"""Sending Celery tasks from the request path: after commit, once, fast, and never failing the request.

Every service that queues work calls ``send_after_commit``. The task message is only a hint: what must
happen is already recorded in the database (e.g. ``Merchant.rating_stale``, swept by beat every five
minutes), so a lost message delays the work, it does not lose it. A Redis outage must therefore cost a
write as little as possible (docs/FAULTS.md §6):

- the send happens after the transaction commits, so a failure cannot roll back the action;
- ``retry=False``: no publish retries (kombu's default policy waited up to 0.6 s on a refused port);
- no result backend round trip (``CELERY_TASK_IGNORE_RESULT``; the Redis backend's reconnect loop took
  20 s), and 0.5 s socket timeouts on the broker, so a hung Redis costs at most 0.5 s;
- after one failed send (or cache call to the same Redis), the server's breaker (``core.cache``) skips
  sends in this process for a few seconds, so a write that queues two tasks (closing a complaint) or a
  burst of writes pays the timeout once, not each time;
- every exception is caught and logged with what recovers the work (``fallback``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.db import transaction

from .cache import CircuitBreaker

logger = logging.getLogger("integrity_portal.tasks")


def broker_breaker(app) -> CircuitBreaker:
    """The breaker of the broker's Redis server (the same one the cache trips when they share a server)."""
    url = urlsplit(str(app.conf.broker_url or ""))
    try:
        port = url.port or 6379
    except ValueError:
        port = 6379
    return CircuitBreaker.for_address(url.hostname or url.scheme, port)


def send_now(task, args=(), kwargs=None, *, fallback: str) -> bool:
    """Publish ``task`` once; False (logged at WARNING with ``fallback``) when the broker is unavailable."""
    breaker = broker_breaker(task.app)
    if breaker.is_open():
        logger.warning("%s not queued (broker marked down); %s", task.name, fallback)
        return False
    try:
        task.apply_async(args=tuple(args), kwargs=kwargs or {}, retry=False)
    except Exception:  # kombu OperationalError, redis errors, socket timeouts: the action itself is stored
        breaker.trip()
        logger.warning("%s not queued; %s", task.name, fallback, exc_info=True)
        return False
    return True


def send_after_commit(task, args=(), kwargs=None, *, fallback: str) -> None:
    """Queue ``task`` when the current transaction commits (at once outside one); never raises.

    ``fallback`` says, for the log, what does the work if the message is lost ("left to the sweep")."""
    args = tuple(args)
    transaction.on_commit(lambda: send_now(task, args, kwargs, fallback=fallback))


from celery import shared_task  # noqa: E402  (the task below; the helpers above need no Celery import)


@shared_task(name="integrity_portal.core.tasks.anonymise_expired_personal_data")
def anonymise_expired_personal_data() -> dict:
    """Nightly: every app's personal data past PERSONAL_DATA_RETENTION_DAYS after closure is anonymised
    (core.retention). Running twice changes nothing more."""
    from .retention import personal_data_anonymise_all

    return personal_data_anonymise_all()
