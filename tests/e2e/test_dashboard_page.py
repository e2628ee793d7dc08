"""Browser check of the district dashboard at 1366 px for a city user: ten districts side by side, charts
visible, nothing cut off (no horizontal scroll of the page or of any table)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from integrity_portal.core.roles import StaffRole
from tests.factories import MerchantFactory, make_staff

from .conftest import screenshot
from .test_complaint_flow import _login_cookie

pytestmark = pytest.mark.browser


def test_city_user_sees_the_dashboard_at_1366_px_without_anything_cut_off(browser, live_server, regions):
    from complaints.models import Complaint

    user = make_staff("410800", StaffRole.CITY_BUREAU)
    today = timezone.localdate()
    for i, code in enumerate(("410802", "410803", "410811", "410883")):
        MerchantFactory(region_id=code, stars=5 - i)
        for k in range(i + 1):
            Complaint.objects.create(
                kind="report",
                status="received",
                region_id=code,
                category="price",
                description="测试",
                received_at=timezone.now() - dt.timedelta(days=31 * k),
                target_name="无名小店",
                due_on=today - dt.timedelta(days=k),
            )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.add_cookies([_login_cookie(live_server, user)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="统计看板").first.click()
    page.wait_for_url(f"{live_server.url}/admin/dashboard/")
    expect(page.get_by_role("heading", name="投诉举报")).to_be_visible()
    charts = page.locator("svg.dashboard-chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 8
    expect(page.get_by_role("table", name="投诉举报受理与办结（按月）")).to_be_visible()
    expect(page.locator("#table-complaints_districts th[scope=row]", has_text="孟州市")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    overflowing = page.evaluate(
        """[...document.querySelectorAll('.dashboard-table-box, .dashboard-chart-box')]
            .filter(box => box.scrollWidth > box.clientWidth + 1
                || box.getBoundingClientRect().right > window.innerWidth)
            .map(box => box.querySelector('table, svg').id || box.className)"""
    )
    assert overflowing == []
    screenshot(page, "dashboard_city_1366")
    context.close()
