"""With a real broker and worker: an inspection's commit queues the recompute, the worker applies it."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from merchants.models import Merchant
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import inspect


@pytest.mark.redis
@pytest.mark.worker
def test_event_recompute_runs_on_a_real_worker(celery_worker_real, regions):
    m = MerchantFactory()
    inspect(m, advertising="serious")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fresh = Merchant.objects.get(pk=m.pk)
        if not fresh.rating_stale and fresh.stars is not None:
            break
        time.sleep(0.2)
    fresh = Merchant.objects.get(pk=m.pk)
    assert fresh.stars == 4 and not fresh.rating_stale
    assert fresh.current_rating.trading == 10


@pytest.mark.redis
@pytest.mark.worker
def test_sweep_task_on_a_real_worker_recovers_flagged_merchants(celery_worker_real, regions):
    from merchants.tasks import sweep_stale_ratings

    m = MerchantFactory()
    from merchants.models import Inspection

    Inspection.objects.create(merchant=m, inspected_on=timezone.localdate(m.created_at), outcome="satisfactory")
    Merchant.objects.filter(pk=m.pk).update(rating_stale=True)  # a fact whose message was lost
    # Results are not stored by default (CELERY_TASK_IGNORE_RESULT); this test asks for its one result.
    result = sweep_stale_ratings.apply_async(ignore_result=False).get(timeout=20)
    assert result["considered"] == 1 and Merchant.objects.get(pk=m.pk).stars == 5
