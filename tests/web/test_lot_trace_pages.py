"""The lot page's status verbs and history, and the recall trace page with its files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.queries.lots import get_lot
from cangku.services.stock import receive_stock, scrap_stock
from cangku.services.stock_commands import Receive, Scrap
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
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
