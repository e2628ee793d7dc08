"""The status pipelines of the campaign: the campaign itself, each application, each objection
against a candidate, and each public-service-ad report. ``apps.py`` registers them with
``core.workflow``; services move these records only through ``<MAP>.transition()``."""

from integrity_portal.core.workflow import Workflow

from .audit_actions import AuditAction
from .models import AdReportStatus as R
from .models import ApplicationStatus as A
from .models import CampaignStatus as C
from .models import ObjectionStatus as O

CAMPAIGN_WORKFLOW = Workflow(
    "campaign",
    {
        C.DRAFT: {C.OPEN},
        C.OPEN: {C.REVIEWING},
        C.REVIEWING: {C.PUBLICITY},
        C.PUBLICITY: {C.PUBLISHED},
        C.PUBLISHED: {C.ARCHIVED},
        C.ARCHIVED: set(),
    },
    labels=dict(C.choices),
    actions={
        C.OPEN: AuditAction.CAMPAIGN_OPEN,
        C.REVIEWING: AuditAction.CAMPAIGN_REVIEWING,
        C.PUBLICITY: AuditAction.CAMPAIGN_PUBLICITY,
        C.PUBLISHED: AuditAction.CAMPAIGN_PUBLISHED,
        C.ARCHIVED: AuditAction.CAMPAIGN_ARCHIVED,
    },
)

APPLICATION_WORKFLOW = Workflow(
    "application",
    {
        A.SUBMITTED: {A.DISTRICT_PASSED, A.REJECTED},
        A.DISTRICT_PASSED: {A.CITY_PASSED, A.REJECTED},
        A.CITY_PASSED: {A.CANDIDATE, A.REJECTED},
        A.CANDIDATE: {A.COMMENDED, A.REJECTED},
        A.COMMENDED: set(),
        A.REJECTED: set(),
    },
    labels=dict(A.choices),
    actions={
        A.DISTRICT_PASSED: AuditAction.APPLICATION_DISTRICT_PASSED,
        A.CITY_PASSED: AuditAction.APPLICATION_CITY_PASSED,
        A.CANDIDATE: AuditAction.APPLICATION_CANDIDATE,
        A.COMMENDED: AuditAction.APPLICATION_COMMENDED,
        A.REJECTED: AuditAction.APPLICATION_REJECTED,
    },
    # A review records its level, whatever its outcome (services/application.py).
    extra_actions=[AuditAction.APPLICATION_REVIEW_DISTRICT, AuditAction.APPLICATION_REVIEW_CITY],
)

AD_REPORT_WORKFLOW = Workflow(
    "ad_report",
    {
        R.SUBMITTED: {R.VERIFIED, R.REJECTED},
        R.VERIFIED: set(),
        R.REJECTED: set(),
    },
    labels=dict(R.choices),
    actions={R.VERIFIED: AuditAction.AD_REPORT_VERIFIED, R.REJECTED: AuditAction.AD_REPORT_REJECTED},
)

#: An objection is resolved once during publicity: upheld (the candidate is removed) or dismissed.
OBJECTION_WORKFLOW = Workflow(
    "objection",
    {
        O.OPEN: {O.UPHELD, O.DISMISSED},
        O.UPHELD: set(),
        O.DISMISSED: set(),
    },
    labels=dict(O.choices),
    actions={O.UPHELD: AuditAction.OBJECTION_UPHELD, O.DISMISSED: AuditAction.OBJECTION_DISMISSED},
)


def register_workflows() -> None:
    from integrity_portal.core.workflow import register_workflow

    from .models import AdReport, Application, Campaign, Objection

    register_workflow(Campaign, CAMPAIGN_WORKFLOW)
    register_workflow(Application, APPLICATION_WORKFLOW)
    register_workflow(Objection, OBJECTION_WORKFLOW)
    register_workflow(AdReport, AD_REPORT_WORKFLOW)
