"""Every move of a plan and of a task, through the services, each audited once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity_portal.core import workdays
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed
from merchants.models import FindingLevel, Inspection, InspectionOutcome, MerchantStatus
from spotchecks.audit_actions import AuditAction
from spotchecks.models import PlanStatus, SpotCheckTask, TaskStatus
from spotchecks.services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_plan_publish,
    spot_check_task_mark_closed,
    spot_check_task_record,
)
from spotchecks.tasks import escalate_overdue_tasks

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db


def _drawn(world, n=3):
    add_merchants("410802", {"D": n})
    plan = spot_check_plan_create(
        actor=world["district"], shares={"D": "100"}, **plan_kwargs(world["regions"]["410802"])
    )
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    return spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])


def _record(task, actor, **kw):
    return spot_check_task_record(
        task_id=task.pk,
        actor=actor,
        inspected_on=kw.get("inspected_on", timezone.localdate()),
        findings=kw.get("findings", {"price_marking": FindingLevel.MINOR, "metrology": FindingLevel.PASS}),
        outcome=kw.get("outcome", InspectionOutcome.RECTIFY),
    )


def test_plan_goes_draft_approved_drawn_in_progress_completed_published(world):
    plan = _drawn(world)
    tasks = list(SpotCheckTask.objects.filter(plan=plan).order_by("draw_rank"))
    inspector = tasks[0].inspector_1
    _record(tasks[0], inspector)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.IN_PROGRESS
    inspection = Inspection.objects.get(spot_check_task=tasks[0])
    assert inspection.plan == plan.title and inspection.price_marking == FindingLevel.MINOR
    assert {inspection.inspector_1_id, inspection.inspector_2_id} == {tasks[0].inspector_1_id, tasks[0].inspector_2_id}
    tasks[1].merchant.status = MerchantStatus.DEREGISTERED
    tasks[1].merchant.save(update_fields=["status"])
    spot_check_task_mark_closed(task_id=tasks[1].pk, actor=world["district"], note="已注销")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.IN_PROGRESS
    with pytest.raises(TransitionNotAllowed):
        spot_check_plan_publish(plan_id=plan.pk, actor=world["district"])
    _record(tasks[2], world["district"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED and plan.completed_at
    assert plan.publish_due_on == workdays.add_working_days(timezone.localdate(), 20)
    spot_check_plan_publish(plan_id=plan.pk, actor=world["district"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED and plan.published_at
    moves = list(audit_entries_for(plan).order_by("id").values_list("from_status", "to_status"))
    assert [m for m in moves if m[0]] == [
        ("draft", "approved"),
        ("approved", "drawn"),
        ("drawn", "in_progress"),
        ("in_progress", "completed"),
        ("completed", "published"),
    ]
    assert audit_entries_for(tasks[1]).get(action=AuditAction.TASK_MERCHANT_CLOSED).note == "已注销"


def test_a_done_task_is_not_recorded_twice_and_foreign_items_are_refused(world):
    plan = _drawn(world, n=2)
    task = SpotCheckTask.objects.filter(plan=plan).first()
    with pytest.raises(ValidationFailed, match="食品安全"):
        _record(task, world["district"], findings={"food_safety": FindingLevel.PASS})
    assert not Inspection.objects.exists()
    _record(task, world["district"])
    with pytest.raises(TransitionNotAllowed):
        _record(task, world["district"])
    assert Inspection.objects.count() == 1


def test_a_future_visit_is_refused_by_the_inspection_service_and_nothing_is_written(world):
    plan = _drawn(world, n=1)
    task = SpotCheckTask.objects.get(plan=plan)
    with pytest.raises(ValidationFailed):
        _record(task, world["district"], inspected_on=timezone.localdate() + timedelta(days=1))
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Inspection.objects.exists()


def test_an_operating_merchant_cannot_be_recorded_as_closed(world):
    plan = _drawn(world, n=1)
    task = SpotCheckTask.objects.get(plan=plan)
    with pytest.raises(ValidationFailed, match="存续"):
        spot_check_task_mark_closed(task_id=task.pk, actor=world["district"])


def test_overdue_tasks_escalate_once_and_can_still_be_done_or_closed(world):
    plan = _drawn(world, n=2)
    SpotCheckTask.objects.filter(plan=plan).update(due_on=timezone.localdate() - timedelta(days=1))
    assert escalate_overdue_tasks.delay().get() == 2
    assert escalate_overdue_tasks.delay().get() == 0
    first, second = SpotCheckTask.objects.filter(plan=plan).order_by("draw_rank")
    assert first.status == TaskStatus.ESCALATED and first.escalated_to_id == "410800"  # the city above the district
    entry = audit_entries_for(first).get(action=AuditAction.TASK_ESCALATED)
    assert entry.actor is None and entry.to_status == TaskStatus.ESCALATED
    _record(first, world["district"])
    second.merchant.status = MerchantStatus.SUSPENDED
    second.merchant.save(update_fields=["status"])
    spot_check_task_mark_closed(task_id=second.pk, actor=world["district"])
    first.refresh_from_db()
    second.refresh_from_db()
    plan.refresh_from_db()
    assert (first.status, second.status, plan.status) == (TaskStatus.DONE, TaskStatus.MERCHANT_CLOSED, PlanStatus.COMPLETED)
