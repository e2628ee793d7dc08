"""Beat's periodic tasks are created once and then belong to the superusers who edit them in the admin.

django-celery-beat copies ``CELERY_BEAT_SCHEDULE`` into its tables on every beat start
(``update_or_create`` by name), so a schedule a superuser changed or disabled came back on the next
restart. The portal's defaults live in ``settings.BEAT_DEFAULT_SCHEDULE`` instead (Celery never reads
it), and ``sync_beat_schedule`` only adds the entries that are missing: an existing row keeps its
schedule, its enabled flag and everything else. Deleting a default entry and running the sync (or
``migrate``) recreates it; disabling it is how a bureau turns a job off for good.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger("integrity_portal.beat")


def beat_schedule_sync(*, using: str = "default") -> list[str]:
    """Create every default periodic task that has no row of its name yet; return the names created."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    defaults = getattr(settings, "BEAT_DEFAULT_SCHEDULE", {}) or {}
    created: list[str] = []
    existing = set(PeriodicTask.objects.using(using).filter(name__in=list(defaults)).values_list("name", flat=True))
    for name, entry in defaults.items():
        if name in existing:
            continue
        with transaction.atomic(using=using):
            # ``to_model_schedule`` reuses an equal schedule row or saves a new one; never alters one.
            schedule, field = ModelEntry.to_model_schedule(entry["schedule"])
            _, made = PeriodicTask.objects.using(using).get_or_create(
                name=name,
                defaults={"task": entry["task"], field: schedule, "kwargs": "{}", "args": "[]"},
            )
        if made:
            created.append(name)
            logger.info("periodic task %s created (%s)", name, entry["task"])
    return created


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate of django_celery_beat: its tables exist now, so the defaults can be filled in."""
    beat_schedule_sync(using=using)
