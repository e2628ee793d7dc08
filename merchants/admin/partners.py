"""Admin for joint-discipline partner departments: scope through the service, keys issued (shown once) and
revoked through actions. Superusers only: a department's scope spans districts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.errors import DomainError

from ..models import DecisionKind, PartnerApiKey, PartnerDepartment
from ..services.partners import partner_api_key_issue, partner_api_key_revoke, partner_department_save


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_superuser

    has_view_permission = has_add_permission = has_change_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )

    def has_delete_permission(self, request, obj=None):
        return False


class PartnerDepartmentForm(forms.ModelForm):
    decision_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("数据范围（决定类别）"), choices=DecisionKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PartnerDepartment
        fields = ("code", "name", "regions", "decision_kinds", "active")


@admin.register(PartnerDepartment)
class PartnerDepartmentAdmin(SuperuserOnly, admin.ModelAdmin):
    form = PartnerDepartmentForm
    list_display = ("code", "name", "decision_kinds", "active")
    filter_horizontal = ("regions",)
    actions = ["issue_key"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = partner_department_save(
            code=data["code"],
            name=data["name"],
            region_codes=[r.code for r in data["regions"]],
            decision_kinds=list(data["decision_kinds"]),
            actor=request.user,
        )
        if saved.active != data["active"]:
            PartnerDepartment.objects.filter(pk=saved.pk).update(active=data["active"])
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """The service set the regions."""

    @admin.action(description=gettext_lazy("为所选部门签发接口密钥（仅显示一次）"))
    def issue_key(self, request, queryset):
        for department in queryset:
            _key, raw = partner_api_key_issue(department=department, label=_("后台签发"), actor=request.user)
            self.message_user(
                request,
                _("%(d)s 的新密钥（请立即安全交付，不会再次显示）：%(k)s") % {"d": department, "k": raw},
                messages.WARNING,
            )


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ("department", "prefix", "label", "created_at", "last_used_at", "revoked_at")
    list_filter = ("department",)
    readonly_fields = ("department", "prefix", "label", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("吊销所选密钥"))
    def revoke(self, request, queryset):
        for key in queryset:
            try:
                partner_api_key_revoke(key=key, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{key}: {exc.message}", messages.ERROR)
