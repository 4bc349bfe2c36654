"""The inbound screens in a real headless Chromium with a keyboard-wedge scanner: a purchase
order raised on its form, confirmed, received on the scanner screen (a barcode and a GS1
DataMatrix typed into the scan field, then Enter), inspected with a partial rejection and put
away by scanning the bins; the final on hand by location.

On the shared server (``tests/browser/conftest.py``) this test uses its own items, INB-NUT and
INB-OIL (lot-tracked, inspected on receipt), which no other browser test reads.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, text

from cangku.db.tables import items
from cangku.queries.stock import StockFilter, totals
from cangku.services.inbound.orders import confirm_order
from cangku.services.items import ItemInput, create_item
from tests.auth import PASSWORD
from tests.browser.conftest import Site
from tests.factories import CTX

pytestmark = pytest.mark.browser

NUT_BARCODE = "6901234567946"  # EAN-13 of INB-NUT
OIL_GTIN = "06901234567953"  # GTIN-14 of INB-OIL
KEY_DELAY_MS = 4  # a scanner types a character every few milliseconds


@pytest.fixture(scope="module")
def inbound_items(site: Site) -> None:
    with site.db.read() as conn:
        if conn.execute(select(items.c.id).where(items.c.code == "INB-NUT")).first():
            return
    nut = ItemInput("INB-NUT", "Lock nut M8", "spare_part", barcodes=[(NUT_BARCODE, None)])
    oil = ItemInput("INB-OIL", "Cutting oil", "consumable", base_unit="l", tracking="lot",
                    barcodes=[(OIL_GTIN[1:], None)])  # fmt: skip
    create_item(site.db, CTX, nut)
    create_item(site.db, CTX, oil)
    with site.db.write() as uow:
        uow.conn.execute(text("UPDATE items SET inspection_required = true WHERE code = 'INB-OIL'"))
        uow.commit()


def _on_hand(site: Site, item: str, location: str) -> Decimal:
    with site.db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def _scan(page: Page, code: str) -> None:
    page.keyboard.type(code, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_order_receive_inspect_and_put_away_with_a_scanner(
    site: Site, inbound_items: None, browser_page: Page, screenshots: Path
) -> None:
    page = browser_page
    server = site.url
    page.goto(f"{server}/sign-in?next=/purchase-orders/new")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"{server}/purchase-orders/new")

    # the purchase order: 24 nuts at the supplier's (no) price, 10 l of oil at 2.00
    form = page.locator("#po-form")
    form.locator("select[name=supplier]").select_option("ACME")
    form.locator("select[name=warehouse]").select_option("WH1")
    form.locator("input[name=item-0]").fill("INB-NUT")
    form.locator("input[name=quantity-0]").fill("24")
    form.locator("input[name=item-1]").fill("INB-OIL")
    form.locator("input[name=quantity-1]").fill("10")
    form.locator("input[name=unit_price-1]").fill("2")
    page.screenshot(path=str(screenshots / "inbound-po-form-zh.png"), full_page=True)
    form.locator("button[name=save]").click()
    page.wait_for_url(f"{server}/documents/PO-WH1-*")
    number = page.url.rsplit("/", 1)[1]
    assert confirm_order(site.db, CTX, number).state == "confirmed"

    # the receiving screen: the cursor starts in the scan field
    page.goto(f"{server}/receiving?order={number}")
    expect(page.locator("#scan")).to_be_focused()
    # the nut's barcode: its line is filled and the cursor goes to its quantity
    _scan(page, NUT_BARCODE)
    expect(page.locator("input[name=quantity-0]")).to_be_focused()
    page.keyboard.type("24")
    page.keyboard.press("Enter")  # Enter reads the (empty) scan: the cursor is back in it
    page.wait_for_load_state()
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("input[name=quantity-0]")).to_have_value("24")
    # a GS1 DataMatrix of the oil: lot, expiry and count (the group separator as Ctrl+])
    page.keyboard.type(f"]d201{OIL_GTIN}17281231" + "10OIL-7", delay=KEY_DELAY_MS)
    page.keyboard.press("Control+BracketRight")
    page.keyboard.type("3010", delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("input[name=lot-1]")).to_have_value("OIL-7")
    expect(page.locator("input[name=expires_on-1]")).to_have_value("2028-12-31")
    expect(page.locator("input[name=quantity-1]")).to_have_value("10")
    page.locator("input[name=delivery_note]").fill("DN-4711")
    page.screenshot(path=str(screenshots / "inbound-receiving-zh.png"), full_page=True)
    page.locator("#receive-button").click()
    page.wait_for_load_state()
    expect(page.locator("#received-box")).to_contain_text("GR-WH1-")
    assert _on_hand(site, "INB-NUT", "WH1-RCV") == Decimal(24)
    assert _on_hand(site, "INB-OIL", "WH1-QC") == Decimal(10)
    nuts_putaway = page.locator("#received-box a[href^='/putaways/']").get_attribute("href")
    assert nuts_putaway is not None

    # the inspection: 8 l accepted, 2 l rejected as damaged
    page.locator("#received-box a[href^='/inspections/']").click()
    page.wait_for_load_state()
    page.locator("input[name=accepted-1]").fill("8")
    page.locator("input[name=rejected-1]").fill("2")
    page.locator("select[name=reason-1]").select_option("damaged")
    page.locator("input[name=sample_size-1]").fill("1")
    page.screenshot(path=str(screenshots / "inbound-inspection-zh.png"), full_page=True)
    page.locator("#record-button").click()
    page.wait_for_load_state()
    expect(page.locator("#inspection-done")).to_be_visible()

    # put-away of the oil: scan the bin, Enter stores all that waits
    page.locator("#inspection-done a[href^='/putaways/']").last.click()
    page.wait_for_load_state()
    expect(page.locator("#pa-waiting")).to_have_text("8")
    expect(page.locator("#scan")).to_be_focused()
    page.screenshot(path=str(screenshots / "inbound-putaway-zh.png"), full_page=True)
    _scan(page, "WH1-RCV")  # not a storage bin: refused, nothing stored
    expect(page.locator("main .flash-error")).to_contain_text("WH1-RCV")
    page.locator("#scan").fill("")
    _scan(page, "WH1-B")
    expect(page.locator("#putaway-done")).to_be_visible()

    # put-away of the nuts: 20 into one bin, the other 4 into another
    page.goto(f"{server}{nuts_putaway}")
    page.locator("#quantity").fill("20")
    page.locator("#scan").focus()
    _scan(page, "WH1-A-01")
    expect(page.locator("#pa-waiting")).to_have_text("4")
    expect(page.locator("#scan")).to_be_focused()
    _scan(page, "WH1-A")
    expect(page.locator("#putaway-done")).to_be_visible()

    assert _on_hand(site, "INB-NUT", "WH1-A-01") == Decimal(20)
    assert _on_hand(site, "INB-NUT", "WH1-A") == Decimal(24)  # WH1-A includes WH1-A-01
    assert _on_hand(site, "INB-NUT", "WH1-RCV") == Decimal(0)
    assert _on_hand(site, "INB-OIL", "WH1-B") == Decimal(8)
    assert _on_hand(site, "INB-OIL", "WH1-QC") == Decimal(2)
