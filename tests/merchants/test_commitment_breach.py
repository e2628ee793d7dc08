"""承诺—监管—践诺: a finding in an area the merchant committed to is a breach of that commitment, counted by
the policy's credit element, shown to staff (commitment and inspection pages) and to the merchant."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core.errors import ValidationFailed
from merchants.models import (
    COMMITMENT_ITEMS,
    INSPECTION_ITEMS,
    Commitment,
    CommitmentKind,
    Merchant,
    RatingPolicy,
)
from merchants.selectors.credit import rating_breakdown
from merchants.selectors.findings import commitment_breaches
from merchants.services import credit as credit_services
from merchants.services import recourse
from merchants.services.rating import ratings_recompute
from merchants.services.rating_policy import (
    FACT_COLUMNS,
    Scorer,
    default_rules,
    rating_policy_activate,
    rules_validate,
)
from tests.factories import MembershipFactory, make_staff
from tests.merchants.credit_factories import MINOR, SERIOUS, inspect, today

pytestmark = pytest.mark.django_db


def _sign(m, kind, *, days_ago=60, valid_days=365):
    c = credit_services.commitment_sign(merchant=m, kind=kind, actor=None)
    Commitment.objects.filter(pk=c.pk).update(
        signed_at=timezone.now() - timedelta(days=days_ago), valid_until=today() + timedelta(days=valid_days)
    )
    c.refresh_from_db()
    return c


def _rating(m):
    ratings_recompute(merchant_ids=[m.pk])
    return Merchant.objects.get(pk=m.pk).current_rating


def test_every_commitment_kind_maps_to_real_items_and_comprehensive_covers_all():
    items = {name for name, _label in INSPECTION_ITEMS}
    assert set(COMMITMENT_ITEMS) == set(CommitmentKind.values)
    assert all(COMMITMENT_ITEMS[k] and set(COMMITMENT_ITEMS[k]) <= items for k in COMMITMENT_ITEMS)
    assert set(COMMITMENT_ITEMS["comprehensive"]) == items
    assert COMMITMENT_ITEMS["price"] == ("price_marking",)
    assert "food_safety" in COMMITMENT_ITEMS["food_safety"]
    assert "metrology" in COMMITMENT_ITEMS["quality"]


def test_price_finding_under_a_price_commitment_is_a_counted_breach(regions):
    m = MembershipFactory().merchant
    c = _sign(m, "price")
    visit = inspect(m, price_marking=MINOR, days_ago=10)
    rating = _rating(m)
    assert rating.facts["commitment_breaches"] == 1
    # commitment in force (0) + one breach (5); trading 5 for the minor finding
    assert (rating.credit, rating.trading, rating.stars) == (5, 5, 5)
    [breach] = commitment_breaches(merchant_id=m.pk)
    assert (breach.commitment, breach.inspection, breach.item, breach.level, breach.on, breach.counted) == (
        c,
        visit,
        "price_marking",
        MINOR,
        visit.inspected_on,
        True,
    )
    credit = next(el for el in rating_breakdown(rating) if el["key"] == "credit")
    assert any(
        f["name"] == "commitment_breaches" and f["value"] == 1 and "24" in f["label"] for f in credit["facts"]
    )


def test_findings_outside_the_committed_area_or_the_commitment_period_are_not_breaches(regions):
    m = MembershipFactory().merchant
    _sign(m, "price", days_ago=30)
    inspect(m, metrology=SERIOUS, days_ago=10)  # not a price item
    inspect(m, price_marking=MINOR, days_ago=40)  # before the commitment was signed
    revoked = _sign(m, "food_safety", days_ago=50)
    credit_services.commitment_revoke(commitment=revoked, reason="主体申请撤回", actor=None)
    Commitment.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now() - timedelta(days=5))
    inspect(m, food_safety=MINOR, days_ago=0)  # after the food-safety commitment was revoked
    expired = _sign(m, "quality", days_ago=300, valid_days=-100)
    assert expired.valid_until < today()
    inspect(m, metrology=MINOR, days_ago=50)  # the quality commitment had expired 100 days before
    assert commitment_breaches(merchant_id=m.pk) == []
    assert _rating(m).facts.get("commitment_breaches") is None


def test_one_visit_breaching_several_commitments_counts_once_and_lists_each(regions):
    m = MembershipFactory().merchant
    _sign(m, "comprehensive")
    _sign(m, "price")
    inspect(m, price_marking=MINOR, food_safety=MINOR, days_ago=5)
    breaches = commitment_breaches(merchant_id=m.pk)
    assert sorted((b.commitment.kind, b.item) for b in breaches) == [
        ("comprehensive", "food_safety"),
        ("comprehensive", "price_marking"),
        ("price", "price_marking"),
    ]
    assert _rating(m).facts["commitment_breaches"] == 1  # one visit found the promises broken
    inspect(m, premises=MINOR, days_ago=1)  # comprehensive covers premises too
    assert _rating(m).facts["commitment_breaches"] == 2


def test_a_breach_stays_when_a_reinspection_supersedes_the_finding(regions):
    m = MembershipFactory().merchant
    _sign(m, "food_safety")
    inspect(m, food_safety=SERIOUS, days_ago=20)
    req = recourse.reinspection_request(merchant=m, improvements="后厨已整改，索证索票齐全。", actor=None)
    recourse.reinspection_schedule(request=req, visit_on=today(), actor=None)
    recourse.reinspection_complete(request=req, inspection=inspect(m, days_ago=0), actor=None)
    rating = _rating(m)
    assert rating.trading == 0 and rating.facts["commitment_breaches"] == 1 and rating.credit == 5
    assert len(commitment_breaches(merchant_id=m.pk)) == 1


def test_a_breach_older_than_the_window_is_listed_but_not_counted(regions):
    m = MembershipFactory().merchant
    _sign(m, "price", days_ago=800, valid_days=400)
    inspect(m, price_marking=MINOR, days_ago=760)
    [breach] = commitment_breaches(merchant_id=m.pk)
    assert not breach.counted
    assert _rating(m) is None or Merchant.objects.get(pk=m.pk).stars is None  # nothing in the window


def test_the_policy_rule_is_versioned_and_validated(regions):
    rules = default_rules()
    assert rules["credit"]["commitment_breach"] == 5
    broken = copy.deepcopy(rules)
    del broken["credit"]["commitment_breach"]
    with pytest.raises(ValidationFailed, match="commitment_breach"):
        rules_validate(broken)
    broken["credit"]["commitment_breach"] = -1
    with pytest.raises(ValidationFailed):
        rules_validate(broken)
    m = MembershipFactory().merchant
    _sign(m, "price")
    inspect(m, price_marking=MINOR, days_ago=3)
    assert _rating(m).credit == 5
    # A stored policy from before the rule (no key) keeps its meaning: breaches cost nothing under it.
    old = copy.deepcopy(rules)
    del old["credit"]["commitment_breach"]
    vector = [int(_rating(m).facts.get(name, 0)) for name in FACT_COLUMNS]
    assert Scorer(old).score(vector).credit == 0 and Scorer(rules).score(vector).credit == 5
    stricter = copy.deepcopy(rules)
    stricter["credit"]["commitment_breach"] = 10
    v = RatingPolicy.objects.order_by("-version").first().version + 1
    policy = RatingPolicy.objects.create(version=v, name="v2 践诺", rules=stricter)
    rating_policy_activate(policy=policy, actor=make_staff())
    assert _rating(m).credit == 10


def test_staff_see_breaches_on_the_commitment_and_the_inspection_and_the_merchant_in_the_portal(
    regions, client
):
    membership = MembershipFactory()
    m = membership.merchant
    c = _sign(m, "price")
    visit = inspect(m, price_marking=SERIOUS, days_ago=4)
    ratings_recompute(merchant_ids=[m.pk])
    client.force_login(make_staff())
    page = client.get(f"/admin/merchants/commitment/{c.pk}/change/").content.decode()
    assert (
        "践诺情况" in page
        and f"/admin/merchants/inspection/{visit.pk}/change/" in page
        and "明码标价" in page
    )
    page = client.get(f"/admin/merchants/inspection/{visit.pk}/change/").content.decode()
    assert "违反信用承诺" in page and "价格诚信承诺" in page
    client.force_login(membership.user)
    body = client.get(f"/portal/merchants/{m.pk}/").content.decode()
    assert "违反了您签署的价格诚信承诺" in body and visit.inspected_on.isoformat() in body
    assert "明码标价" in body


def test_sql_count_and_selector_agree(regions):
    """The engine counts visits with a breach; the selector lists (commitment, visit, item): same visits."""
    m = MembershipFactory().merchant
    _sign(m, "comprehensive", days_ago=200)
    _sign(m, "quality", days_ago=100)
    for days, findings in (
        (150, {"advertising": MINOR}),
        (90, {"metrology": SERIOUS}),
        (20, {}),
        (5, {"premises": MINOR}),
    ):
        inspect(m, days_ago=days, **findings)
    visits = {b.inspection.pk for b in commitment_breaches(merchant_id=m.pk) if b.counted}
    assert len(visits) == 3
    assert _rating(m).facts["commitment_breaches"] == 3
