"""Admin for campaigns, applications (初审/复审), objections and commendation lists."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin, RegionScopedInlineMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.scoping import staff_region_code, user_covers_region, visible_region_codes

from .. import services
from ..forms import ObjectionResolveForm, ReviewForm
from ..models import (
    Application,
    ApplicationReview,
    ApplicationStatus,
    Campaign,
    CampaignCategory,
    CampaignStatus,
    CommendationEntry,
    CommendationList,
    Objection,
    ObjectionStatus,
    ReviewLevel,
)
from ..services.campaign import EDITABLE_AFTER_DRAFT
from ..workflow import CAMPAIGN_WORKFLOW
from ._base import ReadOnlyInline, run_action, run_service_form


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
class CampaignAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
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

    @admin.action(description=gettext_lazy("开始申报"))
    def action_open(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda c: services.campaign_open(campaign=c, actor=request.user),
            _("%(n)d 个活动已开始申报。"),
        )

    @admin.action(description=gettext_lazy("申报截止，进入评审"))
    def action_start_review(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda c: services.campaign_start_review(campaign=c, actor=request.user),
            _("%(n)d 个活动已进入评审。"),
        )

    @admin.action(description=gettext_lazy("评审完成，开始公示"))
    def action_start_publicity(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda c: services.campaign_start_publicity(campaign=c, actor=request.user),
            _("%(n)d 个活动已开始公示。"),
        )

    @admin.action(description=gettext_lazy("公示期满，发布表彰名单"))
    def action_publish(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda c: services.campaign_publish(campaign=c, actor=request.user),
            _("%(n)d 个活动的表彰名单已发布。"),
        )

    @admin.action(description=gettext_lazy("归档"))
    def action_archive(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda c: services.campaign_archive(campaign=c, actor=request.user),
            _("%(n)d 个活动已归档。"),
        )


class ReviewInline(ReadOnlyInline):
    model = ApplicationReview
    fields = ("level", "decision", "reason", "inspection_score", "survey_score", "reviewer", "reviewed_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    list_display = (
        "merchant",
        "campaign",
        "category",
        "status",
        "eligible",
        "total_score",
        "rank",
        "review_link",
    )
    list_filter = ("status", "category", "campaign")
    search_fields = ("merchant__name", "merchant__uscc")
    list_select_related = ("merchant", "campaign")
    inlines = [ReviewInline]
    readonly_fields = (
        "campaign",
        "merchant",
        "category",
        "status",
        "statement",
        "eligibility_summary",
        "submitted_at",
        "submitted_by",
        "inspection_score",
        "survey_score",
        "total_score",
        "rank",
        "rejection_reason",
        "review_link",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description=gettext_lazy("资格审核"))
    def eligible(self, obj):
        return not obj.eligibility_failures

    @admin.display(description=gettext_lazy("资格审核结果"))
    def eligibility_summary(self, obj):
        return format_html(
            "<ul>{}</ul>",
            format_html(
                "".join(
                    format_html(
                        "<li>{} {}：{}</li>", "✓" if c.get("ok") else "✗", c.get("label"), c.get("detail")
                    )
                    for c in obj.eligibility
                )
            ),
        )

    @admin.display(description=gettext_lazy("审核"))
    def review_link(self, obj):
        if obj.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.DISTRICT_PASSED):
            label = _("初审") if obj.status == ApplicationStatus.SUBMITTED else _("复审")
            url = reverse("admin:campaigns_application_review", args=[obj.pk])
            return format_html('<a class="button" href="{}">{}</a>', url, label)
        return "—"

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="campaigns_application_review",
            )
        ]
        return custom + super().get_urls()

    def review_view(self, request, pk: int):
        application = self.get_object(request, str(pk))
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        level = (
            ReviewLevel.DISTRICT if application.status == ApplicationStatus.SUBMITTED else ReviewLevel.CITY
        )

        def call(data):
            if level == ReviewLevel.DISTRICT:
                services.application_review_district(
                    application=application,
                    decision=data["decision"],
                    reason=data["reason"],
                    actor=request.user,
                )
            else:
                services.application_review_city(
                    application=application,
                    decision=data["decision"],
                    reason=data["reason"],
                    actor=request.user,
                    inspection_score=data.get("inspection_score"),
                    survey_score=data.get("survey_score"),
                )
            return _("%(m)s：%(l)s已记录，当前状态“%(s)s”。") % {
                "m": application.merchant.name,
                "l": ReviewLevel(level).label,
                "s": application.get_status_display(),
            }

        return run_service_form(
            self,
            request,
            application,
            form_class=ReviewForm,
            call=call,
            title=f"{ReviewLevel(level).label} · {application.merchant.name}",
            intro=_(
                "复审须录入实地考察得分和问卷调查满意度，加权总分 = 实地考察×%(a)d%% + 问卷调查×%(b)d%%。"
            )
            % {"a": application.campaign.weight_inspection, "b": application.campaign.weight_survey}
            if level == ReviewLevel.CITY
            else _("初审由所在区县分局核实申报材料和经营情况。"),
            extra={"eligibility": application.eligibility, "statement": application.statement},
        )


@admin.register(Objection)
class ObjectionAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "application__merchant__region"
    list_display = (
        "reference",
        "candidate",
        "campaign",
        "status",
        "masked_phone",
        "created_at",
        "resolve_link",
    )
    list_filter = ("status", "application__campaign")
    search_fields = ("reference", "application__merchant__name")
    list_select_related = ("application__merchant", "application__campaign")
    readonly_fields = (
        "reference",
        "application",
        "objector_name",
        "objector_phone",
        "content",
        "status",
        "resolution_reason",
        "resolved_by",
        "resolved_at",
        "created_at",
        "resolve_link",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("候选对象"))
    def candidate(self, obj):
        return obj.application.merchant.name

    @admin.display(description=gettext_lazy("活动"))
    def campaign(self, obj):
        return obj.application.campaign.year

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=gettext_lazy("处理"))
    def resolve_link(self, obj):
        if obj.status == ObjectionStatus.OPEN:
            url = reverse("admin:campaigns_objection_resolve", args=[obj.pk])
            return format_html('<a class="button" href="{}">{}</a>', url, _("处理"))
        return obj.get_status_display()

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="campaigns_objection_resolve",
            )
        ]
        return custom + super().get_urls()

    def resolve_view(self, request, pk: int):
        objection = self.get_object(request, str(pk))
        if not self.has_change_permission(request, objection):
            raise PermissionDenied

        def call(data):
            services.objection_resolve(
                objection=objection,
                upheld=data["outcome"] == "upheld",
                reason=data["reason"],
                actor=request.user,
            )
            return _("异议 %(r)s 已处理：%(s)s。") % {
                "r": objection.reference,
                "s": objection.get_status_display(),
            }

        return run_service_form(
            self,
            request,
            objection,
            form_class=ObjectionResolveForm,
            call=call,
            title=_("处理异议 %(r)s") % {"r": objection.reference},
            intro=_("异议成立将取消该候选对象的公示资格；异议不成立则保留。两种结果都须写明理由。"),
            extra={"statement": objection.content, "candidate": objection.application.merchant.name},
        )


class EntryInline(ReadOnlyInline):
    model = CommendationEntry
    fields = ("rank", "merchant", "total_score", "red_list_until")
    readonly_fields = fields


@admin.register(CommendationList)
class CommendationListAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
