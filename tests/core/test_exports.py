"""Spreadsheet formula injection (issue #11, item 9): every CSV/XLSX download keeps hostile text as text.

A merchant (or region) named ``=HYPERLINK(...)`` and friends is pushed through every export the portal
has: the admin register export (CSV and XLSX), the red and black lists, the commendation notice, the
complaint statistics and the PSA progress board. In CSV the cell must begin with ``'``; in XLSX the
cell must be text (``data_type == "s"``) and no cell anywhere may be a formula; numbers stay numbers;
Chinese survives (CSV starts with a UTF-8 BOM).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from integrity_portal.core.exports import attachment_disposition, escape_cell, table_response
from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, make_staff

# A hostile cell → what the export must contain (written out here, not computed by the code under test).
ESCAPED = {
    "=1+1": "'=1+1",
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "@SUM(A1)": "'@SUM(A1)",
    "+1": "'+1",
    "-1": "'-1",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
    "\x00=1+1": "'=1+1",  # a control character XLSX cannot hold must not hide the "="
    "\x01=1+1": "'=1+1",
}
HOSTILE = list(ESCAPED)
# What a stored name can hold: PostgreSQL refuses NUL in text (forms refuse it too), so the exports are
# fed the other control character; the rule itself is tested with both above.
STORED = [text for text in HOSTILE if "\x00" not in text]
BOM = b"\xef\xbb\xbf"


# ---- the rule itself ----


@pytest.mark.parametrize("text", HOSTILE)
def test_text_starting_a_formula_gets_an_apostrophe(text):
    assert escape_cell(text) == ESCAPED[text]


@pytest.mark.parametrize(
    "value", ["诚信商户", "A=1", "1-1", "邮箱 a@b.cn", "", "'already quoted", " =leading space"]
)
def test_ordinary_text_is_unchanged(value):
    assert escape_cell(value) == value


@pytest.mark.parametrize("value", [0, -1, 42, 3.5, Decimal("-2000.50"), 10**12])
def test_numbers_stay_numbers(value):
    assert escape_cell(value) == value and type(escape_cell(value)) is type(value)


def test_none_dates_and_booleans_become_text():
    today = timezone.localdate()
    assert escape_cell(None) == "" and escape_cell(today) == today.isoformat() and escape_cell(True) == "True"


def test_content_disposition_has_an_ascii_name_and_an_rfc5987_name():
    value = attachment_disposition('红榜 "名单"\r\n/../x.csv')
    assert value.startswith('attachment; filename="') and "filename*=UTF-8''" in value
    assert "\r" not in value and "\n" not in value and "/" not in value.split("filename*=")[1]
    ascii_part = value.split('filename="')[1].split('"')[0]
    assert ascii_part.isascii() and ascii_part.endswith(".csv")
    assert "%E7%BA%A2%E6%A6%9C" in value  # 红榜, percent-encoded UTF-8


# ---- helpers that read what a download really contains ----


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(BOM), "CSV must start with a UTF-8 BOM so Excel reads Chinese"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_cells(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content[:2] == b"PK"
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas, f"formula cells in the export: {formulas}"
    return cells


def assert_csv_keeps_hostile_as_text(rows, names):
    flat = [cell for row in rows for cell in row]
    for name in names:
        expected = ESCAPED[name]
        assert expected in flat, f"{name!r} missing (as {expected!r}) in {flat}"
    for cell in flat:
        if re.fullmatch(r"-?\d+(\.\d+)?", cell):
            continue  # a number written by the exporter (e.g. days past a deadline), not text
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def assert_xlsx_keeps_hostile_as_text(cells, names):
    for name in names:
        expected = ESCAPED[name]
        # XML turns a bare CR into LF when the file is read back; the apostrophe is what matters.
        found = [c for c in cells if c.value in (expected, expected.replace("\r", "\n"))]
        assert found, f"{name!r} missing (as {expected!r})"
        assert all(c.data_type == "s" for c in found)
    for c in cells:
        if isinstance(c.value, str):
            assert c.data_type == "s"
            assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), c.value


# ---- every export ----


@pytest.fixture
def hostile_merchants(regions):
    return [
        MerchantFactory(region=regions["410802"], name=name, stars=5, legal_representative="张三")
        for name in STORED
    ]


def _admin_export(client, fmt_class, user):
    from django.contrib import admin

    from merchants.models import Merchant
    from merchants.resources import MerchantResource

    client.force_login(user)
    formats = admin.site._registry[Merchant].get_export_formats()
    index = str(next(i for i, f in enumerate(formats) if f is fmt_class))
    fields = {f"merchantresource_{name}": "on" for name in MerchantResource().get_export_order()}
    return client.post(
        reverse("admin:merchants_merchant_export"), {"format": index, "resource": "0", **fields}
    )


def test_admin_register_export_offers_csv_and_xlsx_only():
    from django.contrib import admin
    from import_export.formats.base_formats import CSV, XLSX

    from merchants.models import Merchant

    assert admin.site._registry[Merchant].get_export_formats() == [CSV, XLSX]


def test_admin_register_export_csv_keeps_formulae_as_text(client, hostile_merchants):
    from import_export.formats.base_formats import CSV

    response = _admin_export(client, CSV, make_staff("410802", StaffRole.DISTRICT_BRANCH))
    rows = csv_rows(response)
    assert rows[0][0] == "名称"
    assert_csv_keeps_hostile_as_text(rows[1:], STORED)
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_admin_register_export_xlsx_keeps_formulae_as_text(client, hostile_merchants):
    from import_export.formats.base_formats import XLSX

    cells = xlsx_cells(_admin_export(client, XLSX, make_staff("410802", StaffRole.DISTRICT_BRANCH)))
    assert any(c.value == "名称" for c in cells)
    assert_xlsx_keeps_hostile_as_text(cells, STORED)


@pytest.fixture
def black_listed(hostile_merchants):
    from tests.merchants.credit_factories import blacklist

    for merchant in hostile_merchants:
        blacklist(merchant, number=f"焦市监失信〔2026〕{merchant.pk}号")
    return hostile_merchants


def test_black_list_csv_and_xlsx_keep_formulae_as_text(client, black_listed):
    rows = csv_rows(client.get("/lists/black/", {"format": "csv"}))
    assert rows[0][0] == "名称"
    assert_csv_keeps_hostile_as_text(rows[1:], STORED)
    assert_xlsx_keeps_hostile_as_text(xlsx_cells(client.get("/lists/black/", {"format": "xlsx"})), STORED)


def test_red_list_csv_and_xlsx_keep_formulae_as_text(client, hostile_merchants):
    rows = csv_rows(client.get("/lists/red/", {"format": "csv"}))
    assert_csv_keeps_hostile_as_text(rows[1:], STORED)
    assert any("五星级诚信经营" in cell for row in rows for cell in row)  # Chinese survives
    assert_xlsx_keeps_hostile_as_text(xlsx_cells(client.get("/lists/red/", {"format": "xlsx"})), STORED)


@pytest.fixture
def published_notice(regions):
    from campaigns.tasks import publish_due_commendations
    from merchants.models import Merchant
    from tests.campaigns.test_publication import ended_publicity_campaign

    campaign = ended_publicity_campaign(n=len(STORED))
    for index, name in enumerate(STORED, start=1):
        Merchant.objects.filter(name=f"表彰商户{index}").update(name=name)
    publish_due_commendations()
    campaign.refresh_from_db()
    return campaign


def test_notice_export_keeps_formulae_as_text_and_scores_as_numbers(client, published_notice):
    url = reverse("campaigns:notice_export", args=[published_notice.pk, "csv"])
    rows = csv_rows(client.get(url))
    assert rows[0][:3] == ["类别", "排名", "名称"]
    assert_csv_keeps_hostile_as_text(rows[1:], STORED)
    cells = xlsx_cells(client.get(reverse("campaigns:notice_export", args=[published_notice.pk, "xlsx"])))
    assert_xlsx_keeps_hostile_as_text(cells, STORED)
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("campaigns:notice_export", args=[published_notice.pk, "xlsx"])).content)
    )
    data = list(workbook.active.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(row[1], int) for row in data), "rank must stay a number"
    assert all(isinstance(row[5], int | float) for row in data), "score must stay a number"
    assert sorted(row[1] for row in data) == list(range(1, len(STORED) + 1))


def test_complaint_statistics_export_keeps_formulae_as_text_and_counts_as_numbers(client, regions):
    from merchants.models import Region
    from tests.complaints.conftest import file_complaint

    Region.objects.filter(code="410802").update(name='=HYPERLINK("http://x","y")')
    file_complaint()
    file_complaint()
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    url = reverse("admin:complaints_complaint_statistics")
    month = timezone.localdate().strftime("%Y-%m")
    rows = csv_rows(client.get(url, {"month": month, "format": "csv"}))
    assert rows[0][:3] == ["区划代码", "辖区", "登记总数"]
    assert_csv_keeps_hostile_as_text(rows[1:], ['=HYPERLINK("http://x","y")'])
    response = client.get(url, {"month": month, "format": "xlsx"})
    cells = xlsx_cells(response)
    assert_xlsx_keeps_hostile_as_text(cells, ['=HYPERLINK("http://x","y")'])
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    district = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "410802")
    total = district[header.index("登记总数")]
    assert total == 2 and isinstance(total, int), "counts must stay numbers"


def test_psa_progress_board_export_keeps_formulae_as_text_and_counts_as_numbers(client, regions):
    from campaigns.models import AdQuota
    from merchants.models import Region

    hostile = '=HYPERLINK("http://x","y")'
    Region.objects.filter(code="410800").update(name=hostile)  # the board shows "<city><district>"
    quota = AdQuota.objects.create(year=timezone.localdate().year)
    MerchantFactory(region=regions["410802"], kind="market", is_large_venue=True)
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    rows = csv_rows(client.get(reverse("admin:campaigns_adquota_board_export", args=[quota.pk, "csv"])))
    assert_csv_keeps_hostile_as_text(rows[1:], [])
    assert any(row[0].startswith(ESCAPED[hostile]) for row in rows[1:]), rows
    response = client.get(reverse("admin:campaigns_adquota_board_export", args=[quota.pk, "xlsx"]))
    assert_xlsx_keeps_hostile_as_text(xlsx_cells(response), [])
    sheet = load_workbook(io.BytesIO(response.content)).active
    district = next(
        r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0].startswith(ESCAPED[hostile])
    )
    assert district[1] == 1 and isinstance(district[1], int), "venues required must stay a number"


def test_table_response_writes_numbers_as_numbers_and_text_as_text():
    response = table_response(
        filename="罚没款-2026",
        fmt="xlsx",
        header=["名称", "罚款（元）", "次数"],
        rows=[["=1+1", Decimal("2000.50"), 3], ["-1", -5, 0]],
        title="2026[1]",
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1] == ("'=1+1", 2000.5, 3) and values[2] == ("'-1", -5, 0)
    kinds = [[c.data_type for c in row] for row in sheet.iter_rows()]
    assert kinds[1] == ["s", "n", "n"] and kinds[2] == ["s", "n", "n"]
    assert "filename*=UTF-8''%E7%BD%9A" in response["Content-Disposition"]
    errorish = table_response(filename="x", fmt="xlsx", header=["名称"], rows=[["#N/A"], ["#REF!"]])
    sheet = load_workbook(io.BytesIO(errorish.content)).active
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows(min_row=2)] == [("#N/A", "s"), ("#REF!", "s")]
    text = table_response(
        filename="x", fmt="csv", header=["名称"], rows=[[timezone.localdate() - timedelta(1)]]
    )
    assert text.content.startswith(BOM)
