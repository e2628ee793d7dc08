"""The status pipelines of the analysis app. ``apps.py`` registers them with ``core.workflow``;
services move these records only through ``<MAP>.transition()``.

A district's monthly report: draft → submitted → compiled (taken into the city's report), or
submitted → draft (returned by the city for revision). A city's report: draft → submitted →
accepted (received by the work group, 工作专班), or returned to draft.
"""

from integrity_portal.core.workflow import Workflow

from .audit_actions import AuditAction
from .models import ActionItemStatus as I
from .models import ReportStatus as R

MONTHLY_REPORT_WORKFLOW = Workflow(
    "monthly_report",
    {
        R.DRAFT: {R.SUBMITTED},
        R.SUBMITTED: {R.DRAFT, R.COMPILED, R.ACCEPTED},
        R.COMPILED: set(),
        R.ACCEPTED: set(),
    },
    labels=dict(R.choices),
    actions={
        R.SUBMITTED: AuditAction.MONTHLY_REPORT_SUBMITTED,
        R.DRAFT: AuditAction.MONTHLY_REPORT_RETURNED,
        R.COMPILED: AuditAction.MONTHLY_REPORT_COMPILED,
        R.ACCEPTED: AuditAction.MONTHLY_REPORT_ACCEPTED,
    },
)

ACTION_ITEM_WORKFLOW = Workflow(
    "action_item",
    {I.OPEN: {I.DONE}, I.DONE: set()},
    labels=dict(I.choices),
    actions={I.DONE: AuditAction.ACTION_ITEM_DONE},
)


def register_workflows() -> None:
    from integrity_portal.core.workflow import register_workflow

    from .models import ActionItem, MonthlyReport

    register_workflow(MonthlyReport, MONTHLY_REPORT_WORKFLOW)
    register_workflow(ActionItem, ACTION_ITEM_WORKFLOW)
