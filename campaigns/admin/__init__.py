"""Staff admin for the campaign (region-scoped): campaigns, applications and reviews, objections,
commendation lists, PSA quotas with the district progress board, PSA reports and reminders."""

from . import ads, application, campaign, commendation, objection  # noqa: F401
