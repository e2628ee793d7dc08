"""Thin Celery tasks: they call a service; running one twice changes nothing."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="spotchecks.tasks.escalate_overdue_tasks")
def escalate_overdue_tasks() -> int:
    """Beat, daily: escalate (督办) open spot-check tasks past their due date, once each."""
    from .services import spot_check_tasks_escalate_overdue

    return spot_check_tasks_escalate_overdue()
