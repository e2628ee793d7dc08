"""Browser: print a merchant's plaque, follow its QR target, see the live stars (and a stale plaque flagged)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merchants.services.credit import commitment_sign
from merchants.services.rating import ratings_recompute
from tests.e2e.conftest import screenshot
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import SERIOUS, blacklist, inspect


@pytest.mark.browser
def test_plaque_qr_target_shows_live_stars(page, live_server, regions):
    m = MerchantFactory(name="焦作诚信老店")
    inspect(m)
    commitment_sign(merchant=m, kind="comprehensive", actor=None)
    ratings_recompute()

    page.goto(f"{live_server.url}/merchants/{m.pk}/plaque/")
    verify_url = page.evaluate("document.documentElement.getAttribute('data-verify-url')")
    assert verify_url and "/verify/" in verify_url and "s=5" in verify_url
    plaque_url = page.url
    page.goto(f"{live_server.url}/healthz/")
    page.set_content(
        f'<body style="margin:0;background:#ddd"><img alt="plaque" src="{plaque_url}" style="width:560px"></body>'
    )
    page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
    page.screenshot(path=str(screenshot.__globals__["SCREENSHOTS"] / "credit_plaque.png"))

    page.goto(verify_url)
    assert page.locator("[data-live-stars]").get_attribute("data-live-stars") == "5"
    expect(page.get_by_text("牌匾与当前评定一致")).to_be_visible()
    assert "5 星" in page.locator(".verify-stars").inner_text()

    inspect(m, price_marking=SERIOUS, metrology=SERIOUS, days_ago=1)
    ratings_recompute()
    page.goto(verify_url)
    expect(page.get_by_text("牌匾与实时评定不符，此牌匾无效。")).to_be_visible()
    assert page.locator("[data-live-stars]").get_attribute("data-live-stars") != "5"
    screenshot(page, "credit_verify_mismatch")


@pytest.mark.browser
def test_profile_panel_and_black_list_render(page, live_server, regions):
    good = MerchantFactory(name="解放区放心超市")
    inspect(good, price_marking="minor")
    commitment_sign(merchant=good, kind="price", actor=None)
    bad = MerchantFactory(name="失信演示商行")
    blacklist(bad)
    ratings_recompute()

    page.goto(f"{live_server.url}/merchants/{good.pk}/")
    expect(page.get_by_text("评分构成（扣分越少越好）")).to_be_visible()
    screenshot(page, "credit_profile")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/lists/black/")
    expect(page.get_by_text("失信演示商行")).to_be_visible()
    screenshot(page, "credit_black_list_phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/lists/black/")
    screenshot(page, "credit_black_list")


@pytest.mark.browser
def test_portal_credit_panel_and_red_list_render(page, live_server, regions):
    from tests.factories import PASSWORD, MembershipFactory, UserFactory

    owner = UserFactory(username="credit_owner")
    shop = MerchantFactory(name="老街放心肉铺")
    MembershipFactory(user=owner, merchant=shop)
    inspect(shop, metrology=SERIOUS)
    star = MerchantFactory(name="五星示范超市")
    inspect(star)
    commitment_sign(merchant=star, kind="comprehensive", actor=None)
    ratings_recompute()

    page.goto(f"{live_server.url}/accounts/login/?next=/portal/merchants/{shop.pk}/")
    page.get_by_label("用户名").fill("credit_owner")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/portal/merchants/{shop.pk}/")
    expect(page.get_by_text("如何提升星级")).to_be_visible()
    screenshot(page, "credit_portal_panel")
    page.goto(f"{live_server.url}/portal/credit/{shop.pk}/appeal/")
    expect(page.get_by_role("heading", name="对星级评定提出申诉")).to_be_visible()
    screenshot(page, "credit_portal_appeal")
    page.goto(f"{live_server.url}/lists/red/")
    expect(page.get_by_text("五星示范超市")).to_be_visible()
    screenshot(page, "credit_red_list")
