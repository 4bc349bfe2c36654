"""The inbound data-entry screens through the pages: a purchase order raised on its form, goods
received on the scanner screen (a scan fills the line; over-receipt asks for a confirmation),
an inspection with a rejection, a put-away bin by bin, a return to the supplier. After each POST:
the exact state and on hand by location; each refusal: the message in the user's language, the
form as typed, and nothing written."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from cangku.db.tables import balances, items, locations, lots
from cangku.db.uow import Database
from cangku.domain.gs1 import GS
from cangku.queries.documents import DocumentView, get_document
from cangku.services.common import Context
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.items import set_item_barcodes
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as
from tests.web.routes import state

FLOUR_GTIN = "06901234567915"
BUYER = Context(username="buyer")


def _sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


@pytest.fixture
def inbound(db: Database) -> Database:
    """The test company with supplier ACME (BOLT at 0.50 a pcs, 10 % over-receipt tolerance),
    FLOUR inspected on receipt, BOLT's default bin WH1-A, an approval threshold of 100.00, and
    users buyer, boss, clerk and qc in WH1."""
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    set_supplier_item(
        db, CTX, SupplierItemInput("ACME", "BOLT", price=Decimal("0.5"), currency="CNY")
    )
    set_item_barcodes(db, CTX, "FLOUR", [(FLOUR_GTIN, None)])
    for name, role in [
        ("buyer", "purchaser"),
        ("boss", "warehouse_manager"),
        ("clerk", "receiving_clerk"),
        ("qc", "quality_inspector"),
    ]:
        create_user(db, CTX, name, name.title(), PASSWORD, [(role, "WH1")])
    _sql(db, "UPDATE items SET inspection_required = true WHERE code = 'FLOUR'")
    _sql(db, "UPDATE partners SET over_receipt_tolerance = 10000000 WHERE code = 'ACME'")
    _sql(db, "UPDATE company SET po_approval_threshold = 100000000")
    _sql(
        db,
        "UPDATE items SET default_location_id = (SELECT id FROM locations WHERE code = 'WH1-A')"
        " WHERE code = 'BOLT'",
    )
    return db


@pytest.fixture
def client(inbound: Database, database_url: str) -> Iterator[Browser]:
    with browser(inbound, database_url) as test_client:
        sign_in_as(test_client, inbound)
        test_client.cookies.set("lang", "en")
        yield test_client


def _on_hand(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    """Non-zero balances outside the virtual supplier location: (item, location, lot) -> qty."""
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.on_hand != 0, locations.c.kind != "supplier")
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _doc(db: Database, number: str) -> DocumentView:
    with db.read() as conn:
        return get_document(conn, number)


def _order(db: Database, *lines: OrderLineInput) -> str:
    number = create_purchase_order(db, BUYER, NewPurchaseOrder("ACME", "WH1", list(lines))).number
    confirm_order(db, BUYER, number)
    return number


def _value(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def _autofocus(html: str) -> str:
    found = re.search(r'<(?:input|select) name="([a-z_\-0-9]+)"[^>]*autofocus', html)
    assert found is not None
    return found.group(1)


def _error(page: str) -> str:
    found = re.search(r'<div class="flash flash-error" role="alert">(.*?)</div>', page, re.S)
    assert found is not None
    return html.unescape(" ".join(found.group(1).split()))


def _rows(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    del prefix
    data = {"rows": str(len(rows))}
    for i, row in enumerate(rows):
        data.update({f"{name}-{i}": value for name, value in row.items()})
    return data


# ------------------------------------------------------------------ purchase orders


def test_the_order_form_raises_a_draft_at_the_suppliers_price(
    client: Browser, inbound: Database
) -> None:
    form = client.get("/purchase-orders/new")
    assert form.status_code == 200
    assert _autofocus(form.text) == "supplier"
    data: dict[str, Any] = {
        "supplier": "ACME",
        "warehouse": "WH1",
        "reference": "Q-77",
        "due_on": "2031-05-01",
        "idempotency_key": key_of(form.text),
        **_rows(
            "po",
            [
                {"item": "BOLT", "quantity": "20", "unit": "box"},
                {"item": "FLOUR", "quantity": "50", "unit_price": "3", "expected_on": "2031-04-20"},
                {"item": "", "quantity": ""},
            ],
        ),
    }
    posted = client.post("/purchase-orders/new", data=data, follow_redirects=False)
    assert posted.status_code == 303
    number = posted.headers["location"].removeprefix("/documents/")
    assert re.fullmatch(r"PO-WH1-\d{4}-00001", number)
    order = _doc(inbound, number)
    assert (order.state, order.partner, order.reference, order.created_by) == (
        "draft",
        "ACME",
        "Q-77",
        "admin",
    )
    assert order.total_value == Decimal(270)  # 20 box x 12 x 0.50 + 50 kg x 3.00
    assert [
        (ln.item, ln.quantity, ln.unit, ln.unit_quantity, ln.unit_price) for ln in order.lines
    ] == [
        ("BOLT", Decimal(240), "box", Decimal(20), Decimal(6)),
        ("FLOUR", Decimal(50), "kg", Decimal(50), Decimal(3)),
    ]
    assert str(order.lines[1].expected_on) == "2031-04-20"
    assert str(order.due_on) == "2031-05-01"


def test_more_lines_shows_the_form_again_as_typed_and_writes_nothing(
    client: Browser, inbound: Database
) -> None:
    form = client.get("/purchase-orders/new")
    before = state(inbound)
    rows = [
        {"item": "BOLT", "quantity": "7"},
        {"item": "", "quantity": ""},
        {"item": "", "quantity": ""},
    ]
    data = {"supplier": "ACME", "note": "rush", "more": "1", "idempotency_key": key_of(form.text)}
    again = client.post("/purchase-orders/new", data={**data, **_rows("po", rows)})
    assert again.status_code == 200
    assert _value(again.text, "rows") == "6"
    assert (_value(again.text, "item-0"), _value(again.text, "quantity-0")) == ("BOLT", "7")
    assert _value(again.text, "item-5") == ""
    assert ">rush</textarea>" in again.text
    assert state(inbound) == before


@pytest.mark.parametrize(
    ("line", "lang", "message"),
    [
        ({"item": "NOPE", "quantity": "1"}, "en", "Item NOPE does not exist."),
        ({"item": "BOLT", "quantity": "1.5"}, "en", "Too many decimal places for this unit."),
        ({"item": "", "quantity": ""}, "en", "Fill in at least one line."),
        ({"item": "", "quantity": ""}, "zh_CN", "请至少填写一行。"),
    ],
    ids=["unknown-item", "decimals", "no-lines", "no-lines-chinese"],
)
def test_a_refused_order_keeps_what_was_typed_and_writes_nothing(
    client: Browser, inbound: Database, line: dict[str, str], lang: str, message: str
) -> None:
    client.cookies.set("lang", lang)
    form = client.get("/purchase-orders/new")
    before = state(inbound)
    data = {"supplier": "ACME", "warehouse": "WH1", "idempotency_key": key_of(form.text)}
    refused = client.post("/purchase-orders/new", data={**data, **_rows("po", [line])})
    assert refused.status_code == 422
    assert _error(refused.text) == message
    assert _value(refused.text, "item-0") == line["item"]
    assert _value(refused.text, "idempotency_key") == key_of(form.text)
    assert state(inbound) == before


def test_a_receiving_clerk_may_not_raise_orders(client: Browser, inbound: Database) -> None:
    sign_in_as(client, inbound, "clerk")
    assert client.get("/purchase-orders/new").status_code == 403


# ------------------------------------------------------------------ receiving


def test_the_receiving_screen_lists_the_open_lines_and_starts_in_the_scan_field(
    client: Browser, inbound: Database
) -> None:
    number = _order(
        inbound, OrderLineInput("BOLT", "10"), OrderLineInput("FLOUR", "20", unit_price="3")
    )
    chooser = client.get("/receiving")
    assert f'href="/receiving?order={number}"' in chooser.text
    page = client.get(f"/receiving?order={number}")
    assert page.status_code == 200
    assert _autofocus(page.text) == "scan"
    assert [_value(page.text, f"item-{i}") for i in (0, 1)] == ["BOLT", "FLOUR"]
    assert [_value(page.text, f"line-{i}") for i in (0, 1)] == ["1", "2"]
    assert "confirm_over_receipt" not in page.text


def test_a_scan_fills_its_line_and_receive_posts_into_receiving(
    client: Browser, inbound: Database
) -> None:
    number = _order(
        inbound, OrderLineInput("BOLT", "10"), OrderLineInput("FLOUR", "20", unit_price="3")
    )
    page = client.get(f"/receiving?order={number}")
    key = key_of(page.text)
    base = {
        "order": number,
        "idempotency_key": key,
        **_rows("r", [{"item": "BOLT", "line": "1"}, {"item": "FLOUR", "line": "2"}]),
    }
    before = state(inbound)
    # the item's barcode: the cursor goes to its quantity
    scanned = client.post("/receiving", data={**base, "scan": "6901234567892", "read": "1"})
    assert scanned.status_code == 200
    assert _autofocus(scanned.text) == "quantity-0"
    assert "Scanned: BOLT · Hex bolt M8" in scanned.text
    # a GS1 DataMatrix of the flour: lot, expiry and count fill its line
    gs1 = f"]d201{FLOUR_GTIN}17270200" + f"10F-9{GS}3020"
    filled = client.post("/receiving", data={**base, "quantity-0": "4", "scan": gs1, "read": "1"})
    assert (_value(filled.text, "lot-1"), _value(filled.text, "expires_on-1")) == (
        "F-9",
        "2027-02-28",
    )
    assert (_value(filled.text, "quantity-1"), _value(filled.text, "quantity-0")) == ("20", "4")
    assert _autofocus(filled.text) == "scan"
    assert state(inbound) == before  # scans read, never write
    # receive: bolts to receiving, flour (inspected) to quality
    fields = {
        **base,
        "quantity-0": "4",
        "quantity-1": "20",
        "lot-1": "F-9",
        "expires_on-1": "2027-02-28",
        "delivery_note": "DN-1",
        "receive": "1",
    }
    posted = client.post("/receiving", data=fields, follow_redirects=False)
    assert posted.status_code == 303
    receipt = re.search(r"received=(GR-WH1-\d{4}-\d{5})", posted.headers["location"])
    assert receipt is not None
    assert _on_hand(inbound) == {
        ("BOLT", "WH1-RCV", None): Decimal(4),
        ("FLOUR", "WH1-QC", "F-9"): Decimal(20),
    }
    assert _doc(inbound, number).state == "partially_received"
    done = _doc(inbound, receipt.group(1))
    assert (done.state, done.reference) == ("received", "DN-1")
    kinds = {doc_type: child for child, doc_type, _ in done.children}
    shown = client.get(posted.headers["location"])
    assert f"Receipt {receipt.group(1)} was received." in shown.text
    assert f'href="/inspections/{kinds["inspection"]}/record"' in shown.text
    assert f'href="/putaways/{kinds["putaway"]}"' in shown.text
    # the same form sent again posts nothing twice
    client.post("/receiving", data=fields, follow_redirects=False)
    assert _on_hand(inbound)[("BOLT", "WH1-RCV", None)] == Decimal(4)


def test_over_receipt_asks_for_a_confirmation_first(client: Browser, inbound: Database) -> None:
    number = _order(inbound, OrderLineInput("BOLT", "10"))
    page = client.get(f"/receiving?order={number}")
    fields = {
        "order": number,
        "idempotency_key": key_of(page.text),
        "receive": "1",
        **_rows("r", [{"item": "BOLT", "line": "1", "quantity": "11"}]),
    }
    before = state(inbound)
    asked = client.post("/receiving", data=fields)
    assert asked.status_code == 409
    assert _error(asked.text) == (
        f"{number}: line 1 would be received over the quantity ordered. Tick “Confirm "
        "over-receipt” and receive again to accept it."
    )
    assert 'name="confirm_over_receipt"' in asked.text
    assert _value(asked.text, "quantity-0") == "11"
    assert state(inbound) == before
    beyond = client.post(
        "/receiving", data={**fields, "quantity-0": "12", "confirm_over_receipt": "1"}
    )
    assert beyond.status_code == 422
    assert _error(beyond.text) == (
        f"{number} line 1 (BOLT): 10 ordered, 0 received; at most 11 more may be received "
        "within the supplier's tolerance."
    )
    assert state(inbound) == before
    confirmed = client.post(
        "/receiving", data={**fields, "confirm_over_receipt": "1"}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    assert _on_hand(inbound) == {("BOLT", "WH1-RCV", None): Decimal(11)}
    assert _doc(inbound, number).state == "received"


@pytest.mark.parametrize(
    ("row", "scan", "status", "message"),
    [
        ({"quantity": "2"}, "GLUE", 422, "Item GLUE is not on order {order}."),
        (
            {"quantity": "2"},
            "NOPE-1",
            422,
            "Nothing has the code NOPE-1: no item, barcode, location or lot.",
        ),
        ({"quantity": "2"}, "WH1-A", 422, "WH1-A is not an item: scan the item's barcode."),
        (
            {"quantity": "2", "serials": "SN1"},
            "",
            422,
            "Item BOLT is not lot- or serial-tracked; leave the lot empty.",
        ),
        ({"quantity": "x"}, "", 422, "Enter a number."),
    ],
    ids=["not-on-order", "unknown-code", "a-location", "serials-of-untracked", "not-a-number"],
)
def test_a_refused_scan_or_receipt_keeps_the_screen_and_writes_nothing(
    client: Browser,
    inbound: Database,
    row: dict[str, str],
    scan: str,
    status: int,
    message: str,
) -> None:
    number = _order(inbound, OrderLineInput("BOLT", "10"))
    page = client.get(f"/receiving?order={number}")
    fields = {
        "order": number,
        "idempotency_key": key_of(page.text),
        "receive": "1",
        "scan": scan,
        **_rows("r", [{"item": "BOLT", "line": "1", **row}]),
    }
    before = state(inbound)
    refused = client.post("/receiving", data=fields)
    assert refused.status_code == status
    assert _error(refused.text) == message.format(order=number)
    assert _value(refused.text, "quantity-0") == row["quantity"]
    assert state(inbound) == before


def test_receiving_without_an_order_names_warehouse_and_supplier(
    client: Browser, inbound: Database
) -> None:
    page = client.get("/receiving?warehouse=WH1&supplier=ACME")
    assert _value(page.text, "rows") == "3"
    key = key_of(page.text)
    rows = [
        {"item": "", "quantity": ""},
        {"item": "", "quantity": ""},
        {"item": "", "quantity": ""},
    ]
    base = {"warehouse": "WH1", "supplier": "ACME", "idempotency_key": key, **_rows("r", rows)}
    scanned = client.post(
        "/receiving", data={**base, "scan": "(01)06901234567915(10)F-1", "read": "1"}
    )
    assert (_value(scanned.text, "item-0"), _value(scanned.text, "lot-0")) == ("FLOUR", "F-1")
    more = client.post("/receiving", data={**base, "more": "1"})
    assert _value(more.text, "rows") == "6"
    fields = {**base, "item-0": "GLUE", "quantity-0": "2", "lot-0": "G-5", "receive": "1"}
    posted = client.post("/receiving", data=fields, follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"].endswith("&warehouse=WH1&supplier=ACME")
    assert _on_hand(inbound) == {("GLUE", "WH1-RCV", "G-5"): Decimal(2)}
    # serial numbers as a range, without a quantity: one pump each
    pumps = {**base, "item-0": "PUMP", "serials-0": "SN100-SN102", "receive": "1",
             "idempotency_key": "k-pumps"}  # fmt: skip
    assert client.post("/receiving", data=pumps, follow_redirects=False).status_code == 303
    assert {k: v for k, v in _on_hand(inbound).items() if k[0] == "PUMP"} == {
        ("PUMP", "WH1-RCV", f"SN{n}"): Decimal(1) for n in (100, 101, 102)
    }
    wrong = client.post(
        "/receiving", data={**pumps, "serials-0": "SN9-SN7", "idempotency_key": "k3"}
    )
    assert _error(wrong.text) == (
        "SN9-SN7 is not a serial range: the same prefix and width on both ends, the first not "
        "after the last (SN100-SN149)."
    )
    lot_missing = client.post("/receiving", data={**fields, "lot-0": "", "idempotency_key": "k2"})
    assert lot_missing.status_code == 422
    assert _error(lot_missing.text) == "Item GLUE is lot-tracked: enter a lot."


# ------------------------------------------------------------------ inspection, put-away, return


def _received(client: Browser, db: Database) -> tuple[str, str, str, str]:
    """An order of 10 BOLT and 50 kg FLOUR received in full: (order, receipt, QC, PA)."""
    number = _order(db, OrderLineInput("BOLT", "10"), OrderLineInput("FLOUR", "50", unit_price="1"))
    page = client.get(f"/receiving?order={number}")
    fields = {
        "order": number,
        "idempotency_key": key_of(page.text),
        "receive": "1",
        **_rows(
            "r",
            [
                {"item": "BOLT", "line": "1", "quantity": "10"},
                {"item": "FLOUR", "line": "2", "quantity": "50", "lot": "F-1"},
            ],
        ),
    }
    posted = client.post("/receiving", data=fields, follow_redirects=False)
    receipt = posted.headers["location"].split("received=")[1].split("&")[0]
    kinds = {doc_type: child for child, doc_type, _ in _doc(db, receipt).children}
    return number, receipt, kinds["inspection"], kinds["putaway"]


def test_an_inspection_rejects_part_and_opens_a_put_away_of_the_rest(
    client: Browser, inbound: Database
) -> None:
    _, receipt, inspection, _ = _received(client, inbound)
    form = client.get(f"/inspections/{inspection}/record")
    assert form.status_code == 200
    assert (_value(form.text, "accepted-1"), _value(form.text, "rejected-1")) == ("50", "0")
    assert '<option value="damaged">Damaged in transit or packing</option>' in form.text
    key = key_of(form.text)
    before = state(inbound)
    unreasoned = client.post(
        f"/inspections/{inspection}/record",
        data={"accepted-1": "45", "rejected-1": "5", "idempotency_key": key},
    )
    assert unreasoned.status_code == 422
    assert _error(unreasoned.text) == "Choose a reason."
    assert _value(unreasoned.text, "accepted-1") == "45"
    too_many = client.post(
        f"/inspections/{inspection}/record",
        data={"accepted-1": "50", "rejected-1": "5", "reason-1": "damaged", "idempotency_key": key},
    )
    assert _error(too_many.text) == f"{inspection} line 1: only 50 wait for inspection."
    assert state(inbound) == before
    data = {
        "accepted-1": "45",
        "rejected-1": "5",
        "reason-1": "damaged",
        "sample_size-1": "5",
        "note-1": "torn bags",
        "idempotency_key": key,
    }
    posted = client.post(f"/inspections/{inspection}/record", data=data, follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/inspections/{inspection}/record"
    done = _doc(inbound, inspection)
    line = done.lines[0]
    assert (done.state, line.accepted, line.rejected, line.reason_code, line.sample_size) == (
        "done",
        Decimal(45),
        Decimal(5),
        "damaged",
        Decimal(5),
    )
    assert _on_hand(inbound)[("FLOUR", "WH1-QC", "F-1")] == Decimal(50)  # one QC spot here
    after = client.get(posted.headers["location"])
    assert "Every line of this inspection is decided." in after.text
    putaways = [c for c, t, _ in _doc(inbound, receipt).children if t == "putaway"]
    assert len(putaways) == 2
    assert f'href="/putaways/{putaways[1]}"' in after.text


def test_the_put_away_screen_stores_line_by_line_in_the_scanned_bin(
    client: Browser, inbound: Database
) -> None:
    _, receipt, _, putaway = _received(client, inbound)
    screen = client.get(f"/putaways/{putaway}")
    assert screen.status_code == 200
    assert _autofocus(screen.text) == "location"
    assert '<strong id="pa-suggested">WH1-A</strong>' in screen.text  # BOLT's default bin
    assert (_value(screen.text, "line"), _value(screen.text, "quantity")) == ("1", "10")
    key = key_of(screen.text)
    before = state(inbound)
    for bin_, qty, message in [
        ("WH1-RCV", "10", "Location WH1-RCV is not a storage bin: scan a storage location."),
        ("WH1-A", "11", "Line 1: only 10 wait to be stored."),
        ("NOWHERE", "1", "Location NOWHERE does not exist."),
    ]:
        refused = client.post(
            f"/putaways/{putaway}",
            data={"line": "1", "location": bin_, "quantity": qty, "idempotency_key": key},
        )
        assert refused.status_code == 422, bin_
        assert _error(refused.text) == message
        assert _value(refused.text, "location") == bin_
        assert state(inbound) == before
    part = client.post(
        f"/putaways/{putaway}",
        data={"line": "1", "location": "WH1-B", "quantity": "4", "idempotency_key": key},
        follow_redirects=False,
    )
    assert part.status_code == 303
    assert _doc(inbound, putaway).state == "open"
    shown = client.get(part.headers["location"])
    assert "Stored 4 pcs of BOLT in WH1-B." in shown.text
    assert _value(shown.text, "quantity") == "6"
    assert '<strong id="pa-suggested">WH1-B</strong>' in shown.text  # where the rest went
    rest = client.post(
        f"/putaways/{putaway}",
        data={"line": "1", "location": "", "quantity": "", "idempotency_key": key_of(shown.text)},
        follow_redirects=False,
    )
    assert rest.status_code == 303
    assert _doc(inbound, putaway).state == "done"
    assert _on_hand(inbound) == {
        ("BOLT", "WH1-B", None): Decimal(10),
        ("FLOUR", "WH1-QC", "F-1"): Decimal(50),
    }
    assert "Everything on this put-away is stored." in client.get(f"/putaways/{putaway}").text
    assert _doc(inbound, receipt).state == "received"  # the flour still waits for inspection


def test_a_return_sends_rejected_goods_back_from_the_receipts_stock(
    client: Browser, inbound: Database
) -> None:
    _, receipt, inspection, _ = _received(client, inbound)
    form = client.get(f"/inspections/{inspection}/record")
    client.post(
        f"/inspections/{inspection}/record",
        data={
            "accepted-1": "45",
            "rejected-1": "5",
            "reason-1": "damaged",
            "idempotency_key": key_of(form.text),
        },
    )
    page = client.get(f"/supplier-returns/new?receipt={receipt}")
    assert page.status_code == 200
    rows = {(_value(page.text, f"item-{i}"), _value(page.text, f"location-{i}")) for i in (0, 1)}
    assert rows == {("BOLT", "WH1-RCV"), ("FLOUR", "WH1-QC")}
    index = 0 if _value(page.text, "item-0") == "FLOUR" else 1
    data = {"receipt": receipt, "ship": "1", "idempotency_key": key_of(page.text), "rows": "2"}
    for i in (0, 1):
        for name in ("item", "lot", "location", "unit"):
            data[f"{name}-{i}"] = _value(page.text, f"{name}-{i}")
    before = state(inbound)
    refused = client.post("/supplier-returns/new", data={**data, f"quantity-{index}": "5"})
    assert refused.status_code == 422
    assert _error(refused.text) == "Choose a reason."
    assert state(inbound) == before
    data.update({f"quantity-{index}": "5", f"reason-{index}": "rejected_in_inspection"})
    posted = client.post("/supplier-returns/new", data=data, follow_redirects=False)
    assert posted.status_code == 303
    number = posted.headers["location"].removeprefix("/documents/")
    assert _doc(inbound, number).state == "returned"
    assert _on_hand(inbound)[("FLOUR", "WH1-QC", "F-1")] == Decimal(45)


def test_unknown_or_mistyped_documents_are_not_found(client: Browser, inbound: Database) -> None:
    number = _order(inbound, OrderLineInput("BOLT", "1"))
    for url in (
        "/inspections/QC-NOPE/record",
        f"/putaways/{number}",
        "/receiving?order=PO-NOPE",
        f"/supplier-returns/new?receipt={number}",
    ):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "does not exist" in page.text
