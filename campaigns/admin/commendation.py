"""Admin for the published commendation lists (read-only) with their exports."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_actions import ReadOnlyAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin

from ..models import CommendationEntry, CommendationList
from ._base import ReadOnlyInline
from .campaign import campaign_region_codes


class EntryInline(ReadOnlyInline):
    model = CommendationEntry
    fields = ("rank", "merchant", "total_score", "red_list_until")
    readonly_fields = fields


@admin.register(CommendationList)
class CommendationListAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "campaign__region"
    list_display = ("campaign", "category", "notice_number", "published_at", "entry_count", "exports")
    list_filter = ("category", "campaign__year")
    inlines = [EntryInline]
    readonly_fields = (
        "campaign",
        "category",
        "notice_number",
        "notice_title",
        "notice_text",
        "published_at",
        "published_by",
        "exports",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        codes = campaign_region_codes(request.user)
        return qs if codes is None else qs.filter(campaign__region__in=codes)

    @admin.display(description=gettext_lazy("人数"))
    def entry_count(self, obj):
        return obj.entries.count()

    @admin.display(description=gettext_lazy("导出"))
    def exports(self, obj):
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}">Excel</a> · <a href="{}" target="_blank">{}</a>',
            reverse("campaigns:notice_export", args=[obj.campaign_id, "csv"]),
            reverse("campaigns:notice_export", args=[obj.campaign_id, "xlsx"]),
            reverse("campaigns:notice_print", args=[obj.campaign_id]),
            _("打印版"),
        )
