"""The role groups are synced once per ``migrate``/``flush``, after every app's permissions exist."""

from __future__ import annotations

from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from integrity_portal.core import roles
from integrity_portal.core.roles import ROLE_GROUP_NAMES, StaffRole

pytestmark = pytest.mark.django_db


def test_post_migrate_syncs_the_groups_once_not_once_per_app():
    apps_with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    assert len(apps_with_models) > 10  # the signal goes to each of them
    with mock.patch.object(roles, "sync_role_groups", wraps=roles.sync_role_groups) as sync:
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert sync.call_count == 1


def test_the_groups_get_the_permissions_of_the_last_installed_app_too():
    """The last app's permissions are created by its own post_migrate: the sync must come after them."""
    last = [c for c in apps.get_app_configs() if c.models_module is not None][-1]
    Group.objects.all().delete()
    Permission.objects.filter(content_type__app_label=last.label).delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    city = Group.objects.get(name=ROLE_GROUP_NAMES[StaffRole.CITY_BUREAU])
    granted = {p.content_type.app_label for p in city.permissions.select_related("content_type")}
    assert last.label in granted, f"the city bureau group holds no permission of {last.label}"
