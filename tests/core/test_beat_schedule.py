"""Beat's periodic tasks are created once; a superuser's edits survive the next migrate and beat start."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from integrity_portal.core.beat import beat_schedule_sync

EXPECTED = {
    "sweep-stale-ratings": "merchants.tasks.sweep_stale_ratings",
    "nightly-full-recompute": "merchants.tasks.recompute_all_ratings",
    "expire-list-entries": "merchants.tasks.expire_list_entries",
    "escalate-overdue-complaints": "complaints.tasks.escalate_overdue",
    "publish-due-commendations": "campaigns.tasks.publish_due_commendations",
    "ad-quota-reminders": "campaigns.tasks.send_ad_quota_reminders",
}


def _rows():
    return {
        p.name: (p.task, p.enabled, p.crontab_id, p.interval_id, p.description)
        for p in PeriodicTask.objects.filter(name__in=list(EXPECTED))
    }


def test_celery_beat_schedule_is_not_in_settings():
    """django-celery-beat would write it over the admin's rows on every beat start."""
    assert not hasattr(settings, "CELERY_BEAT_SCHEDULE")
    from integrity_portal.celery import app

    assert not app.conf.beat_schedule


@pytest.mark.django_db
def test_migrate_creates_the_default_periodic_tasks_with_their_schedules():
    # The test database was built by migrate, whose post_migrate created them.
    tasks = {p.name: p for p in PeriodicTask.objects.filter(name__in=list(EXPECTED))}
    assert {name: p.task for name, p in tasks.items()} == EXPECTED
    nightly = tasks["nightly-full-recompute"].crontab
    assert (nightly.minute, nightly.hour, str(nightly.timezone)) == ("30", "2", "Asia/Shanghai")
    sweep = tasks["sweep-stale-ratings"].interval
    assert sweep.every * {"seconds": 1, "minutes": 60}[sweep.period] == 300
    assert all(p.enabled for p in tasks.values())


@pytest.mark.django_db
def test_sync_keeps_a_superusers_edits_and_recreates_only_a_missing_task():
    nightly = PeriodicTask.objects.get(name="nightly-full-recompute")
    three_am = CrontabSchedule.objects.create(minute="15", hour="3", timezone="Asia/Shanghai")
    nightly.crontab = three_am
    nightly.description = '改到 3:15 "<b>'
    nightly.save()
    PeriodicTask.objects.filter(name="ad-quota-reminders").update(enabled=False)
    PeriodicTask.objects.filter(name="expire-list-entries").delete()
    crontabs, intervals = CrontabSchedule.objects.count(), IntervalSchedule.objects.count()
    before = _rows()

    call_command("sync_beat_schedule", verbosity=0)

    after = _rows()
    assert {k: v for k, v in after.items() if k != "expire-list-entries"} == before
    assert after["nightly-full-recompute"][2] == three_am.pk
    assert after["ad-quota-reminders"][1] is False
    recreated = PeriodicTask.objects.get(name="expire-list-entries")
    assert recreated.task == "merchants.tasks.expire_list_entries" and recreated.enabled
    assert (recreated.crontab.minute, recreated.crontab.hour) == ("0", "1")
    # The 1:00 crontab row still existed (nothing else changed), so it was reused, not duplicated.
    assert (CrontabSchedule.objects.count(), IntervalSchedule.objects.count()) == (crontabs, intervals)

    # Running it again is a no-op.
    assert beat_schedule_sync() == []
    assert _rows() == after


@pytest.mark.django_db
def test_a_second_migrate_does_not_revert_an_edit():
    PeriodicTask.objects.filter(name="sweep-stale-ratings").update(enabled=False)
    call_command("migrate", verbosity=0, interactive=False)
    assert PeriodicTask.objects.get(name="sweep-stale-ratings").enabled is False


@pytest.mark.django_db(transaction=True)
def test_database_scheduler_starts_without_a_settings_schedule_and_keeps_the_edit():
    """What beat does on start: its DatabaseScheduler reads the tables and writes nothing over them."""
    from django_celery_beat.schedulers import DatabaseScheduler

    from integrity_portal.celery import app

    nightly = PeriodicTask.objects.get(name="nightly-full-recompute")
    nightly.crontab = CrontabSchedule.objects.create(minute="45", hour="4", timezone="Asia/Shanghai")
    nightly.save()

    scheduler = DatabaseScheduler(app=app, lazy=False)

    # (django-celery-beat leaves crontab entries not due within the hour out of its in-memory schedule.)
    assert {"sweep-stale-ratings", "publish-due-commendations"} <= set(scheduler.schedule)
    nightly.refresh_from_db()
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("45", "4")
    assert PeriodicTask.objects.filter(name__in=list(EXPECTED), enabled=True).count() == len(EXPECTED)
