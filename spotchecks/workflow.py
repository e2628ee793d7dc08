"""The status pipelines of a spot-check plan and of each task it draws; ``apps.py`` registers them with
``core.workflow``, and services move these records only through ``<MAP>.transition()``."""

from integrity_portal.core.workflow import Workflow

from .audit_actions import AuditAction
from .models import PlanStatus as P
from .models import TaskStatus as T

#: draft → approved (seed committed, lists frozen) → drawn (seed revealed, tasks made) → in progress
#: (first result) → completed (every task done or its merchant closed) → published (results public).
PLAN_WORKFLOW = Workflow(
    "spot_check_plan",
    {
        P.DRAFT: {P.APPROVED},
        P.APPROVED: {P.DRAWN},
        P.DRAWN: {P.IN_PROGRESS},
        P.IN_PROGRESS: {P.COMPLETED},
        P.COMPLETED: {P.PUBLISHED},
        P.PUBLISHED: set(),
    },
    labels=dict(P.choices),
    actions={
        P.APPROVED: AuditAction.PLAN_APPROVED,
        P.DRAWN: AuditAction.PLAN_DRAWN,
        P.IN_PROGRESS: AuditAction.PLAN_IN_PROGRESS,
        P.COMPLETED: AuditAction.PLAN_COMPLETED,
        P.PUBLISHED: AuditAction.PLAN_PUBLISHED,
    },
)

#: A task is answered by an inspection (done) or by the merchant having closed (never replaced);
#: an overdue open task is escalated once and still ends either way.
TASK_WORKFLOW = Workflow(
    "spot_check_task",
    {
        T.OPEN: {T.DONE, T.MERCHANT_CLOSED, T.ESCALATED},
        T.ESCALATED: {T.DONE, T.MERCHANT_CLOSED},
        T.DONE: set(),
        T.MERCHANT_CLOSED: set(),
    },
    labels=dict(T.choices),
    actions={
        T.DONE: AuditAction.TASK_DONE,
        T.MERCHANT_CLOSED: AuditAction.TASK_MERCHANT_CLOSED,
        T.ESCALATED: AuditAction.TASK_ESCALATED,
    },
)


def register_workflows() -> None:
    from integrity_portal.core.workflow import register_workflow

    from .models import SpotCheckPlan, SpotCheckTask

    register_workflow(SpotCheckPlan, PLAN_WORKFLOW)
    register_workflow(SpotCheckTask, TASK_WORKFLOW)
