"""Admin building blocks shared by the apps: bulk actions that call a service per selected
object, and the permission sets of read-only and superuser-only admins."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages

from .errors import DomainError


def run_service_action(
    modeladmin, request, queryset, fn: Callable, success_message, *, separator: str = "："
) -> int:
    """Apply ``fn(obj)`` to each selected object; every refusal is shown with its reason, then
    the number done (``success_message % {"n": done}``). Returns how many succeeded."""
    done = 0
    for obj in queryset:
        try:
            fn(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}{separator}{exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, success_message % {"n": done}, messages.SUCCESS)
    return done


def service_action(
    service: Callable,
    description,
    success_message,
    *,
    target: str,
    reason: bool = False,
    separator: str = "：",
    permissions: tuple[str, ...] | None = None,
    **fixed,
):
    """An admin action calling ``service(<target>=obj, actor=request.user, **fixed)`` per object.

    With ``reason=True`` the text typed in the action bar's ``reason`` field is passed as
    ``reason=`` (the services refuse an empty one where a reason is required). ``permissions``
    (``("change",)``) offers the action only to users the admin grants them; without it, to anyone
    who sees the list. A decision button on the object's page (``core.admin_decisions``) checks the same.
    """

    @admin.action(description=description, permissions=permissions)
    def action(modeladmin, request, queryset):
        kwargs = dict(fixed)
        if reason:
            kwargs["reason"] = request.POST.get("reason", "")
        run_service_action(
            modeladmin,
            request,
            queryset,
            lambda obj: service(**{target: obj}, actor=request.user, **kwargs),
            success_message,
            separator=separator,
        )

    return action


class ReadOnlyAdminMixin:
    """Rows written only by services or the system: staff may look, nobody edits by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserEditsAdminMixin:
    """Reference data that only system administrators add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class SuperuserOnlyAdminMixin:
    """Settings that act on every city (system schedules, the national calendar): only superusers
    see or touch them, even if a staff account was granted the model permissions by hand."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
