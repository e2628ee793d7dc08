"""The daily job drafts each district's and each city's report once, on or after the 20th."""

from __future__ import annotations

import datetime as dt

from analysis.audit_actions import AuditAction
from analysis.models import MonthlyReport, ReportStatus
from analysis.tasks import monthly_reports_daily as daily_task
from integrity_portal.core.models import AuditEntry
from merchants.models import Region, RegionLevel

from .conftest import JIEFANG, MONTH


def test_nothing_is_drafted_before_the_20th(regions, on_day):
    on_day(MONTH.replace(day=19))
    assert daily_task.delay().get() == {"drafted": 0, "escalated": 0}
    assert not MonthlyReport.objects.exists()


def test_the_20th_drafts_every_district_and_city_once(regions, on_day):
    on_day(MONTH.replace(day=20))
    expected = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]).count()
    assert daily_task.delay().get()["drafted"] == expected
    assert daily_task.delay().get()["drafted"] == 0  # the same day again
    on_day(MONTH.replace(day=21))
    assert daily_task.delay().get()["drafted"] == 0  # and the next day
    assert MonthlyReport.objects.filter(month=MONTH).count() == expected
    assert not MonthlyReport.objects.filter(region__level=RegionLevel.PROVINCE).exists()
    report = MonthlyReport.objects.get(region_id=JIEFANG, month=MONTH)
    assert report.status == ReportStatus.DRAFT
    assert (report.period_start, report.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert report.deadline == dt.date(2026, 11, 25)
    assert report.figures["period"] == {"start": "2026-10-01", "end": "2026-10-31", "as_of": "2026-11-20"}
    drafts = AuditEntry.objects.filter(action=AuditAction.MONTHLY_REPORT_DRAFT)
    assert drafts.count() == expected
    assert drafts.filter(object_id=str(report.pk), actor__isnull=True).count() == 1


def test_a_job_missed_on_the_20th_drafts_on_the_next_run(regions, on_day):
    on_day(MONTH.replace(day=23))
    assert daily_task.delay().get()["drafted"] > 0
    assert MonthlyReport.objects.filter(region_id=JIEFANG, month=MONTH).exists()
