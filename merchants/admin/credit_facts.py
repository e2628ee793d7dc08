"""Admin for credit facts: commitments, inspections, penalties and red/black list entries."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.errors import DomainError
from integrity_portal.core.table_import import preview_confirm_view

from ..list_import import LIST_COLUMNS, import_list_entries, preview_list_import
from ..list_import import SOURCES as LIST_SOURCES
from ..models import INSPECTION_ITEMS, Commitment, Inspection, ListEntry, ListName, Penalty, PenaltyTier
from ..selectors.staff import inspector_roster_for_viewer
from ..services import credit as credit_services
from ..services.credit import INSPECTION_CORRECTABLE
from ..services.rating_policy import rating_policy_active
from ._service_admin import CreditAdmin, ServiceCheckedForm, ServiceCreateMixin, credit_action

INSPECTION_ITEM_FIELDS = tuple(name for name, _label in INSPECTION_ITEMS)


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


class InspectorChoiceField(forms.ModelChoiceField):
    """A rostered inspector, shown by name and certificate number, never by login."""

    def label_from_instance(self, obj):
        return obj.staff_profile.roster_label


class InspectionAddForm(ServiceCheckedForm):
    class Meta:
        model = Inspection
        fields = (
            "merchant",
            "inspected_on",
            "inspector_1",
            "inspector_2",
            "plan",
            *INSPECTION_ITEM_FIELDS,
            "outcome",
            "notes",
            "published",
        )


class InspectionCorrectForm(forms.ModelForm):
    correction_reason = forms.CharField(
        label=gettext_lazy("更正原因"),
        max_length=300,
        help_text=gettext_lazy("检查日期、检查人员和检查结果录入后不能修改；如有错误请撤回公示并重新录入。"),
    )

    class Meta:
        model = Inspection
        fields = credit_services.INSPECTION_CORRECTABLE


@admin.register(Inspection)
class InspectionAdmin(ServiceCreateMixin, CreditAdmin):
    """Recorded only through ``inspection_record``; afterwards only notes, plan and publication are
    corrected (``inspection_correct``, with a reason, audited)."""

    list_display = ("merchant", "inspected_on", "outcome", "published", "inspector_names")
    list_filter = ("outcome", "published", "inspected_on")
    date_hierarchy = "inspected_on"

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = InspectionAddForm if obj is None else InspectionCorrectForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return InspectionAddForm.Meta.fields
        return (*self.get_readonly_fields(request, obj), *INSPECTION_CORRECTABLE, "correction_reason")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "merchant",
            "inspected_on",
            "inspector_names",
            *INSPECTION_ITEM_FIELDS,
            "outcome",
            "created_by",
            "created_at",
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("inspector_1", "inspector_2"):
            roster = inspector_roster_for_viewer(request.user)
            return InspectorChoiceField(
                queryset=get_user_model()
                .objects.filter(staff_profile__in=roster)
                .select_related("staff_profile")
                .order_by("staff_profile__region_id", "staff_profile__full_name", "pk"),
                label=db_field.verbose_name,
                required=True,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, data):
        return credit_services.inspection_record(
            merchant=data["merchant"],
            inspected_on=data["inspected_on"],
            inspector_1=data["inspector_1"],
            inspector_2=data["inspector_2"],
            findings={name: data[name] for name in INSPECTION_ITEM_FIELDS},
            outcome=data["outcome"],
            plan=data.get("plan", ""),
            notes=data.get("notes", ""),
            published=data.get("published", True),
            actor=request.user,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        changes = {k: form.cleaned_data[k] for k in form.changed_data if k in INSPECTION_CORRECTABLE}
        try:
            credit_services.inspection_correct(
                inspection=obj, changes=changes, reason=form.cleaned_data["correction_reason"], actor=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
        obj.refresh_from_db()


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
        "publicity_months",
        "facts",
    )
    actions = ["revoke"]

    def get_changeform_initial_data(self, request):
        """Pre-fill the publicity period with the active policy's default for the tier
        (``?tier=serious`` pre-fills that tier's; without one, the moderate tier's)."""
        initial = super().get_changeform_initial_data(request)
        tier = initial.get("tier") if initial.get("tier") in PenaltyTier.values else PenaltyTier.MODERATE
        initial.setdefault("tier", tier)
        initial["publicity_months"] = rating_policy_active().rules["publicity_months"][tier]
        return initial

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "publicity_months" and field is not None:
            months = rating_policy_active().rules["publicity_months"]
            field.help_text = _(
                "在法定幅度内确定：简易程序 3 个月；一般 3–12 个月（默认 %(m)d）；严重 12–36 个月（默认 %(s)d）。"
                "留空按默认；仅给予警告的不予公示。"
            ) % {"m": months["moderate"], "s": months["serious"]}
        return field

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.fields + (
            "published",
            "publish_by",
            "publish_by_provisional",
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
            publicity_months=data.get("publicity_months"),
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
    list_filter = ("list_name", "kind", "source")
    search_fields = ("decision_number", "merchant__name", "merchant__uscc", "source_reference")
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
        return self.fields + ("source", "source_reference", "ended_at", "end_reason", "escalated_to")

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="merchants_listentry_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Black-list decisions taken elsewhere (national publicity system, other departments), by USCC."""
        return preview_confirm_view(
            self,
            request,
            session_key="merchants_list_import",
            preview=preview_list_import,
            apply=import_list_entries,
            title=_("导入外部黑名单决定（经营异常名录、严重违法失信名单）"),
            done_url=reverse("admin:merchants_listentry_changelist"),
            help_columns={_("列"): list(LIST_COLUMNS)},
            choices=[(s.value, s.label) for s in LIST_SOURCES],
            choice_label=_("名单来源"),
        )

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
