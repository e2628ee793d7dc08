"""Admin for the versioned rating policy and the rating history.

The internal credit-risk class appears here only.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_actions import ReadOnlyAdminMixin, run_service_action
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError

from ..models import Rating, RatingPolicy
from ..services.rating_policy import rating_policy_activate, rules_validate
from ._service_admin import ERROR_SEPARATOR


class RatingPolicyForm(forms.ModelForm):
    class Meta:
        model = RatingPolicy
        fields = (
            "version",
            "name",
            "rules",
            "market_counts_stalls",
            "market_low_share_pct",
            "market_min_stalls",
            "market_low_stalls_deduction",
            "notes",
        )

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
    list_display = ("version", "name", "market_counts_stalls", "is_active", "activated_at", "created_at")
    readonly_fields = ("is_active", "activated_at", "rules_preview")
    actions = ["activate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_active:
            # The market rule is part of the policy: changing it takes a new version and its activation
            # (which marks every merchant stale, the usual recompute).
            return (
                "version",
                "name",
                "rules",
                "market_counts_stalls",
                "market_low_share_pct",
                "market_min_stalls",
                "market_low_stalls_deduction",
                "is_active",
                "activated_at",
                "rules_preview",
            )
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
        run_service_action(
            self,
            request,
            queryset,
            lambda p: rating_policy_activate(policy=p, actor=request.user),
            _("已启用评级规则；全部市场主体将重新评定。"),
            separator=ERROR_SEPARATOR,
        )


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
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
