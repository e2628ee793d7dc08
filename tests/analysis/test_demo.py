"""The demo seeder: last month's reports of 焦作市 (解放区's compiled into the city's), a meeting with an
open and a done action item; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import io

from analysis.demo import seed_analysis
from analysis.models import ActionItem, MonthlyReport, QuarterlyMeeting, ReportStatus

from .conftest import CITY, JIEFANG


def test_the_demo_seeder_is_idempotent(regions, on_day):
    on_day(dt.date(2026, 11, 22))
    seed_analysis(seed=1, merchant_count=0, stdout=io.StringIO())
    counts = (MonthlyReport.objects.count(), QuarterlyMeeting.objects.count(), ActionItem.objects.count())
    assert counts == (22, 1, 2)  # 11 regions × (October, November)
    october = dt.date(2026, 10, 1)
    assert MonthlyReport.objects.get(region_id=JIEFANG, month=october).status == ReportStatus.COMPILED
    assert MonthlyReport.objects.get(region_id=CITY, month=october).compiled["districts"][0]["region"] == JIEFANG
    assert set(ActionItem.objects.values_list("status", flat=True)) == {"open", "done"}
    seed_analysis(seed=1, merchant_count=0, stdout=io.StringIO())
    assert (MonthlyReport.objects.count(), QuarterlyMeeting.objects.count(), ActionItem.objects.count()) == counts
