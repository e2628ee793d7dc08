"""Staff table imports (CSV/XLSX) with one shape: upload → preview of every row's problems → confirm.

An app describes its import with a ``preview`` function (header, rows, actor → ``Preview``, changes nothing)
and an ``apply`` function (re-checks, imports all new rows or none, returns what it created). Rows already
imported are *skipped and reported*, not errors. ``preview_confirm_view`` is the admin page: the parsed table
(never the file) waits in the session between preview and confirm. Uploads are read by
``core.uploads.read_table_upload`` (size, row and type limits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ValidationFailed
from .uploads import read_table_upload


@dataclass
class RowResult:
    line: int  # the row's number in the file (the header is line 1)
    key: str  # what identifies the row to a person: a ticket number, a USCC and decision number
    problems: list[str] = field(default_factory=list)
    skipped: bool = False  # already imported: not imported again, reported
    data: Any = None  # what ``apply`` needs for this row


@dataclass
class Preview:
    file_problems: list[str]
    rows: list[RowResult]

    @property
    def bad_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.problems]

    @property
    def skipped_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.skipped and not r.problems]

    @property
    def importable(self) -> list[RowResult]:
        return [r for r in self.rows if not r.problems and not r.skipped]

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.bad_rows

    def refusal(self) -> ValidationFailed:
        return ValidationFailed(
            _("有 %(n)d 行存在问题，未导入任何内容。") % {"n": len(self.bad_rows) or len(self.file_problems)}
        )


def header_problems(header: list[str], mapping: dict[str, str], required: tuple[str, ...]) -> list[str]:
    """Unknown, unnamed, repeated and missing required columns of a file (``mapping``: header → field)."""
    problems = []
    unknown = [h for h in header if h and h not in mapping]
    if unknown:
        problems.append(_("未知的列：%(cols)s（可用的列见导入说明）。") % {"cols": "、".join(unknown)})
    if any(not h for h in header):
        problems.append(_("有列没有表头。"))
    if len(set(header)) != len(header):
        problems.append(_("表头有重复的列。"))
    present = {mapping[h] for h in header if h in mapping}
    missing = [h for h, f in mapping.items() if f in required and f not in present]
    if missing:
        problems.append(_("缺少必需的列：%(cols)s。") % {"cols": "、".join(missing)})
    return problems


def row_values(header: list[str], row: list[str], mapping: dict[str, str]) -> dict[str, str]:
    return {mapping[h]: v.strip() for h, v in zip(header, row, strict=True) if h in mapping}


class TableUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（CSV 或 XLSX）"))

    def __init__(self, *args, choices=None, choice_label="", **kwargs):
        super().__init__(*args, **kwargs)
        if choices:
            self.fields["variant"] = forms.ChoiceField(label=choice_label, choices=choices)
            self.order_fields(["variant", "file"])

    def clean(self):
        data = super().clean()
        if data.get("file") is not None:
            try:
                data["table"] = read_table_upload(data["file"])
            except ValidationFailed as exc:
                self.add_error("file", exc.message)
        return data


def preview_confirm_view(
    model_admin,
    request,
    *,
    session_key: str,
    preview: Callable[..., Preview],
    apply: Callable[..., tuple[list, Preview]],
    title: str,
    done_url: str,
    help_columns: dict[str, list[str]],
    choices=None,
    choice_label: str = "",
):
    """The admin import page. ``preview``/``apply`` take ``variant=`` (a chosen platform or list; "" when the
    import has no choice), ``header=``, ``rows=``, ``actor=``."""
    if not model_admin.has_add_permission(request):
        raise Http404
    result = None
    stored = request.session.get(session_key)
    form = TableUploadForm(choices=choices, choice_label=choice_label)
    if request.method == "POST" and "confirm" in request.POST:
        if not stored:
            model_admin.message_user(request, _("预览已失效，请重新上传文件。"), messages.ERROR)
            return redirect(request.path)
        try:
            created, result = apply(**stored, actor=request.user)
        except ValidationFailed as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
            result = preview(**stored, actor=request.user)
        else:
            request.session.pop(session_key, None)
            skipped = "、".join(r.key for r in result.skipped_rows)
            model_admin.message_user(
                request,
                _("已导入 %(n)d 条；已导入过而跳过 %(s)d 条%(list)s。")
                % {"n": len(created), "s": len(result.skipped_rows), "list": f"（{skipped}）" if skipped else ""},
            )
            return redirect(done_url)
    elif request.method == "POST":
        form = TableUploadForm(request.POST, request.FILES, choices=choices, choice_label=choice_label)
        if form.is_valid():
            header, rows = form.cleaned_data["table"]
            stored = {"variant": form.cleaned_data.get("variant", ""), "header": header, "rows": rows}
            result = preview(**stored, actor=request.user)
            request.session[session_key] = stored
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "form": form,
        "preview": result,
        "mappings": help_columns,
    }
    return TemplateResponse(request, "admin/table_import.html", context)
