"""Admin pages for 12315/12345 work orders: upload → preview (each row's problems) → confirm; outcome export.

The parsed table is kept in the session between preview and confirm (never the file itself); confirming
checks every row again and imports all new rows or none (``complaints.work_orders``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.exports import CONTENT_TYPES, attachment_disposition
from integrity_portal.core.scoping import scope_to_user_region
from integrity_portal.core.uploads import read_table_upload

from .models import Complaint, SourcePlatform
from .work_orders import PLATFORM_COLUMNS, import_work_orders, outcomes_export, preview_work_orders

SESSION_KEY = "complaints_work_order_import"
PLATFORM_CHOICES = [(p.value, p.label) for p in SourcePlatform if p.value]


class WorkOrderUploadForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("来源平台"), choices=PLATFORM_CHOICES)
    file = forms.FileField(label=gettext_lazy("平台导出的工单文件（CSV 或 XLSX）"))

    def clean(self):
        data = super().clean()
        if data.get("file") is not None:
            try:
                data["table"] = read_table_upload(data["file"])
            except ValidationFailed as exc:
                self.add_error("file", exc.message)
        return data


class OutcomeExportForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("来源平台"), choices=PLATFORM_CHOICES)
    fmt = forms.ChoiceField(label=gettext_lazy("格式"), choices=[("xlsx", "XLSX"), ("csv", "CSV")])
    closed_from = forms.DateField(label=gettext_lazy("办结日期自"), required=False)
    closed_to = forms.DateField(label=gettext_lazy("办结日期至"), required=False)


def import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise Http404
    preview = None
    stored = request.session.get(SESSION_KEY)
    if request.method == "POST" and "confirm" in request.POST:
        if not stored:
            model_admin.message_user(request, _("预览已失效，请重新上传文件。"), messages.ERROR)
            return redirect("admin:complaints_complaint_work_orders_import")
        try:
            created, preview = import_work_orders(
                platform=stored["platform"], header=stored["header"], rows=stored["rows"], actor=request.user
            )
        except ValidationFailed as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
            preview = preview_work_orders(
                platform=stored["platform"], header=stored["header"], rows=stored["rows"], actor=request.user
            )
        else:
            request.session.pop(SESSION_KEY, None)
            skipped = "、".join(r.ticket for r in preview.skipped_rows)
            model_admin.message_user(
                request,
                _("已导入 %(n)d 件工单；已导入过而跳过 %(s)d 件%(list)s。")
                % {"n": len(created), "s": len(preview.skipped_rows), "list": f"（{skipped}）" if skipped else ""},
            )
            return redirect("admin:complaints_complaint_changelist")
        form = WorkOrderUploadForm()
    else:
        form = WorkOrderUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            header, rows = form.cleaned_data["table"]
            platform = form.cleaned_data["platform"]
            preview = preview_work_orders(platform=platform, header=header, rows=rows, actor=request.user)
            request.session[SESSION_KEY] = {"platform": platform, "header": header, "rows": rows}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("导入 12315/12345 工单"),
        "form": form,
        "preview": preview,
        "mappings": PLATFORM_COLUMNS,
    }
    return TemplateResponse(request, "complaints/admin/work_orders_import.html", context)


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
