"""Fixtures for the analysis tests: staff of the city and two districts, a district head, a pinned
"today", and a helper that files complaints at a given date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from integrity_portal.core.roles import StaffRole
from tests.factories import make_staff

CITY = "410800"
JIEFANG = "410802"
ZHONGZHAN = "410803"
MONTH = dt.date(2026, 11, 1)  # period 2026-10-21 … 2026-11-20, due 2026-11-25


@pytest.fixture
def on_day(monkeypatch):
    """Pin the services' notion of "today" (the project's way: ``core.workdays.today``)."""
    from integrity_portal.core import workdays

    def set_day(day: dt.date):
        monkeypatch.setattr(workdays, "today", lambda: day)
        return day

    return set_day


def grant(user, codename: str):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="analysis", codename=codename))
    # has_perm caches per user object: hand back a fresh one
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def city_staff(regions):
    return make_staff(CITY, StaffRole.CITY_BUREAU)


@pytest.fixture
def city_head(regions):
    return grant(make_staff(CITY, StaffRole.CITY_BUREAU), "submit_monthlyreport")


@pytest.fixture
def work_group(regions):
    return grant(make_staff(CITY, StaffRole.CITY_BUREAU), "accept_monthlyreport")


@pytest.fixture
def district_staff(regions):
    return make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH)


@pytest.fixture
def district_head(regions):
    return grant(make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH), "submit_monthlyreport")


@pytest.fixture
def other_district_staff(regions):
    return make_staff(ZHONGZHAN, StaffRole.DISTRICT_BRANCH)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def file(*, day: dt.date, region: str = JIEFANG, merchant=None, category: str = "price", **fields):
    """A report (举报: no identity needed) received on ``day``; ``fields`` override anything."""
    from complaints.models import Complaint

    values = dict(
        kind="report",
        status="case_opened",
        region_id=region,
        category=category,
        description="测试举报内容",
        received_at=at(day),
        merchant=merchant,
        target_name="" if merchant else "无名小店",
    )
    values.update(fields)
    return Complaint.objects.create(**values)


@pytest.fixture
def drafted(regions, on_day):
    """This month's drafts of 焦作市 and its districts, as the daily job makes them on the 20th (the job
    itself, over every region, is tested in test_monthly_draft.py)."""
    from analysis.models import MonthlyReport
    from analysis.services import monthly_report_draft

    day = on_day(MONTH.replace(day=20))
    for code in sorted(r for r, region in regions.items() if r == CITY or region.parent_id == CITY):
        monthly_report_draft(region=regions[code], month=MONTH, today=day)
    return {r.region_id: r for r in MonthlyReport.objects.filter(month=MONTH)}
