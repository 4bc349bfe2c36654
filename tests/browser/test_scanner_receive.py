"""The receive page with a keyboard-wedge scanner, in a real headless Chromium: the scanner
types each code fast and presses Enter (Playwright's keyboard, a few milliseconds a key).

On the shared server (``tests/browser/conftest.py``) this test creates and receives its own
items, SCAN-CUP (a box of 12 pcs with its own barcode) and SCAN-TEA (lot-tracked, with a
GTIN), which no other browser test reads.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cangku.db.tables import items, lots
from cangku.queries.stock import StockFilter, totals
from cangku.services.items import ItemInput, create_item
from tests.auth import PASSWORD
from tests.browser.conftest import Site
from tests.factories import CTX

pytestmark = pytest.mark.browser

CUP_BOX = "6901234567922"  # EAN-13 of a box of 12 SCAN-CUP
TEA_GTIN = "06901234567939"  # GTIN-14 of SCAN-TEA (its EAN-13 with a leading zero)
KEY_DELAY_MS = 4  # a scanner types a character every few milliseconds


@pytest.fixture(scope="module")
def scan_items(site: Site) -> None:
    with site.db.read() as conn:
        if conn.execute(select(items.c.id).where(items.c.code == "SCAN-CUP")).first():
            return
    cup = ItemInput(
        "SCAN-CUP", "Paper cup", "consumable", units=[("box", Decimal(12))],
        barcodes=[(CUP_BOX, "box")],
    )  # fmt: skip
    tea = ItemInput("SCAN-TEA", "Green tea", "finished_good", tracking="lot",
                    barcodes=[(TEA_GTIN[1:], None)])  # fmt: skip
    create_item(site.db, CTX, cup)
    create_item(site.db, CTX, tea)


def _on_hand(site: Site, item: str, location: str) -> Decimal:
    with site.db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def _scan(page: Page, text: str) -> None:
    page.keyboard.type(text, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")


def test_a_scanner_receives_a_box_as_12_pcs_and_a_gs1_lot_with_its_expiry(
    site: Site, scan_items: None, browser_page: Page, screenshots: Path
) -> None:
    page = browser_page
    server = site.url
    page.goto(f"{server}/sign-in?next=/stock/operations/receive")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"{server}/stock/operations/receive")
    form = page.locator("#operation-form")
    # the cursor starts in the scan field
    expect(page.locator("#scan")).to_be_focused()

    # a location label: it fills the location; the cursor stays for the next scan
    _scan(page, "WH1-B")
    expect(form.locator("input[name=to_location]")).to_have_value("WH1-B")
    expect(page.locator("body")).to_have_class("scan-ok")
    expect(page.locator("#scan")).to_be_focused()

    # the box barcode: the item and its unit; the cursor moves on to the quantity
    _scan(page, CUP_BOX)
    expect(form.locator("input[name=item]")).to_have_value("SCAN-CUP")
    expect(form.locator("input[name=unit]")).to_have_value("box")
    expect(page.locator("#resolved-box")).to_contain_text("SCAN-CUP")
    expect(form.locator("input[name=quantity]")).to_be_focused()

    # quantity 1 and Enter: the Check box shows 12 pcs, and the receipt posts 12 pcs
    page.keyboard.type("1", delay=KEY_DELAY_MS)
    expect(page.locator("#resolved-base")).to_contain_text("12")
    page.keyboard.press("Enter")
    expect(page.locator("main .flash-success")).to_contain_text("SCAN-CUP")
    assert _on_hand(site, "SCAN-CUP", "WH1-B") == Decimal(12)
    # the location stays for the next scan; the item does not; the cursor is back in the scan
    expect(form.locator("input[name=to_location]")).to_have_value("WH1-B")
    expect(form.locator("input[name=item]")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()

    # a GS1 DataMatrix (raw: the scanner sends its group separator as Ctrl+]): item, lot,
    # expiry (day 00: the month's last day) and count; all is filled, so Enter posts
    page.keyboard.type(f"]d201{TEA_GTIN}17270200" + "10T-77", delay=KEY_DELAY_MS)
    page.keyboard.press("Control+BracketRight")
    page.keyboard.type("303", delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    expect(form.locator("input[name=item]")).to_have_value("SCAN-TEA")
    expect(form.locator("input[name=lot]")).to_have_value("T-77")
    expect(form.locator("input[name=expires_on]")).to_have_value("2027-02-28")
    expect(form.locator("input[name=quantity]")).to_have_value("3")
    expect(page.locator("#scan")).to_be_focused()
    page.screenshot(path=str(screenshots / "scanner-receive-gs1.png"), full_page=True)
    page.keyboard.press("Enter")
    expect(page.locator("main .flash-success")).to_contain_text("SCAN-TEA")
    assert _on_hand(site, "SCAN-TEA", "WH1-B") == Decimal(3)
    with site.db.read() as conn:
        expiry = conn.execute(select(lots.c.expires_on).where(lots.c.code == "T-77")).scalar()
    assert expiry == date(2027, 2, 28)
    expect(form.locator("input[name=to_location]")).to_have_value("WH1-B")

    # the human-readable form reads the same; the cursor goes on to the quantity
    _scan(page, f"(01){TEA_GTIN}(10)T-78")
    expect(form.locator("input[name=lot]")).to_have_value("T-78")
    expect(page.locator("#scan-status")).to_contain_text("T-78")
    expect(form.locator("input[name=quantity]")).to_be_focused()
    # a scan while the cursor is in the quantity is still a scan (it comes at scanner speed):
    # a code nothing has flashes an error and leaves the quantity as it was
    _scan(page, "NO-SUCH-CODE")
    expect(page.locator("body")).to_have_class("scan-error")
    expect(page.locator("#scan-status")).to_contain_text("NO-SUCH-CODE")
    expect(page.locator("#scan")).to_have_value("NO-SUCH-CODE")  # kept, selected: rescan
    expect(form.locator("input[name=quantity]")).to_have_value("")
    assert _on_hand(site, "SCAN-TEA", "WH1-B") == Decimal(3)
