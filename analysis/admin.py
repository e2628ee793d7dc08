"""Staff pages of the analysis app, region-scoped: the monthly reports (edit the draft's analysis
and measures, decide on the change page, download PDF/Excel), the quarterly meetings and their
action items. Every write calls a service (analysis.services); refusals are shown as messages."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_decisions import Decision, DecisionAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError
from integrity_portal.core.exports import XLSX_TYPE, attachment_disposition
from merchants.admin._service_admin import ServiceCreateMixin

from . import services
from .documents import report_filename, report_pdf, report_sections, report_xlsx
from .models import ActionItem, ActionItemStatus, MonthlyReport, QuarterlyMeeting, ReportStatus
from .workflow import ACTION_ITEM_WORKFLOW, MONTHLY_REPORT_WORKFLOW


def _is_city_draft(obj) -> bool:
    from merchants.models import RegionLevel

    return obj.status == ReportStatus.DRAFT and obj.region.level == RegionLevel.CITY


@admin.register(MonthlyReport)
class MonthlyReportAdmin(DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("deadline", "region", "month", "status", "late", "submitted_at", "escalated_to")
    list_filter = ("status", "late", "month")
    list_select_related = ("region", "escalated_to")
    ordering = ("-deadline", "region")
    search_fields = ("region__name",)
    fields = (
        "region",
        "month",
        "status",
        "deadline",
        "late",
        "submitted_by",
        "submitted_at",
        "escalated_to",
        "escalated_at",
        "downloads",
        "figures_view",
        "analysis",
        "measures",
    )
    decisions = (
        Decision(
            name="refresh",
            label=gettext_lazy("重新统计数据"),
            done=gettext_lazy("已重新统计本期数据。"),
            run=lambda obj, *, actor, reason: services.monthly_report_refresh(report=obj, actor=actor),
            allowed=lambda obj: obj.status == ReportStatus.DRAFT,
        ),
        Decision(
            name="compile",
            label=gettext_lazy("汇总区县报告"),
            done=gettext_lazy("已汇总区县报告。"),
            run=lambda obj, *, actor, reason: services.monthly_report_compile(report=obj, actor=actor),
            allowed=_is_city_draft,
        ),
        Decision(
            name="submit",
            label=gettext_lazy("提交报告"),
            done=gettext_lazy("报告已提交。"),
            run=lambda obj, *, actor, reason: services.monthly_report_submit(report=obj, actor=actor),
            allowed=lambda obj: MONTHLY_REPORT_WORKFLOW.can(obj.status, ReportStatus.SUBMITTED),
            permission="submit",
            style="default",
        ),
        Decision(
            name="accept",
            label=gettext_lazy("接收报告"),
            done=gettext_lazy("报告已接收。"),
            run=lambda obj, *, actor, reason: services.monthly_report_accept(report=obj, actor=actor),
            allowed=lambda obj: MONTHLY_REPORT_WORKFLOW.can(obj.status, ReportStatus.ACCEPTED)
            and obj.region.level == "city",
            permission="accept",
        ),
        Decision(
            name="return",
            label=gettext_lazy("退回修改"),
            done=gettext_lazy("报告已退回修改。"),
            run=lambda obj, *, actor, reason: services.monthly_report_return(report=obj, reason=reason, actor=actor),
            allowed=lambda obj: MONTHLY_REPORT_WORKFLOW.can(obj.status, ReportStatus.DRAFT),
            reason_required=True,
            style="deletelink",
        ),
    )

    def has_add_permission(self, request):
        return False  # drafted by the daily job

    def has_delete_permission(self, request, obj=None):
        return False  # kept as history

    def has_submit_permission(self, request, obj=None):
        return request.user.has_perm(services.SUBMIT_PERMISSION)

    def has_accept_permission(self, request, obj=None):
        return request.user.has_perm(services.ACCEPT_PERMISSION)

    def get_readonly_fields(self, request, obj=None):
        fixed = [f for f in self.fields if f not in ("analysis", "measures")]
        if obj is None or obj.status != ReportStatus.DRAFT:
            return (*fixed, "analysis", "measures")
        return fixed

    @admin.display(description=gettext_lazy("下载"))
    def downloads(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">Excel</a>',
            reverse("admin:analysis_monthlyreport_pdf", args=[obj.pk]),
            reverse("admin:analysis_monthlyreport_xlsx", args=[obj.pk]),
        )

    @admin.display(description=gettext_lazy("本期数据"))
    def figures_view(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        blocks = []
        for section in (s for s in report_sections(obj) if not s.text):
            rows = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", section.rows)
            blocks.append(format_html("<table><caption>{}</caption>{}</table>", section.title, rows))
        return format_html_join("", "{}", ((b,) for b in blocks))

    def save_model(self, request, obj, form, change):
        if not change or not {"analysis", "measures"} & set(form.changed_data):
            return
        try:
            services.monthly_report_edit(
                report=obj,
                analysis=form.cleaned_data.get("analysis", obj.analysis),
                measures=form.cleaned_data.get("measures", obj.measures),
                actor=request.user,
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def get_urls(self):
        mine = [
            path("<int:object_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="analysis_monthlyreport_pdf"),
            path(
                "<int:object_id>/xlsx/", self.admin_site.admin_view(self.xlsx_view), name="analysis_monthlyreport_xlsx"
            ),
        ]
        return mine + super().get_urls()

    def _download(self, request, object_id, render, content_type, ext):
        obj = self.get_object(request, str(object_id))  # another district's report: 404
        if not self.has_view_or_change_permission(request, obj):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        response = HttpResponse(render(obj), content_type=content_type)
        response["Content-Disposition"] = attachment_disposition(f"{report_filename(obj)}.{ext}")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def pdf_view(self, request, object_id):
        return self._download(request, object_id, report_pdf, "application/pdf", "pdf")

    def xlsx_view(self, request, object_id):
        return self._download(request, object_id, report_xlsx, XLSX_TYPE, "xlsx")


class MeetingEditForm(forms.ModelForm):
    """Edits are checked by the same rules as a new record (``services.meeting_check``)."""

    request = None

    class Meta:
        model = QuarterlyMeeting
        fields = ("held_on", "year", "quarter", "attendees", "reports", "minutes")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.meeting_check(
                region=self.instance.region,
                reports=list(data.get("reports") or ()),
                actor=self.request.user,
                **{k: data.get(k) for k in ("held_on", "year", "quarter", "attendees", "minutes")},
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@admin.register(QuarterlyMeeting)
class QuarterlyMeetingAdmin(ServiceCreateMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("held_on", "region", "year", "quarter", "open_items")
    list_filter = ("year", "quarter")
    list_select_related = ("region",)
    ordering = ("-held_on", "-id")
    filter_horizontal = ("reports",)
    fields = ("region", "held_on", "year", "quarter", "attendees", "reports", "minutes")

    @admin.display(description=gettext_lazy("未完成任务"))
    def open_items(self, obj):
        return obj.action_items.filter(status=ActionItemStatus.OPEN).count()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ("region",) if obj is not None else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return super().get_form(request, obj, **kwargs)
        kwargs["form"] = MeetingEditForm
        form = admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        return type("MeetingEditForRequest", (form,), {"request": request})

    def create(self, request, data):
        return services.meeting_record(
            region=data["region"], held_on=data["held_on"], year=data["year"], quarter=data["quarter"],
            attendees=data["attendees"], minutes=data["minutes"], reports=data.get("reports") or (),
            actor=request.user,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            services.meeting_edit(meeting=obj, data=data, reports=data.get("reports"), actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # the services set the reports discussed


@admin.register(ActionItem)
class ActionItemAdmin(ServiceCreateMixin, DecisionAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "owner_region"
    list_display = ("deadline", "owner_unit", "owner_region", "status", "description", "meeting")
    list_filter = ("status", "owner_region")
    list_select_related = ("owner_region", "meeting", "meeting__region")
    ordering = ("status", "deadline", "id")
    search_fields = ("owner_unit", "description")
    fields = ("meeting", "description", "owner_region", "owner_unit", "deadline", "status", "done_at", "done_note")
    readonly_fields = ("status", "done_at", "done_note")
    decisions = (
        Decision(
            name="done",
            label=gettext_lazy("标记为已完成"),
            done=gettext_lazy("任务已办结。"),
            run=lambda obj, *, actor, reason: services.action_item_done(item=obj, note=reason, actor=actor),
            allowed=lambda obj: ACTION_ITEM_WORKFLOW.can(obj.status, ActionItemStatus.DONE),
            reason_required=True,
            style="default",
        ),
    )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields  # fixed once given; only the decision moves it
        return self.readonly_fields

    def create(self, request, data):
        return services.action_item_add(
            meeting=data["meeting"], description=data["description"], owner_region=data["owner_region"],
            owner_unit=data["owner_unit"], deadline=data["deadline"], actor=request.user,
        )
