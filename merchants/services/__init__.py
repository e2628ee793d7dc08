"""Writes to the register and to merchants' credit facts."""

from .accounts import (  # noqa: F401
    EmailNotConfirmed,
    TooManySignups,
    email_confirm,
    email_confirmation_resend,
    user_signup,
)
from .regions import region_delete, region_save  # noqa: F401
from .register import (  # noqa: F401
    TooManyAttempts,
    claim_code_issue,
    format_claim_code,
    membership_grant,
    merchant_claim,
    merchant_delete,
    merchant_mark_rating_stale,
    merchant_save,
    staff_assign_role,
)
