"""Thin tasks of the outbox (queue "notices"): they take ids and call a service; running one twice
sends nothing twice (the claim is a conditional update)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.tasks.deliver_notice", soft_time_limit=60, time_limit=90)
def deliver_notice(notice_id: int) -> str:
    """Send one queued notice; retries are the row's (next_attempt_at), not Celery's, so they survive
    a lost message or a broker outage."""
    from .services import notice_deliver

    return notice_deliver(notice_id=notice_id)


@shared_task(name="notifications.tasks.sweep_notices")
def sweep_notices() -> dict:
    """Beat, every minute: what a lost message, an outage or a dead worker left queued is sent now."""
    from .services import notices_dispatch_due

    return notices_dispatch_due()
