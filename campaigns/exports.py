"""CSV and Excel downloads of notices and of the PSA progress board (public data only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.translation import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(
    *, filename: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence], title: str = ""
):
    """``fmt`` is "csv" (UTF-8 with BOM so Excel opens Chinese correctly) or "xlsx"."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = (title or _("名单"))[:31]
        ws.append([str(h) for h in header])
        for row in rows:
            ws.append([v if isinstance(v, int | float) else ("" if v is None else str(v)) for v in row])
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width * 2))
        buffer = io.BytesIO()
        wb.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow([str(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else str(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
