"""12315 / 12345 work orders: preview with each row's problems, all-or-nothing import, duplicates skipped,
region scoping, the outcome export's round trip and the admin pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from complaints.models import Channel, Complaint, SourcePlatform, Status
from complaints.work_orders import (
    OUTCOME_COLUMNS,
    PLATFORM_COLUMNS,
    import_work_orders,
    outcomes_export,
    preview_work_orders,
)
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.uploads import read_table_upload
from tests.factories import MerchantFactory

from .conftest import JIEFANG, ZHONGZHAN

HEADER = list(PLATFORM_COLUMNS["12315"])


def row(ticket, **overrides):
    received = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    values = {
        "工单编号": ticket,
        "工单类型": "投诉",
        "诉求人": "测试李明",
        "联系电话": "13912345678",
        "联系地址": "测试地址解放路1号",
        "被诉主体": "无名小店",
        "统一社会信用代码": "",
        "被诉主体地址": "解放路8号",
        "所属区划": JIEFANG,
        "问题类别": "价格",
        "诉求内容": "商家结账时多收二十元且拒绝退还差价。",
        "涉及金额": "20",
        "消费日期": "",
        "受理时间": received,
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def csv_upload(header, rows, name="orders.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


def test_clean_file_imports_every_row_through_intake_with_the_platform_channel_and_received_time(district_staff):
    rows = [row("GD001"), row("GD002", 工单类型="举报")]
    created, preview = import_work_orders(variant="12315", header=HEADER, rows=rows, actor=district_staff)
    assert len(created) == 2 and preview.ok
    c = Complaint.objects.get(platform_ticket="GD001")
    assert c.source_platform == SourcePlatform.P12315 and c.channel == Channel.HOTLINE_12315
    assert timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M") == rows[0][HEADER.index("受理时间")]
    assert Complaint.objects.get(platform_ticket="GD002").kind == "report"
    entry = AuditEntry.objects.get(action="complaint.submit", object_id=str(c.pk))
    assert entry.actor == district_staff and entry.data["platform_ticket"] == "GD001"


def test_preview_lists_each_rows_problem_and_nothing_is_imported(district_staff):
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    rows = [
        row("GD100"),  # fine
        row("GD101", 统一社会信用代码="91410802MA0000000X"),  # bad check character
        row("GD102", 受理时间=future),
        row("GD100"),  # duplicate of line 2 within the file
        row("GD103", 所属区划=ZHONGZHAN),  # outside the importer's district
    ]
    preview = preview_work_orders(variant="12315", header=HEADER, rows=rows, actor=district_staff)
    problems = {r.line: " ".join(r.problems) for r in preview.rows}
    assert problems[2] == ""
    assert "统一社会信用代码" in problems[3]
    assert "晚于现在" in problems[4]
    assert "与第 2 行重复" in problems[5]
    assert "不在您的辖区内" in problems[6]
    assert not preview.ok
    with pytest.raises(ValidationFailed):
        import_work_orders(variant="12315", header=HEADER, rows=rows, actor=district_staff)
    assert not Complaint.objects.filter(source_platform="12315").exists()


def test_unknown_column_is_a_file_problem(district_staff):
    preview = preview_work_orders(variant="12315", header=[*HEADER, "备注"], rows=[row("GD1") + ["x"]], actor=district_staff)
    assert any("备注" in p for p in preview.file_problems) and not preview.ok


def test_merchant_matched_by_uscc_in_another_district_is_refused(district_staff, regions):
    other = MerchantFactory(region=regions[ZHONGZHAN])
    preview = preview_work_orders(
        variant="12315", header=HEADER, rows=[row("GD7", 统一社会信用代码=other.uscc)], actor=district_staff
    )
    assert "不在您的辖区内" in " ".join(preview.rows[0].problems)
    mine = MerchantFactory()
    created, _ = import_work_orders(
        variant="12315", header=HEADER, rows=[row("GD8", 统一社会信用代码=mine.uscc)], actor=district_staff
    )
    assert created[0].merchant == mine


def test_already_imported_tickets_are_skipped_and_reported_not_errors(district_staff):
    import_work_orders(variant="12315", header=HEADER, rows=[row("GD200")], actor=district_staff)
    created, preview = import_work_orders(
        variant="12315", header=HEADER, rows=[row("GD200"), row("GD201")], actor=district_staff
    )
    assert [c.platform_ticket for c in created] == ["GD201"]
    assert [r.key for r in preview.skipped_rows] == ["GD200"]
    assert Complaint.objects.filter(platform_ticket="GD200").count() == 1
    # the same number on the other platform is another work order
    header = list(PLATFORM_COLUMNS["12345"])
    same = dict(zip(HEADER, row("GD200"), strict=True))
    rename = dict(zip(PLATFORM_COLUMNS["12315"], PLATFORM_COLUMNS["12345"], strict=True))
    created, _ = import_work_orders(
        variant="12345", header=header, rows=[[same[k] for k in rename]], actor=district_staff
    )
    assert created[0].channel == Channel.HOTLINE_12345


def test_ticket_is_unique_per_platform_in_the_database(district_staff):
    import_work_orders(variant="12315", header=HEADER, rows=[row("GD300")], actor=district_staff)
    c = Complaint.objects.get(platform_ticket="GD300")
    c.pk = None
    c.tracking_code = "ZZZZZZZZ"
    with pytest.raises(IntegrityError):
        c.save()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_outcome_export_round_trips_in_the_platform_format(district_staff, fmt):
    import_work_orders(variant="12315", header=HEADER, rows=[row("=GD400"), row("GD401")], actor=district_staff)
    Complaint.objects.filter(platform_ticket="GD401").update(
        status=Status.MEDIATED, closed_at=timezone.now(), outcome_note="已调解，商家退还差价"
    )
    content = outcomes_export(platform="12315", complaints=Complaint.objects.order_by("id"), fmt=fmt)
    header, rows = read_table_upload(SimpleUploadedFile(f"o.{fmt}", content))
    assert tuple(header) == OUTCOME_COLUMNS["12315"]
    by_ticket = {r[0]: r for r in rows}
    assert by_ticket["GD401"][1] == "调解成功" and by_ticket["GD401"][3] == "已调解，商家退还差价"
    assert by_ticket["GD401"][2][:10] == timezone.localdate().isoformat()
    assert "'=GD400" in by_ticket  # a ticket starting with "=" is escaped, never a formula


def test_admin_upload_preview_then_confirm(client, district_staff):
    client.force_login(district_staff)
    url = reverse("admin:complaints_complaint_work_orders_import")
    bad = client.post(url, {"variant": "12315", "file": csv_upload(HEADER, [row("A1"), row("A1")])})
    assert bad.status_code == 200 and "与第 2 行重复" in bad.content.decode()
    assert "confirm" not in bad.content.decode()
    good = client.post(url, {"variant": "12315", "file": csv_upload(HEADER, [row("A1"), row("A2")])})
    assert good.status_code == 200 and not Complaint.objects.exists()
    done = client.post(url, {"confirm": "1"})
    assert done.status_code == 302
    assert set(Complaint.objects.values_list("platform_ticket", flat=True)) == {"A1", "A2"}
    changelist = client.get(reverse("admin:complaints_complaint_changelist"), {"q": "A2"})
    assert changelist.status_code == 200 and "A2" in changelist.content.decode()


def test_admin_refuses_a_file_that_is_not_a_table(client, district_staff):
    client.force_login(district_staff)
    url = reverse("admin:complaints_complaint_work_orders_import")
    upload = SimpleUploadedFile("x.csv", b"\x00\x01binary", content_type="text/csv")
    response = client.post(url, {"variant": "12315", "file": upload})
    assert response.status_code == 200 and "不是 CSV 或 Excel" in response.content.decode()


def test_admin_export_downloads_outcomes(client, district_staff):
    import_work_orders(variant="12315", header=HEADER, rows=[row("GD500")], actor=district_staff)
    Complaint.objects.update(status=Status.MEDIATED, closed_at=timezone.now())
    client.force_login(district_staff)
    response = client.get(reverse("admin:complaints_complaint_work_orders_export"), {"platform": "12315", "fmt": "csv"})
    assert response.status_code == 200 and "GD500" in response.content.decode("utf-8-sig")


def test_seed_demo_imports_a_few_work_orders_once(regions):
    from complaints.demo import seed_work_orders

    MerchantFactory()
    seed_work_orders(seed=1, merchant_count=1, stdout=io.StringIO())
    seed_work_orders(seed=1, merchant_count=1, stdout=io.StringIO())
    assert Complaint.objects.exclude(platform_ticket="").count() == 3
    assert Complaint.objects.filter(source_platform="12345").count() == 1
    assert Complaint.objects.filter(platform_ticket="DEMO12315-0001", closed_at__isnull=False).exists()
