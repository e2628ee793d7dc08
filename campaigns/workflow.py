"""The two status pipelines of the campaign: the campaign itself and each application."""

from integrity_portal.core.workflow import Workflow

from .models import AdReportStatus as R
from .models import ApplicationStatus as A
from .models import CampaignStatus as C

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
)

AD_REPORT_WORKFLOW = Workflow(
    "ad_report",
    {
        R.SUBMITTED: {R.VERIFIED, R.REJECTED},
        R.VERIFIED: set(),
        R.REJECTED: set(),
    },
    labels=dict(R.choices),
)
