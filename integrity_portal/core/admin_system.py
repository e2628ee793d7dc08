"""The system schedules of django-celery-beat, re-registered for superusers only.

The beat tables drive every city's jobs (nightly recompute, escalation, publication, notices);
a city's staff changing them would change them for all cities (issue #11). The package's own
admin classes are kept (their forms and inlines) and wrapped in ``SuperuserOnlyAdminMixin``.
"""

from __future__ import annotations

from django.contrib import admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from .admin_actions import SuperuserOnlyAdminMixin

SYSTEM_SCHEDULE_MODELS = (PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule)


def _superuser_only(model) -> None:
    registered = admin.site._registry.get(model)
    base = type(registered) if registered is not None else admin.ModelAdmin
    if isinstance(registered, SuperuserOnlyAdminMixin):
        return
    if registered is not None:
        admin.site.unregister(model)
    admin.site.register(model, type(f"SuperuserOnly{base.__name__}", (SuperuserOnlyAdminMixin, base), {}))


for _model in SYSTEM_SCHEDULE_MODELS:
    _superuser_only(_model)
