"""Every write of the campaigns app: campaign moves, applications and reviews, objections,
publication of the commendation lists, and public-service-ad reports and reminders."""

from .ads import (  # noqa: F401
    ad_reminders_send,
    ad_report_submit,
    ad_report_verify,
    psa_is_compliant,
    validate_photo,
)
from .application import (  # noqa: F401
    application_check_eligibility,
    application_review_city,
    application_review_district,
    application_submit,
)
from .campaign import (  # noqa: F401
    campaign_archive,
    campaign_create,
    campaign_missing_for,
    campaign_open,
    campaign_save,
    campaign_start_publicity,
    campaign_start_review,
)
from .objection import objection_file, objection_resolve  # noqa: F401
from .publication import campaign_publish, campaign_publish_if_due, publish_due_commendations  # noqa: F401
from .quota import ad_quota_check, ad_quota_delete, ad_quota_save  # noqa: F401
