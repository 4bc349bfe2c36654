"""The charts render in Chromium under the app's own CSP (ADR 0019): the dashboard's stock
value chart and an item's on-hand chart load as images (the SVG answer carries the strict
policy too, and holds no CSS it would refuse), in both languages at 1400 and 390 px, with no
CSP report in the console."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site

pytestmark = pytest.mark.browser

#: each chart image on the page: loaded, its drawn width, and the URL it came from
IMAGES = """() => [...document.querySelectorAll('figure.chart img')].map(img => ({
  loaded: img.complete && img.naturalWidth > 0,
  width: img.naturalWidth,
  src: img.currentSrc,
}))"""


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize(("width", "drawn"), [(1400, 768), (390, 461)])
@pytest.mark.parametrize("path", ["/", "/items/BOLT/history?days=30"])
def test_the_chart_renders_under_the_csp(
    site: Site, admin_page: Page, lang: str, width: int, drawn: int, path: str
) -> None:
    page = admin_page
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site.url}/lang/{lang}?next={path}")
    page.wait_for_load_state("networkidle")
    images = page.evaluate(IMAGES)
    assert [(image["loaded"], image["width"]) for image in images] == [(True, drawn)]
    assert ("size=narrow" in images[0]["src"]) == (width == 390)
    assert [text for text in refused if "Content Security Policy" in text] == []
