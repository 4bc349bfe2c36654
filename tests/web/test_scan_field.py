"""The operation pages' scan field without JavaScript (the server reads the scan: Enter presses
Check and the form comes back filled), the JSON the page's script asks for, and the sticky
fields kept after a post."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import lots, moves
from cangku.db.uow import Database
from cangku.domain.gs1 import GS
from cangku.queries.stock import StockFilter, totals
from cangku.services.items import set_item_barcodes
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as

BOX = "6901234567908"
FLOUR_GTIN = "06901234567915"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(BOX, "box")])
    set_item_barcodes(db, CTX, "FLOUR", [(FLOUR_GTIN, None)])
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _value(html: str, name: str) -> str:
    found = re.search(rf'<input name="{name}"[^>]*? value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def _autofocus(html: str) -> str:
    found = re.search(r'<(?:input|select) name="([a-z_]+)"[^>]*autofocus', html)
    assert found is not None
    return found.group(1)


def test_the_form_starts_in_the_scan_field_and_keeps_sticky_fields(client: Browser) -> None:
    page = client.get("/stock/operations/receive?to_location=WH1-A&supplier=S1&item=&lot=L9")
    assert _autofocus(page.text) == "scan"
    assert _value(page.text, "to_location") == "WH1-A"
    assert _value(page.text, "supplier") == "S1"
    assert _value(page.text, "lot") == ""  # not sticky
    assert '<script src="/static/scanner.js" defer></script>' in page.text


def test_a_box_scan_with_enter_checks_and_fills_item_and_unit(
    client: Browser, db: Database
) -> None:
    form = client.get("/stock/operations/receive?to_location=WH1-A")
    data = {"scan": BOX, "to_location": "WH1-A", "idempotency_key": key_of(form.text)}
    checked = client.post("/stock/operations/receive", data={**data, "preview": "1"})
    assert checked.status_code == 200
    assert (_value(checked.text, "item"), _value(checked.text, "unit")) == ("BOLT", "box")
    assert _value(checked.text, "scan") == ""
    assert _autofocus(checked.text) == "quantity"  # what is left to type
    assert "box (from the barcode)" not in checked.text  # the unit is in the field now
    assert _count(db, moves) == 0


def test_a_gs1_scan_posted_without_javascript_is_read_by_the_server(
    client: Browser, db: Database
) -> None:
    form = client.get("/stock/operations/receive")
    scan = f"]d201{FLOUR_GTIN}17270200" + f"10F-9{GS}3025"
    posted = client.post(
        "/stock/operations/receive",
        data={"scan": scan, "to_location": "WH1-A", "idempotency_key": key_of(form.text)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/stock/operations/receive?to_location=WH1-A"
    with db.read() as conn:
        assert totals(conn, StockFilter(item="FLOUR")).on_hand == Decimal(25)
        lot = conn.execute(select(lots.c.code, lots.c.expires_on)).one()
    assert (lot.code, lot.expires_on.isoformat()) == ("F-9", "2027-02-28")


def test_a_location_scan_fills_the_first_empty_location_of_a_transfer(client: Browser) -> None:
    form = client.get("/stock/operations/transfer")
    key = key_of(form.text)
    first = client.post(
        "/stock/operations/transfer", data={"scan": "WH1-A", "preview": "1", "idempotency_key": key}
    )
    assert _value(first.text, "from_location") == "WH1-A"
    second = client.post(
        "/stock/operations/transfer",
        data={"scan": "WH1-B", "from_location": "WH1-A", "preview": "1", "idempotency_key": key},
    )
    assert (_value(second.text, "from_location"), _value(second.text, "to_location")) == (
        "WH1-A",
        "WH1-B",
    )


def test_an_unknown_scan_says_so_keeps_the_form_and_writes_nothing(
    client: Browser, db: Database
) -> None:
    form = client.get("/stock/operations/receive")
    data = {"scan": "NOPE-1", "item": "BOLT", "quantity": "3", "to_location": "WH1-A"}
    refused = client.post(
        "/stock/operations/receive", data={**data, "idempotency_key": key_of(form.text)}
    )
    assert refused.status_code == 422
    assert "Nothing has the code NOPE-1: no item, barcode, location or lot." in refused.text
    assert _value(refused.text, "scan") == "NOPE-1"
    assert _count(db, moves) == 0


def test_the_scan_json_fills_fields_focus_and_the_check_box(client: Browser, db: Database) -> None:
    form = client.get("/stock/operations/receive")
    data = {"scan": BOX, "quantity": "1", "idempotency_key": key_of(form.text)}
    answer = client.post("/stock/operations/receive/scan", data=data)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["ok"], body["kind"], body["focus"], body["error"]) == (True, "item", "scan", None)
    assert body["values"]["item"] == "BOLT" and body["values"]["unit"] == "box"
    assert body["values"]["scan"] == ""
    assert re.search(r'id="resolved-base">12 pcs<', body["resolved"])
    assert _count(db, moves) == 0


def test_the_scan_json_in_chinese_and_its_refusals(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    missing = client.post("/stock/operations/issue/scan", data={"scan": "NOPE-1"})
    assert missing.status_code == 422
    assert missing.json() == {"ok": False, "error": "没有编码为 NOPE-1 的物料、条码、库位或批次。"}
    bad = client.post("/stock/operations/issue/scan", data={"scan": "(01)09501101530004"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "GS1 数据元素 (01) 的校验位错误，请重新扫描。"
    forged = client.post("/stock/operations/issue/scan", data={"scan": BOX, "csrf_token": None})
    assert forged.status_code == 403
