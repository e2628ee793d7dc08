"""Plans at each public stage, through the services, for the publication tests (pages, API, e2e)."""

from __future__ import annotations

from django.utils import timezone

from merchants.models import FindingLevel, InspectionOutcome
from spotchecks.models import SpotCheckTask
from spotchecks.services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_plan_publish,
    spot_check_task_record,
)

from .conftest import add_merchants, plan_kwargs


def make_plan(world, stage: str, *, per_class=None, **overrides):
    """A plan of 解放区 at ``stage`` (draft, approved, drawn, completed, published); every visit records a
    minor price-marking finding. Merchants inspected by an earlier plan are out of scope."""
    add_merchants("410802", per_class or {"D": 2, "A": 1, "": 1})
    actor = world["district"]
    # merchants an earlier plan of the same test visited are left out (their two inspectors are excluded)
    overrides.setdefault("exclude_inspected_months", 12)
    plan = spot_check_plan_create(
        actor=actor, shares={"A": "5", "D": "100"}, **plan_kwargs(world["regions"]["410802"], **overrides)
    )
    if stage == "draft":
        return plan
    spot_check_plan_approve(plan_id=plan.pk, actor=actor)
    if stage == "approved":
        plan.refresh_from_db()
        return plan
    spot_check_plan_draw(plan_id=plan.pk, actor=actor)
    if stage != "drawn":
        for task in SpotCheckTask.objects.filter(plan=plan):
            spot_check_task_record(
                task_id=task.pk,
                actor=actor,
                inspected_on=timezone.localdate(),
                findings={"price_marking": FindingLevel.MINOR, "metrology": FindingLevel.PASS},
                outcome=InspectionOutcome.RECTIFY,
            )
    if stage == "published":
        spot_check_plan_publish(plan_id=plan.pk, actor=actor)
    plan.refresh_from_db()
    return plan
