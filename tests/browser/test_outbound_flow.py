"""The outbound screens in a real headless Chromium with a keyboard-wedge scanner: a sales order
raised on its form (it approves itself under every threshold), allocated FEFO with the page's
button, put on a pick list from the list of allocated requests, picked on the scanner screen
(bin, Enter, lot, Enter, quantity) with one short pick and its reason, shipped with a carrier;
the on hand, reserved and shipped figures afterwards.

On the shared server (``tests/browser/conftest.py``) this test uses its own item, OUT-TEA
(lot-tracked, allocated FEFO) and customer OUT-SHOP, which no other browser test reads.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cangku.db.tables import items, partners
from cangku.queries.outbound import request_lines
from cangku.queries.stock import StockFilter, totals
from cangku.services.items import ItemInput, create_item
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import PASSWORD
from tests.browser.conftest import Site
from tests.factories import CTX

pytestmark = pytest.mark.browser

KEY_DELAY_MS = 4  # a scanner types a character every few milliseconds


@pytest.fixture(scope="module")
def outbound_data(site: Site) -> None:
    with site.db.read() as conn:
        if conn.execute(select(items.c.id).where(items.c.code == "OUT-TEA")).first():
            return
        known = conn.execute(select(partners.c.id).where(partners.c.code == "OUT-SHOP")).first()
    if not known:
        create_partner(site.db, CTX, PartnerInput("OUT-SHOP", "Tea House", is_customer=True))
    tea = ItemInput("OUT-TEA", "Green tea", "finished_good", tracking="lot",
                    shelf_life_days=365, allocation_strategy="fefo")  # fmt: skip
    create_item(site.db, CTX, tea)
    soon, later = date.today() + timedelta(days=20), date.today() + timedelta(days=200)
    receive_stock(site.db, CTX, Receive("OUT-TEA", "6", "WH1-B", lot="TEA-SOON",
                                        expires_on=soon, unit_cost="3"))  # fmt: skip
    receive_stock(site.db, CTX, Receive("OUT-TEA", "20", "WH1-A", lot="TEA-LATE",
                                        expires_on=later, unit_cost="5"))  # fmt: skip


def _figures(site: Site, item: str, location: str) -> tuple[Decimal, Decimal]:
    with site.db.read() as conn:
        found = totals(conn, StockFilter(item=item, location=location))
    return found.on_hand, found.reserved


def _scan(page: Page, field: str, code: str) -> None:
    page.locator(field).focus()
    page.keyboard.type(code, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")


def test_order_allocate_pick_with_a_scanner_and_ship(
    site: Site, outbound_data: None, browser_page: Page, screenshots: Path
) -> None:
    page = browser_page
    server = site.url
    page.goto(f"{server}/sign-in?next=/sales-orders/new")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"{server}/sales-orders/new")

    # the order: 10 of tea at 9.00, submitted at once (no rule reached: approved)
    form = page.locator("#request-form")
    form.locator("select[name=customer]").select_option("OUT-SHOP")
    form.locator("select[name=warehouse]").select_option("WH1")
    form.locator("input[name=item-0]").fill("OUT-TEA")
    form.locator("input[name=quantity-0]").fill("10")
    form.locator("input[name=unit_price-0]").fill("9")
    form.locator("input[name=submit]").check()
    form.locator("button[name=save]").click()
    page.wait_for_url(f"{server}/documents/SO-WH1-*")
    number = page.url.rsplit("/", 1)[1]

    # allocate: FEFO takes the 6 expiring first, then 4 of the later lot
    page.locator("button[name=step][value=allocate]").click()
    page.wait_for_load_state()
    assert _figures(site, "OUT-TEA", "WH1-B") == (Decimal(6), Decimal(6))
    assert _figures(site, "OUT-TEA", "WH1-A") == (Decimal(20), Decimal(4))

    # a pick list from the allocated requests
    page.goto(f"{server}/pick-lists/new")
    page.locator(f"input[name=request][value='{number}']").check()
    page.locator("#pick-list-form button.primary").click()
    page.wait_for_url(f"{server}/picking/PK-WH1-*")
    page.screenshot(path=str(screenshots / "outbound-picking-zh.png"), full_page=True)

    # walking order: WH1-A first; scan the bin, the lot and pick the 4 in full
    expect(page.locator("#pk-bin")).to_have_text("WH1-A")
    _scan(page, "#pick-location", "WH1-A")
    expect(page.locator("#pick-lot")).to_be_focused()
    page.keyboard.type("TEA-LATE", delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    expect(page.locator("#pick-quantity")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    # then WH1-B: only 5 of the 6 are there; the reason is asked
    expect(page.locator("#pk-bin")).to_have_text("WH1-B")
    _scan(page, "#pick-location", "WH1-B")
    page.keyboard.type("TEA-SOON", delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    page.keyboard.type("5")
    page.locator("#pick-reason").select_option("not_found")
    page.locator("#pick-button").click()
    page.wait_for_load_state()
    expect(page.locator("#picking-done")).to_be_visible()

    # the missing 1 was allocated again from the later lot; 9 wait at the shipping location
    assert _figures(site, "OUT-TEA", "WH1-SHIP") == (Decimal(9), Decimal(9))
    assert _figures(site, "OUT-TEA", "WH1-A") == (Decimal(16), Decimal(1))

    # ship with a carrier: 9 leave, 1 stays the backorder (reserved in WH1-A)
    page.goto(f"{server}/documents/{number}")
    page.locator("input[name=carrier]").fill("SF Express")
    page.locator("input[name=tracking_number]").fill("SF-7788")
    page.locator("button[name=step][value=ship]").click()
    page.wait_for_load_state()
    page.screenshot(path=str(screenshots / "outbound-shipped-zh.png"), full_page=True)
    assert _figures(site, "OUT-TEA", "WH1-SHIP") == (Decimal(0), Decimal(0))
    with site.db.read() as conn:
        [line] = request_lines(conn, number)
    assert (line.ordered, line.reserved, line.shipped, line.backorder) == (
        Decimal(10),
        Decimal(1),
        Decimal(9),
        Decimal(0),
    )
