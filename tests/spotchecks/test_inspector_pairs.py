"""Two different inspectors from the merchant's district roster, never last time's nor a declared conflict."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core.errors import ValidationFailed
from merchants.models import FindingLevel, InspectionOutcome
from merchants.selectors.staff import inspector_roster
from merchants.services.credit import inspection_record
from merchants.services.register import staff_assign_role
from spotchecks.models import SpotCheckTask
from spotchecks.services import (
    inspector_conflict_declare,
    inspector_conflict_withdraw,
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
)
from tests.factories import make_inspector

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


def _draw_all(world, region="410800", **overrides):
    """A plan drawing every merchant (D 100 %, others at their maximum) so each merchant gets a pair."""
    plan = spot_check_plan_create(
        actor=world["city"],
        shares={"A": "5", "B": "20", "C": "60", "D": "100"},
        **plan_kwargs(world["regions"][region], **overrides),
    )
    spot_check_plan_approve(plan_id=plan.pk, actor=world["city"])
    return spot_check_plan_draw(plan_id=plan.pk, actor=world["city"])


def test_two_different_inspectors_from_the_merchants_district(world):
    add_merchants("410802", {"D": 15})
    add_merchants("410803", {"D": 15})
    plan = _draw_all(world)
    tasks = list(SpotCheckTask.objects.filter(plan=plan).select_related("merchant"))
    assert len(tasks) == 30
    for t in tasks:
        allowed = set(inspector_roster(region=t.merchant.region_id).values_list("user_id", flat=True))
        assert t.inspector_1_id != t.inspector_2_id
        assert {t.inspector_1_id, t.inspector_2_id} <= allowed
        assert t.region_id == t.merchant.region_id
    # Random, not always the same pair.
    assert len({(t.inspector_1_id, t.inspector_2_id) for t in tasks if t.region_id == "410802"}) > 1


def test_last_inspector_and_declared_conflicts_are_excluded(world):
    a, b, c = world["inspectors_802"]
    extra = make_inspector("410802")
    merchants = add_merchants("410802", {"D": 12})
    inspected, conflicted = merchants[0], merchants[1]
    inspection_record(
        merchant=inspected,
        inspected_on=timezone.localdate() - timedelta(days=400),
        findings={"price_marking": FindingLevel.PASS},
        outcome=InspectionOutcome.SATISFACTORY,
        actor=None,
        inspector_1=a,
        inspector_2=b,
    )
    inspector_conflict_declare(inspector=c, merchant=conflicted, reason="亲属经营", actor=world["district"])
    withdrawn = inspector_conflict_declare(inspector=extra, merchant=conflicted, reason="误报", actor=world["district"])
    inspector_conflict_withdraw(conflict_id=withdrawn.pk, actor=world["district"])
    plan = _draw_all(world, region="410802", districts=["410802"])
    task = SpotCheckTask.objects.get(plan=plan, merchant=inspected)
    assert {task.inspector_1_id, task.inspector_2_id} == {c.pk, extra.pk}
    task = SpotCheckTask.objects.get(plan=plan, merchant=conflicted)
    assert c.pk not in {task.inspector_1_id, task.inspector_2_id}


def test_exclusions_leaving_fewer_than_two_refuse_approval_with_the_district(world):
    a, b, c = world["inspectors_802"]
    merchant = add_merchants("410802", {"B": 1})[0]
    inspection_record(
        merchant=merchant,
        inspected_on=timezone.localdate(),
        findings={},
        outcome=InspectionOutcome.SATISFACTORY,
        actor=None,
        inspector_1=a,
        inspector_2=b,
    )
    plan = spot_check_plan_create(actor=world["district"], **plan_kwargs(world["regions"]["410802"]))
    with pytest.raises(ValidationFailed, match="解放区"):
        spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])


def test_an_inspector_off_the_roster_is_not_drawn(world):
    a, b, c = world["inspectors_802"]
    staff_assign_role(user=c, region_code="410802", role="inspector", actor=None, roster_active=False)
    assert c.pk not in set(inspector_roster(region="410802").values_list("user_id", flat=True))
    add_merchants("410802", {"D": 10})
    plan = _draw_all(world, region="410802")
    pairs = set(SpotCheckTask.objects.filter(plan=plan).values_list("inspector_1_id", "inspector_2_id"))
    assert all(c.pk not in pair for pair in pairs) and pairs


def test_recently_inspected_merchants_are_left_out_when_the_plan_says_so(world):
    a, b, _c = world["inspectors_802"]
    make_inspector("410802")  # two left after excluding last time's pair
    recent, old = add_merchants("410802", {"D": 2})
    for merchant, days in ((recent, 30), (old, 200)):
        inspection_record(
            merchant=merchant,
            inspected_on=timezone.localdate() - timedelta(days=days),
            findings={},
            outcome=InspectionOutcome.SATISFACTORY,
            actor=None,
            inspector_1=a,
            inspector_2=b,
        )
    plan = _draw_all(world, region="410802", exclude_inspected_months=3)
    assert set(SpotCheckTask.objects.filter(plan=plan).values_list("merchant_id", flat=True)) == {old.pk}
