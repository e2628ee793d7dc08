"""One exporter for every CSV and Excel download (lists, notices, statistics, the admin register export).

Cells come from names and texts that merchants, clerks and import files control, so a cell such as
``=HYPERLINK("http://x","y")`` must never become a live formula in the bureau's spreadsheet (OWASP
"CSV injection"). One rule, here and nowhere else:

* a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe ``'`` (after characters XML cannot carry are removed, so ``"\\x00=1"`` is caught too);
* numbers (int, float, Decimal) stay numbers, so totals and fines still add up; dates become ISO text;
* XLSX text cells are written with ``data_type = "s"`` (openpyxl would otherwise make any string
  starting with ``=`` a formula);
* CSV is UTF-8 with a BOM, so Excel opens Chinese text correctly;
* the download name is ASCII in ``filename=`` and UTF-8 in ``filename*=`` (RFC 6266 / RFC 5987).

django-import-export's own escaping (``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``) drops a leading ``=``
only, and turns every cell into text: the admin register export is therefore written here too
(``ExportAdminMixin``), and its resource escapes with the same function (``EscapedExportResourceMixin``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters an XLSX (XML) cell cannot hold; removed in both formats so CSV and XLSX carry the same text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ASCII_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def escape_cell(value):
    """The one escaping rule: a number stays a number, anything else becomes inert text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    text = _ILLEGAL.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_content(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 CSV as the local code page without a BOM
    writer = csv.writer(buffer)
    writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _sheet_title(title) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("_", str(title or "")).strip("'")[:31] or "Sheet1"


def xlsx_content(header: Sequence, rows: Iterable[Sequence], *, title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)  # streams rows: a 50,000-row list stays small in memory
    sheet = workbook.create_sheet(title=_sheet_title(title))

    def cell(value):
        value = escape_cell(value)
        if not isinstance(value, str):
            return value
        written = WriteOnlyCell(sheet, value=value)
        written.data_type = "s"  # text, whatever it starts with
        return written

    header = list(header)
    for index, label in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, len(str(label)) * 2 + 2))
    sheet.append([cell(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_content(fmt: str, header: Sequence, rows: Iterable[Sequence], *, title: str = "") -> bytes:
    if fmt == "xlsx":
        return xlsx_content(header, rows, title=title)
    if fmt == "csv":
        return csv_content(header, rows)
    raise ValueError(f"unknown export format {fmt!r}")


def attachment_disposition(filename: str) -> str:
    """``attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`` for any name."""
    name = _ILLEGAL.sub("", str(filename)).replace("/", "_").replace("\\", "_").strip() or "export"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    fallback_stem = _ASCII_FILENAME.sub("_", stem).strip("._") or "export"
    fallback_ext = _ASCII_FILENAME.sub("", ext)
    fallback = fallback_stem + (f".{fallback_ext}" if fallback_ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def table_response(*, filename: str, fmt: str, header: Sequence, rows: Iterable[Sequence], title: str = ""):
    """A CSV or XLSX download; ``filename`` without extension, ``fmt`` "csv" or "xlsx" (checked by the caller)."""
    response = HttpResponse(table_content(fmt, header, rows, title=title), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = attachment_disposition(f"{filename}.{fmt}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


class EscapedExportResourceMixin:
    """For a django-import-export ``Resource``: every exported row goes through ``escape_cell``.

    Only the export path (``export_resource``) is touched; the import preview's diff is left as is.
    """

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields=selected_fields, **kwargs)
        return [escape_cell(value) for value in row]


class ExportAdminMixin:
    """For an ``ImportExportModelAdmin``: export CSV and XLSX only, written by this module.

    Put it before ``ImportExportModelAdmin`` in the bases. The resource still decides columns and
    values (and the region scoping of the queryset); this module decides how cells are written.
    """

    def get_export_formats(self):
        from import_export.formats.base_formats import CSV, XLSX

        return [CSV, XLSX]

    @staticmethod
    def _core_format(file_format) -> str:
        from import_export.formats.base_formats import XLSX

        return "xlsx" if isinstance(file_format, XLSX) else "csv"

    def get_export_data(self, file_format, request, queryset, **kwargs):
        from django.core.exceptions import PermissionDenied

        if not self.has_export_permission(request):
            raise PermissionDenied
        fmt = self._core_format(file_format)
        kwargs.pop("encoding", None)
        dataset = self.get_data_for_export(request, queryset, force_native_type=fmt == "xlsx", **kwargs)
        return table_content(fmt, dataset.headers or [], dataset, title=str(self.model._meta.verbose_name))

    def get_export_filename(self, request, queryset, file_format):
        from django.utils import timezone

        stamp = timezone.localdate().isoformat()
        return f"{self.model._meta.model_name}-{stamp}.{self._core_format(file_format)}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        response = super()._do_file_export(file_format, request, queryset, export_form=export_form)
        fmt = self._core_format(file_format)
        response["Content-Type"] = CONTENT_TYPES[fmt]
        response["Content-Disposition"] = attachment_disposition(
            self.get_export_filename(request, queryset, file_format)
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
