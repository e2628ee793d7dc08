"""Thin Celery tasks: they take ids and call a service; running one twice changes nothing."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger("complaints.tasks")


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


@shared_task(name="complaints.tasks.notify_complainant")
def notify_complainant(complaint_id: int, event: str, channels: list[str] | None = None, key: str = "") -> bool:
    """Kept for messages queued before the outbox (an upgrade with a full "notices" queue): enqueue the
    notices in the outbox, which sends them once. New code enqueues in the event's transaction
    (``services.common.notify_later``); ``channels`` is ignored (the outbox's retries are per channel)."""
    from django.db import transaction

    from .models import Complaint
    from .notify import enqueue_notice

    with transaction.atomic():
        complaint = Complaint.objects.filter(pk=complaint_id).first()
        if complaint is None:
            return False
        return bool(enqueue_notice(complaint=complaint, event=event, key=key))


@shared_task(name="complaints.tasks.remind_merchant_replies")
def remind_merchant_replies() -> int:
    """Beat, daily: merchants whose answer is due in 2 working days (idempotent per deadline)."""
    from .services.reminders import complaints_remind_merchant_replies

    return complaints_remind_merchant_replies()


@shared_task(name="complaints.tasks.digest_items_due")
def digest_items_due() -> int:
    """Beat, daily: each handling staff member's items due the next working day (one notice a day)."""
    from .services.reminders import staff_digest_items_due

    return staff_digest_items_due()
