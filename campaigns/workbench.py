"""Work sources of the campaign on the staff workbench (core.workbench): applications to review (初审 by
the merchant's district branch, 复审 by the city bureau or civility office, due by the campaign's review
deadline), objections to resolve before publicity ends, and PSA reports to verify before the quota's
deadline. Registered in ``ready()`` (imported there, after the models)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import is_unrestricted, staff_role
from integrity_portal.core.workbench import WorkSource, register_work_source

from .models import AdReport, AdReportStatus, Application, ApplicationStatus, Objection, ObjectionStatus
from .services._access import CAMPAIGN_MANAGERS


def applications_waiting(user):
    """Applications at the review level the user's role decides (a superuser: both)."""
    levels = []
    if is_unrestricted(user) or staff_role(user) == StaffRole.DISTRICT_BRANCH:
        levels.append(ApplicationStatus.SUBMITTED)
    if is_unrestricted(user) or staff_role(user) in CAMPAIGN_MANAGERS:
        levels.append(ApplicationStatus.DISTRICT_PASSED)
    return Application.objects.filter(status__in=levels)


SOURCES = (
    WorkSource(
        name="application",
        label=_("创建申报待审核"),
        queryset=applications_waiting,
        change_url="admin:campaigns_application_review",
        list_url="admin:campaigns_application_changelist",
        due="campaign__review_deadline",
        region="merchant__region",
        merchant=("merchant__name",),
        order=80,
    ),
    WorkSource(
        name="objection",
        label=_("公示异议"),
        queryset=lambda user: Objection.objects.filter(status=ObjectionStatus.OPEN),
        change_url="admin:campaigns_objection_resolve",
        list_url="admin:campaigns_objection_changelist",
        due="application__campaign__publicity_end",
        region="application__merchant__region",
        merchant=("application__merchant__name",),
        reference="reference",
        order=90,
    ),
    WorkSource(
        name="ad_report",
        label=_("公益广告报告待核查"),
        queryset=lambda user: AdReport.objects.filter(status=AdReportStatus.SUBMITTED),
        change_url="admin:campaigns_adreport_verify",
        list_url="admin:campaigns_adreport_changelist",
        due="quota__deadline",
        region="merchant__region",
        merchant=("merchant__name",),
        order=100,
    ),
)


def register_work_sources() -> None:
    for source in SOURCES:
        register_work_source(source)
