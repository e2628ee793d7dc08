"""Thin Celery tasks: take ids, call a service. Idempotent by construction.

A recompute never holds the only copy of work: the ``rating_stale`` flag in the
database does, and ``sweep_stale_ratings`` (beat, every few minutes) recomputes
whatever a lost message or a dead worker left flagged.
"""

from celery import shared_task


@shared_task(name="merchants.tasks.recompute_merchant_ratings", acks_late=True)
def recompute_merchant_ratings(merchant_ids: list[int]) -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(merchant_ids=merchant_ids, actor=None).as_dict()


@shared_task(name="merchants.tasks.sweep_stale_ratings", acks_late=True)
def sweep_stale_ratings() -> dict:
    from .services.rating import ratings_sweep_stale

    return ratings_sweep_stale(actor=None).as_dict()


@shared_task(name="merchants.tasks.recompute_all_ratings", acks_late=True)
def recompute_all_ratings() -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(actor=None).as_dict()


@shared_task(name="merchants.tasks.expire_list_entries", acks_late=True)
def expire_list_entries() -> dict:
    from .services.credit import list_entries_expire

    return list_entries_expire(actor=None)
