"""Staff admin: region-scoped queues by status and due date, handling through the services,
hotline/window intake, and the monthly statistics export per district."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core import workdays
from integrity_portal.core.admin_actions import ReadOnlyAdminMixin
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.audit import audit_timeline
from integrity_portal.core.errors import DomainError, ValidationFailed
from integrity_portal.core.exports import table_response
from integrity_portal.core.phones import mask_phone
from integrity_portal.core.scoping import visible_region_codes
from integrity_portal.core.workbench import due_ordering
from notifications.selectors import notices_about

from . import admin_work_orders, selectors, services
from .forms import HandlingForm, StaffIntakeForm, StatisticsMonthForm, apply_domain_error
from .models import (
    OPEN_STATUSES,
    Complaint,
    ConsumerRightsStation,
    Escalation,
    RejectReason,
    TerminationReason,
)


class DueDateFilter(admin.SimpleListFilter):
    title = gettext_lazy("办理期限")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", gettext_lazy("已超期")),
            ("3", gettext_lazy("3个工作日内到期")),
            ("7", gettext_lazy("7个工作日内到期")),
            ("none", gettext_lazy("无期限（已办结）")),
        ]

    def queryset(self, request, queryset):
        today = workdays.today()
        value = self.value()
        if value == "overdue":
            return queryset.filter(due_on__lt=today, status__in=OPEN_STATUSES)
        if value in ("3", "7"):
            return queryset.filter(
                due_on__gte=today, due_on__lte=workdays.add_working_days(today, int(value))
            )
        if value == "none":
            return queryset.filter(due_on__isnull=True)
        return queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = gettext_lazy("督办")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("open", gettext_lazy("督办中")), ("any", gettext_lazy("曾被督办"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(
                escalations__resolved_at__isnull=True, escalations__isnull=False
            ).distinct()
        if self.value() == "any":
            return queryset.filter(escalations__isnull=False).distinct()
        return queryset


def _reject_action(reason: RejectReason):
    def action(modeladmin, request, queryset):
        modeladmin._run(request, queryset, services.complaint_reject, reason=reason.value)

    action.__name__ = f"reject_{reason.value}"
    action.short_description = gettext_lazy("不予受理：%(r)s") % {"r": reason.label}
    return action


@admin.register(Complaint)
class ComplaintAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "region"
    list_display = (
        "tracking_code",
        "platform_ticket",
        "due",
        "kind",
        "status",
        "target",
        "category",
        "complainant",
        "phone_masked",
        "region",
    )
    list_filter = (
        DueDateFilter, EscalatedFilter, "status", "kind", "channel", "source_platform", "category", "closed_late"
    )
    search_fields = (
        "=tracking_code",
        "target_name",
        "merchant__name",
        "=merchant__uscc",
        "=complainant_phone",
        "=platform_ticket",
    )
    # Due first, empty dates (closed cases) last on SQLite and PostgreSQL alike.
    ordering = (due_ordering("due_on"), "-received_at")
    list_select_related = ("region", "merchant")
    list_per_page = 50
    show_full_result_count = False
    change_list_template = "complaints/admin/change_list.html"
    actions = [
        "accept_selected",
        "verify_selected",
        "mediate_selected",
        "assign_selected",
        "close_selected",
        *[_reject_action(r) for r in RejectReason],
    ]

    @admin.display(description=gettext_lazy("被投诉方"))
    def target(self, obj):
        return obj.target_display

    @admin.display(description=gettext_lazy("投诉人"))
    def complainant(self, obj):
        return _("匿名") if obj.anonymous else obj.complainant_name

    @admin.display(description=gettext_lazy("电话"))
    def phone_masked(self, obj):
        return mask_phone(obj.complainant_phone)

    @admin.display(description=gettext_lazy("办理期限（工作日）"), ordering=due_ordering("due_on"))
    def due(self, obj):
        left = selectors.days_left(obj)
        if left is None:
            return "—"
        # A deadline counted over a year without its official holiday schedule (Monday–Friday).
        provisional = format_html(" <em>{}</em>", _("暂定")) if obj.due_on_provisional else ""
        if left < 0:
            return format_html(
                '{}{} <strong style="color:#ba2121">{}</strong>',
                obj.due_on.isoformat(),
                provisional,
                _("超期%(n)d日") % {"n": -left},
            )
        return format_html("{}{} · {}", obj.due_on.isoformat(), provisional, _("剩%(n)d日") % {"n": left})

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("intake/", self.admin_site.admin_view(self.intake_view), name=f"{info[0]}_{info[1]}_intake"),
            path(
                "statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name=f"{info[0]}_{info[1]}_statistics",
            ),
            path(
                "work-orders/import/",
                self.admin_site.admin_view(lambda request: admin_work_orders.import_view(self, request)),
                name=f"{info[0]}_{info[1]}_work_orders_import",
            ),
            path(
                "work-orders/export/",
                self.admin_site.admin_view(lambda request: admin_work_orders.export_view(self, request)),
                name=f"{info[0]}_{info[1]}_work_orders_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "intake_url": reverse("admin:complaints_complaint_intake"),
            "statistics_url": reverse("admin:complaints_complaint_statistics"),
            "work_orders_import_url": reverse("admin:complaints_complaint_work_orders_import"),
            "work_orders_export_url": reverse("admin:complaints_complaint_work_orders_export"),
        }
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:complaints_complaint_intake")

    def _region_choices(self, request):
        from merchants.models import Region, RegionLevel

        qs = Region.objects.filter(level=RegionLevel.DISTRICT)
        codes = visible_region_codes(request.user)
        if codes is not None:
            qs = qs.filter(code__in=codes)
        return [(r.code, r.name) for r in qs]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise Http404
        complaint = self.get_object(request, object_id)
        actions = selectors.available_actions(complaint)
        form = HandlingForm(
            request.POST or None, region_choices=self._region_choices(request), actions=actions
        )
        if request.method == "POST":
            if not self.has_change_permission(request, complaint):
                raise Http404
            if form.is_valid():
                try:
                    self._handle(request, complaint, form.cleaned_data)
                except ValidationFailed as exc:
                    apply_domain_error(form, exc)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, _("已办理：%(c)s") % {"c": complaint}, messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(complaint),
            "complaint": complaint,
            "days_left": selectors.days_left(complaint),
            "form": form,
            "audit": audit_timeline(complaint, limit=100),  # in words: labels, names, “系统”
            "notices": notices_about(complaint, viewer=request.user),  # masked addresses, region-scoped
            "replies": complaint.replies.all(),
            "attachments": complaint.attachments.all(),
            "escalations": complaint.escalations.select_related("escalated_to"),
            "can_change": self.has_change_permission(request, complaint) and bool(actions),
            "field_actions": HandlingForm.FIELD_ACTIONS,
        }
        return TemplateResponse(request, "complaints/admin/process.html", context)

    def _handle(self, request, complaint: Complaint, data: dict) -> None:
        params = {k: v for k, v in data.items() if v not in (None, "")}
        services.complaint_apply_action(complaint=complaint, actor=request.user, **params)

    def _run(self, request, queryset, service, **kwargs):
        done, failed = 0, []
        for complaint in queryset:
            try:
                service(complaint=complaint, actor=request.user, **kwargs)
                done += 1
            except DomainError as exc:
                failed.append(f"{complaint.tracking_code}：{exc.message}")
        if done:
            self.message_user(request, _("成功办理 %(n)d 件。") % {"n": done}, messages.SUCCESS)
        for line in failed[:20]:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=gettext_lazy("受理所选投诉"), permissions=["change"])
    def accept_selected(self, request, queryset):
        self._run(request, queryset, services.complaint_accept)

    @admin.action(description=gettext_lazy("举报：开始核查"), permissions=["change"])
    def verify_selected(self, request, queryset):
        self._run(request, queryset, services.report_start_verification)

    @admin.action(description=gettext_lazy("开始调解"), permissions=["change"])
    def mediate_selected(self, request, queryset):
        self._run(request, queryset, services.complaint_start_mediation)

    @admin.action(description=gettext_lazy("分派到区县承办单位…"), permissions=["change"])
    def assign_selected(self, request, queryset):
        choices = self._region_choices(request)
        if request.POST.get("region"):
            self._run(request, queryset, services.complaint_assign, region_code=request.POST["region"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("分派到区县承办单位"),
            "queryset": queryset,
            "choices": choices,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "complaints/admin/assign.html", context)

    @admin.action(description=gettext_lazy("办结（调解成功/终止调解/转违法线索）…"), permissions=["change"])
    def close_selected(self, request, queryset):
        outcome = request.POST.get("outcome")
        if outcome in ("close_mediated", "terminate", "transfer"):
            params = {
                "action": outcome,
                "agreement": request.POST.get("agreement", ""),
                "termination_reason": request.POST.get("termination_reason", ""),
                "note": request.POST.get("note", ""),
            }
            self._run(request, queryset, services.complaint_apply_action, **params)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("办结所选投诉"),
            "queryset": queryset,
            "termination_reasons": TerminationReason.choices,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "complaints/admin/close.html", context)

    def intake_view(self, request):
        if not self.has_add_permission(request):
            raise Http404
        form = StaffIntakeForm(request.POST or None, request.FILES or None)
        allowed = set(visible_region_codes(request.user) or []) or None
        if allowed is not None:
            form.fields["region"].choices = [
                c for c in form.fields["region"].choices if not c[0] or c[0] in allowed
            ]
        if request.method == "POST" and form.is_valid():
            try:
                created = services.complaint_submit(
                    submission=form.submission(),
                    actor=request.user,
                    idempotency_key=form.cleaned_data.get("submission_token") or "",
                )
            except services.AlreadySubmitted as exc:  # the clerk double-clicked: open what was filed
                self.message_user(request, exc.message, messages.WARNING)
                return redirect("admin:complaints_complaint_change", exc.complaints[0].pk)
            except ValidationFailed as exc:
                apply_domain_error(form, exc)
            else:
                codes = "、".join(c.tracking_code for c in created)
                self.message_user(
                    request, _("已登记，查询码：%(codes)s（请告知来电/来访人）") % {"codes": codes}
                )
                return redirect("admin:complaints_complaint_change", created[0].pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("登记热线/窗口/信函投诉举报"),
            "form": form,
        }
        return TemplateResponse(request, "complaints/admin/intake.html", context)

    def statistics_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        form = StatisticsMonthForm(request.GET or None)
        if not form.is_valid():
            today = workdays.today()
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("月度统计导出"),
                "default_month": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
                "error": form.is_bound,
                "form": form,
            }
            status = 400 if form.is_bound else 200
            return TemplateResponse(request, "complaints/admin/statistics.html", context, status=status)
        start, end = form.cleaned_data["month"]
        fmt = form.cleaned_data["format"]
        rows = selectors.monthly_rows(user=request.user, start=start, end=end)
        columns = selectors.monthly_columns()
        return table_response(  # core.exports: one BOM, one escaping rule, counts stay numbers
            filename=f"complaints-{start:%Y-%m}",
            fmt=fmt,
            header=[label for _k, label in columns],
            rows=([row.get(k) for k, _l in columns] for row in rows),
            title=f"{start:%Y-%m}",
        )


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "complaint__region"
    list_display = ("complaint", "deadline", "due_on", "escalated_to", "created_at", "resolved_at")
    list_filter = ("deadline", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("complaint", "escalated_to")
    readonly_fields = ("complaint", "deadline", "due_on", "escalated_to", "created_at", "resolved_at")


@admin.register(ConsumerRightsStation)
class ConsumerRightsStationAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    """Consumer-rights stations (消费维权服务站, docs/PARTNERS.md), scoped by their venue's region."""

    region_field = "venue__region"
    list_display = ("name", "venue", "phone", "active")
    list_filter = ("active",)
    search_fields = ("name", "venue__name", "address")
    list_select_related = ("venue",)
    autocomplete_fields = ("venue", "staff")
