"""The district dashboard page (``/admin/dashboard/``) and its Excel download. The figures come from
``core.dashboard.dashboard_figures`` (scoped to the viewer); this page only draws and exports them."""

from __future__ import annotations

import io

from django import forms
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import workdays
from .charts import chart_svg
from .dashboard import dashboard_figures, dashboard_regions, default_region, month_label, parse_month
from .errors import DomainError
from .exports import XLSX_TYPE, attachment_disposition, table_writer

FIGURES_CACHE_SECONDS = 120
FIRST_YEAR = 2000  # no month before it has figures


class DashboardForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("辖区"), required=False)
    month = forms.CharField(
        label=gettext_lazy("月份"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions

    def clean_month(self):
        text = self.cleaned_data.get("month") or ""
        if not text:
            return None
        try:
            month = parse_month(text)
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，例如 2026-11。")) from None
        if month.year < FIRST_YEAR:  # the window of 13 months before year 1 is no date at all (was a 500)
            raise forms.ValidationError(_("月份不能早于 %(year)d 年。") % {"year": FIRST_YEAR})
        if month > workdays.today().replace(day=1):
            raise forms.ValidationError(_("不能查看尚未到来的月份。"))
        return month


def _xlsx(figures, table_key: str | None):
    tables = figures.tables()
    if table_key:
        tables = [t for t in tables if t.key == table_key]
        if not tables:
            raise Http404(_("没有该统计表。"))
    name = f"dashboard-{figures.region_code}-{month_label(figures.month)}" + (
        f"-{table_key}" if table_key else ""
    )
    response = HttpResponse(_workbook(tables[0], tables[1:]), content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment_disposition(f"{name}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cell(value) -> str:
    return "—" if value is None else escape(formats.localize(value))


def table_html(table, table_id: str) -> SafeString:
    """The table's markup, written here rather than by template loops: a city's page has a few thousand
    cells, which the template engine takes tens of milliseconds to draw. Every text is escaped."""
    note = f'<span class="dashboard-note">{escape(table.note)}</span>' if table.note else ""
    head = "".join(f'<th scope="col">{escape(label)}</th>' for label in table.header)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>{"".join(f"<td>{_cell(v)}</td>" for v in row[1:])}</tr>'
        for row in table.rows
    )
    return mark_safe(  # noqa: S308 - every text above went through escape()
        f'<table id="{escape(table_id)}" class="dashboard-table"><caption>{escape(table.title)}{note}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _workbook(first, rest) -> bytes:
    """One sheet per table (``core.exports``: numbers stay numbers, text cells are escaped)."""
    buffer = io.BytesIO()
    writer = table_writer(
        "xlsx", buffer, first.header, title=first.title, sheets=[(t.title, t.header, t.rows) for t in rest]
    )
    for row in first.rows:
        writer.write(row)
    writer.close()
    return buffer.getvalue()


def cached_figures(viewer, region: str, month):
    """``dashboard_figures`` kept ``FIGURES_CACHE_SECONDS`` in the cache, so that the page, its charts and its
    Excel downloads show the same numbers and a second look costs nothing. The key holds everything the
    figures depend on (region, month, today, language); the viewer's right to the region was checked before
    (the figures of a region are the same for everyone who may see it)."""
    key = f"dashboard:figures:v1:{region}:{month_label(month)}:{workdays.today().isoformat()}:{get_language()}"
    figures = cache.get(key)
    if figures is None:
        figures = dashboard_figures(viewer=viewer, region=region, month=month)
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


@never_cache
def dashboard_view(request):
    regions = dashboard_regions(request.user)
    if not regions:
        raise PermissionDenied(_("您的账号没有辖区，无法查看统计看板。"))
    region = request.GET.get("region") or default_region(request.user)
    if region not in {code for code, _name in regions}:
        raise Http404(_("您的辖区内没有该区划。"))
    month = request.GET.get("month") or month_label(workdays.today())
    form = DashboardForm({"region": region, "month": month}, regions=regions)
    context = {**admin.site.each_context(request), "title": _("统计看板"), "form": form, "figures": None}
    if not form.is_valid():
        return TemplateResponse(request, "admin/dashboard.html", context, status=400)
    try:
        figures = cached_figures(request.user, region, form.cleaned_data["month"] or workdays.today())
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        form.add_error(None, exc.message)
        return TemplateResponse(request, "admin/dashboard.html", context, status=400)
    fmt = request.GET.get("format", "")
    if fmt == "xlsx":
        return _xlsx(figures, request.GET.get("table") or None)
    if fmt:
        context["format_error"] = _("不支持的下载格式：只提供 Excel（xlsx）。")
        return TemplateResponse(request, "admin/dashboard.html", context, status=400)
    query = f"region={figures.region_code}&month={month_label(figures.month)}"
    sections = [
        {
            "section": section,
            "tables": [
                {
                    "table": table,
                    "id": f"table-{table.key}",
                    "html": table_html(table, f"table-{table.key}"),
                    "svg": chart_svg(table.chart, title=table.title, described_by=f"table-{table.key}")
                    if table.chart
                    else None,
                    "xlsx": f"?{query}&format=xlsx&table={table.key}",
                }
                for table in section.tables
            ],
        }
        for section in figures.sections
    ]
    context.update(
        figures=figures,
        sections=sections,
        subtitle=f"{figures.region_name} · {month_label(figures.month)}",
        month_shown=month_label(figures.month),
        xlsx_all=f"?{query}&format=xlsx",
    )
    return TemplateResponse(request, "admin/dashboard.html", context)
