"""Admin for credit facts: commitments, inspections, penalties and red/black list entries."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Commitment, Inspection, ListEntry, ListName, Penalty
from ..services import credit as credit_services
from ._service_admin import CreditAdmin, ServiceCreateMixin, credit_action


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

    revoke = credit_action(
        credit_services.commitment_revoke,
        "commitment",
        gettext_lazy("撤销所选承诺书（须填写原因）"),
        gettext_lazy("已撤销 %(n)d 份承诺书。"),
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

    revoke = credit_action(
        credit_services.penalty_revoke,
        "penalty",
        gettext_lazy("撤销所选处罚决定（立即停止公示，须填写原因）"),
        gettext_lazy("已撤销 %(n)d 项处罚决定。"),
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

    remove = credit_action(
        credit_services.list_entry_remove,
        "entry",
        gettext_lazy("移出所选名单记录（须填写原因）"),
        gettext_lazy("已移出 %(n)d 条名单记录。"),
    )
