"""Browser: axe-core finds no serious or critical accessibility violation on any public or portal page,
at 375 and 1280 px, in Chinese and English.

axe-core comes from the npm registry: .ci/run installs a pinned version into .ci/node/ (see
docs/ACCESSIBILITY.md); ``AXE_CORE_JS`` may point at another copy of ``axe.min.js``. Without it the test
skips locally and fails under CI=true."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.site_pages import LANGUAGES, build_site, open_context

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(os.environ.get("AXE_CORE_JS") or ROOT / ".ci/node/node_modules/axe-core/axe.min.js")
WIDTHS = (375, 1280)
FAILING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1]),
  }));
}"""


@pytest.fixture
def axe_js(require_chromium) -> Path:
    if not AXE_JS.is_file():
        skip_or_fail(f"needs axe-core at {AXE_JS} (.ci/run installs it; locally: npm install --prefix .ci/node axe-core@4.10.3)")
    return AXE_JS


def serious_violations(page, axe_js: Path) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(_RUN_AXE, list(FAILING_IMPACTS))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_accessibility_violation_on_any_page(browser, live_server, regions, axe_js, language):
    site = build_site(live_server.url)
    problems = []
    for width in WIDTHS:
        for urls, signed_in in ((site.public, None), (site.portal, site)):
            context = open_context(
                browser, live_server.url, width=width, language=language, signed_in=signed_in, bypass_csp=True
            )
            page = context.new_page()
            for url in urls:
                response = page.goto(url)
                assert response is not None and response.status < 500, url
                for v in serious_violations(page, axe_js):
                    path = url.removeprefix(live_server.url)
                    problems.append(f"{width}px {language} {path}: {json.dumps(v, ensure_ascii=False)}")
            context.close()
    assert problems == [], "axe-core serious/critical violations:\n" + "\n".join(problems)
