from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_groups(sender, **kwargs):
    from .roles import sync_role_groups

    sync_role_groups()


def _last_app_with_models():
    """The app whose ``post_migrate`` is sent last by ``migrate`` and ``flush`` (one per app with a models
    module, in ``INSTALLED_APPS`` order): by then every app's permissions exist."""
    from django.apps import apps

    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


class CoreConfig(AppConfig):
    name = "integrity_portal.core"
    label = "core"
    verbose_name = _("系统：操作日志与工作日")

    def ready(self) -> None:
        # Groups are derived from the role map after every migrate/flush, so they never drift: once, after the
        # last app's permissions are created. The signal is sent once per app with models (19); syncing on each cost
        # about a second per flush, which is every transactional test's teardown.
        post_migrate.connect(_sync_groups, sender=_last_app_with_models(), dispatch_uid="core_sync_role_groups")
        from .audit_immutability import install_after_migrate
        from .logging import connect_celery_signals

        connect_celery_signals()  # request id into task headers and back; one log line per task
        from .metrics import register_queue_collector

        register_queue_collector()  # Celery queue lengths at scrape time, only with a Redis broker

        # PostgreSQL: the audit table refuses UPDATE/DELETE (migration 0003 too; tests run --nomigrations).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="core_audit_append_only")
        # Beat's default periodic tasks: created when missing, never overwritten (core/beat.py).
        from django.apps import apps

        from .beat import sync_after_migrate

        post_migrate.connect(
            sync_after_migrate, sender=apps.get_app_config("django_celery_beat"), dispatch_uid="core_sync_beat_schedule"
        )
        _connect_holiday_calendar()
        from . import api_schema  # noqa: F401  (registers the OpenAPI extension of the strict Basic auth)


def _connect_holiday_calendar() -> None:
    """Schedule saves clear the in-process calendar cache; a missing year is a system-check warning;
    ``seed_demo`` fills the years ``chinesecalendar`` knows."""
    from django.core.checks import register
    from django.db.models.signals import post_delete, post_save

    from .checks import holiday_schedule_check, invalid_index_check
    from .demo import register_demo_seeder
    from .models import HolidaySchedule, HolidayScheduleDay
    from .workdays import invalidate_calendar_cache

    for model in (HolidaySchedule, HolidayScheduleDay):
        post_save.connect(invalidate_calendar_cache, sender=model, dispatch_uid=f"core_calendar_save_{model.__name__}")
        post_delete.connect(
            invalidate_calendar_cache, sender=model, dispatch_uid=f"core_calendar_delete_{model.__name__}"
        )
    register(holiday_schedule_check)
    register(invalid_index_check)
    register_demo_seeder("holiday_schedules", 5, _seed_holiday_schedules)


def _seed_holiday_schedules(*, seed: int, merchant_count: int, stdout) -> None:
    from .holidays import chinesecalendar_years, holiday_schedule_fill_from_chinesecalendar

    filled = [y for y in chinesecalendar_years() if holiday_schedule_fill_from_chinesecalendar(year=y)]
    stdout.write(f"holiday schedules filled from chinesecalendar: {len(filled)} year(s)")
