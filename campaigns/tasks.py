"""Beat tasks of the campaigns app: thin and idempotent, the services do the work."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="campaigns.tasks.publish_due_commendations")
def publish_due_commendations() -> list[int]:
    """Publish every campaign whose publicity has ended with no open objection (exactly once each)."""
    from .services.publication import publish_due_commendations as publish

    return publish()


@shared_task(name="campaigns.tasks.send_ad_quota_reminders")
def send_ad_quota_reminders() -> int:
    """Remind large venues not yet compliant at 14, 7 and 1 days before the PSA deadline; once each."""
    from .services.ads import ad_reminders_send

    return ad_reminders_send()
