"""Settings that act on every city are for superusers only (issue #11, item 5).

The system schedules (django-celery-beat) run every city's jobs, and the national working-day
calendar moves every city's statutory deadlines: no staff role holds their permissions, the next
group sync takes them away from databases that granted them, and the admin refuses staff even when
the permissions were granted by hand.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from integrity_portal.core import roles
from integrity_portal.core.models import WorkingDayOverride
from integrity_portal.core.roles import ROLE_GROUP_NAMES, StaffRole, sync_role_groups
from tests.factories import UserFactory, make_staff


def _reserved_perms():
    return Permission.objects.filter(
        content_type__app_label="django_celery_beat"
    ) | Permission.objects.filter(content_type__app_label="core", codename__endswith="_workingdayoverride")


@pytest.fixture
def task(db):
    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    return PeriodicTask.objects.create(
        name="nightly recompute", task="merchants.tasks.recompute", interval=every_day
    )


@pytest.fixture
def override(db):
    return WorkingDayOverride.objects.create(date=date(2026, 11, 4), is_working_day=False, reason="本地停电")


def _urls(model, obj):
    info = (model._meta.app_label, model._meta.model_name)
    urls = [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
    if obj is not None:
        urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        urls.append(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]))
    return urls


@pytest.mark.parametrize("role", [r.value for r in StaffRole])
def test_no_role_holds_schedule_or_national_calendar_permissions(regions, role):
    held = make_staff("410800", role).get_all_permissions()
    assert not {p for p in held if p.startswith("django_celery_beat.") or p.endswith("_workingdayoverride")}


def test_city_bureau_gets_403_on_periodic_tasks_and_cannot_disable_one(client, regions, task):
    client.force_login(make_staff("410800", "city_bureau"))
    for url in _urls(PeriodicTask, task):
        assert client.get(url).status_code in (403, 404), url
    change = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    response = client.post(change, {"name": task.name, "task": task.task, "enabled": ""})
    assert response.status_code in (403, 404)
    delete = reverse("admin:django_celery_beat_periodictask_delete", args=[task.pk])
    assert client.post(delete, {"post": "yes"}).status_code in (403, 404)
    task.refresh_from_db()
    assert task.enabled is True
    add = client.post(
        reverse("admin:django_celery_beat_periodictask_add"),
        {
            "name": "notice",
            "regtask": "complaints.tasks.send_notice",
            "interval": task.interval_id,
            "enabled": "on",
        },
    )
    # (migrate created the default periodic tasks too: count by name.)
    assert add.status_code in (403, 404) and not PeriodicTask.objects.filter(name="notice").exists()


@pytest.mark.parametrize("model", [IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule])
def test_city_bureau_gets_403_on_every_schedule_table(client, regions, model):
    client.force_login(make_staff("410800", "city_bureau"))
    for url in _urls(model, None):
        assert client.get(url).status_code in (403, 404), url


def test_city_bureau_gets_403_on_the_national_calendar(client, regions, override):
    client.force_login(make_staff("410800", "city_bureau"))
    for url in _urls(WorkingDayOverride, override):
        assert client.get(url).status_code in (403, 404), url
    change = reverse("admin:core_workingdayoverride_change", args=[override.pk])
    client.post(change, {"date": "2026-11-04", "is_working_day": "on", "reason": "改"})
    add = reverse("admin:core_workingdayoverride_add")
    assert client.post(add, {"date": "2026-11-05", "reason": "放假"}).status_code in (403, 404)
    override.refresh_from_db()
    assert override.is_working_day is False and WorkingDayOverride.objects.count() == 1


def test_admin_refuses_staff_even_with_permissions_granted_by_hand(client, regions, task, override):
    user = make_staff("410800", "city_bureau")
    user.user_permissions.add(*_reserved_perms())
    client.force_login(user)
    for model, obj in (
        (PeriodicTask, task),
        (WorkingDayOverride, override),
        (IntervalSchedule, task.interval),
    ):
        for url in _urls(model, obj):
            assert client.get(url).status_code in (403, 404), url
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/django_celery_beat/" not in index and "workingdayoverride" not in index


def test_superuser_still_manages_schedules_and_calendar(client, task, override):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model, obj in ((PeriodicTask, task), (WorkingDayOverride, override), (CrontabSchedule, None)):
        for url in _urls(model, obj):
            assert client.get(url).status_code == 200, url


def test_group_sync_removes_previously_granted_permissions(regions):
    """An existing database whose groups (or staff) were granted these loses them on the next sync."""
    sync_role_groups()
    city_group = Group.objects.get(name=ROLE_GROUP_NAMES[StaffRole.CITY_BUREAU])
    other_group = Group.objects.create(name="值班室")
    staff = make_staff("410800", "city_bureau")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    reserved = list(_reserved_perms())
    assert reserved
    city_group.permissions.add(*reserved)
    other_group.permissions.add(*reserved)
    staff.user_permissions.add(*reserved)
    superuser.user_permissions.add(*reserved)

    sync_role_groups()

    reserved_ids = {p.pk for p in reserved}
    assert not city_group.permissions.filter(pk__in=reserved_ids).exists()
    assert not other_group.permissions.filter(pk__in=reserved_ids).exists()
    assert not staff.user_permissions.filter(pk__in=reserved_ids).exists()
    assert superuser.user_permissions.filter(pk__in=reserved_ids).count() == len(reserved_ids)
    assert city_group.permissions.filter(codename="change_complaint").exists()  # the rest stays


def test_a_role_pattern_cannot_grant_superuser_only_permissions(monkeypatch):
    monkeypatch.setitem(roles._role_grants, "greedy_app", {StaffRole.CITY_BUREAU: ("django_celery_beat.*", "core.*")})
    available = [
        "django_celery_beat.change_periodictask",
        "core.change_workingdayoverride",
        "complaints.change_complaint",
    ]
    assert roles.permission_codes_for_role(StaffRole.CITY_BUREAU, available) == {
        "complaints.change_complaint"
    }
