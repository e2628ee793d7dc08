"""Staff roles and the Django groups they map to.

The role says *what* a staff member may do; the region on their profile says
*where*. Groups carry the model permissions the admin checks; services check
the role for rules that permissions cannot express (e.g. only city staff move a
complaint across districts).
"""

from collections.abc import Iterable, Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    CITY_BUREAU = "city_bureau", _("市场监管局（市级）")
    DISTRICT_BRANCH = "district_branch", _("分局（区县）")
    CIVILITY_OFFICE = "civility_office", _("文明办")
    INSPECTOR = "inspector", _("监管所检查员")


ROLE_GROUP_NAMES = {
    StaffRole.CITY_BUREAU: "市场监管局（市级）",
    StaffRole.DISTRICT_BRANCH: "分局（区县）",
    StaffRole.CIVILITY_OFFICE: "文明办",
    StaffRole.INSPECTOR: "监管所检查员",
}


# Permissions per role as "app_label.codename" glob patterns, contributed by each app for its own models
# in ``AppConfig.ready()`` (``register_role_permissions``): core names no app. Within one app's list a
# leading ``!`` removes what an earlier pattern granted; `sync_role_groups` grants whatever exists.
_role_grants: dict[str, dict[str, tuple[str, ...]]] = {}


def register_role_permissions(app: str, grants: Mapping[str, Iterable[str]]) -> None:
    """``grants``: role → the app's patterns for that role, in order. Registering again replaces them."""
    _role_grants[app] = {str(role): tuple(patterns) for role, patterns in grants.items()}


def role_patterns(role: str) -> list[str]:
    """Every app's patterns for ``role``, each app's in its own order (apps in registration order)."""
    return [pattern for grants in _role_grants.values() for pattern in grants.get(str(role), ())]


# Settings that act on every city at once: the system schedules (one city could stop the nightly
# recompute, the escalation or the publication jobs for all, or aim a notice task at another
# city's complainant) and the national working-day calendar (every city's statutory deadlines).
# No role is ever granted these, whatever a pattern above says; `sync_role_groups` also strips
# them from any group and from non-superusers' own permissions, and the admin classes of these
# models answer only superusers (issue #11).
SUPERUSER_ONLY_PERMISSIONS: tuple[str, ...] = (
    "django_celery_beat.*",
    "core.*_workingdayoverride",
    "core.*_holidayschedule",
    "core.*_holidayscheduleday",
)


def _superuser_only(code: str) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(code, pattern) for pattern in SUPERUSER_ONLY_PERMISSIONS)


def permission_codes_for_role(role: str, available: list[str]) -> set[str]:
    """Resolve the glob list for ``role`` (a leading ``!`` removes matches) against ``available``."""
    from fnmatch import fnmatchcase

    granted: set[str] = set()
    for pattern in role_patterns(role):
        if pattern.startswith("!"):
            granted -= {p for p in granted if fnmatchcase(p, pattern[1:])}
        else:
            granted |= {p for p in available if fnmatchcase(p, pattern)}
    return {p for p in granted if not _superuser_only(p)}


def sync_role_groups() -> None:
    """Create or refresh one Django group per role with exactly the permissions the map grants.

    ``permissions.set`` drops whatever a role no longer grants, so an existing database loses
    withdrawn permissions on the next ``migrate``; superuser-only permissions are also removed
    from every other group and from every non-superuser granted them by hand.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    perms = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = permission_codes_for_role(role, list(perms))
        group.permissions.set([perms[c] for c in sorted(wanted)])
    reserved = [p.pk for code, p in perms.items() if _superuser_only(code)]
    if reserved:
        Group.permissions.through.objects.filter(permission_id__in=reserved).delete()
        get_user_model().user_permissions.through.objects.filter(
            permission_id__in=reserved, user__is_superuser=False
        ).delete()
