from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import admin_system  # noqa: F401  (system schedules: superuser only)
from .admin_actions import ReadOnlyAdminMixin, SuperuserOnlyAdminMixin, run_service_action
from .admin_holidays import HolidayScheduleAdmin  # noqa: F401  (official holiday schedules: superuser only)
from .audit import action_label
from .models import AuditEntry, LegalDocument, WorkingDayOverride
from .two_factor import two_factor_reset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the log is written by services and never edited by hand."""

    list_display = ("created_at", "actor_label", "action_name", "content_type", "object_id", "from_status", "to_status")
    list_filter = ("action", "content_type")
    search_fields = ("action", "object_id", "actor_label", "note")
    date_hierarchy = "created_at"

    @admin.display(description=_("操作"), ordering="action")
    def action_name(self, obj):
        """The action's label (“转入调解”); the stored value stays in the filter and the detail page."""
        return action_label(obj.action)

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


# --- two-factor sign-in (core/two_factor.py) ----------------------------------------------------------
# django-otp's own device admins show each authenticator's secret key and QR code to anybody with the model
# permission; a lost phone is handled by a superuser's reset below instead.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)

_User = get_user_model()
_BaseUserAdmin = type(admin.site._registry[_User]) if admin.site.is_registered(_User) else UserAdmin


class TwoFactorUserAdmin(_BaseUserAdmin):
    """The user admin plus "reset two-factor sign-in" (superusers only: a reset lets whoever knows the
    password enrol a new phone)."""

    actions = [*(_BaseUserAdmin.actions or []), "reset_two_factor"]

    @admin.action(description=_("重置两步验证（手机丢失时；用户下次登录时重新绑定）"), permissions=["two_factor_reset"])
    def reset_two_factor(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset,
            lambda user: two_factor_reset(user=user, actor=request.user),
            _("已重置 %(n)d 个账号的两步验证。"),
        )

    def has_two_factor_reset_permission(self, request):
        return request.user.is_superuser


if admin.site.is_registered(_User):
    admin.site.unregister(_User)
admin.site.register(_User, TwoFactorUserAdmin)
