"""Beat tasks of the campaigns app: thin and idempotent, the services do the work."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger("campaigns.tasks")


@shared_task(name="campaigns.tasks.publish_due_commendations")
def publish_due_commendations() -> list[int]:
    """Publish every campaign whose publicity has ended with no open objection (exactly once each)."""
    from .services.publication import publish_due_commendations as publish

    try:
        return publish()
    except SoftTimeLimitExceeded:  # each publication commits on its own; the next run (15 min) continues
        logger.warning("publish_due_commendations stopped at its soft time limit; the next run continues")
        return []


@shared_task(name="campaigns.tasks.send_ad_quota_reminders")
def send_ad_quota_reminders() -> dict:
    """Remind large venues not yet compliant at 14, 7 and 1 days before the PSA deadline; once each.
    Returns the run's summary: venues reminded, of which sent and undeliverable (no account)."""
    from .services.ads import ad_reminders_send

    try:
        return ad_reminders_send().as_dict()
    except SoftTimeLimitExceeded:  # reminders already sent are recorded; tomorrow's run sends the rest
        logger.warning("send_ad_quota_reminders stopped at its soft time limit; the next run continues")
        return {}
