"""Admin for credit facts, lists, repairs, appeals, replies, re-inspections, the policy and ratings.

Region-scoped like the register. New facts are created through the services (so
publicity windows, stale marking and the audit happen in one place); transitions
are admin actions that call services and show a refusal as an error message.
The internal credit-risk class appears here only.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError

from ..models import (
    Commitment,
    CreditRepairRequest,
    Inspection,
    ListEntry,
    ListName,
    Penalty,
    Rating,
    RatingAppeal,
    RatingPolicy,
    RatingReply,
    ReinspectionRequest,
    RepairEvidence,
)
from ..services import credit as credit_services
from ..services import recourse
from ..services.rating_policy import rating_policy_activate, rules_validate


def _run(modeladmin, request, queryset, fn, done_message: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            fn(obj)
            ok += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.ERROR)
    if ok:
        modeladmin.message_user(request, done_message % {"n": ok}, level=messages.SUCCESS)


class _DryRun(Exception):
    pass


class ServiceCheckedForm(forms.ModelForm):
    """On add, runs the admin's create service in a rolled-back savepoint so that every refusal
    the service would raise becomes a form error instead of a failed save."""

    create_check = None

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.pk or self.create_check is None:
            return data
        try:
            with transaction.atomic():
                self.create_check(data)
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


class ServiceCreateMixin:
    """Admins whose new rows are made by a service: ``create(request, data)`` returns the object."""

    def create(self, request, data):
        raise ImproperlyConfigured(f"{type(self).__name__} must define create(request, data).")

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("form", type("CheckedForm", (ServiceCheckedForm,), {}))
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.create_check = staticmethod(lambda data: self.create(request, data))
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = self.create(request, form.cleaned_data)
        obj.pk = created.pk
        obj.refresh_from_db()


class ReasonActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=gettext_lazy("原因／意见"), required=False, max_length=300)


class CreditAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    action_form = ReasonActionForm
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    search_fields = ("merchant__name", "merchant__uscc")

    def _reason(self, request) -> str:
        return request.POST.get("reason", "")


@admin.register(Commitment)
class CommitmentAdmin(ServiceCreateMixin, CreditAdmin):
    list_display = ("merchant", "kind", "signed_at", "valid_until", "revoked_at")
    list_filter = ("kind",)
    readonly_fields = (
        "text",
        "text_version",
        "signed_by",
        "signed_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    )
    fields = ("merchant", "kind", "valid_until") + readonly_fields
    actions = ["revoke"]

    def create(self, request, data):
        return credit_services.commitment_sign(
            merchant=data["merchant"], kind=data["kind"], valid_until=data["valid_until"], actor=request.user
        )

    @admin.action(description=gettext_lazy("撤销所选承诺书（须填写原因）"))
    def revoke(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda c: credit_services.commitment_revoke(commitment=c, reason=reason, actor=request.user),
            _("已撤销 %(n)d 份承诺书。"),
        )


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = (
            "merchant",
            "inspected_on",
            "inspector_1",
            "inspector_2",
            "inspector_names",
            "plan",
            "price_marking",
            "metrology",
            "advertising",
            "food_safety",
            "premises",
            "outcome",
            "notes",
            "published",
        )

    def clean(self):
        data = super().clean()
        if data.get("inspector_1") and data.get("inspector_1") == data.get("inspector_2"):
            raise forms.ValidationError(_("现场检查须由两名不同的执法人员进行。"))
        return data


@admin.register(Inspection)
class InspectionAdmin(CreditAdmin):
    form = InspectionForm
    list_display = ("merchant", "inspected_on", "outcome", "published", "inspector_names")
    list_filter = ("outcome", "published", "inspected_on")
    date_hierarchy = "inspected_on"

    def save_model(self, request, obj, form, change):
        created = not change
        if created:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        credit_services.inspection_saved(inspection=obj, actor=request.user, created=created)


@admin.register(Penalty)
class PenaltyAdmin(ServiceCreateMixin, CreditAdmin):
    list_display = (
        "decision_number",
        "merchant",
        "decided_on",
        "kind",
        "tier",
        "published",
        "publicity_until",
    )
    list_filter = ("tier", "kind", "published")
    search_fields = ("decision_number", "merchant__name", "merchant__uscc")
    date_hierarchy = "decided_on"
    fields = (
        "merchant",
        "decision_number",
        "decided_on",
        "legal_basis",
        "kind",
        "fine_yuan",
        "tier",
        "facts",
    )
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.fields + (
            "published",
            "publish_by",
            "publicity_from",
            "publicity_until",
            "publicity_ended_at",
            "publicity_end_reason",
            "revoked_at",
            "revoke_reason",
        )

    def create(self, request, data):
        return credit_services.penalty_record(
            merchant=data["merchant"],
            decision_number=data["decision_number"],
            decided_on=data["decided_on"],
            legal_basis=data["legal_basis"],
            kind=data["kind"],
            tier=data["tier"],
            fine_yuan=data.get("fine_yuan") or 0,
            facts=data.get("facts", ""),
            actor=request.user,
        )

    @admin.action(description=gettext_lazy("撤销所选处罚决定（立即停止公示，须填写原因）"))
    def revoke(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda p: credit_services.penalty_revoke(penalty=p, reason=reason, actor=request.user),
            _("已撤销 %(n)d 项处罚决定。"),
        )


@admin.register(ListEntry)
class ListEntryAdmin(ServiceCreateMixin, CreditAdmin):
    list_display = (
        "merchant",
        "list_name",
        "kind",
        "decision_number",
        "valid_from",
        "valid_until",
        "ended_at",
    )
    list_filter = ("list_name", "kind")
    search_fields = ("decision_number", "merchant__name", "merchant__uscc")
    date_hierarchy = "valid_from"
    fields = (
        "merchant",
        "list_name",
        "kind",
        "reason",
        "legal_basis",
        "decision_number",
        "decided_by",
        "valid_from",
        "valid_until",
    )
    actions = ["remove"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.fields + ("ended_at", "end_reason", "escalated_to")

    def create(self, request, data):
        common = {
            key: data.get(key)
            for key in (
                "merchant",
                "kind",
                "reason",
                "legal_basis",
                "decision_number",
                "valid_from",
                "valid_until",
            )
        }
        common["decided_by"] = data.get("decided_by", "")
        if data["list_name"] == ListName.RED:
            return credit_services.list_entry_add_red(**common, actor=request.user)
        return credit_services.list_entry_add_black(**common, actor=request.user)

    @admin.action(description=gettext_lazy("移出所选名单记录（须填写原因）"))
    def remove(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda e: credit_services.list_entry_remove(entry=e, reason=reason, actor=request.user),
            _("已移出 %(n)d 条名单记录。"),
        )


class RepairEvidenceInline(admin.TabularInline):
    model = RepairEvidence
    extra = 0
    can_delete = False
    readonly_fields = ("file", "description", "uploaded_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CreditRepairRequest)
class CreditRepairRequestAdmin(CreditAdmin):
    list_display = ("merchant", "list_entry", "penalty", "status", "submitted_at", "decide_by")
    list_filter = ("status",)
    readonly_fields = [f.name for f in CreditRepairRequest._meta.fields]
    inlines = [RepairEvidenceInline]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("准予信用修复（须填写意见）"))
    def approve(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda r: credit_services.repair_request_decide(
                request=r, approve=True, reason=reason, actor=request.user
            ),
            _("已准予 %(n)d 项修复申请。"),
        )

    @admin.action(description=gettext_lazy("不予修复（须填写原因）"))
    def refuse(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda r: credit_services.repair_request_decide(
                request=r, approve=False, reason=reason, actor=request.user
            ),
            _("已驳回 %(n)d 项修复申请。"),
        )


@admin.register(RatingAppeal)
class RatingAppealAdmin(CreditAdmin):
    list_display = ("merchant", "status", "filed_at", "decide_by", "decided_by")
    list_filter = ("status",)
    readonly_fields = [f.name for f in RatingAppeal._meta.fields]
    actions = ["uphold", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("申诉成立（须填写意见）"))
    def uphold(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda a: recourse.appeal_decide(appeal=a, upheld=True, reason=reason, actor=request.user),
            _("已处理 %(n)d 项申诉。"),
        )

    @admin.action(description=gettext_lazy("申诉不成立（须填写意见）"))
    def dismiss(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda a: recourse.appeal_decide(appeal=a, upheld=False, reason=reason, actor=request.user),
            _("已处理 %(n)d 项申诉。"),
        )


@admin.register(RatingReply)
class RatingReplyAdmin(CreditAdmin):
    list_display = ("merchant", "status", "submitted_at", "reviewed_by")
    list_filter = ("status",)
    fields = ("merchant", "text", "published_text", "status", "review_note", "reviewed_by", "reviewed_at")
    readonly_fields = ("merchant", "text", "status", "review_note", "reviewed_by", "reviewed_at")
    actions = ["publish", "reject"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Editing the public text is how staff strike abuse; it publishes the edited version."""
        try:
            recourse.reply_publish(
                reply=obj, published_text=obj.published_text or obj.text, actor=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    @admin.action(description=gettext_lazy("发布所选回应"))
    def publish(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda r: recourse.reply_publish(reply=r, actor=request.user),
            _("已发布 %(n)d 条回应。"),
        )

    @admin.action(description=gettext_lazy("不予发布（须填写原因）"))
    def reject(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda r: recourse.reply_reject(reply=r, reason=reason, actor=request.user),
            _("已驳回 %(n)d 条回应。"),
        )


@admin.register(ReinspectionRequest)
class ReinspectionRequestAdmin(CreditAdmin):
    list_display = ("merchant", "status", "requested_at", "visit_by", "scheduled_for", "inspection")
    list_filter = ("status",)
    readonly_fields = (
        "merchant",
        "improvements",
        "status",
        "requested_by",
        "requested_at",
        "visit_by",
        "handled_by",
    )
    fields = readonly_fields + ("scheduled_for", "inspection", "note")
    actions = ["refuse"]

    def has_add_permission(self, request):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "inspection" and formfield is not None:
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            req = ReinspectionRequest.objects.filter(pk=object_id).first() if object_id else None
            formfield.queryset = Inspection.objects.filter(merchant_id=req.merchant_id if req else None)
        return formfield

    def save_model(self, request, obj, form, change):
        """Setting a date schedules the visit; linking the visit's inspection completes the request."""
        current = ReinspectionRequest.objects.get(pk=obj.pk)
        try:
            if "scheduled_for" in form.changed_data and obj.scheduled_for and current.status == "requested":
                recourse.reinspection_schedule(
                    request=current, visit_on=obj.scheduled_for, actor=request.user
                )
            if "inspection" in form.changed_data and obj.inspection_id:
                current.refresh_from_db()
                recourse.reinspection_complete(request=current, inspection=obj.inspection, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    @admin.action(description=gettext_lazy("不予受理（须填写原因）"))
    def refuse(self, request, queryset):
        reason = self._reason(request)
        _run(
            self,
            request,
            queryset,
            lambda r: recourse.reinspection_refuse(request=r, reason=reason, actor=request.user),
            _("已处理 %(n)d 项复查申请。"),
        )


class RatingPolicyForm(forms.ModelForm):
    class Meta:
        model = RatingPolicy
        fields = ("version", "name", "rules", "notes")

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        try:
            return rules_validate(rules)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(RatingPolicy)
class RatingPolicyAdmin(admin.ModelAdmin):
    """Not region-scoped: one policy for the whole city. Only the city bureau may change it."""

    form = RatingPolicyForm
    list_display = ("version", "name", "is_active", "activated_at", "created_at")
    readonly_fields = ("is_active", "activated_at", "rules_preview")
    actions = ["activate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_active:
            return ("version", "name", "rules", "is_active", "activated_at", "rules_preview")
        return self.readonly_fields

    @admin.display(description=gettext_lazy("规则（格式化）"))
    def rules_preview(self, obj):
        from django.utils.html import format_html

        return (
            format_html("<pre>{}</pre>", json.dumps(obj.rules, ensure_ascii=False, indent=2)) if obj else ""
        )

    @admin.action(description=gettext_lazy("启用所选评级规则（校验区间后生效，全部重新评定）"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个版本。"), level=messages.ERROR)
            return
        _run(
            self,
            request,
            queryset,
            lambda p: rating_policy_activate(policy=p, actor=request.user),
            _("已启用评级规则；全部市场主体将重新评定。"),
        )


@admin.register(Rating)
class RatingAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    """Read-only history; the credit-risk class is shown to staff here and nowhere public."""

    region_field = "merchant__region"
    list_display = (
        "merchant",
        "stars",
        "trading",
        "service",
        "credit",
        "total",
        "credit_class",
        "computed_at",
    )
    list_filter = ("stars", "credit_class", "black_listed")
    list_select_related = ("merchant", "policy")
    search_fields = ("merchant__name", "merchant__uscc")
    date_hierarchy = "computed_at"
    readonly_fields = [f.name for f in Rating._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
