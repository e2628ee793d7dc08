"""The demo seeder: proportional, realistic, obviously fake personal data, idempotent."""

from __future__ import annotations

import io

import pytest

from complaints.demo import MINIMUM, seed_complaints
from complaints.models import CLOSED_STATUSES, OPEN_STATUSES, Complaint, ComplaintKind
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_seeder_is_proportional_fake_and_idempotent(regions):
    for _ in range(5):
        MerchantFactory()
    out = io.StringIO()
    seed_complaints(seed=1, merchant_count=5, stdout=out)
    total = Complaint.objects.count()
    assert total == MINIMUM
    seed_complaints(seed=1, merchant_count=5, stdout=out)
    assert Complaint.objects.count() == total
    named = Complaint.objects.exclude(anonymous=True)
    assert all(n.startswith("测试") for n in named.values_list("complainant_name", flat=True))
    assert all(
        p.startswith("139") and len(p) == 11 for p in named.values_list("complainant_phone", flat=True)
    )
    assert Complaint.objects.filter(kind=ComplaintKind.REPORT).exists()
    assert Complaint.objects.filter(status__in=OPEN_STATUSES, due_on__isnull=True).count() == 0
    assert Complaint.objects.filter(status__in=CLOSED_STATUSES, closed_at__isnull=True).count() == 0
    assert Complaint.objects.filter(merchant__isnull=False).count() > total // 2
    assert len(set(Complaint.objects.values_list("channel", flat=True))) == 5


def test_seeder_scales_with_merchant_count(regions):
    MerchantFactory()
    seed_complaints(seed=2, merchant_count=14_000, stdout=io.StringIO())
    assert Complaint.objects.count() == 3000
