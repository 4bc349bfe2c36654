"""The lot page's status verbs and history, and the recall trace page with its files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.queries.lots import get_lot
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.stock import receive_stock, scrap_stock, transfer_stock
from cangku.services.stock_commands import Receive, Scrap, Transfer
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.scenarios.test_recall_trace import _request, _ship
from tests.services.test_outbound import build_outbound
from tests.web.browsing import Browser, browser, sign_in_as


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator, signed in, with 26 of lot G1 (30 received, 4 scrapped)."""
    build_company(db)
    receive_stock(db, CTX, Receive("GLUE", "30", "WH1-A", lot="G1", unit_cost="2"))
    scrap_stock(db, CTX, Scrap("GLUE", "4", "WH1-A", lot="G1"))
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def use(client: Browser, lang: str) -> Browser:
    client.cookies.set("lang", lang)
    return client


def test_hold_and_release_from_the_lot_page(client: Browser, db: Database) -> None:
    page = use(client, "en").get("/lots/GLUE/G1")
    assert 'formaction="/lots/GLUE/G1/hold"' in page.text
    assert 'formaction="/lots/GLUE/G1/release"' not in page.text
    assert 'href="/lots/GLUE/G1/trace"' in page.text

    held = client.post("/lots/GLUE/G1/hold", data={"reason": "QA check"})
    assert "Lot G1 is on hold." in held.text
    assert 'formaction="/lots/GLUE/G1/release"' in held.text
    assert re.search(
        r"<td>admin</td><td>Available</td><td>On hold</td><td>QA check</td>", held.text
    )
    released = client.post("/lots/GLUE/G1/release", data={"reason": "fine"})
    assert "Lot G1 is released: available again." in released.text
    assert get_lot(db, "GLUE", "G1").status == "available"


def test_refusals_show_the_page_with_a_message(client: Browser, db: Database) -> None:
    version = get_lot(db, "GLUE", "G1").version

    not_held = use(client, "en").post("/lots/GLUE/G1/release", data={"reason": "x"})
    no_reason = client.post("/lots/GLUE/G1/hold", data={"reason": " "})

    assert not_held.status_code == 422
    assert "Lot G1 is not on hold, quarantined or recalled: nothing to release." in not_held.text
    assert no_reason.status_code == 422
    assert get_lot(db, "GLUE", "G1").version == version


def test_the_inspector_may_hold_but_not_recall(
    client: Browser, db: Database, database_url: str
) -> None:
    create_user(db, CTX, "qa", "Qa", PASSWORD, [("quality_inspector", "WH1")])
    with browser(db, database_url) as qa:
        sign_in_as(qa, db, "qa")
        page = use(qa, "en").get("/lots/GLUE/G1")
        assert 'formaction="/lots/GLUE/G1/hold"' in page.text
        assert 'formaction="/lots/GLUE/G1/recall"' not in page.text
        refused = qa.post("/lots/GLUE/G1/recall", data={"reason": "x"})
        assert refused.status_code == 403
    assert get_lot(db, "GLUE", "G1").status == "available"


def test_trace_page_in_english_and_chinese(client: Browser) -> None:
    english = use(client, "en").get("/lots/GLUE/G1/trace")
    assert english.status_code == 200
    assert "In 30 = on hand 26 + out 4" in english.text
    assert "Received from suppliers" in english.text and "Scrapped" in english.text
    assert 'href="/lots/GLUE/G1/trace?export=csv"' in english.text
    assert english.text.count('class="table-wrap"') == 4

    chinese = use(client, "zh_CN").get("/lots/GLUE/G1/trace")
    assert chinese.status_code == 200
    assert "召回追溯" in chinese.text
    assert "供应商收货" in chinese.text


class _Tables(HTMLParser):
    """Every table.data of a page after its h2: the header texts and each row's cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, tuple[list[str], list[list[str]]]] = {}
        self.heading, self.text, self.cells = "", "", list[str]()
        self.current: tuple[list[str], list[list[str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "th", "td"):
            self.text = ""
        elif tag == "table" and "data" in (dict(attrs).get("class") or "").split():
            self.current = self.tables.setdefault(self.heading, ([], []))
        elif tag == "tr":
            self.cells = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.heading = self.text.strip()
        elif tag in ("th", "td") and self.current is not None:
            self.cells.append(" ".join(self.text.split()))
        elif tag == "tr" and self.current is not None:
            headers, rows = self.current
            (rows if headers else headers).extend([self.cells] if headers else self.cells)
        elif tag == "table":
            self.current = None

    def handle_data(self, data: str) -> None:
        self.text += data


def tables_of(html: str) -> dict[str, list[dict[str, str]]]:
    """Each table.data of the page by the heading above it, a row as {header: cell text}."""
    parser = _Tables()
    parser.feed(html)
    return {
        heading: [dict(zip(headers, row, strict=True)) for row in rows]
        for heading, (headers, rows) in parser.tables.items()
    }


@pytest.fixture
def shipped(db: Database, database_url: str) -> Iterator[tuple[Browser, dict[str, str]]]:
    """The administrator, signed in, with lot R-1 of GLUE: 100 received from ACME on a
    receipt, 40 shipped to SHOP on a sales order, 25 issued to Assembly, 5 scrapped with a
    note (tests.scenarios.test_recall_trace tells the whole story)."""
    build_outbound(db)
    line = ReceiptLineInput("GLUE", "100", lot="R-1", unit_price="2")
    receipt = create_receipt(db, CTX, NewReceipt([line], warehouse="WH1", supplier="ACME"))
    transfer_stock(db, CTX, Transfer("GLUE", "100", "WH1-RCV", "WH1-A", lot="R-1"))
    order = _request(db, "sales_order", "40", customer="SHOP")
    requisition = _request(db, "requisition", "25", department="Assembly")
    story = {
        "receipt": receipt.number,
        "order": order,
        "shipment": _ship(db, "sales_order", order),
        "requisition": requisition,
        "issue": _ship(db, "requisition", requisition),
    }
    scrap_stock(db, CTX, Scrap("GLUE", "5", "WH1-A", lot="R-1", note="box crushed"))
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield use(test_client, "en"), story


def test_trace_tables_put_every_value_under_its_header(
    shipped: tuple[Browser, dict[str, str]],
) -> None:
    client, story = shipped
    html = client.get("/lots/GLUE/R-1/trace").text
    assert 'class="data compact trace-totals"' in html and html.count('class="data trace-') == 3

    tables = tables_of(html)
    assert tables["Totals"] == [
        {"Category": "Received from suppliers", "Quantity": "100"},
        {"Category": "Shipped to customers", "Quantity": "40"},
        {"Category": "Issued to production", "Quantity": "25"},
        {"Category": "Scrapped", "Quantity": "5"},
        {"Category": "Total in", "Quantity": "100"},
        {"Category": "Total out", "Quantity": "70"},
        {"Category": "On hand", "Quantity": "30"},
    ]
    assert [_without_date(row) for row in tables["Came from"]] == [
        {"Category": "Received from suppliers", "Quantity": "100", "Location": "WH1-RCV",
         "Document": story["receipt"], "Shipment": "—", "Partner": "ACME Acme Supplies",
         "Department": "—", "Reason": "—", "Note": "supplier ACME"},
    ]  # fmt: skip
    assert tables["Now at"] == [
        {"Warehouse": "WH1", "Location": "WH1-A", "Kind": "Internal storage", "On hand": "30",
         "Reserved": "0"},
    ]  # fmt: skip
    went = [_without_date(row) for row in tables["Went to"]]
    assert re.fullmatch(r"ADJ-WH1-\d{4}-00001", went[2].pop("Document"))  # the scrap's document
    assert went == [
        {"Category": "Shipped to customers", "Quantity": "40", "Location": "WH1-SHIP",
         "Document": story["order"], "Shipment": story["shipment"], "Partner": "SHOP Corner Shop",
         "Department": "—", "Reason": "—", "Note": f"shipped on {story['order']}"},
        {"Category": "Issued to production", "Quantity": "25", "Location": "WH1-SHIP",
         "Document": story["requisition"], "Shipment": story["issue"], "Partner": "—",
         "Department": "Assembly", "Reason": "—", "Note": f"shipped on {story['requisition']}"},
        {"Category": "Scrapped", "Quantity": "5", "Location": "WH1-A", "Shipment": "—",
         "Partner": "—", "Department": "—", "Reason": "Damaged", "Note": "box crushed"},
    ]  # fmt: skip


def _without_date(row: dict[str, str]) -> dict[str, str]:
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.pop("Date"))
    return row


def test_trace_files(client: Browser) -> None:
    as_csv = use(client, "en").get("/lots/GLUE/G1/trace", params={"export": "csv"})
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Section", "Category", "Date (UTC)", "Warehouse", "Location", "Quantity"]
    assert [r[:2] + r[3:6] for r in rows[1:4]] == [
        ["Came from", "Received from suppliers", "WH1", "WH1-A", "30"],
        ["Now at", "Internal storage", "WH1", "WH1-A", "26"],
        ["Went to", "Scrapped", "WH1", "WH1-A", "4"],
    ]
    as_xlsx = client.get("/lots/GLUE/G1/trace", params={"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    assert [sheet.cell(row=2, column=c).value for c in (1, 2, 6)] == [
        "Came from",
        "Received from suppliers",
        30,
    ]


def test_trace_of_an_unknown_lot_is_not_found(client: Browser) -> None:
    assert use(client, "en").get("/lots/GLUE/NOPE/trace").status_code == 404
