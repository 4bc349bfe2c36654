"""The receive page with a scanned barcode (issue 10): it shows what it will post, and a box
barcode posts a box."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from cangku.services.items import set_item_barcodes
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as

BOX = "6901234567908"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [("6901234567892", None), (BOX, "box")])
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def _on_hand(db: Database) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item="BOLT")).on_hand


def test_the_receive_page_checks_then_posts_a_box_barcode_as_12_pcs(
    client: Browser, db: Database
) -> None:
    form = client.get("/stock/operations/receive")
    data = {
        "item": BOX,
        "quantity": "1",
        "to_location": "WH1-A",
        "idempotency_key": key_of(form.text),
    }
    # checking shows the item, the barcode's unit and the base quantity, and posts nothing
    checked = client.post("/stock/operations/receive", data={**data, "preview": "1"})
    assert checked.status_code == 200
    assert re.search(r"<strong>BOLT</strong>", checked.text)
    assert "box (from the barcode)" in checked.text
    assert re.search(r'id="resolved-base">12 pcs<', checked.text)
    assert _on_hand(db) == 0
    # posting it posts 12 pcs
    posted = client.post("/stock/operations/receive", data=data)
    assert posted.status_code == 200
    assert "Posted: Receive 12 pcs BOLT: WH1/SUPPLIER → WH1-A." in posted.text
    assert _on_hand(db) == Decimal(12)
    page = client.get(f"/stock?item={BOX}")
    assert page.status_code == 200
    assert re.search(r'id="total-on-hand">12<', page.text)


def test_another_unit_than_the_barcode_s_is_shown_and_nothing_posted(
    client: Browser, db: Database
) -> None:
    form = client.get("/stock/operations/receive")
    data = {
        "item": BOX,
        "quantity": "1",
        "unit": "pcs",
        "to_location": "WH1-A",
        "idempotency_key": key_of(form.text),
    }
    refused = client.post("/stock/operations/receive", data=data)
    assert refused.status_code == 422
    assert "leave the unit empty or give box" in refused.text
    assert _on_hand(db) == 0
