"""The main pages in a real Chromium, in Chinese and English, 1400 and 390 px wide: a picture of
each (``$CANGKU_SCREENSHOTS`` or a temp dir; look at them), and what a picture can be checked
for mechanically:

- at 390 px nothing makes the page itself scroll sideways (a wide table scrolls inside its
  wrapper); the header is one short row with a menu button, and the menu opens on a click
  (no script: a checkbox and its label);
- at 1400 px the navigation shows without a menu button, and no table is wider than its panel;
- codes, dates, numbers and operation names in tables stay on one line (the Chinese
  operation column once stacked one character per line, codes broke at their hyphens).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site

pytestmark = pytest.mark.browser

PAGES = {
    "dashboard": "/",
    "items": "/items",
    "item": "/items/FLOUR",
    "stock": "/stock",
    "lots": "/lots",
    "receive": "/stock/operations/receive",
    "locations": "/locations",
    "audit": "/audit",
    "users": "/users",
}
WIDTHS = (1400, 390)
#: where the navigation turns into a menu button (cangku.css)
MENU_BELOW = 1100

#: the elements of tables that must not wrap: links (codes), code, badges, units, and the
#: cells marked as numbers, dates or labels
UNBROKEN = (
    "table.data td a, table.data td .code, table.data .badge, table.data td.num, "
    "table.data td.nowrap, table.data td.label"
)
#: how many lines each matching element's text takes: its text's boxes, top to bottom, start a
#: new line where one lies wholly below the line before (a smaller unit on the line does not)
LINES = """selector => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null && el.textContent.trim())
  .map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const boxes = [...range.getClientRects()].filter(r => r.width > 0)
      .sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const box of boxes) {
      if (box.top >= bottom - 1) { lines += 1; bottom = box.bottom; }
      else { bottom = Math.max(bottom, box.bottom); }
    }
    return [el.textContent.trim().slice(0, 40), lines];
  })"""
#: tables wider than their wrapper (the wrapper then scrolls)
WIDER = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => w.querySelector('table').id || w.querySelector('th')?.textContent || '?')"""


def _broken(page: Page) -> list[tuple[str, int]]:
    return [(text, lines) for text, lines in page.evaluate(LINES, UNBROKEN) if lines > 1]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_main_pages_fit_the_screen_at_both_widths(
    site: Site, admin_page: Page, screenshots: Path, lang: str
) -> None:
    page = admin_page
    page.goto(f"{site.url}/lang/{lang}?next=/")
    problems: list[str] = []
    for name, path in PAGES.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(f"{site.url}{path}")
            assert response is not None and response.ok, path
            page.screenshot(path=str(screenshots / f"{name}-{lang}-{width}.png"), full_page=True)
            where = f"{path} at {width} px ({lang})"
            problems += [f"{where}: {text!r} takes {n} lines" for text, n in _broken(page)]
            menu_button = page.locator("label.menu-button")
            nav = page.locator("nav.mainnav")
            if width < MENU_BELOW:
                overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
                if overflow > 0:
                    problems.append(f"{where}: the page scrolls sideways by {overflow} px")
                header = page.locator("header.topbar").bounding_box()
                assert header is not None and header["height"] <= 60, where
                assert menu_button.is_visible() and not nav.is_visible(), where
            else:
                assert nav.is_visible() and not menu_button.is_visible(), where
                header = page.locator("header.topbar").bounding_box()
                assert header is not None and header["height"] <= 60, f"{where}: nav wraps"
                problems += [
                    f"{where}: table {t!r} is wider than its panel" for t in page.evaluate(WIDER)
                ]
    assert problems == [], "\n".join(problems)


def test_the_menu_button_opens_and_closes_the_navigation(site: Site, admin_page: Page) -> None:
    page = admin_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{site.url}/lang/zh_CN?next=/stock")
    nav = page.locator("nav.mainnav")
    assert not nav.is_visible()
    # when the menu button is clicked, the navigation, the languages and the account show
    page.locator("label.menu-button").click()
    assert nav.is_visible()
    assert page.locator(".langs a[hreflang=en]").is_visible()
    assert page.locator(".account button").is_visible()
    # the links are a column, each a comfortable target
    boxes = [link.bounding_box() for link in nav.locator("a").all()]
    assert all(box is not None and box["height"] >= 36 for box in boxes)
    assert len({box["x"] for box in boxes if box is not None}) == 1
    nav.locator("a", has_text="批次").click()
    page.wait_for_load_state()
    assert page.url == f"{site.url}/lots"
    # a new page starts with the menu closed; the button works from the keyboard too
    assert not nav.is_visible()
    page.locator("#menu-toggle").focus()
    page.keyboard.press("Space")
    assert nav.is_visible()
    page.keyboard.press("Space")
    assert not nav.is_visible()
