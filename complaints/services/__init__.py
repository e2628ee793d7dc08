"""Every write to complaints and reports; views, API, admin and tasks call these."""

from .deadlines import (  # noqa: F401
    SweepResult,
    complaint_deadlines_recompute,
    complaints_escalate_overdue,
)
from .handling import (  # noqa: F401
    complaint_accept,
    complaint_apply_action,
    complaint_assign,
    complaint_close,
    complaint_close_mediated,
    complaint_confirm_violation,
    complaint_link_merchant,
    complaint_reject,
    complaint_start_mediation,
    complaint_terminate,
    complaint_transfer,
    report_decide,
    report_extend,
    report_send_feedback,
    report_start_verification,
)
from .intake import (  # noqa: F401
    BOTH,
    AlreadySubmitted,
    Submission,
    complaint_can_rate,
    complaint_rate,
    complaint_send_tracking_code,
    complaint_submit,
    normalize_tracking_code,
    submission_errors,
)
from .merchant import (  # noqa: F401
    complaint_decide_proposal,
    complaint_merchant_reply,
    complaint_odr_expire,
    merchant_odr_enroll,
)
from .stations import (  # noqa: F401
    complaint_station_mediate,
    require_station_staff,
    station_complaint_intake,
)
