"""Admin for PSA quotas (with the district progress board), PSA reports (核查) and reminder logs."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_actions import ReadOnlyAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.exports import table_response
from integrity_portal.core.scoping import user_covers_region
from integrity_portal.core.uploads import private_file_response
from integrity_portal.core.workbench import due_ordering

from .. import selectors, services
from ..forms import VerifyForm
from ..models import AdPlacement, AdQuota, AdReport, AdReportStatus, ReminderLog
from ._base import ObjectStepAdminMixin, ReadOnlyInline, run_service_form


class AdQuotaForm(forms.ModelForm):
    """Runs the service's checks (who may write which region's row, one row per region and year,
    the campaign of the same city and year) so that each refusal is a form error."""

    actor = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        instance = self.instance
        try:
            services.ad_quota_check(
                actor=self.actor,
                region=data.get("region", instance.region if instance.pk else None),
                year=data.get("year", instance.year),
                campaign=data.get("campaign"),
                themes=data.get("themes"),
                quota=instance if instance.pk else None,
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@admin.register(AdQuota)
class AdQuotaAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    """One row per city and year; the row without a region is the national default.

    Staff see their own city's row and the rows above it that apply to them (the national
    default, read-only), never another city's (404); only a city's bureau and civility office
    edit their city's row, only superusers the national one (issue #11). The board is scoped to
    the viewer's region and to the venues the row governs.
    """

    region_field = "region"
    form = AdQuotaForm
    list_display = ("year", "scope", "min_share_percent", "deadline", "theme_list", "board_link")
    list_filter = ("year",)
    list_select_related = ("region",)
    fields = ("year", "region", "campaign", "min_share_percent", "deadline", "themes")

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs.filter(pk__in=selectors.ad_quotas_for_staff(request.user).values("pk"))

    def _may_write(self, request, obj) -> bool:
        return obj is None or user_covers_region(request.user, obj.region_id)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # A row never moves to another region: the city's venues' reports are filed against it.
        return ("region",) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form = type("AdQuotaFormFor", (form,), {"actor": request.user})
        if "region" in form.base_fields:
            # Non-superusers set their own city's row; only a superuser leaves it empty (national).
            form.base_fields["region"].required = not request.user.is_superuser
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "region" and formfield is not None:
            from merchants.models import RegionLevel

            formfield.queryset = formfield.queryset.filter(level=RegionLevel.CITY)
        return formfield

    def save_model(self, request, obj, form, change):
        try:
            services.ad_quota_save(quota=obj, actor=request.user, changed_fields=list(form.changed_data))
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None

    def delete_model(self, request, obj):
        try:
            services.ad_quota_delete(quota=obj, actor=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from None

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.display(description=gettext_lazy("适用范围"))
    def scope(self, obj):
        return obj.region.name if obj.region_id else _("全国默认")

    @admin.display(description=gettext_lazy("主题"))
    def theme_list(self, obj):
        return "、".join(obj.themes or [])

    @admin.display(description=gettext_lazy("进度"))
    def board_link(self, obj):
        url = reverse("admin:campaigns_adquota_board", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("区县进度看板"))

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/board/", self.admin_site.admin_view(self.board_view), name="campaigns_adquota_board"
            ),
            path(
                "<int:pk>/board/export.<str:fmt>",
                self.admin_site.admin_view(self.board_export),
                name="campaigns_adquota_board_export",
            ),
        ]
        return custom + super().get_urls()

    def _board(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        quota = get_object_or_404(self.get_queryset(request), pk=pk)
        return selectors.ad_progress_board(quota=quota, user=request.user)

    def board_view(self, request, pk: int):
        board = self._board(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("%(y)d年度公益广告刊播进度 · %(scope)s")
            % {"y": board["quota"].year, "scope": self.scope(board["quota"])},
            "board": board,
        }
        return TemplateResponse(request, "campaigns/admin/progress_board.html", context)

    def board_export(self, request, pk: int, fmt: str):
        if fmt not in {"csv", "xlsx"}:
            raise PermissionDenied
        board = self._board(request, pk)
        header = [
            _("区县"),
            _("应报场所"),
            _("已报告"),
            _("已核查"),
            _("达标"),
            _("达标率（%）"),
            _("距期限天数"),
        ]
        rows = [
            (
                r["region_name"],
                r["required"],
                r["reported"],
                r["verified"],
                r["compliant"],
                r["compliant_percent"],
                board["days_left"],
            )
            for r in board["rows"]
        ]
        return table_response(
            filename=f"psa-progress-{board['quota'].year}",
            fmt=fmt,
            header=header,
            rows=rows,
            title=str(board["quota"].year),
        )


class PlacementInline(ReadOnlyInline):
    model = AdPlacement
    fields = ("medium", "location", "total_ads", "psa_ads", "theme", "photo_preview")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("照片"))
    def photo_preview(self, obj):
        if not obj.photo:
            return "—"
        url = reverse("admin:campaigns_adreport_photo", args=[obj.report_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("下载照片"))


@admin.register(AdReport)
class AdReportAdmin(ObjectStepAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    step = "verify"
    list_display = (
        "merchant",
        "deadline",
        "quota",
        "period",
        "total_ads",
        "psa_ads",
        "share",
        "psa_at_entrance",
        "status",
        "is_compliant",
        "verify_link",
    )
    list_filter = ("status", "is_compliant", ("quota", admin.RelatedOnlyFieldListFilter))
    search_fields = ("merchant__name",)
    list_select_related = ("merchant", "quota")
    # Reports still to verify by the quota's deadline first; verified ones after them.
    ordering = (due_ordering("quota__deadline", waiting=[AdReportStatus.SUBMITTED]), "-submitted_at")

    @admin.display(description=gettext_lazy("完成期限"), ordering=due_ordering("quota__deadline"))
    def deadline(self, obj):
        return obj.quota.deadline

    inlines = [PlacementInline]

    def get_urls(self):
        view = self.admin_site.admin_view(self.photo_view)
        return [
            path("<int:pk>/photo/<int:placement_pk>/", view, name="campaigns_adreport_photo"),
            *super().get_urls(),
        ]

    def photo_view(self, request, pk: int, placement_pk: int):
        """PSA photos go only to staff who may see the report (region-scoped), as a download."""
        report = self.get_object(request, str(pk))
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        placement = get_object_or_404(AdPlacement, pk=placement_pk, report=report)
        return private_file_response(placement.photo, download_name=placement.photo_original_name)

    readonly_fields = (
        "quota",
        "merchant",
        "period",
        "total_ads",
        "psa_ads",
        "psa_at_entrance",
        "share",
        "status",
        "is_compliant",
        "submitted_at",
        "submitted_by",
        "verification_note",
        "verified_by",
        "verified_at",
        "verify_link",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("公益广告占比"))
    def share(self, obj):
        value = obj.psa_share_percent
        return "—" if value is None else f"{value}%"

    @admin.display(description=gettext_lazy("核查"))
    def verify_link(self, obj):
        if obj.status == AdReportStatus.SUBMITTED:
            return self.step_button(obj, _("核查"))
        return obj.get_status_display()

    def verify_view(self, request, pk: int):
        report = self.step_object(request, pk)
        in_force = (
            selectors.ad_quota_for(region=report.merchant.region_id, year=report.quota.year) or report.quota
        )

        def call(data):
            services.ad_report_verify(
                report=report, confirmed=data["result"] == "confirmed", note=data["note"], actor=request.user
            )
            verdict = _("达标") if report.is_compliant else _("未达标")
            return _("%(m)s 的报告已核查：%(s)s，%(v)s。") % {
                "m": report.merchant.name,
                "s": report.get_status_display(),
                "v": verdict,
            }

        return run_service_form(
            self,
            request,
            report,
            form_class=VerifyForm,
            call=call,
            title=_("核查公益广告刊播 · %(m)s") % {"m": report.merchant.name},
            intro=_(
                "报告：广告总数 %(t)d，公益广告 %(p)d（占比 %(s)s%%），入口处公益广告 %(e)d。"
                "要求：占比不低于 %(min)d%%，且入口处至少有1个公益广告。"
            )
            % {
                "t": report.total_ads,
                "p": report.psa_ads,
                "s": report.psa_share_percent or 0,
                "e": report.psa_at_entrance,
                "min": in_force.min_share_percent,
            },
        )


def _reminder_notices(*statuses: str):
    """How many notices of a reminder log row have one of ``statuses`` (a subquery, no query per row)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Cast, Coalesce

    from notifications.models import Notice

    counted = (
        Notice.objects.filter(
            content_type=ContentType.objects.get_for_model(ReminderLog),
            object_id=Cast(OuterRef("pk"), CharField()),
            status__in=statuses,
        )
        .order_by()
        .values("content_type")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class ReminderDeliveryFilter(admin.SimpleListFilter):
    """Reminders that reached someone, and those that could not (a venue with no account)."""

    title = gettext_lazy("送达情况")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return (("told", gettext_lazy("已通知")), ("undeliverable", gettext_lazy("无法送达")))

    def queryset(self, request, queryset):
        if self.value() == "told":
            return queryset.filter(recipients__gt=0)
        if self.value() == "undeliverable":
            return queryset.filter(recipients=0)
        return queryset


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    list_display = ("merchant", "quota", "days_before", "recipients", "delivery", "sent_at")
    list_filter = (("quota", admin.RelatedOnlyFieldListFilter), "days_before", ReminderDeliveryFilter)
    search_fields = ("merchant__name",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "quota")
            .annotate(
                n_sent=_reminder_notices("sent"),
                n_queued=_reminder_notices("queued", "sending"),
                n_failed=_reminder_notices("failed"),
                n_undeliverable=_reminder_notices("undeliverable"),
            )
        )

    @admin.display(description=gettext_lazy("送达情况"))
    def delivery(self, obj) -> str:
        """The truth from the outbox: a venue without an account is undeliverable, never "sent"."""
        if not obj.recipients:
            return _("无法送达（无账户或成员均无法联系）")
        return _("已送达 %(s)d · 待发送 %(q)d · 失败 %(f)d · 无法送达 %(u)d") % {
            "s": obj.n_sent,
            "q": obj.n_queued,
            "f": obj.n_failed,
            "u": obj.n_undeliverable,
        }
