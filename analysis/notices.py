"""The notice the analysis app sends (docs/NOTIFICATIONS.md, "Kinds of notice and fan-out"): a monthly
report escalated after its deadline is announced, in the staff inbox, to the unit it was escalated to and
to the late unit itself. Sent inside the escalation's transaction with a stable event key (once)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.roles import StaffRole
from notifications.kinds import NoticeKind, register_notice_kind, register_notice_link

from .models import MonthlyReport

MONTHLY_REPORT_ESCALATION = NoticeKind(
    code="monthly_report_escalation",
    label=_("月研判报告逾期督办"),
    audience="staff",
    legal=False,
    default_channels=("inbox",),
    subject=_("【逾期督办】{region}{year}年{month}月研判报告未按期报送"),
    body=_("{region}{year}年{month}月研判报告的报送期限为{due}，至今未提交，已督办至{supervisor}。"),
)

#: Staff told: those who write and submit reports where they are posted.
REPORTING_ROLES = (StaffRole.CITY_BUREAU, StaffRole.DISTRICT_BRANCH)


def report_notice_link(report: MonthlyReport, audience: str) -> str:
    return reverse("admin:analysis_monthlyreport_change", args=[report.pk]) if audience == "staff" else ""


def register() -> None:
    """Called once from ``AnalysisConfig.ready()``."""
    register_notice_kind(MONTHLY_REPORT_ESCALATION)
    register_notice_link(MonthlyReport, report_notice_link)


def notify_report_escalated(*, report: MonthlyReport) -> list:
    from notifications.services import notify_users

    codes = {report.region_id, report.escalated_to_id}
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, is_staff=True, staff_profile__region_id__in=codes, staff_profile__role__in=REPORTING_ROLES
        )
        .order_by("pk")
    )
    return notify_users(
        users=users,
        kind=MONTHLY_REPORT_ESCALATION.code,
        event_key=f"monthly_report:{report.pk}:escalation",
        params={
            "region": report.region.name,
            "year": report.month.year,
            "month": report.month.month,
            "due": report.deadline,
            "supervisor": report.escalated_to.name,
        },
        about=report,
        region_code=report.escalated_to_id,
    )
