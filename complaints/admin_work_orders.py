"""Admin pages for 12315/12345 work orders: upload → preview (each row's problems) → confirm; outcome export.

The import page is core's preview → confirm page (``core.table_import``); confirming checks every row again
and imports all new rows or none (``complaints.work_orders``).
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.exports import CONTENT_TYPES, attachment_disposition
from integrity_portal.core.scoping import scope_to_user_region
from integrity_portal.core.table_import import preview_confirm_view

from .models import Complaint, SourcePlatform
from .work_orders import PLATFORM_COLUMNS, import_work_orders, outcomes_export, preview_work_orders

SESSION_KEY = "complaints_work_order_import"
PLATFORM_CHOICES = [(p.value, p.label) for p in SourcePlatform if p.value]


class OutcomeExportForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("来源平台"), choices=PLATFORM_CHOICES)
    fmt = forms.ChoiceField(label=gettext_lazy("格式"), choices=[("xlsx", "XLSX"), ("csv", "CSV")])
    closed_from = forms.DateField(label=gettext_lazy("办结日期自"), required=False)
    closed_to = forms.DateField(label=gettext_lazy("办结日期至"), required=False)


def import_view(model_admin, request):
    return preview_confirm_view(
        model_admin,
        request,
        session_key=SESSION_KEY,
        preview=preview_work_orders,
        apply=import_work_orders,
        title=_("导入 12315/12345 工单"),
        done_url=reverse("admin:complaints_complaint_changelist"),
        help_columns={platform: list(mapping) for platform, mapping in PLATFORM_COLUMNS.items()},
        choices=PLATFORM_CHOICES,
        choice_label=_("来源平台"),
    )


def export_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise Http404
    form = OutcomeExportForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        qs = scope_to_user_region(Complaint.objects.all(), request.user).filter(
            source_platform=data["platform"], closed_at__isnull=False
        ).exclude(platform_ticket="")
        if data["closed_from"]:
            qs = qs.filter(closed_at__date__gte=data["closed_from"])
        if data["closed_to"]:
            qs = qs.filter(closed_at__date__lte=data["closed_to"])
        content = outcomes_export(platform=data["platform"], complaints=qs.order_by("closed_at", "id"), fmt=data["fmt"])
        response = HttpResponse(content, content_type=CONTENT_TYPES[data["fmt"]])
        name = f"{data['platform']}-outcomes-{timezone.localdate():%Y%m%d}.{data['fmt']}"
        response["Content-Disposition"] = attachment_disposition(name)
        response["X-Content-Type-Options"] = "nosniff"
        return response
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("导出工单办理结果（回填平台）"),
        "form": form,
    }
    return TemplateResponse(request, "complaints/admin/work_orders_export.html", context)
