"""Browser: a citizen opens a published 双随机 plan, presses "verify" and sees SHA-256(seed) match the
commitment published before the draw (computed in the page by crypto.subtle under the portal's CSP); at
375 px the results are cards and nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.spotchecks.conftest import world  # noqa: F401 - the spot-check world fixture
from tests.spotchecks.publication import make_plan


@pytest.mark.browser
def test_verify_the_seed_of_a_published_plan_on_the_page(page, live_server, world):  # noqa: F811
    plan = make_plan(world, "published", title="2026年解放区双随机抽查")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/spot-checks/")
    page.get_by_role("link", name="2026年解放区双随机抽查").first.click()
    expect(page.get_by_role("heading", name="2026年解放区双随机抽查")).to_be_visible()
    expect(page.locator("#sc-commitment")).to_have_text(plan.seed_commitment)
    expect(page.locator("#sc-seed")).to_have_text(plan.seed)

    page.get_by_role("button", name="在浏览器中核验").click()
    result = page.locator(".sc-verify-result")
    expect(result).to_have_attribute("data-outcome", "match")
    expect(result).to_contain_text("一致：种子的 SHA-256 等于抽取前公布的承诺值。")
    expect(result).to_contain_text(plan.seed_commitment)

    # another seed does not match
    page.locator("#sc-seed-input").fill("00" * 32)
    page.get_by_role("button", name="在浏览器中核验").click()
    expect(result).to_have_attribute("data-outcome", "mismatch")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    page.get_by_role("button", name="在浏览器中核验").click()
    expect(page.locator(".sc-verify-result")).to_have_attribute("data-outcome", "match")
    first_row = page.locator(".sc-results tbody tr").first
    expect(first_row).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.sc-results tr')).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "spot_check_verify_375")
