"""The dashboard's stock value card holds the company total in both languages at 1400 and
390 px (issue 10, defect 5: ``1,311,817.387279`` overflowed it). The shared browser database
holds a small total, so the test writes the largest figure the demo shows into the card, as the
money filter renders it, and measures the card in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site

pytestmark = pytest.mark.browser

#: what ``money`` renders for 1311817.387279 CNY (tests/web/test_display_page.py)
FIGURES = {"zh_CN": "¥1,311,817.39", "en": "CN¥1,311,817.39"}
#: the value of the card that shows money (its text has the yuan sign)
FIND = "[...document.querySelectorAll('.card-value')].find(v => v.textContent.includes('¥'))"
#: the card's text, whether it spills out of its card, and on how many lines it stands
MEASURE = f"""() => {{
  const value = {FIND};
  const card = value.closest('.card');
  const box = value.getBoundingClientRect();
  return {{
    text: value.textContent,
    spills: card.scrollWidth > card.clientWidth + 1
      || box.right > card.getBoundingClientRect().right,
    lines: box.height < parseFloat(getComputedStyle(value).fontSize) * 1.8 ? 1 : 2,
  }};
}}"""
SET = f"figure => {{ {FIND}.textContent = figure; }}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("width", [1400, 390])
def test_the_stock_value_card_holds_a_seven_figure_total(
    site: Site, admin_page: Page, lang: str, width: int
) -> None:
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site.url}/lang/{lang}?next=/")
    shown = page.evaluate(MEASURE)
    # the card shows the company total with its currency, rounded to fen
    assert re.fullmatch(r"(CN)?¥[\d,]+\.\d\d", shown["text"]), shown
    page.evaluate(SET, FIGURES[lang])
    measured = page.evaluate(MEASURE)
    assert measured == {"text": FIGURES[lang], "spills": False, "lines": 1}
