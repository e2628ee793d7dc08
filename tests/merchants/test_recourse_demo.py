"""The demo data include a merchant whose re-inspection lifted its stars and one whose commitment was
breached: deterministic and idempotent (CI seeds twice and compares the counts)."""

from __future__ import annotations

import io

import pytest

from merchants.demo import seed_demo_logins, seed_register
from merchants.models import Inspection, Merchant, Rating, ReinspectionRequest
from merchants.rating_demo import seed_credit_facts, seed_final_recompute
from merchants.recourse_demo import BREACH_PLAN, REINSPECTION_PLAN, seed_showcases
from merchants.selectors.findings import commitment_breaches

pytestmark = pytest.mark.django_db


def _seed(seed=0):
    seed_register(seed=seed, merchant_count=600)
    seed_demo_logins(seed=seed, merchant_count=600)
    seed_credit_facts(seed=seed, merchant_count=600)
    counts = seed_showcases(seed=seed, merchant_count=600, stdout=io.StringIO())
    seed_final_recompute(seed=seed, merchant_count=600)
    return counts


def test_showcases_are_seeded_once_and_tell_their_story(regions):
    assert _seed() == {"reinspection": 2, "breach": 2}
    lifted = Merchant.objects.get(inspections__plan=REINSPECTION_PLAN, inspections__rechecks__isnull=False)
    history = list(Rating.objects.filter(merchant=lifted).order_by("id").values_list("stars", flat=True))
    assert history == [1, 5]  # the re-inspection lifted it from 1 to 5 stars
    original = Inspection.objects.get(merchant=lifted, plan=REINSPECTION_PLAN, rechecks__isnull=True)
    assert original.superseded_by_id and ReinspectionRequest.objects.get(merchant=lifted).status == "done"

    breached = Merchant.objects.get(inspections__plan=BREACH_PLAN)
    assert breached.pk != lifted.pk
    [breach] = commitment_breaches(merchant_id=breached.pk)
    assert (breach.commitment.kind, breach.item, breach.counted) == ("price", "price_marking", True)
    assert breached.current_rating.facts["commitment_breaches"] == 1

    before = (Inspection.objects.count(), Rating.objects.count(), ReinspectionRequest.objects.count())
    assert _seed() == {"reinspection": 0, "breach": 0}
    assert (Inspection.objects.count(), Rating.objects.count(), ReinspectionRequest.objects.count()) == before
