"""The credit-facts seeder: realistic proportions, deterministic, idempotent, ends with ratings."""

from __future__ import annotations

import pytest

from merchants.demo import seed_register
from merchants.models import Commitment, Inspection, ListEntry, Merchant, Penalty, Rating
from merchants.rating_demo import seed_credit_facts, seed_final_recompute

pytestmark = pytest.mark.django_db


def test_seeder_is_idempotent_and_proportional(regions):
    seed_register(seed=0, merchant_count=1400)
    first = seed_credit_facts(seed=0, merchant_count=1400)
    n = Merchant.objects.count()
    assert 0.09 * n <= first["inspections"] <= 0.2 * n  # ~20,000 per 140,000
    assert 0.2 * n <= first["commitments"] <= 0.4 * n
    assert first["penalties"] <= 0.05 * n
    again = seed_credit_facts(seed=0, merchant_count=1400)
    assert again == {"inspections": 0, "penalties": 0, "commitments": 0, "list_entries": 0}
    assert (
        Inspection.objects.count() == first["inspections"]
        and Commitment.objects.count() == first["commitments"]
    )
    assert (
        Penalty.objects.count() == first["penalties"] and ListEntry.objects.count() == first["list_entries"]
    )
    result = seed_final_recompute(seed=0, merchant_count=1400)
    assert result["rated"] > 0 and Rating.objects.count() == result["history_rows"]
    assert seed_final_recompute(seed=0, merchant_count=1400)["history_rows"] == 0
