"""Browser test: a district clerk's day starts at the workbench (/admin/) — the overdue complaint first, its
deadline visible at 1366 px — and one click leads to the page where it is decided."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from complaints.models import Complaint, Status
from integrity_portal.core import workdays
from integrity_portal.core.roles import StaffRole
from tests.complaints.conftest import JIEFANG, ZHONGZHAN, file_complaint
from tests.e2e.conftest import screenshot
from tests.factories import make_staff

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768


def _signed_in_context(browser, live_server, user):
    client = Client()
    client.force_login(user)  # with the second factor (tests/conftest.py), as after the code page
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _complaint(region: str, due_in_days: int) -> Complaint:
    c = file_complaint(region_code=region)
    Complaint.objects.filter(pk=c.pk).update(due_on=workdays.today() + timedelta(days=due_in_days))
    c.refresh_from_db()
    return c


def test_clerk_follows_the_overdue_complaint_from_the_workbench_and_accepts_it(browser, live_server, regions):
    clerk = make_staff(JIEFANG, StaffRole.DISTRICT_BRANCH, username="jf_workbench")
    later = _complaint(JIEFANG, 10)
    overdue = _complaint(JIEFANG, -3)
    elsewhere = _complaint(ZHONGZHAN, -9)

    context = _signed_in_context(browser, live_server, clerk)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    rows = page.locator("#workbench-queue tbody tr.work-item")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_contain_text(overdue.tracking_code)
    expect(first.locator(".due-words")).to_have_text("超期 3 日")
    expect(rows.nth(1)).to_contain_text(later.tracking_code)
    assert page.get_by_text(elsewhere.tracking_code).count() == 0

    # The deadline column is whole inside the 1366 px viewport (nothing cut off on the right).
    due_cell = first.locator("td.col-due")
    expect(due_cell).to_be_visible()
    box = due_cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    table_box = page.locator("#workbench-queue").bounding_box()
    assert table_box["x"] + table_box["width"] <= WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    screenshot(page, "workbench_district_1366")

    first.get_by_role("link", name="去办理").click()
    page.wait_for_url(re.compile(rf"/admin/complaints/complaint/{overdue.pk}/change/"))
    page.get_by_label("办理操作").select_option(label="受理")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text(f"已办理：{overdue}")).to_be_visible()
    screenshot(page, "workbench_complaint_accepted")
    overdue.refresh_from_db()
    assert overdue.status == Status.ACCEPTED
    context.close()


def test_city_user_sees_counts_per_district_and_reads_the_audit_log(browser, live_server, regions):
    from tests.complaints.conftest import CITY

    city = make_staff(CITY, StaffRole.CITY_BUREAU, username="city_workbench")
    jiefang = _complaint(JIEFANG, -1)
    _complaint(ZHONGZHAN, 4)
    context = _signed_in_context(browser, live_server, city)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/")
    districts = page.locator("table.workbench-regions tbody th")
    expect(districts).to_have_text(["解放区", "中站区"])
    expect(page.locator("#workbench-queue tbody tr.work-item").first).to_contain_text(jiefang.tracking_code)
    screenshot(page, "workbench_city_1366")

    page.get_by_role("link", name="操作日志").first.click()
    page.wait_for_url(re.compile(r"/admin/audit-log/"))
    page.locator("select[name=action]").select_option(label="登记投诉")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr.audit-entry").first).to_contain_text("登记投诉")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    screenshot(page, "staff_audit_log_city_1366")
    context.close()
