"""Admin for listing proposals: the district decides each on its own page, through the service.

The page shows the abnormal-operation entry that triggered it; the officer either lists (decision
number and legal basis required) or dismisses (reason required). A refusal of the service is a
form error (the service runs first in a rolled-back savepoint), and nothing is saved.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy

from integrity_portal.core.errors import DomainError

from ..models import ListProposal, ProposalStatus
from ..services import list_proposals as proposal_services
from ._service_admin import CreditAdmin

DECIDE_LIST = "list"
DECIDE_DISMISS = "dismiss"


class _DryRun(Exception):
    pass


class ProposalDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("决定"),
        choices=[
            (DECIDE_LIST, gettext_lazy("列入严重违法失信名单（须填写决定书文号和列入依据）")),
            (DECIDE_DISMISS, gettext_lazy("不予列入（须填写理由）")),
        ],
        widget=forms.RadioSelect,
    )
    decided_by = forms.CharField(
        label=gettext_lazy("作出决定机关"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("留空时使用您的单位名称。"),
    )

    actor = None

    class Meta:
        model = ListProposal
        fields = ("decision_number", "legal_basis", "dismiss_reason")

    def decide(self, actor):
        data = self.cleaned_data
        if data["decision"] == DECIDE_LIST:
            return proposal_services.list_proposal_decide(
                proposal=self.instance,
                decision_number=data.get("decision_number", ""),
                legal_basis=data.get("legal_basis", ""),
                decided_by=data.get("decided_by", ""),
                actor=actor,
            )
        return proposal_services.list_proposal_dismiss(
            proposal=self.instance, reason=data.get("dismiss_reason", ""), actor=actor
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.decide(self.actor)
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        finally:
            self.instance.refresh_from_db()
        return data


@admin.register(ListProposal)
class ListProposalAdmin(CreditAdmin):
    list_display = ("merchant", "status", "proposed_on", "decision_number", "decided_at")
    list_filter = ("status",)
    date_hierarchy = "proposed_on"
    readonly_fields = (
        "merchant",
        "source_entry",
        "reason",
        "proposed_on",
        "status",
        "decided_by_user",
        "decided_at",
        "listed_entry",
    )
    autocomplete_fields = ()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != ProposalStatus.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status == ProposalStatus.OPEN:
            return (*self.readonly_fields, "decision", "decision_number", "legal_basis", "decided_by", "dismiss_reason")
        return (*self.readonly_fields, "decision_number", "legal_basis", "dismiss_reason")

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and obj.status == ProposalStatus.OPEN:
            kwargs["form"] = type("DecisionForm", (ProposalDecisionForm,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        """The decision is the service call; the admin never saves the row itself."""
        form.instance.refresh_from_db()
        form.decide(request.user)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass
