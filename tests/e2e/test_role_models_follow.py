"""Browser: the role-model library and the follow card on a phone and a desktop, in both languages
(issue #19 items 6 and 7): cards with the photo, no sideways scroll, the red list's story badge leads to the
story, and following from the profile answers with the same neutral message whatever the address."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from merchants.models import MerchantFollower
from notifications.models import Notice
from tests.e2e.site_pages import _role_model_story, open_context
from tests.e2e.test_responsive import overflowing
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import today

pytestmark = pytest.mark.browser
# E2E_SHOTS=/tmp/shots: keep full-page PNGs of the library and the profile, for a person to look at.
SHOTS = os.environ.get("E2E_SHOTS")


@pytest.fixture
def story_merchant(regions):
    from merchants.services.credit import list_entry_add_red

    merchant = MerchantFactory(name="诚信典型水产店")
    list_entry_add_red(
        merchant=merchant,
        kind="role_model",
        reason="诚信经营典型",
        legal_basis="创建活动方案",
        decision_number="焦文明办〔2026〕9号",
        valid_from=today(),
        valid_until=None,
        actor=None,
    )
    _role_model_story(merchant)
    return merchant


@pytest.mark.parametrize("language", ("zh-hans", "en"))
@pytest.mark.parametrize("width", (375, 1280))
def test_role_model_cards_fit_and_the_badge_leads_to_the_story(
    browser, live_server, story_merchant, language, width
):
    context = open_context(browser, live_server.url, width=width, language=language)
    page = context.new_page()
    page.goto(live_server.url + "/role-models/")
    card = page.locator(".role-model-item").first
    expect(card).to_contain_text("十余年诚信经营")
    photo = card.locator("img.role-model-photo")
    expect(photo).to_be_visible()
    assert page.evaluate("document.querySelector('img.role-model-photo').naturalWidth") == 640
    assert overflowing(page, width) is None
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{width}_{language}_role-models.png", full_page=True)

    page.goto(live_server.url + "/lists/red/")
    page.locator(f'a.badge[href="/merchants/{story_merchant.pk}/#role-models"]').first.click()
    expect(page.locator("#role-models")).to_contain_text("十余年诚信经营")
    expect(page.locator(".follow-card")).to_be_visible()
    assert overflowing(page, width) is None
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{width}_{language}_profile-story.png", full_page=True)
    context.close()


def test_following_from_the_profile_on_a_phone(browser, live_server, story_merchant):
    context = open_context(browser, live_server.url, width=375, language="zh-hans")
    page = context.new_page()
    page.goto(live_server.url + f"/merchants/{story_merchant.pk}/")
    page.fill("#follow-email", "not-an-address")
    page.click(".follow-form button[type=submit]")
    expect(page.locator("#follow-email-error")).to_contain_text("有效的电子邮箱")
    page.fill("#follow-email", "walker@example.cn")
    page.click(".follow-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("如果该邮箱地址有效")
    assert overflowing(page, 375) is None
    follower = MerchantFollower.objects.get(merchant=story_merchant)
    assert follower.confirmed_at is None
    assert Notice.objects.filter(kind="follow_confirm", address="walker@example.cn").count() == 1
    context.close()
