"""Admin for campaigns: schedule, eligibility thresholds, notice, and the workflow actions."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_actions import service_action
from integrity_portal.core.admin_decisions import Decision, DecisionAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.scoping import staff_region_code, user_covers_region, visible_region_codes

from .. import services
from ..models import Campaign, CampaignCategory, CampaignStatus
from ..services.campaign import EDITABLE_AFTER_DRAFT
from ..workflow import CAMPAIGN_WORKFLOW


def campaign_region_codes(user) -> list[str] | None:
    """A campaign is visible to staff of its region, its districts (who review its applications) and above."""
    from merchants.models import Region

    codes = visible_region_codes(user)
    if codes is None:
        return None
    region = Region.objects.filter(pk=staff_region_code(user)).select_related("parent").first()
    ancestors = []
    while region is not None:
        ancestors.append(region.pk)
        region = region.parent
    return list(codes) + ancestors


def _campaign_action(service, description, done):
    """A workflow action applying ``service`` to each selected campaign (for those who may change it)."""
    return service_action(service, description, done, target="campaign", permissions=("change",))


#: Each step of the campaign: the service that takes it, the status it leads to and the words staff see,
#: shared by the bulk actions and the button on the campaign's own page.
STEP_LABELS = {
    CampaignStatus.OPEN: gettext_lazy("开始申报"),
    CampaignStatus.REVIEWING: gettext_lazy("申报截止，进入评审"),
    CampaignStatus.PUBLICITY: gettext_lazy("评审完成，开始公示"),
    CampaignStatus.PUBLISHED: gettext_lazy("公示期满，发布表彰名单"),
    CampaignStatus.ARCHIVED: gettext_lazy("归档"),
}


def _campaign_step(name: str, service, target: str) -> Decision:
    """The next-step button on the campaign's page; what the staff member typed goes to the audit note."""
    return Decision(
        name=name,
        label=STEP_LABELS[target],
        done=format_lazy(gettext_lazy("活动已转入“{status}”。"), status=CampaignStatus(target).label),
        run=lambda obj, *, actor, reason: service(campaign=obj, actor=actor, note=reason),
        allowed=lambda obj: CAMPAIGN_WORKFLOW.can(obj.status, target),
        style="default",
    )


class CampaignCategoryInline(RegionScopedInlineMixin, admin.TabularInline):
    model = CampaignCategory
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == CampaignStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Campaign)
class CampaignAdmin(DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region"
    list_display = (
        "year",
        "title",
        "region",
        "status",
        "application_end",
        "publicity_start",
        "publicity_end",
        "next_step",
    )
    list_filter = ("status", "year")
    search_fields = ("title", "notice_number")
    inlines = [CampaignCategoryInline]
    actions = [
        "action_open",
        "action_start_review",
        "action_start_publicity",
        "action_publish",
        "action_archive",
    ]
    fieldsets = (
        (None, {"fields": ("year", "region", "title", "status", "next_step", "scheme_text")}),
        (
            gettext_lazy("日程"),
            {
                "fields": (
                    "application_start",
                    "application_end",
                    "review_deadline",
                    "publicity_start",
                    "publicity_end",
                )
            },
        ),
        (
            gettext_lazy("申报条件"),
            {
                "fields": (
                    "min_stars",
                    "require_no_black_entry",
                    "require_no_serious_penalty",
                    "require_commitment",
                    "require_psa_compliance",
                )
            },
        ),
        (
            gettext_lazy("复审权重与表彰"),
            {"fields": ("weight_inspection", "weight_survey", "red_list_years")},
        ),
        (
            gettext_lazy("公示公告"),
            {
                "fields": (
                    "notice_number",
                    "notice_title",
                    "notice_text",
                    "publicity_started_at",
                    "published_at",
                    "public_link",
                )
            },
        ),
    )

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        codes = campaign_region_codes(request.user)
        return qs if codes is None else qs.filter(region__in=codes)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "next_step", "publicity_started_at", "published_at", "public_link"]
        if obj is None or obj.status == CampaignStatus.DRAFT:
            return fixed
        locked = [f.name for f in Campaign._meta.concrete_fields if f.name not in EDITABLE_AFTER_DRAFT]
        return sorted(set(fixed + locked) - {"id", "created_by", "created_at"})

    @admin.display(description=gettext_lazy("下一步尚缺"))
    def next_step(self, obj):
        targets = sorted(CAMPAIGN_WORKFLOW.allowed_targets(obj.status)) if obj and obj.pk else []
        if not targets:
            return "—"
        target = targets[0]
        missing = services.campaign_missing_for(obj, target)
        label = CAMPAIGN_WORKFLOW.label(target)
        return _("可转入“%(t)s”") % {"t": label} if not missing else f"→ {label}：" + " ".join(missing)

    @admin.display(description=gettext_lazy("公开页面"))
    def public_link(self, obj):
        if obj and obj.status in (
            CampaignStatus.PUBLICITY,
            CampaignStatus.PUBLISHED,
            CampaignStatus.ARCHIVED,
        ):
            url = reverse("campaigns:notice", args=[obj.pk])
            return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)
        return "—"

    def save_model(self, request, obj, form, change):
        if not user_covers_region(request.user, obj.region_id):
            raise PermissionDenied(_("只能保存本辖区的活动。"))
        if not change:
            obj.created_by = request.user
        try:
            services.campaign_save(campaign=obj, changed_fields=list(form.changed_data), actor=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None

    action_open = _campaign_action(
        services.campaign_open, STEP_LABELS[CampaignStatus.OPEN], gettext_lazy("%(n)d 个活动已开始申报。")
    )
    action_start_review = _campaign_action(
        services.campaign_start_review,
        STEP_LABELS[CampaignStatus.REVIEWING],
        gettext_lazy("%(n)d 个活动已进入评审。"),
    )
    action_start_publicity = _campaign_action(
        services.campaign_start_publicity,
        STEP_LABELS[CampaignStatus.PUBLICITY],
        gettext_lazy("%(n)d 个活动已开始公示。"),
    )
    action_publish = _campaign_action(
        services.campaign_publish,
        STEP_LABELS[CampaignStatus.PUBLISHED],
        gettext_lazy("%(n)d 个活动的表彰名单已发布。"),
    )
    action_archive = _campaign_action(
        services.campaign_archive, STEP_LABELS[CampaignStatus.ARCHIVED], gettext_lazy("%(n)d 个活动已归档。")
    )
    # The campaign's own page offers the one next step its status allows.
    decisions = (
        _campaign_step("open", services.campaign_open, CampaignStatus.OPEN),
        _campaign_step("start_review", services.campaign_start_review, CampaignStatus.REVIEWING),
        _campaign_step("start_publicity", services.campaign_start_publicity, CampaignStatus.PUBLICITY),
        _campaign_step("publish", services.campaign_publish, CampaignStatus.PUBLISHED),
        _campaign_step("archive", services.campaign_archive, CampaignStatus.ARCHIVED),
    )
