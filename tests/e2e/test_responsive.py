"""Browser: no public or portal page scrolls sideways on a phone or a tablet, in either language.

Every page of ``site_pages.build_site`` at 320, 375, 768 and 1280 px, in Chinese and English, signed out
(public pages) and signed in as a merchant (portal pages): ``document.documentElement.scrollWidth`` must not
exceed the viewport's width. The failure lists every offending page with its width and the widest
element, so one run shows all there is to fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.site_pages import LANGUAGES, build_site, open_context

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 768, 1280)
# E2E_SHOTS=/tmp/shots: also keep a full-page PNG of every page at 375 px, for a person to look at.
SHOTS = os.environ.get("E2E_SHOTS")

# The element that sticks out furthest to the right (a lead for whoever has to fix the page).
# ``width`` is the device's width: on a phone (is_mobile) Chromium widens the layout viewport, and so
# window.innerWidth, to fit content that is too wide, so innerWidth alone would hide the overflow.
_OVERFLOW = """(width) => {
  const vw = Math.min(width, window.innerWidth), html = document.documentElement;
  if (html.scrollWidth <= vw) return null;
  let worst = null, right = vw;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5) { right = r.right; worst = el; }
  }
  const name = worst ? worst.tagName.toLowerCase() + (worst.className && typeof worst.className === 'string'
    ? '.' + worst.className.trim().split(/\\s+/).join('.') : '') : '?';
  return {scrollWidth: html.scrollWidth, innerWidth: window.innerWidth, widest: name, right: Math.round(right)};
}"""


# Below 640 px tables are cards (static/css/site.css "Cards below 640 px"): none scrolls inside its box.
_SCROLLING_TABLES = """() => Array.from(document.querySelectorAll('.table-wrap, table'))
  .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible'
                || el.tagName === 'TABLE' && el.getBoundingClientRect().width > document.documentElement.clientWidth)
  .map(el => (el.closest('section, .card') || el).querySelector('h2, h3, caption')?.textContent.trim().slice(0, 30)
             || el.className || el.tagName)"""


# Header links neither wrap onto a second line ("Merchant login" at 1280 px) nor get cut off ("Track a
# complaint"); on a phone the main navigation is a grid whose cells may wrap, the account links may not.
_BROKEN_NAV_LINKS = """() => Array.from(document.querySelectorAll(
    '.account-nav a, .account-nav .linklike' + (window.innerWidth > 640 ? ', .main-nav a' : '')))
  .filter(a => {
    const cs = getComputedStyle(a), line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.3;
    const inner = a.getBoundingClientRect().height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    return inner > line * 1.5 || a.scrollWidth > a.clientWidth + 1;
  }).map(a => a.textContent.trim())"""


def overflowing(page, width: int) -> dict | None:
    return page.evaluate(_OVERFLOW, width)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_scrolls_sideways(browser, live_server, regions, language):
    site = build_site(live_server.url)
    problems = []
    for width in WIDTHS:
        for urls, signed_in in ((site.public, None), (site.portal, site)):
            context = open_context(browser, live_server.url, width=width, language=language, signed_in=signed_in)
            page = context.new_page()
            for url in urls:
                response = page.goto(url)
                assert response is not None and response.status < 500, f"{url}: {response and response.status}"
                if signed_in is not None:
                    assert "/accounts/login/" not in page.url, f"{url} asked the merchant to sign in"
                html_lang = page.evaluate("document.documentElement.lang")
                assert html_lang.lower().startswith("en" if language == "en" else "zh"), (url, html_lang)
                if SHOTS and width in (375, 1280):
                    name = url.removeprefix(live_server.url).strip("/").replace("/", "_").replace("?", "_") or "home"
                    Path(SHOTS).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=f"{SHOTS}/{width}_{language}_{name[:60]}.png", full_page=width < 640)
                found = overflowing(page, width)
                if found:
                    problems.append(f"{width}px {language} {url.removeprefix(live_server.url)}: {found}")
                broken = page.evaluate(_BROKEN_NAV_LINKS)
                if broken:
                    problems.append(f"{width}px {language} {url.removeprefix(live_server.url)}: nav links {broken}")
                tables = page.evaluate(_SCROLLING_TABLES) if width < 640 else []
                if tables:
                    problems.append(f"{width}px {language} {url.removeprefix(live_server.url)}: tables {tables}")
            context.close()
    assert problems == [], "pages scroll sideways:\n" + "\n".join(problems)
