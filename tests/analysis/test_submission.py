"""The head submits by the 25th; after it an unsubmitted report is late and escalated once, and a
late submission stays marked late."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import services
from analysis.audit_actions import AuditAction
from analysis.models import MonthlyReport, ReportStatus
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.models import AuditEntry

from .conftest import CITY, JIEFANG, MONTH


def _write(report, actor):
    services.monthly_report_edit(report=report, analysis="本月投诉总体平稳。", measures="加强餐饮行业检查。", actor=actor)
    report.refresh_from_db()
    return report


def test_submitted_by_the_25th_is_on_time_and_never_escalated(drafted, district_staff, district_head, on_day):
    report = _write(drafted[JIEFANG], district_staff)
    on_day(MONTH.replace(day=25))
    services.monthly_report_submit(report=report, actor=district_head)
    report.refresh_from_db()
    assert (report.status, report.late, report.submitted_by) == (ReportStatus.SUBMITTED, False, district_head)
    on_day(MONTH.replace(day=26))
    services.monthly_reports_daily()
    report.refresh_from_db()
    assert report.escalated_at is None
    entry = AuditEntry.objects.get(action=AuditAction.MONTHLY_REPORT_SUBMITTED, object_id=str(report.pk))
    assert (entry.from_status, entry.to_status, entry.actor) == ("draft", "submitted", district_head)


def test_after_the_25th_an_unsubmitted_report_is_escalated_once_and_its_submission_is_late(
    drafted, district_staff, district_head, on_day
):
    report = drafted[JIEFANG]
    on_day(MONTH.replace(day=25))
    assert services.monthly_reports_daily()["escalated"] == 0  # the deadline day itself is on time
    on_day(MONTH.replace(day=26))
    first = services.monthly_reports_daily()["escalated"]
    assert first == MonthlyReport.objects.filter(month=MONTH).count()  # nobody submitted anything
    assert services.monthly_reports_daily()["escalated"] == 0  # once
    report.refresh_from_db()
    assert report.late and report.escalated_at is not None
    assert report.escalated_to_id == CITY  # the level above the district
    assert MonthlyReport.objects.get(pk=drafted[CITY].pk).escalated_to_id == "410000"  # the city's: the province
    entries = AuditEntry.objects.filter(action=AuditAction.MONTHLY_REPORT_ESCALATED, object_id=str(report.pk))
    assert entries.count() == 1 and entries.get().data["to_region"] == CITY

    _write(report, district_staff)
    on_day(MONTH.replace(day=27))
    services.monthly_report_submit(report=report, actor=district_head)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.late
    assert AuditEntry.objects.get(action=AuditAction.MONTHLY_REPORT_SUBMITTED, object_id=str(report.pk)).data["late"]


def test_a_submission_after_the_deadline_is_late_even_before_the_job_ran(drafted, district_staff, district_head, on_day):
    report = _write(drafted[JIEFANG], district_staff)
    on_day(dt.date(2026, 11, 26))
    services.monthly_report_submit(report=report, actor=district_head)
    report.refresh_from_db()
    assert report.late


def test_only_the_head_submits_and_only_a_written_report(drafted, district_staff, district_head):
    report = drafted[JIEFANG]
    with pytest.raises(ValidationFailed):
        services.monthly_report_submit(report=report, actor=district_head)  # analysis and measures empty
    _write(report, district_staff)
    with pytest.raises(NotPermitted):
        services.monthly_report_submit(report=report, actor=district_staff)  # a clerk, not the head
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_another_districts_head_cannot_touch_the_report(drafted, other_district_staff):
    from .conftest import grant

    head = grant(other_district_staff, "submit_monthlyreport")
    report = _write(drafted[JIEFANG], None)
    with pytest.raises(NotPermitted):
        services.monthly_report_submit(report=report, actor=head)
    with pytest.raises(NotPermitted):
        services.monthly_report_edit(report=report, analysis="x", measures="y", actor=head)


def test_the_city_head_does_not_submit_a_districts_report(drafted, city_head):
    report = _write(drafted[JIEFANG], None)
    with pytest.raises(NotPermitted):
        services.monthly_report_submit(report=report, actor=city_head)


def test_the_escalation_is_announced_once_to_the_supervising_and_the_late_unit(
    drafted, district_staff, city_staff, other_district_staff, on_day
):
    from notifications.models import Notice

    on_day(MONTH.replace(day=26))
    services.monthly_reports_escalate()
    services.monthly_reports_escalate()
    report = drafted[JIEFANG]
    notices = Notice.objects.filter(kind="monthly_report_escalation", object_id=str(report.pk))
    assert {n.recipient for n in notices} == {district_staff, city_staff}
    assert notices.count() == 2  # inbox only, once each
    notice = notices.get(recipient=district_staff)
    assert notice.subject == "【逾期督办】解放区2026年11月研判报告未按期报送"
    assert notice.body == "解放区2026年11月研判报告的报送期限为2026年11月25日，至今未提交，已督办至焦作市。"
    assert notice.link.endswith(f"/analysis/monthlyreport/{report.pk}/change/")
