from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import admin_system  # noqa: F401  (system schedules: superuser only)
from .admin_actions import ReadOnlyAdminMixin, SuperuserOnlyAdminMixin
from .admin_holidays import HolidayScheduleAdmin  # noqa: F401  (official holiday schedules: superuser only)
from .models import AuditEntry, LegalDocument, WorkingDayOverride


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


class LegalDocumentForm(forms.ModelForm):
    """Shows the service's refusals (NUL bytes, over-long text) as form errors instead of a 500."""

    class Meta:
        model = LegalDocument
        fields = ("title", "body")

    def clean(self):
        from .legal import BODY_MAX

        data = super().clean()
        for name in ("title", "body"):
            value = data.get(name) or ""
            if "\x00" in value or (name == "body" and len(value) > BODY_MAX):
                self.add_error(name, _("内容无效或过长。"))
        return data


@admin.register(LegalDocument)
class LegalDocumentAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """The privacy notice and user agreement bind every city: superusers edit the two seeded rows
    (never add or delete one); saving goes through core.legal.legal_document_update."""

    form = LegalDocumentForm
    list_display = ("kind", "title", "version", "updated_at", "updated_by")
    fields = ("kind", "title", "body", "version", "updated_at", "updated_by")
    readonly_fields = ("kind", "version", "updated_at", "updated_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .legal import legal_document_update

        legal_document_update(
            document=LegalDocument.objects.get(pk=obj.pk),
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            actor=request.user,
        )
