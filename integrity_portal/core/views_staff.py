"""Staff pages of core inside the admin: the workbench (``/admin/``), the model list one click away
(``/admin/models/``) and the audit log (``/admin/audit-log/``). Each is wrapped by ``admin_view`` in the
URL map (staff only, second factor), reads through a selector and writes nothing."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from .audit import describe_entry, registered_audit_enums
from .scoping import is_unrestricted, visible_region_codes
from .staff_audit import audit_entries_filtered, audit_target_prefetch, audited_content_types
from .workbench import workbench_for

AUDIT_PAGE_SIZE = 50


@require_safe
def workbench(request):
    """The staff home: everything waiting for this user or their region, overdue first."""
    board = workbench_for(request.user)
    context = {
        **admin.site.each_context(request),
        "title": _("工作台"),
        "board": board,
        "show_regions": bool(board.regions),
        "is_superuser": is_unrestricted(request.user),
    }
    return TemplateResponse(request, "admin/workbench.html", context)


def model_index(request):
    """Django's list of every model the user may open (what ``/admin/`` showed before the workbench)."""
    return admin.site.index(request, extra_context={"title": _("全部功能")})


class AuditFilterForm(forms.Form):
    merchant = forms.CharField(
        label=gettext_lazy("市场主体（名称、代码或编号）"), required=False, max_length=100
    )
    content_type = forms.TypedChoiceField(
        label=gettext_lazy("对象类型"), required=False, coerce=int, empty_value=None
    )
    object_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=64)
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_types = {ct.pk: ct for ct in audited_content_types()}
        self.fields["content_type"].choices = [("", "—")] + sorted(
            (
                (pk, str(ct.model_class()._meta.verbose_name))
                for pk, ct in self.content_types.items()
                if ct.model_class()
            ),
            key=lambda c: c[1],
        )
        actions = {m.value: str(m.label) for enum in registered_audit_enums() for m in enum}
        self.fields["action"].choices = [("", "—")] + sorted(actions.items(), key=lambda c: (c[1], c[0]))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data


def _entry_row(entry) -> dict:
    """One entry as the page shows it: in words, with its object's type, name and admin page."""
    model = entry.content_type.model_class()
    target = entry.target
    return {
        "line": describe_entry(entry),
        "kind": model._meta.verbose_name if model else "",
        "object": str(target) if target is not None else _("（已删除）"),
        "url": _object_link(entry) if target is not None else "",
    }


def _object_link(entry) -> str:
    try:
        return reverse(
            f"admin:{entry.content_type.app_label}_{entry.content_type.model}_change", args=[entry.object_id]
        )
    except NoReverseMatch:
        return ""


@require_safe
def audit_log(request):
    """The audit log in words, region-scoped (core.staff_audit), newest first, 50 a page."""
    if not request.user.is_superuser and visible_region_codes(request.user) == []:
        raise PermissionDenied  # staff without a region see nothing to read here
    form = AuditFilterForm(request.GET or None)
    entries, has_next, page = [], False, 1
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        page = data.get("page") or 1
        qs = audit_entries_filtered(
            request.user,
            merchant=data.get("merchant", ""),
            content_type=form.content_types.get(data.get("content_type")),
            object_id=data.get("object_id", ""),
            actor=data.get("actor", ""),
            action=data.get("action", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        ).prefetch_related(audit_target_prefetch())
        start = (page - 1) * AUDIT_PAGE_SIZE
        rows = list(qs[start : start + AUDIT_PAGE_SIZE + 1])  # one more tells whether a next page exists
        has_next = len(rows) > AUDIT_PAGE_SIZE
        entries = [_entry_row(e) for e in rows[:AUDIT_PAGE_SIZE]]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **admin.site.each_context(request),
        "title": _("操作日志"),
        "form": form,
        "entries": entries,
        "page": page,
        "previous_query": f"{query.urlencode()}&page={page - 1}" if page > 1 else "",
        "next_query": f"{query.urlencode()}&page={page + 1}" if has_next else "",
    }
    return TemplateResponse(
        request, "admin/staff_audit_log.html", context, status=400 if form.errors else 200
    )
