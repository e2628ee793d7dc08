"""Thin Celery tasks: they take ids and call a service; running one twice changes nothing."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger("complaints.tasks")

# Worth retrying: the gateway or mail relay was unreachable or said "try later" (OSError covers refused,
# reset and timed-out connections; SMTPException covers 4xx answers). Anything else is a bug: no retry.
NOTICE_RETRY_ERRORS = (OSError, smtplib.SMTPException)


@shared_task(name="complaints.tasks.escalate_overdue")
def escalate_overdue() -> dict:
    from .services import complaints_escalate_overdue

    try:
        result = complaints_escalate_overdue()
    except SoftTimeLimitExceeded:
        # Each escalation commits on its own and the service skips what is done: tomorrow's run continues.
        logger.warning("escalate_overdue stopped at its soft time limit; the next run continues")
        return {}
    return {"odr_expired": result.odr_expired, "unanswered": result.unanswered, "escalated": result.escalated}


@shared_task(
    bind=True,
    name="complaints.tasks.notify_complainant",
    autoretry_for=NOTICE_RETRY_ERRORS,
    retry_backoff=30,  # 30 s, 60 s, 120 s … with jitter, so a relay coming back is not hit by all at once
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,  # about five hours in all, then the failure is logged by the worker
    soft_time_limit=60,  # EMAIL_TIMEOUT is 10 s: a minute means something hangs beyond the socket
    time_limit=90,
)
def notify_complainant(
    self, complaint_id: int, event: str, channels: list[str] | None = None, key: str = ""
) -> bool:
    """Tell the complainant about ``event``. Idempotent: a message delivered twice (a worker lost after
    sending, a duplicated publish) sends nothing twice, each channel of each occasion (``key``, default
    the event) is recorded before it goes out (``notify.send_notice``)."""
    from .notify import send_notice
    from .services import report_send_feedback

    delivered: list[str] = []
    try:
        sent = send_notice(complaint_id=complaint_id, event=event, channels=channels, delivered=delivered, key=key)
    except NOTICE_RETRY_ERRORS:
        # autoretry re-sends with the request's kwargs: only the channels that did not go out yet.
        from .notify import CHANNELS

        remaining = [c for c in (channels or CHANNELS) if c not in delivered]
        self.request.kwargs = {**(self.request.kwargs or {}), "channels": remaining}
        logger.warning(
            "notice %s for complaint %s failed (attempt %d); retrying %s",
            event,
            complaint_id,
            self.request.retries + 1,
            ",".join(remaining),
        )
        raise
    except SoftTimeLimitExceeded:
        logger.warning("notice %s for complaint %s stopped at its soft time limit; not retried", event, complaint_id)
        return False
    if event in ("case_opened", "not_opened"):
        report_send_feedback(complaint_id=complaint_id)
    return sent
