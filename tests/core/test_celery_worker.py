"""A real Celery worker consuming a real task from Redis (not eager)."""

import time

from django.db import transaction

from merchants.models import Merchant
from merchants.services import merchant_mark_rating_stale
from tests.factories import MerchantFactory


def test_stale_mark_is_delivered_to_a_real_worker_and_recomputed(celery_worker_real, regions):
    merchant = MerchantFactory()
    with transaction.atomic():
        assert merchant_mark_rating_stale(merchant_ids=[merchant.pk], reason="test") == 1
        assert Merchant.objects.get(pk=merchant.pk).rating_stale  # flag is written before the task is sent
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not Merchant.objects.get(pk=merchant.pk).rating_stale:
            break
        time.sleep(0.2)
    assert not Merchant.objects.get(pk=merchant.pk).rating_stale, "the worker never ran the recompute task"
