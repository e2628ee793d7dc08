"""Admin for a merchant's recourse: credit repair, rating appeals, public replies and re-inspections."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_decisions import DecisionAdminMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.uploads import private_file_response
from integrity_portal.core.workbench import due_ordering

from ..models import (
    INSPECTION_ITEMS,
    AppealStatus,
    CreditRepairRequest,
    Inspection,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
    ReinspectionStatus,
    RepairEvidence,
    RepairStatus,
)
from ..services import credit as credit_services
from ..services import recourse
from ..workflow import APPEAL_WORKFLOW, REPAIR_WORKFLOW
from ._service_admin import CreditAdmin, credit_action, decision_actions, decision_buttons


class RepairEvidenceInline(admin.TabularInline):
    """Evidence is linked through the region-scoped download view, never through a /media/ URL."""

    model = RepairEvidence
    extra = 0
    can_delete = False
    fields = ("download", "original_name", "description", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("证明材料"))
    def download(self, obj):
        if not obj.pk or not obj.file:
            return "—"
        url = reverse("admin:merchants_creditrepairrequest_evidence", args=[obj.request_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("下载证明材料 %(n)s") % {"n": obj.pk})

    def has_add_permission(self, request, obj=None):
        return False


class MerchantRequestAdmin(CreditAdmin):
    """Requests a merchant files in the portal: staff decide them here and never add one by hand."""

    list_filter = ("status",)

    def has_add_permission(self, request):
        return False


@admin.register(CreditRepairRequest)
class CreditRepairRequestAdmin(DecisionAdminMixin, MerchantRequestAdmin):
    list_display = ("merchant", "decide_by", "status", "list_entry", "penalty", "submitted_at", "decide_by_provisional")
    # Open requests by due date first; decided ones (their date no longer binds anyone) after them.
    ordering = (due_ordering("decide_by", waiting=[RepairStatus.SUBMITTED]), "-submitted_at")
    readonly_fields = [f.name for f in CreditRepairRequest._meta.fields]
    inlines = [RepairEvidenceInline]
    actions = ["approve", "refuse"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.evidence_view)
        mine = [
            path(
                "<path:object_id>/evidence/<int:evidence_pk>/",
                view,
                name="merchants_creditrepairrequest_evidence",
            )
        ]
        return mine + super().get_urls()

    def evidence_view(self, request, object_id, evidence_pk):
        repair = self.get_object(request, object_id)  # region-scoped: another district's request is a 404
        if not self.has_view_permission(request, repair):
            raise PermissionDenied
        evidence = get_object_or_404(RepairEvidence, pk=evidence_pk, request=repair)
        # Rows from before original_name kept the client's name in description (as text, like now).
        return private_file_response(
            evidence.file, download_name=evidence.original_name or evidence.description
        )

    approve, refuse = decision_actions(
        credit_services.repair_request_decide,
        "request",
        "approve",
        (gettext_lazy("准予信用修复（须填写意见）"), gettext_lazy("已准予 %(n)d 项修复申请。")),
        (gettext_lazy("不予修复（须填写原因）"), gettext_lazy("已驳回 %(n)d 项修复申请。")),
        permissions=("change",),
    )
    # The same decisions on the request's own page, beside its evidence.
    decisions = decision_buttons(
        credit_services.repair_request_decide,
        "request",
        "approve",
        REPAIR_WORKFLOW,
        ("approve", RepairStatus.APPROVED, gettext_lazy("准予信用修复"), gettext_lazy("已准予该修复申请。")),
        ("refuse", RepairStatus.REFUSED, gettext_lazy("不予修复"), gettext_lazy("已驳回该修复申请。")),
    )


@admin.register(RatingAppeal)
class RatingAppealAdmin(DecisionAdminMixin, MerchantRequestAdmin):
    list_display = ("merchant", "decide_by", "status", "filed_at", "decided_by")
    ordering = (due_ordering("decide_by", waiting=[AppealStatus.OPEN]), "-filed_at")
    readonly_fields = [f.name for f in RatingAppeal._meta.fields]
    actions = ["uphold", "dismiss"]

    uphold, dismiss = decision_actions(
        recourse.appeal_decide,
        "appeal",
        "upheld",
        (gettext_lazy("申诉成立（须填写意见）"), gettext_lazy("已处理 %(n)d 项申诉。")),
        (gettext_lazy("申诉不成立（须填写意见）"), gettext_lazy("已处理 %(n)d 项申诉。")),
        permissions=("change",),
    )
    decisions = decision_buttons(
        recourse.appeal_decide,
        "appeal",
        "upheld",
        APPEAL_WORKFLOW,
        ("uphold", AppealStatus.UPHELD, gettext_lazy("申诉成立"), gettext_lazy("已决定：申诉成立。")),
        ("dismiss", AppealStatus.DISMISSED, gettext_lazy("申诉不成立"), gettext_lazy("已决定：申诉不成立。")),
    )


@admin.register(RatingReply)
class RatingReplyAdmin(MerchantRequestAdmin):
    list_display = ("merchant", "status", "submitted_at", "reviewed_by")
    fields = ("merchant", "text", "published_text", "status", "review_note", "reviewed_by", "reviewed_at")
    readonly_fields = ("merchant", "text", "status", "review_note", "reviewed_by", "reviewed_at")
    actions = ["publish", "reject"]

    def save_model(self, request, obj, form, change):
        """Editing the public text is how staff strike abuse; it publishes the edited version."""
        try:
            recourse.reply_publish(
                reply=obj, published_text=obj.published_text or obj.text, actor=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    publish = credit_action(
        recourse.reply_publish,
        "reply",
        gettext_lazy("发布所选回应"),
        gettext_lazy("已发布 %(n)d 条回应。"),
        reason=False,
    )

    reject = credit_action(
        recourse.reply_reject,
        "reply",
        gettext_lazy("不予发布（须填写原因）"),
        gettext_lazy("已驳回 %(n)d 条回应。"),
    )


class ReinspectionForm(forms.ModelForm):
    """Which items the visit re-checked: its result supersedes the earlier findings for those only."""

    rechecked_items = forms.MultipleChoiceField(
        label=gettext_lazy("本次复查的项目"),
        choices=INSPECTION_ITEMS,
        initial=[name for name, _label in INSPECTION_ITEMS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("复查结果取代原检查中这些项目的结论；未复查的项目保留原结论。复查中发现问题的项目总是计入。"),
    )

    class Meta:
        model = ReinspectionRequest
        fields = ("scheduled_for", "inspection", "note")


@admin.register(ReinspectionRequest)
class ReinspectionRequestAdmin(MerchantRequestAdmin):
    form = ReinspectionForm
    list_display = ("merchant", "visit_by", "status", "requested_at", "scheduled_for", "inspection")
    ordering = (
        due_ordering("visit_by", waiting=[ReinspectionStatus.REQUESTED, ReinspectionStatus.SCHEDULED]),
        "-requested_at",
    )
    readonly_fields = (
        "merchant",
        "improvements",
        "status",
        "requested_by",
        "requested_at",
        "visit_by",
        "handled_by",
    )
    fields = readonly_fields + ("scheduled_for", "inspection", "rechecked_items", "note")
    actions = ["refuse"]

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
                recourse.reinspection_complete(
                    request=current,
                    inspection=obj.inspection,
                    actor=request.user,
                    items=form.cleaned_data.get("rechecked_items") or None,
                )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)

    refuse = credit_action(
        recourse.reinspection_refuse,
        "request",
        gettext_lazy("不予受理（须填写原因）"),
        gettext_lazy("已处理 %(n)d 项复查申请。"),
    )
