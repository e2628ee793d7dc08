"""Browser check of the merchant inbox (issue #16 item 2): the header shows the unread count, the inbox
lists the notice with a link to what it is about, and marking it read clears the badge."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from notifications.services import notify_merchant
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

from .conftest import screenshot
from .test_portal_and_admin_pages import login

pytestmark = pytest.mark.browser


def test_a_merchant_sees_the_badge_opens_the_inbox_and_marks_the_notice_read(page, live_server, regions):
    owner = UserFactory(username="inboxowner")
    shop = MerchantFactory(name="老街面馆")
    MembershipFactory(user=owner, merchant=shop)
    notify_merchant(
        merchant=shop,
        kind="complaint_assigned",  # registered by the complaints app
        event_key="e2e:inbox:1",
        params={"merchant": shop.name, "category": "价格", "due": date(2026, 3, 18), "days": 7},
        about=shop,
    )

    login(page, live_server, "inboxowner")
    page.wait_for_url(f"{live_server.url}/portal/")
    badge = page.locator(".account-nav .inbox-count")
    expect(badge).to_have_text("1")

    page.get_by_role("link", name="站内信").click()
    page.wait_for_url(f"{live_server.url}/portal/inbox/")
    item = page.locator(".inbox-item.unread")
    expect(item).to_have_count(1)
    expect(item.locator("strong")).to_contain_text("老街面馆")
    expect(item.get_by_role("link", name="查看详情")).to_have_attribute("href", f"/portal/merchants/{shop.pk}/")
    screenshot(page, "portal_inbox")

    item.get_by_role("button", name="标为已读").click()
    expect(page.locator(".inbox-item.unread")).to_have_count(0)
    expect(page.locator(".inbox-item")).to_have_count(1)
    expect(page.locator(".account-nav .inbox-count")).to_have_count(0)
