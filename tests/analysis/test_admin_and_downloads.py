"""Staff pages: a district user sees only its own region's reports; the PDF carries the district's name
and Chinese text; the Excel download; the head's button submits."""

from __future__ import annotations

import io

from django.urls import reverse

from analysis.models import ReportStatus

from .conftest import JIEFANG, ZHONGZHAN


def _changelist(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:analysis_monthlyreport_changelist"))
    assert response.status_code == 200
    return response.context["cl"].queryset


def test_a_district_user_sees_only_its_regions_reports(client, drafted, district_staff):
    assert set(_changelist(client, district_staff).values_list("region_id", flat=True)) == {JIEFANG}
    other = drafted[ZHONGZHAN]
    assert client.get(reverse("admin:analysis_monthlyreport_change", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:analysis_monthlyreport_pdf", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:analysis_monthlyreport_xlsx", args=[other.pk])).status_code == 404


def test_the_city_sees_its_districts(client, drafted, city_staff):
    regions = set(_changelist(client, city_staff).values_list("region_id", flat=True))
    assert {JIEFANG, ZHONGZHAN, "410800"} <= regions and "411002" not in regions


def test_the_pdf_has_the_district_name_and_chinese_text(client, drafted, district_staff):
    from pypdf import PdfReader

    from analysis.services import monthly_report_edit

    report = drafted[JIEFANG]
    monthly_report_edit(report=report, analysis="餐饮行业投诉明显增多。", measures="开展专项检查。", actor=district_staff)
    client.force_login(district_staff)
    response = client.get(reverse("admin:analysis_monthlyreport_pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "解放区" in text
    assert "餐饮行业投诉明显增多" in text
    assert "风险提示" in text


def test_the_excel_download_has_one_sheet_per_section(client, drafted, district_staff):
    from openpyxl import load_workbook

    client.force_login(district_staff)
    response = client.get(reverse("admin:analysis_monthlyreport_xlsx", args=[drafted[JIEFANG].pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "基本情况" and "风险提示" in book.sheetnames
    values = [c.value for row in book["基本情况"].iter_rows() for c in row]
    assert "焦作市解放区" in values


def test_staff_edit_the_draft_and_the_head_submits_on_the_page(client, drafted, district_staff, district_head, on_day):
    from analysis.models import MonthlyReport

    report = drafted[JIEFANG]
    client.force_login(district_staff)
    url = reverse("admin:analysis_monthlyreport_change", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"/decide/submit/" not in page.content  # a clerk has no submit button
    response = client.post(url, {"analysis": "分析内容", "measures": "措施内容"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.analysis, report.measures) == ("分析内容", "措施内容")

    client.force_login(district_head)
    on_day(report.deadline)
    assert b"/decide/submit/" in client.get(url).content
    client.post(reverse("admin:analysis_monthlyreport_decide", args=[report.pk, "submit"]), {"reason": ""})
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    # submitted: the text is fixed
    client.post(url, {"analysis": "改动", "measures": "改动"})
    assert MonthlyReport.objects.get(pk=report.pk).analysis == "分析内容"


def test_the_report_reads_in_english_for_an_english_reader(drafted):
    from django.utils import translation

    from analysis.documents import report_sections, risk_text

    with translation.override("en"):
        titles = [s.title for s in report_sections(drafted[JIEFANG])]
        assert titles[0] == "Overview" and "Risks" in titles
        assert risk_text({"rule": "overdue", "count": 2}) == "2 complaints and reports are overdue and still open."
