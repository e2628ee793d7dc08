"""Import of black-list decisions taken elsewhere: matched by USCC, preview of each row's problems, all or
nothing, region scoping, duplicates skipped and reported, entered as facts with their source and audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.roles import StaffRole
from merchants.list_import import LIST_COLUMNS, import_list_entries, preview_list_import
from merchants.models import ListEntry, ListEntryKind, ListEntrySource
from tests.factories import MerchantFactory, _uscc, make_staff

HEADER = list(LIST_COLUMNS)


def row(merchant_or_uscc, number="豫公示〔2026〕1号", **overrides):
    uscc = getattr(merchant_or_uscc, "uscc", merchant_or_uscc)
    values = {
        "统一社会信用代码": uscc,
        "企业名称": "某公司",
        "名单类别": "经营异常名录",
        "列入原因": "未按规定期限公示年度报告",
        "列入依据": "《企业经营异常名录管理暂行办法》第四条",
        "决定书文号": number,
        "作出决定机关": "河南省市场监督管理局",
        "列入日期": (timezone.localdate() - timedelta(days=10)).isoformat(),
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


@pytest.fixture
def staff(regions):
    return make_staff("410802", StaffRole.DISTRICT_BRANCH)


def test_clean_file_enters_each_decision_as_a_fact_with_its_source_and_audit(staff):
    a, b = MerchantFactory(), MerchantFactory()
    rows = [row(a), row(b, "豫公示〔2026〕2号", 名单类别="严重违法失信名单")]
    created, _ = import_list_entries(variant="gsxt", header=HEADER, rows=rows, actor=staff)
    assert len(created) == 2
    entry = ListEntry.objects.get(merchant=a)
    assert entry.source == ListEntrySource.GSXT and "第 2 行" in entry.source_reference
    assert entry.kind == ListEntryKind.ABNORMAL_OPERATION and entry.list_name == "black"
    assert ListEntry.objects.get(merchant=b).kind == ListEntryKind.SERIOUS_DISHONESTY
    audit = AuditEntry.objects.get(action="list_entry.add_black", object_id=str(entry.pk))
    assert audit.actor == staff and audit.data["source"] == "gsxt"


def test_each_bad_row_is_listed_and_nothing_is_entered(staff, regions):
    mine = MerchantFactory()
    elsewhere = MerchantFactory(region=regions["410803"])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    rows = [
        row(mine),
        row("91410802MA0000000X", "X2"),  # bad check character
        row(_uscc(99999, "410802"), "X3"),  # valid, but no such merchant
        row(mine, "X4", 列入日期=future),
        row(mine),  # the same decision twice
        row(elsewhere, "X5"),
        row(mine, "X6", 名单类别="黄名单"),
    ]
    preview = preview_list_import(variant="gsxt", header=HEADER, rows=rows, actor=staff)
    problems = {r.line: " ".join(r.problems) for r in preview.rows}
    assert problems[2] == ""
    assert "统一社会信用代码" in problems[3]
    assert "不在本系统" in problems[4]
    assert "晚于今天" in problems[5]
    assert "与第 2 行是同一决定" in problems[6]
    assert "不在您的辖区内" in problems[7]
    assert "名单类别" in problems[8]
    with pytest.raises(ValidationFailed):
        import_list_entries(variant="gsxt", header=HEADER, rows=rows, actor=staff)
    assert not ListEntry.objects.exists()


def test_unknown_column_blocks_the_file(staff):
    preview = preview_list_import(variant="gsxt", header=[*HEADER, "备注"], rows=[row("x") + ["y"]], actor=staff)
    assert preview.file_problems and not preview.ok


def test_already_entered_decisions_are_skipped_and_reported(staff):
    m = MerchantFactory()
    import_list_entries(variant="gsxt", header=HEADER, rows=[row(m)], actor=staff)
    created, preview = import_list_entries(
        variant="gsxt", header=HEADER, rows=[row(m), row(m, "豫公示〔2026〕9号")], actor=staff
    )
    assert [e.decision_number for e in created] == ["豫公示〔2026〕9号"]
    assert [r.line for r in preview.skipped_rows] == [2]
    assert ListEntry.objects.filter(merchant=m).count() == 2


def test_admin_preview_then_confirm(client, staff):
    m = MerchantFactory()
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, row(m)])
    client.force_login(staff)
    url = reverse("admin:merchants_listentry_import")
    upload = SimpleUploadedFile("list.csv", out.getvalue().encode("gb18030"), content_type="text/csv")
    response = client.post(url, {"variant": "gsxt", "file": upload})
    assert response.status_code == 200 and "confirm" in response.content.decode()
    assert not ListEntry.objects.exists()
    assert client.post(url, {"confirm": "1"}).status_code == 302
    assert ListEntry.objects.get(merchant=m).source == "gsxt"


def test_list_entry_change_list_links_to_the_black_list_import_page(client, staff):
    client.force_login(staff)
    url = reverse("admin:merchants_listentry_import")
    body = client.get(reverse("admin:merchants_listentry_changelist")).content.decode()
    assert f'href="{url}"' in body and "导入外部黑名单决定" in body
    assert client.get(url).status_code == 200
