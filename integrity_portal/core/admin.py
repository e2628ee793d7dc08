from django.contrib import admin

from . import admin_system  # noqa: F401  (system schedules: superuser only)
from .admin_actions import ReadOnlyAdminMixin, SuperuserOnlyAdminMixin
from .admin_holidays import HolidayScheduleAdmin  # noqa: F401  (official holiday schedules: superuser only)
from .models import AuditEntry, WorkingDayOverride


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log is written by services and never edited by hand."""

    list_display = ("created_at", "actor_label", "action", "content_type", "object_id", "from_status", "to_status")
    list_filter = ("action", "content_type")
    search_fields = ("action", "object_id", "actor_label", "note")
    date_hierarchy = "created_at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """The national working-day calendar moves every city's statutory deadlines: superusers only."""

    list_display = ("date", "is_working_day", "reason")
    list_filter = ("is_working_day",)
