"""Spot-check tasks on the staff workbench (spotchecks/workbench.py): an inspector's queue holds the tasks
they are named on, the district planner's every open task of the district, each linking to its result form;
the tasks' audit entries are region-scoped in the staff audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrity_portal.core.staff_audit import audit_entries_for_staff
from integrity_portal.core.workbench import workbench_for
from spotchecks.models import SpotCheckTask
from spotchecks.services import spot_check_plan_approve, spot_check_plan_create, spot_check_plan_draw

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


def _drawn_plan(world):
    add_merchants("410802", {"D": 3})
    plan = spot_check_plan_create(
        actor=world["district"], shares={"D": "100"}, **plan_kwargs(world["regions"]["410802"])
    )
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])
    return plan


def _task_urls(user) -> list[str]:
    return [i.url for i in workbench_for(user).items if i.kind == "spotcheck_task"]


def test_inspector_sees_own_tasks_and_the_planner_all_of_the_district(world):
    plan = _drawn_plan(world)
    tasks = list(SpotCheckTask.objects.filter(plan=plan))
    record = {t.pk: reverse("admin:spotchecks_spotchecktask_record", args=[t.pk]) for t in tasks}
    assert sorted(_task_urls(world["district"])) == sorted(record.values())
    inspector = tasks[0].inspector_1
    mine = [record[t.pk] for t in tasks if inspector.pk in (t.inspector_1_id, t.inspector_2_id)]
    assert sorted(_task_urls(inspector)) == sorted(mine)
    assert _task_urls(world["other_district"]) == []
    assert _task_urls(world["inspectors_803"][0]) == []


def test_plan_entries_are_scoped_to_the_plans_region(world):
    plan = _drawn_plan(world)
    own = {(e.content_type.model, e.object_id) for e in audit_entries_for_staff(world["district"])}
    assert ("spotcheckplan", str(plan.pk)) in own
    other = {(e.content_type.model, e.object_id) for e in audit_entries_for_staff(world["other_district"])}
    assert ("spotcheckplan", str(plan.pk)) not in other
