"""A stock count in a real headless Chromium with a keyboard-wedge scanner: raised on its form
for one location and started at once, counted on the scan screen (location, Enter, item, Enter,
the lot of a lot-tracked item, Enter, quantity, Enter; an unexpected lot found), closed,
approved and posted from the count's page; the adjustments written and the on hand afterwards.

On the shared server (``tests/browser/conftest.py``) this test uses its own location WH1-CNT
and items CNT-PEN and CNT-SOAP (lot-tracked), which no other browser test reads.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cangku.db.tables import balances, documents, items, locations, lots, moves
from cangku.services.items import ItemInput, create_item
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.warehouses import LocationInput, create_location
from tests.auth import PASSWORD
from tests.browser.conftest import Site
from tests.factories import CTX

pytestmark = pytest.mark.browser

KEY_DELAY_MS = 4  # a scanner types a character every few milliseconds


@pytest.fixture(scope="module")
def count_data(site: Site) -> None:
    """WH1-CNT holds 20 CNT-PEN at 1.00 and 10 CNT-SOAP of lot S1 at 2.00."""
    with site.db.read() as conn:
        if conn.execute(select(items.c.id).where(items.c.code == "CNT-PEN")).first():
            return
    create_location(site.db, CTX, LocationInput("WH1-CNT", "Count shelf", warehouse="WH1"))
    create_item(site.db, CTX, ItemInput("CNT-PEN", "Ballpoint pen", "consumable"))
    create_item(site.db, CTX, ItemInput("CNT-SOAP", "Hand soap", "consumable", tracking="lot"))
    receive_stock(site.db, CTX, Receive("CNT-PEN", "20", "WH1-CNT", unit_cost="1"))
    receive_stock(site.db, CTX, Receive("CNT-SOAP", "10", "WH1-CNT", lot="S1", unit_cost="2"))


def _on_hand(site: Site) -> dict[tuple[str, str | None], Decimal]:
    with site.db.read() as conn:
        rows = conn.execute(
            select(items.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(locations.c.code == "WH1-CNT", balances.c.on_hand != 0)
        )
        return {(r[0], r[1]): Decimal(r[2]) / 10**6 for r in rows}


def _scan(page: Page, field: str, code: str) -> None:
    """The scanner types ``code`` into the focused ``field`` and presses Enter: the form goes
    to the server, and the screen comes back with the next field focused."""
    expect(page.locator(field)).to_be_focused()
    page.keyboard.type(code, delay=KEY_DELAY_MS)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_count_with_a_scanner_close_approve_and_post(
    site: Site, count_data: None, browser_page: Page, screenshots: Path
) -> None:
    page = browser_page
    server = site.url
    page.goto(f"{server}/sign-in?next=/counts/new")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"{server}/counts/new")

    # the count of WH1-CNT, started at once
    form = page.locator("#count-form")
    form.locator("select[name=warehouse]").select_option("WH1")
    form.locator("textarea[name=locations]").fill("WH1-CNT")
    form.locator("input[name=start]").check()
    form.locator("button.primary").click()
    page.wait_for_url(f"{server}/documents/CNT-WH1-*")
    number = page.url.rsplit("/", 1)[1]

    # counting on the scan screen: the location, then each item
    page.locator(f"a[href='/counts/{number}/scan']").first.click()
    page.wait_for_url(f"{server}/counts/{number}/scan")
    _scan(page, "#count-location", "WH1-CNT")
    _scan(page, "#count-item", "CNT-PEN")
    _scan(page, "#count-quantity", "18")
    expect(page.locator(".flash-success")).to_be_visible()
    # the same location stays; a lot-tracked item asks for its lot
    _scan(page, "#count-item", "CNT-SOAP")
    _scan(page, "#count-lot", "S1")
    _scan(page, "#count-quantity", "12")
    # a lot the books do not know
    _scan(page, "#count-item", "CNT-SOAP")
    _scan(page, "#count-lot", "S2")
    _scan(page, "#count-quantity", "1")
    expect(page.locator("#last-entries tbody tr")).to_have_count(3)
    expect(page.locator("#count-item")).to_be_focused()
    page.screenshot(path=str(screenshots / "count-scan-zh.png"), full_page=True)

    # close, approve and post from the count's page
    page.goto(f"{server}/documents/{number}")
    for step in ("close", "approve", "post"):
        with page.expect_navigation():
            page.locator(f"button[name=step][value={step}]").click()
        expect(page.locator(".flash-success")).to_be_visible()
    page.screenshot(path=str(screenshots / "count-posted-zh.png"), full_page=True)

    # the adjustments: the differences against the books, exactly
    with site.db.read() as conn:
        state = conn.execute(
            select(documents.c.state).where(documents.c.number == number)
        ).scalar_one()
        written = conn.execute(
            select(items.c.code, lots.c.code, moves.c.quantity, moves.c.reason_code)
            .join_from(moves, items, items.c.id == moves.c.item_id)
            .outerjoin(lots, lots.c.id == moves.c.lot_id)
            .where(moves.c.document_id == number)
            .order_by(moves.c.id)
        ).all()
    assert state == "posted"
    assert sorted((i, lot, Decimal(q) / 10**6, r) for i, lot, q, r in written) == [
        ("CNT-PEN", None, Decimal(2), "count_difference"),
        ("CNT-SOAP", "S1", Decimal(2), "count_difference"),
        ("CNT-SOAP", "S2", Decimal(1), "count_difference"),
    ]
    assert _on_hand(site) == {
        ("CNT-PEN", None): Decimal(18),
        ("CNT-SOAP", "S1"): Decimal(12),
        ("CNT-SOAP", "S2"): Decimal(1),
    }
