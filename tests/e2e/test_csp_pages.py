"""Browser test: under the site-wide Content-Security-Policy the API docs (served from the portal,
no CDN) and the complaint form's script still work, and the browser reports no CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import MerchantFactory

pytestmark = pytest.mark.browser

_COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _watch(page) -> tuple[list[str], list[str]]:
    """Console messages and requests that left the portal, collected for the whole page life."""
    console: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(_COLLECT_VIOLATIONS)
    return console, foreign


# Redoc's sidebar always renders a "by Redocly" <img> from its vendor's CDN (hard-coded in the bundle);
# the policy refuses it, which is the point: the image hides itself on error and nothing leaves the portal.
REDOC_VENDOR_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _assert_no_violation(page, console: list[str], foreign: list[str], allowed: str | None = None) -> None:
    violations = [v for v in page.evaluate("window.__cspViolations") if not (allowed and v.endswith(allowed))]
    assert violations == []
    messages = [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]
    assert [m for m in messages if not (allowed and allowed in m)] == [], console
    assert [url for url in foreign if url != allowed] == []  # refused by the policy, so never fetched


def test_api_docs_render_from_the_portal_without_csp_violations(page, live_server):
    console, foreign = _watch(page)
    page.on("request", lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:")
            or r.url.startswith("blob:") else foreign.append(r.url))

    response = page.goto(f"{live_server.url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Integrity Portal API")
    expect(page.locator(".opblock").first).to_be_visible(timeout=45_000)
    _assert_no_violation(page, console, foreign)

    page.goto(f"{live_server.url}/api/redoc/")
    # Redoc fetches and renders the whole schema (seconds on this machine) before the title appears.
    expect(page.locator("h1").first).to_contain_text("Integrity Portal API", timeout=45_000)
    expect(page.get_by_text("/api/v1/").first).to_be_attached()
    _assert_no_violation(page, console, foreign, allowed=REDOC_VENDOR_LOGO)


def test_complaint_form_script_runs_under_the_csp(page, live_server, regions):
    MerchantFactory(name="政策测试超市")
    console, foreign = _watch(page)
    page.goto(f"{live_server.url}/complaints/new/")
    page.get_by_label("查找被投诉经营者").fill("政策测试")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("button", name="政策测试超市").click()
    expect(page.get_by_text("已选择：政策测试超市")).to_be_visible()
    _assert_no_violation(page, console, foreign)
