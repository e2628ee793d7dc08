"""Browser: a citizen searches the directory by district and opens a merchant's profile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merchants.demo import seed_register
from merchants.models import Merchant, MerchantStatus
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def demo_register(transactional_db, regions):
    seed_register(seed=0, merchant_count=400)
    ids = list(Merchant.objects.order_by("id").values_list("id", flat=True))
    for n, pk in enumerate(ids):
        if n % 3:
            Merchant.objects.filter(pk=pk).update(stars=n % 6)
    return ids


def test_filter_by_district_and_open_profile(page, live_server, demo_register):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="查一查，放心消费")).to_be_visible()
    assert page.locator(".stat-num").first.inner_text().replace(",", "").strip().isdigit()
    screenshot(page, "home")

    page.goto(f"{live_server.url}/merchants/")
    page.get_by_label("辖区").select_option("410802")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/merchants/?*region=410802*")
    regions_shown = page.locator(".result-meta dd.region").all_inner_texts()
    assert regions_shown and all(text == "焦作市解放区" for text in regions_shown)
    # The directory lists businesses still operating unless asked for others (docs/SEARCH.md).
    expected = Merchant.objects.filter(region_id="410802", status=MerchantStatus.OPERATING).count()
    assert f"共 {expected:,} 个市场主体" in page.locator(".results-summary").inner_text()
    screenshot(page, "directory_jiefang")

    first = page.locator(".result-title a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url("**/merchants/*/")
    assert page.get_by_role("heading", level=1).inner_text() == name
    assert "焦作市解放区" in page.locator(".facts").inner_text()
    screenshot(page, "profile")


def test_bad_filter_value_shows_a_form_error(page, live_server, demo_register):
    page.goto(f"{live_server.url}/merchants/?stars=9&region=999999")
    assert page.locator(".errorlist").count() == 2
    assert "筛选条件有误" in page.locator(".results-summary").inner_text()
    screenshot(page, "directory_error")


def test_directory_works_on_a_phone(browser, live_server, demo_register):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/merchants/?region=410800")
        assert page.locator(".result").count() == 20
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
        screenshot(page, "directory_phone")
        page.goto(f"{live_server.url}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "home_phone")
        closed = Merchant.objects.filter(status="deregistered").first()
        page.goto(f"{live_server.url}/merchants/{closed.pk}/")
        assert page.get_by_role("status").inner_text().startswith("该主体已注销")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "profile_deregistered_phone")
    finally:
        context.close()
