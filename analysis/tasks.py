"""Thin tasks of the analysis app: each calls one idempotent service."""

from celery import shared_task


@shared_task(name="analysis.tasks.monthly_reports_daily")
def monthly_reports_daily() -> dict:
    """Daily: draft this month's reports on/after the 20th (once), escalate unsubmitted ones after the 25th."""
    from .services import monthly_reports_daily as run

    return run()
