"""Import and export of the register: per-row validation with Chinese reasons, all-or-nothing, scoped."""

from __future__ import annotations

import csv
import io

import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.roles import StaffRole
from merchants.models import Industry, Merchant, MerchantKind
from merchants.resources import MerchantResource
from merchants.validators import build_uscc
from tests.factories import make_staff

from .register_helpers import merchant_in

HEADERS = [
    "名称",
    "统一社会信用代码",
    "登记号",
    "类型",
    "行业",
    "法定代表人",
    "地址",
    "区划代码",
    "大型场所",
    "老字号",
    "状态",
]


def uscc(n: int, division: str = "410802") -> str:
    return build_uscc(authority="9", entity_type="2", division=division, org_body8=f"7{n:07d}")


def row(
    name,
    code="",
    licence="",
    kind="商户",
    industry="餐饮",
    region="410802",
    large="否",
    old="否",
    status="存续",
):
    return [name, code, licence, kind, industry, "李四", "解放路1号", region, large, old, status]


def csv_file(rows, name="register.csv") -> SimpleUploadedFile:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buf.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, name="register.xlsx") -> SimpleUploadedFile:
    data = tablib.Dataset(*rows, headers=HEADERS)
    return SimpleUploadedFile(name, data.export("xlsx"), content_type="application/vnd.ms-excel")


def format_index(fmt) -> str:
    formats = admin.site._registry[Merchant].get_import_formats()
    return str(next(i for i, f in enumerate(formats) if f is fmt))


@pytest.fixture
def district(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


def preview(client, upload, fmt=CSV):
    return client.post(
        reverse("admin:merchants_merchant_import"),
        {"format": format_index(fmt), "resource": "0", "import_file": upload},
    )


def row_errors(result) -> dict[int, str]:
    return {
        r.number: " ".join(f"{field}:{' '.join(map(str, errs))}" for field, errs in r.error_dict.items())
        for r in result.invalid_rows
    }


def test_file_with_bad_rows_shows_each_row_and_reason_and_imports_nothing(client, district):
    existing = merchant_in("410802")
    rows = [
        row("好店一号", code=uscc(1)),
        row("校验位错", code=uscc(2)[:-1] + ("0" if uscc(2)[-1] != "0" else "1")),
        row("外区商户", code=uscc(3), region="410803"),
        row("无此区划", code=uscc(4), region="419999"),
        row("类型不对", code=uscc(5), kind="超市"),
        row("重复一号", code=uscc(1)),
        row("已在册", code=existing.uscc),
        row("没有代码"),
        row("", code=uscc(6), large="也许"),
        row("行业用代码", code=uscc(7), kind="merchant", industry="food_retail"),
    ]
    client.force_login(district)
    response = preview(client, csv_file(rows))
    assert response.status_code == 200
    result = response.context["result"]
    errors = row_errors(result)
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "统一社会信用代码:" in errors[2] and "校验位错误" in errors[2]
    assert "区划代码:" in errors[3] and "不在您的辖区内" in errors[3]
    assert "不存在" in errors[4]
    assert "类型:" in errors[5] and "超市" in errors[5] and "市场、企业、商户" in errors[5]
    assert "与文件第1行重复" in errors[6]
    assert "已在登记册中" in errors[7]
    assert "至少填写一项" in errors[8]
    assert "名称不能为空" in errors[9] and "大型场所" in errors[9]
    assert "confirm_form" not in response.context
    html = response.content.decode()
    assert "不在您的辖区内" in html and "校验位错误" in html
    assert Merchant.objects.count() == 1


def test_clean_file_imports_after_confirm_with_history_user(client, district):
    rows = [
        row("老街包子铺", code=uscc(11), industry="catering", old="是"),
        row("解放路菜市场", code=uscc(12), kind="市场", industry="市场开办", large="是"),
        row("小摊", licence="jf-stall-9", kind="商户", industry="食品零售", status=""),
    ]
    client.force_login(district)
    response = preview(client, xlsx_file(rows), fmt=XLSX)
    result = response.context["result"]
    assert not result.has_validation_errors() and not result.has_errors()
    assert Merchant.objects.count() == 0
    confirm = response.context["confirm_form"]
    response = client.post(reverse("admin:merchants_merchant_process_import"), confirm.initial)
    assert response.status_code == 302
    created = {m.name: m for m in Merchant.objects.all()}
    assert set(created) == {"老街包子铺", "解放路菜市场", "小摊"}
    assert created["老街包子铺"].industry == Industry.CATERING and created["老街包子铺"].is_time_honored
    assert created["解放路菜市场"].kind == MerchantKind.MARKET and created["解放路菜市场"].is_large_venue
    assert created["小摊"].licence_number == "JF-STALL-9" and created["小摊"].status == "operating"
    for m in created.values():
        entry = m.history.get()
        assert entry.history_type == "+" and entry.history_user == district
        assert audit_entries_for(m).get().action == "merchant.create"
        assert audit_entries_for(m).get().actor == district


def test_row_turning_bad_between_preview_and_confirm_rolls_back_the_whole_file(client, district):
    rows = [row("甲店", code=uscc(21)), row("乙店", code=uscc(22))]
    client.force_login(district)
    response = preview(client, csv_file(rows))
    confirm = response.context["confirm_form"]
    merchant_in("410802", uscc=uscc(22), name="抢先登记")
    response = client.post(reverse("admin:merchants_merchant_process_import"), confirm.initial, follow=True)
    assert "没有导入任何数据" in response.content.decode()
    assert list(Merchant.objects.values_list("name", flat=True)) == ["抢先登记"]


def test_resource_without_a_user_accepts_no_region(regions):
    data = tablib.Dataset(row("无主", code=uscc(31)), headers=HEADERS)
    result = MerchantResource().import_data(data, dry_run=True)
    assert "不在您的辖区内" in row_errors(result)[1]


def test_export_is_limited_to_the_users_region_with_chinese_headers(client, district):
    mine = merchant_in("410802", name="本区商户", is_time_honored=True)
    merchant_in("410803", name="外区商户")
    client.force_login(district)
    fields = {f"merchantresource_{name}": "on" for name in MerchantResource().get_export_order()}
    response = client.post(
        reverse("admin:merchants_merchant_export"),
        {"format": format_index_export(CSV), "resource": "0", **fields},
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == HEADERS
    assert [line[0] for line in lines[1:]] == ["本区商户"]
    assert (
        lines[1][1] == mine.uscc and lines[1][3] == "商户" and lines[1][7] == "410802" and lines[1][9] == "是"
    )


def format_index_export(fmt) -> str:
    formats = admin.site._registry[Merchant].get_export_formats()
    return str(next(i for i, f in enumerate(formats) if f is fmt))


def test_inspector_cannot_import(client, regions):
    inspector = make_staff("410802", StaffRole.INSPECTOR)
    client.force_login(inspector)
    assert client.get(reverse("admin:merchants_merchant_import")).status_code == 403


def test_control_characters_in_an_import_file_are_row_errors_not_a_crash(client, district):
    """A NUL in a name reached PostgreSQL (which refuses it) through the import; every text cell is
    checked like a form field: a row error naming the column, nothing imported."""
    rows = [row("好店\x00二号", code=uscc(31)), row("正常商户", code=uscc(32), licence="\x00")]
    client.force_login(district)
    response = preview(client, csv_file(rows))
    assert response.status_code == 200
    errors = row_errors(response.context["result"])
    assert sorted(errors) == [1, 2]
    assert "名称:" in errors[1] and "登记号:" in errors[2]
    assert Merchant.objects.count() == 0


def test_a_line_break_inside_an_excel_cell_becomes_a_space(client, district):
    client.force_login(district)
    response = preview(client, xlsx_file([row("新华\n书店", code=uscc(33))]), fmt=XLSX)
    assert not row_errors(response.context["result"])
    confirm = response.context["confirm_form"].initial
    client.post(reverse("admin:merchants_merchant_process_import"), confirm)
    assert Merchant.objects.get(uscc=uscc(33)).name == "新华 书店"
