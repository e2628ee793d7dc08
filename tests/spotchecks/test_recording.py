"""Who records a drawn task's result: its two drawn inspectors or a planner of the region, never another
inspector of the district (the draw chose the pair) — docs/SPOT_CHECKS.md "Who records a result"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted
from merchants.models import Inspection, InspectionOutcome
from spotchecks.models import SpotCheckTask, TaskStatus
from spotchecks.services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_task_record,
)

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db

RESULT = {"outcome": InspectionOutcome.SATISFACTORY, "findings": {"price_marking": "pass", "metrology": "pass"}}


@pytest.fixture
def drawn(world):
    """Two drawn tasks in 解放区; three inspectors on its roster, so each task leaves one out."""
    add_merchants("410802", {"D": 2})
    plan = spot_check_plan_create(
        actor=world["district"], shares={"D": "100"}, **plan_kwargs(world["regions"]["410802"])
    )
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])
    task = SpotCheckTask.objects.filter(plan=plan).order_by("draw_rank").first()
    outsider = next(i for i in world["inspectors_802"] if i.pk not in (task.inspector_1_id, task.inspector_2_id))
    return task, outsider


def _record(task, actor):
    return spot_check_task_record(task_id=task.pk, actor=actor, inspected_on=timezone.localdate(), **RESULT)


def test_an_inspector_of_the_district_not_drawn_for_the_task_cannot_record_it(drawn):
    task, outsider = drawn
    with pytest.raises(NotPermitted, match="两名检查人员"):
        _record(task, outsider)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.inspection is None
    assert not Inspection.objects.filter(merchant=task.merchant).exists()


def test_the_admin_record_page_refuses_an_inspector_not_drawn_for_the_task(drawn, client):
    task, outsider = drawn
    client.force_login(outsider)
    url = reverse("admin:spotchecks_spotchecktask_record", args=[task.pk])
    response = client.post(url, {
        "inspected_on": str(timezone.localdate()), "outcome": InspectionOutcome.SATISFACTORY,
        "item_price_marking": "pass", "item_metrology": "pass",
    })
    assert response.status_code == 200 and "两名检查人员" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.inspection is None


def test_either_drawn_inspector_records_the_result(drawn):
    task, _outsider = drawn
    _record(task, task.inspector_2)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.inspection.created_by_id == task.inspector_2_id
    assert [(e.action, e.actor_id) for e in audit_entries_for(task)] == [("spot_check_task.done", task.inspector_2_id)]


def test_a_planner_of_the_region_enters_the_paper_record_but_not_another_districts(world, drawn):
    task, _outsider = drawn
    with pytest.raises(NotPermitted):
        _record(task, world["other_district"])
    _record(task, world["district"])
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
