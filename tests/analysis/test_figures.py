"""The draft's figures match counts made by hand from the fixtures below."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.figures import period_of, report_figures
from merchants.models import Industry
from tests.factories import MerchantFactory

from .conftest import CITY, JIEFANG, MONTH, ZHONGZHAN, at, file

D = dt.date


@pytest.fixture
def cases(regions):
    a = MerchantFactory(name="甲餐馆", industry=Industry.CATERING, region=regions[JIEFANG])
    b = MerchantFactory(name="乙食品店", industry=Industry.FOOD_RETAIL, region=regions[JIEFANG])
    # The data month of November's report is October 2026: six in 解放区
    file(day=D(2026, 10, 1), merchant=a, category="price", received_at=at(D(2026, 10, 1), hour=0),
         closed_at=at(D(2026, 10, 5)), closed_late=False)
    file(day=D(2026, 10, 15), merchant=a, category="food_safety", closed_at=at(D(2026, 10, 28)), closed_late=True)
    file(day=D(2026, 10, 31), merchant=a, category="food_safety", received_at=at(D(2026, 10, 31), hour=23))
    file(day=D(2026, 10, 10), merchant=b, category="short_weight")
    file(day=D(2026, 10, 12), category="price")
    file(day=D(2026, 10, 5), category="quality", status="verifying", due_on=D(2026, 10, 20))  # overdue
    # Outside the month or the district
    file(day=D(2026, 9, 30), merchant=b, category="price", received_at=at(D(2026, 9, 30), hour=23))  # September
    file(day=D(2026, 11, 1), merchant=a, received_at=at(D(2026, 11, 1), hour=0))  # November
    file(day=D(2025, 10, 10))  # October last year
    file(day=D(2026, 10, 2), region=ZHONGZHAN)  # another district (the city counts it)
    return a, b


def test_a_report_analyses_the_calendar_month_before():
    assert period_of(MONTH) == (D(2026, 10, 1), D(2026, 10, 31))
    assert period_of(D(2026, 1, 1)) == (D(2025, 12, 1), D(2025, 12, 31))
    assert period_of(D(2026, 3, 1)) == (D(2026, 2, 1), D(2026, 2, 28))


def test_district_figures_match_the_hand_count(cases):
    a, b = cases
    f = report_figures(region_code=JIEFANG, month=MONTH, as_of=D(2026, 11, 20))
    v = f["volume"]
    assert (v["received"], v["complaints"], v["reports"]) == (6, 0, 6)
    assert (v["closed"], v["on_time"], v["late"], v["on_time_rate"]) == (2, 1, 1, 50.0)
    assert f["previous"]["received"] == 1
    assert f["last_year"]["received"] == 1
    assert f["change"] == {"previous": 500.0, "last_year": 500.0}
    assert f["by_category"] == [
        {"category": "food_safety", "count": 2},
        {"category": "price", "count": 2},
        {"category": "quality", "count": 1},
        {"category": "short_weight", "count": 1},
    ]
    assert f["top_merchants"] == [
        {"merchant": a.pk, "name": "甲餐馆", "count": 3},
        {"merchant": b.pk, "name": "乙食品店", "count": 1},
    ]
    assert f["by_industry"] == [
        {"industry": "catering", "count": 3, "average": 0.0},
        {"industry": "food_retail", "count": 1, "average": 0.33},
    ]
    assert f["overdue"]["count"] == 1
    assert f["overdue"]["items"][0]["due_on"] == "2026-10-20" and f["overdue"]["items"][0]["days"] == 31
    assert [r["rule"] for r in f["risks"]] == ["industry_spike", "repeat_merchant", "overdue"]
    assert f["risks"][0]["industry"] == "catering"


def test_the_city_counts_all_its_districts(cases):
    f = report_figures(region_code=CITY, month=MONTH, as_of=D(2026, 11, 20))
    assert f["volume"]["received"] == 7


def test_the_draft_freezes_the_same_figures(cases, drafted):
    report = drafted[JIEFANG]
    assert report.figures["volume"]["received"] == 6
    assert [r["rule"] for r in report.figures["risks"]] == ["industry_spike", "repeat_merchant", "overdue"]


def test_an_industry_at_twice_its_average_is_a_risk_below_it_is_not(regions):
    from analysis.figures import SPIKE_FACTOR, SPIKE_MIN

    m = MerchantFactory(industry=Industry.HOTEL, region=regions[JIEFANG])
    for day in (D(2026, 7, 25), D(2026, 8, 25), D(2026, 9, 5)):  # 1 a month before: average 1
        file(day=day, merchant=m)
    for n in range(SPIKE_MIN):
        file(day=D(2026, 10, 3 + n), merchant=m)
    f = report_figures(region_code=JIEFANG, month=MONTH, as_of=D(2026, 11, 20))
    assert SPIKE_MIN >= SPIKE_FACTOR * 1
    assert any(r["rule"] == "industry_spike" and r["industry"] == "hotel" for r in f["risks"])
    for day in (D(2026, 7, 26), D(2026, 8, 26), D(2026, 9, 6)):  # average 2 now: 3 < 4
        file(day=day, merchant=m)
    f = report_figures(region_code=JIEFANG, month=MONTH, as_of=D(2026, 11, 20))
    assert not any(r["rule"] == "industry_spike" for r in f["risks"])


def test_the_figures_are_the_dashboards_for_the_data_month(cases):
    from analysis.figures import SYSTEM_READER
    from integrity_portal.core.dashboard import dashboard_figures

    dashboard = dashboard_figures(viewer=SYSTEM_READER, region=JIEFANG, month=D(2026, 10, 1), months=1)
    f = report_figures(region_code=JIEFANG, month=MONTH, as_of=D(2026, 11, 20))
    assert f["volume"] == dashboard.table("complaints_monthly").data[D(2026, 10, 1)]
