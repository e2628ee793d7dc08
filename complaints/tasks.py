"""Thin Celery tasks: they take ids and call a service; running one twice changes nothing."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="complaints.tasks.escalate_overdue")
def escalate_overdue() -> dict:
    from .services import complaints_escalate_overdue

    result = complaints_escalate_overdue()
    return {"odr_expired": result.odr_expired, "unanswered": result.unanswered, "escalated": result.escalated}


@shared_task(name="complaints.tasks.notify_complainant")
def notify_complainant(complaint_id: int, event: str) -> bool:
    from .notify import send_notice
    from .services import report_send_feedback

    sent = send_notice(complaint_id=complaint_id, event=event)
    if event in ("case_opened", "not_opened"):
        report_send_feedback(complaint_id=complaint_id)
    return sent
