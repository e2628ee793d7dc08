"""Spot-check tasks on the staff workbench (core.workbench) and where spot-check audit entries belong
(core.staff_audit). Registered in ``ready()`` (imported there, after the models).

A task waits for its two inspectors: an inspector's queue holds the tasks they are named on; planners
(city bureau, district branch) see every open or escalated task of their region. The page where a task is
decided is its result form (``<pk>/record/``)."""

from __future__ import annotations

from django.db.models import Q

from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import staff_role
from integrity_portal.core.staff_audit import register_audit_scope
from integrity_portal.core.workbench import WorkSource, register_work_source

from .models import InspectorConflict, SpotCheckPlan, SpotCheckTask, TaskStatus

WAITING = [TaskStatus.OPEN, TaskStatus.ESCALATED]


def tasks_waiting(user):
    qs = SpotCheckTask.objects.filter(status__in=WAITING)
    if staff_role(user) == StaffRole.INSPECTOR:
        qs = qs.filter(Q(inspector_1=user) | Q(inspector_2=user))
    return qs


SOURCE = WorkSource(
    name="spotcheck_task",
    label=SpotCheckTask._meta.verbose_name,
    queryset=tasks_waiting,
    change_url="admin:spotchecks_spotchecktask_record",
    list_url="admin:spotchecks_spotchecktask_changelist",
    due="due_on",
    region="region",
    merchant=("merchant__name",),
    order=110,
)


def register() -> None:
    register_work_source(SOURCE)
    register_audit_scope(SpotCheckPlan, region="region")
    register_audit_scope(SpotCheckTask, region="region", merchant="merchant")
    register_audit_scope(InspectorConflict, region="merchant__region", merchant="merchant")
