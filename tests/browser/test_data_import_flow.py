"""The data import page in a real headless Chromium (Debian's), against the app served by
uvicorn: an items XLSX with a bad row is checked and refused with its problem shown, the fixed
file is checked and confirmed, and the items exist.

Screenshots of the preview with its problems (Chinese and English, 1400 and 375 px wide) go to
``screenshots/`` at the repository root (gitignored).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page

from cangku.queries.items import list_items
from tests.auth import PASSWORD
from tests.browser.conftest import Site
from tests.browser.test_receipt_flow import SCREENSHOTS, _sign_in

pytestmark = pytest.mark.browser

HEADERS = ["物料编码", "名称", "物料类型", "基本单位"]
GOOD = [
    ["NUT-M8", "六角螺母 M8", "spare_part", "pcs"],
    ["WASHER-M8", "垫圈 M8", "consumable", "pcs"],
]
BAD_ROW = ["BAD-1", "坏行", "gadget", "pcs"]


def xlsx(rows: list[list[str]], path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _shoot_widths(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1400, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def test_an_items_file_with_a_bad_row_is_refused_then_the_fixed_one_imported(
    site: Site, browser_page: Page, tmp_path: Path
) -> None:
    server, db = site.url, site.db
    page = browser_page
    # given the administrator signed in, on the import page (reached from the navigation)
    page.goto(f"{server}/sign-in")
    _sign_in(page, "admin", PASSWORD)
    page.locator("nav.mainnav a", has_text="导入数据").click()
    page.wait_for_load_state()
    assert page.url == f"{server}/import/items"
    # when a file with a bad row is uploaded
    bad = xlsx([*GOOD, BAD_ROW], tmp_path / "items-bad.xlsx")
    page.locator("#upload-form input[type=file]").set_input_files(str(bad))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_load_state()
    # then its problem is shown (in Chinese), the preview too, and it cannot be confirmed
    problems = page.locator("#problems").inner_text()
    assert "invalid_item_type" in problems
    assert "选择物料类型" in problems
    assert "NUT-M8" in page.locator("#preview-rows").inner_text()
    assert page.locator("#confirm").count() == 0
    _shoot_widths(page, "data-import-errors-zh")
    page.locator("a[hreflang=en]").click()  # the same page in English: a new check
    page.wait_for_load_state()
    page.locator("#upload-form input[type=file]").set_input_files(str(bad))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Choose an item type." in page.locator("#problems").inner_text()
    _shoot_widths(page, "data-import-errors-en")
    assert list_items(db, "NUT-M8", limit=10).total == 0
    # when the fixed file is uploaded and confirmed
    good = xlsx(GOOD, tmp_path / "items.xlsx")
    page.locator("#upload-form input[type=file]").set_input_files(str(good))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#problems").count() == 0
    page.locator("#confirm").click()
    page.wait_for_load_state()
    # then the items are created
    assert "2 created" in page.locator(".flash-success").inner_text()
    assert page.url == f"{server}/import/items"
    found = list_items(db, limit=10)
    assert {"NUT-M8", "WASHER-M8"} <= {item.code for item in found.items}
