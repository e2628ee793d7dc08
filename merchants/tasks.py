"""Thin Celery tasks: take ids, call the rating service. Idempotent by construction."""

from celery import shared_task


@shared_task(name="merchants.tasks.recompute_merchant_ratings", acks_late=True)
def recompute_merchant_ratings(merchant_ids: list[int]) -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(merchant_ids=merchant_ids, actor=None).as_dict()


@shared_task(name="merchants.tasks.sweep_stale_ratings", acks_late=True)
def sweep_stale_ratings() -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(stale_only=True, actor=None).as_dict()


@shared_task(name="merchants.tasks.recompute_all_ratings", acks_late=True)
def recompute_all_ratings() -> dict:
    from .services.rating import ratings_recompute

    return ratings_recompute(actor=None).as_dict()
