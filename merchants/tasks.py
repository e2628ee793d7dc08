"""Thin Celery tasks: take ids, call a service. Idempotent by construction.

A recompute never holds the only copy of work: the ``rating_stale`` flag in the
database does, and ``sweep_stale_ratings`` (beat, every few minutes) recomputes
whatever a lost message or a dead worker left flagged.

Time limits: a recompute that reaches its soft limit raises ``SoftTimeLimitExceeded`` inside the
service's transaction, which rolls back (nothing half-written, docs/FAULTS.md §2); the task logs it
and returns, and the merchants it did not finish are still flagged stale for the sweep (a full or
regional recompute is redone by the next nightly run). The full recompute gets longer limits than
``CELERY_TASK_SOFT_TIME_LIMIT``; every hard limit stays below the broker's visibility timeout (1 h).
"""

import inspect
import logging
from functools import wraps

from celery import group, shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger("merchants.tasks")

LONG_RECOMPUTE_LIMITS = {"soft_time_limit": 45 * 60, "time_limit": 50 * 60}


def _stop_at_soft_limit(func):
    """Log and return an empty result at the soft time limit; the sweep or the next run redoes the work."""

    @wraps(func)
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SoftTimeLimitExceeded:
            logger.warning("%s stopped at its soft time limit; left to the sweep / next run", func.__name__)
            return {"stopped": "soft_time_limit"}

    run.__signature__ = inspect.signature(func)  # Celery checks call arguments against it
    return run


@shared_task(name="merchants.tasks.recompute_merchant_ratings", acks_late=True)
@_stop_at_soft_limit
def recompute_merchant_ratings(merchant_ids: list[int]) -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(merchant_ids=merchant_ids, actor=None).as_dict()


@shared_task(name="merchants.tasks.sweep_stale_ratings", acks_late=True)
@_stop_at_soft_limit
def sweep_stale_ratings() -> dict:
    from .services.rating import ratings_sweep_stale

    return ratings_sweep_stale(actor=None).as_dict()


@shared_task(name="merchants.tasks.recompute_all_ratings", acks_late=True, **LONG_RECOMPUTE_LIMITS)
@_stop_at_soft_limit
def recompute_all_ratings() -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(actor=None).as_dict()


@shared_task(name="merchants.tasks.expire_list_entries", acks_late=True)
@_stop_at_soft_limit
def expire_list_entries() -> dict:
    from .services.credit import list_entries_expire

    return list_entries_expire(actor=None)


@shared_task(name="merchants.tasks.recompute_region_ratings", acks_late=True, **LONG_RECOMPUTE_LIMITS)
@_stop_at_soft_limit
def recompute_region_ratings(region_code: str) -> dict:
    """One region and its descendants: the unit of the fan-out below."""
    from .services.rating import ratings_recompute

    return ratings_recompute(region_code=region_code, actor=None).as_dict()


def recompute_ratings_fan_out(region_code: str | None = None):
    """One ``recompute_region_ratings`` per leaf region (district) under ``region_code`` (all if None),
    as a Celery group: workers on the same broker share the districts. Returns the group result."""
    from . import regions as region_tree

    children, names = region_tree._tree()
    scope = region_tree.region_and_descendant_codes(region_code) if region_code else sorted(names)
    leaves = [code for code in scope if not children.get(code)]
    return group(recompute_region_ratings.s(code) for code in leaves).apply_async()


OPEN_DATA_LIMITS = {"soft_time_limit": 45 * 60, "time_limit": 50 * 60}


@shared_task(name="merchants.tasks.export_open_data", acks_late=True, **OPEN_DATA_LIMITS)
@_stop_at_soft_limit
def export_open_data(region_codes: list[str] | None = None) -> dict:
    """The nightly open-data files (queue "reports"). A run stopped part-way leaves every file it had not
    reached as the previous night's, still listed; the next run writes them all again."""
    from .services.open_data import open_data_export

    files = open_data_export(actor=None, region_codes=region_codes)
    return {"files": len(files), "rows": sum(f.row_count for f in files)}


@shared_task(name="merchants.tasks.write_discipline_files", acks_late=True)
def write_discipline_files(day: str | None = None) -> dict:
    """Yesterday's (or ``day``'s, ISO) signed file of list decisions for every active partner department."""
    from datetime import date

    from .discipline import daily_files_write

    paths = daily_files_write(day=date.fromisoformat(day) if day else None)
    return {"files": len(paths)}
