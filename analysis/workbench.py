"""Work sources of the analysis app on the staff workbench (core.workbench): monthly reports still in
draft (to write and submit by the 25th; overdue after it) and the quarterly meetings' open action items
(due by their deadline, shown to the owner's region). Registered in ``ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from integrity_portal.core.workbench import WorkSource, register_work_source

from .models import ActionItem, ActionItemStatus, MonthlyReport, ReportStatus

SOURCES = (
    WorkSource(
        name="monthly_report",
        label=_("月研判报告待报送"),
        queryset=lambda user: MonthlyReport.objects.filter(status=ReportStatus.DRAFT),
        change_url="admin:analysis_monthlyreport_change",
        list_url="admin:analysis_monthlyreport_changelist",
        due="deadline",
        region="region",
        reference="month",
        order=200,
    ),
    WorkSource(
        name="action_item",
        label=_("会商任务"),
        queryset=lambda user: ActionItem.objects.filter(status=ActionItemStatus.OPEN),
        change_url="admin:analysis_actionitem_change",
        list_url="admin:analysis_actionitem_changelist",
        due="deadline",
        region="owner_region",
        reference="owner_unit",
        order=210,
    ),
)


def register_work_sources() -> None:
    for source in SOURCES:
        register_work_source(source)
