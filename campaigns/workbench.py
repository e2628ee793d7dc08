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


def _source(name, label, model, queryset, *, page, due, via="", reference=None, order):
    """Rows of ``model`` decided on its step page (``admin:campaigns_<model>_<page>``); ``via`` is the path
    to the row's application (objections), whose merchant gives the region and the name."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return WorkSource(
        name=name,
        label=label,
        queryset=queryset,
        change_url=f"{info}_{page}",
        list_url=f"{info}_changelist",
        due=due,
        region=f"{via}merchant__region",
        merchant=(f"{via}merchant__name",),
        reference=reference,
        order=order,
    )


SOURCES = (
    _source(
        "application",
        _("创建申报待审核"),
        Application,
        applications_waiting,
        page="review",
        due="campaign__review_deadline",
        order=80,
    ),
    _source(
        "objection",
        _("公示异议"),
        Objection,
        lambda user: Objection.objects.filter(status=ObjectionStatus.OPEN),
        page="resolve",
        due="application__campaign__publicity_end",
        via="application__",
        reference="reference",
        order=90,
    ),
    _source(
        "ad_report",
        _("公益广告报告待核查"),
        AdReport,
        lambda user: AdReport.objects.filter(status=AdReportStatus.SUBMITTED),
        page="verify",
        due="quota__deadline",
        order=100,
    ),
)


def register_work_sources() -> None:
    for source in SOURCES:
        register_work_source(source)
