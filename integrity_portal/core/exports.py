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

Every format is written by a streaming writer (``table_writer``: CSV, XLSX in openpyxl's write-only mode,
and JSON for the open-data files), one row at a time, so a file of any size costs the memory of a row; the
nightly open-data files (``merchants.services.open_data``, docs/OPEN_DATA.md) write several formats in one
pass and publish each through ``atomic_file`` (temporary file, fsync, rename).

django-import-export's own escaping (``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``) drops a leading ``=``
only, and turns every cell into text: the admin register export is therefore written here too
(``ExportAdminMixin``), and its resource escapes with the same function (``EscapedExportResourceMixin``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.functional import Promise

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


class CsvWriter:
    """Streams rows to a binary file as UTF-8 CSV with a BOM (Excel reads UTF-8 without one as the local code
    page). One row at a time, so an export of any size costs the memory of one row."""

    def __init__(self, stream: BinaryIO, header: Sequence, **_options):
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self._text.write("\ufeff")
        self._csv = csv.writer(self._text)
        self._csv.writerow([escape_cell(h) for h in header])
        self.rows = 0

    def write(self, row: Sequence) -> None:
        self._csv.writerow([escape_cell(v) for v in row])
        self.rows += 1

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns the binary stream

    def discard(self) -> None:
        """Give up after an error (the caller removes the file)."""
        with suppress(ValueError):  # the stream may be closed already
            self._text.detach()


class XlsxWriter:
    """Streams rows into a write-only workbook (openpyxl keeps written rows in a temporary file, not in memory),
    saved to ``stream`` on ``close()``. ``sheets`` adds further sheets after the data, each ``(title, header,
    rows)`` (e.g. a data dictionary and a licence)."""

    MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row

    def __init__(self, stream: BinaryIO, header: Sequence, *, title: str = "", sheets=(), **_options):
        from openpyxl import Workbook

        self._stream = stream
        self._workbook = Workbook(write_only=True)
        self._sheets = list(sheets)
        self._sheet = self._new_sheet(title, header)
        self.rows = 0

    def _new_sheet(self, title, header):
        from openpyxl.utils import get_column_letter

        sheet = self._workbook.create_sheet(title=_sheet_title(title))
        header = list(header)
        for index, label in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, len(str(label)) * 2 + 2))
        sheet.append([self._cell(sheet, h) for h in header])
        return sheet

    @staticmethod
    def _cell(sheet, value):
        from openpyxl.cell import WriteOnlyCell

        value = escape_cell(value)
        if not isinstance(value, str):
            return value
        written = WriteOnlyCell(sheet, value=value)
        written.data_type = "s"  # text, whatever it starts with
        return written

    def write(self, row: Sequence) -> None:
        if self.rows >= self.MAX_ROWS:
            raise ValueError("more rows than an Excel sheet holds")
        self._sheet.append([self._cell(self._sheet, v) for v in row])
        self.rows += 1

    def close(self) -> None:
        for title, header, rows in self._sheets:
            sheet = self._new_sheet(title, header)
            for row in rows:
                sheet.append([self._cell(sheet, v) for v in row])
        self._workbook.save(self._stream)

    def discard(self) -> None:
        """Give up after an error: close the sheets and remove openpyxl's temporary files now, not at exit
        (a worker process lives for days)."""
        for sheet in self._workbook.worksheets:
            with suppress(Exception):
                sheet.close()
            with suppress(Exception):
                sheet._writer.cleanup()


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):  # a lazy translation
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JsonWriter:
    """Streams ``{<meta…>, "rows": [{key: value}, …]}`` to a binary file, one row at a time.

    Values keep their JSON types (numbers, booleans, null; dates as ISO text): a JSON file is read by
    programs, not spreadsheets, so the formula escaping of CSV and XLSX does not apply."""

    def __init__(self, stream: BinaryIO, header: Sequence, *, keys: Sequence | None = None, meta=None, **_options):
        self._stream = stream
        self._keys = list(keys or header)
        head = json.dumps(dict(meta or {}), ensure_ascii=False, default=_json_value)
        opening = (head[:-1] + ", " if head != "{}" else "{") + '"rows": ['
        stream.write(opening.encode("utf-8"))
        self.rows = 0

    def write(self, row: Sequence) -> None:
        item = json.dumps(dict(zip(self._keys, row, strict=True)), ensure_ascii=False, default=_json_value)
        self._stream.write((",\n" if self.rows else "\n").encode("utf-8") + item.encode("utf-8"))
        self.rows += 1

    def close(self) -> None:
        self._stream.write(b"\n]}\n")

    def discard(self) -> None:
        """Give up after an error (the caller removes the file)."""


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter, "json": JsonWriter}


def table_writer(fmt: str, stream: BinaryIO, header: Sequence, **options):
    """A streaming writer (``write(row)``, ``close()``, ``rows``; ``discard()`` after an error) of ``fmt``.

    Options: ``title`` and ``sheets`` (XLSX), ``keys`` and ``meta`` (JSON); a writer ignores the others."""
    try:
        writer_class = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}") from None
    return writer_class(stream, header, **options)


def write_table(fmt: str, stream: BinaryIO, header: Sequence, rows: Iterable[Sequence], **options) -> int:
    """Write ``header`` and ``rows`` to ``stream`` in ``fmt``; return the number of rows written."""
    writer = table_writer(fmt, stream, header, **options)
    for row in rows:
        writer.write(row)
    writer.close()
    return writer.rows


def csv_content(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    buffer = io.BytesIO()
    write_table("csv", buffer, header, rows)
    return buffer.getvalue()


def _sheet_title(title) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("_", str(title or "")).strip("'")[:31] or "Sheet1"


def xlsx_content(header: Sequence, rows: Iterable[Sequence], *, title: str = "") -> bytes:
    buffer = io.BytesIO()
    write_table("xlsx", buffer, header, rows, title=title)
    return buffer.getvalue()


@contextmanager
def atomic_file(path: Path | str):
    """Open a temporary file beside ``path`` for writing; on success it is synced and renamed to ``path`` in
    one step, on any error it is removed. A reader therefore sees the old file or the whole new one, never a
    half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the file from a web server serving it directly
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_digest(path: Path | str) -> tuple[int, str]:
    """Size in bytes and SHA-256 (hex) of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def table_content(fmt: str, header: Sequence, rows: Iterable[Sequence], *, title: str = "") -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    buffer = io.BytesIO()
    write_table(fmt, buffer, header, rows, title=title)
    return buffer.getvalue()


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
