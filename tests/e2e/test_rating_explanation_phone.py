"""Browser at 375 px: a citizen opens a profile and reads why its stars are capped, then the directory's
star shares and /ratings/how/ — every page fits the phone's width (no horizontal scroll)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merchants.models import PenaltyTier
from merchants.services.rating import ratings_recompute
from tests.e2e.conftest import screenshot
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, penalise

pytestmark = [pytest.mark.browser]


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} scrolls sideways: {width}px"


def test_profile_explains_a_capped_rating_on_a_375px_phone(phone, live_server, regions):
    # Credit 10 (no commitment 5 + minor penalty 5), total 10: 5★ band, capped at 4★ by the credit element.
    merchant = MerchantFactory(name="焦作市解放区民主南路城东便利店有限责任公司")
    penalise(merchant, tier=PenaltyTier.MINOR)
    listed = MerchantFactory(name="失信海鲜行")
    blacklist(listed)
    ratings_recompute()

    phone.goto(f"{live_server.url}/merchants/{merchant.pk}/")
    why = phone.locator("#rating-why")
    expect(why).to_be_visible()
    expect(why).to_contain_text("合计扣 10 分")
    expect(why).to_contain_text("最高为 4 星")
    expect(phone.locator(".profile-stars [data-stars='4']")).to_be_visible()
    _fits(phone)
    screenshot(phone, "profile_capped_375")

    phone.goto(f"{live_server.url}/merchants/{listed.pk}/")
    expect(phone.locator(".black-list-banner")).to_be_visible()
    expect(phone.locator(".profile-stars .stars-zero")).to_be_visible()
    _fits(phone)

    phone.goto(f"{live_server.url}/merchants/?region=410802")
    expect(phone.locator(".star-shares table")).to_be_visible()
    expect(phone.locator(".badge-black-list")).to_have_count(1)
    _fits(phone)
    screenshot(phone, "directory_shares_375")

    phone.locator(".stars-how").first.click()
    phone.wait_for_url("**/ratings/how/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("星级如何评定")
    expect(phone.locator(".band-row")).to_have_count(6)
    _fits(phone)
    screenshot(phone, "ratings_how_375")
