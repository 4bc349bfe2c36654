"""A whole story through the HTTP API only, checked to the unit and to the micro-yuan.

Ten days ago a small distributor opened its main warehouse (MAIN): a receiving dock, a quality
area, a storage zone with two bins and a shipping lane. It keeps three items:

- NUT: hex nuts, untracked, FIFO, counted in pieces and bought in boxes of 10;
- MILK: milk powder in litres, lot-tracked with a 30-day shelf life, moving-average cost;
- SCAN: barcode scanners, serial-tracked, FIFO (each serial number keeps its own cost).

It buys from SUP1 and sells to CUS1. Over five business days (D0 .. D4, all in the past) it
receives, inspects, puts away, back-dates a forgotten receipt, closes D0..D2, sells, adjusts,
scraps, reverses the scrap, reserves and releases, and is refused what must be refused. Every
figure below is worked out by hand in the comments: FIFO layers and moving averages are
scaled integers at 1e-6 rounded half-even, as in cangku.domain.costing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import admin_headers

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
TODAY = datetime.now(UTC).date()
D0 = TODAY - timedelta(days=10)
D1, D2, D3, D4 = (D0 + timedelta(days=n) for n in (1, 2, 3, 4))


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC).isoformat()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    db = Database(database_url)
    initialize(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client
    db.dispose()


# ------------------------------------------------------------------ helpers
def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == status, (path, response.text)
    return response.json()


def put(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    response = client.put(f"{API}{path}", json=body)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code == 200, (path, params, response.text)
    return response.json()


def refused(client: TestClient, path: str, body: dict[str, Any], status: int, code: str) -> Any:
    """Post ``body``; expect the refusal, and that not a single move was written."""
    before = move_count(client)
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code, problem
    assert move_count(client) == before
    return problem


def move_count(client: TestClient, **filters: Any) -> int:
    return int(get(client, "/moves", limit=1, **filters)["total"])


def one_move(posting: dict[str, Any]) -> dict[str, Any]:
    [move] = posting["moves"]
    assert posting["replayed"] is False
    return move


def figures(move: dict[str, Any]) -> tuple[str, str, str]:
    return move["quantity"], move["unit_cost"], move["value"]


def stock_rows(client: TestClient, **filters: Any) -> list[tuple[str, str, str | None, str]]:
    page = get(client, "/stock", **filters)
    assert page["total"] == len(page["items"])
    return [(r["item"], r["location"], r["lot"], r["on_hand"]) for r in page["items"]]


def as_of(client: TestClient, when: str, **filters: Any) -> list[tuple[str, str, str | None, str]]:
    rows = get(client, "/stock/as-of", at=when, **filters)["items"]
    return [(r["item"], r["location"], r["lot"], r["on_hand"]) for r in rows]


def valuation(client: TestClient, **params: Any) -> tuple[dict[str, tuple[str, str, str]], str]:
    answer = get(client, "/valuation", **params)
    per_item = {v["item"]: (v["quantity"], v["value"], v["average_cost"]) for v in answer["items"]}
    return per_item, answer["total_value"]


# ------------------------------------------------------------------ the story
def set_up_master_data(client: TestClient) -> None:
    post(client, "/warehouses", {"code": "MAIN", "name": "Main warehouse"})
    for code, kind, parent, level in [
        ("MAIN-RCV", "receiving", None, None),
        ("MAIN-QC", "quality", None, None),
        ("MAIN-STOR", "internal", None, "zone"),
        ("MAIN-STOR-A1", "internal", "MAIN-STOR", "bin"),
        ("MAIN-STOR-A2", "internal", "MAIN-STOR", "bin"),
        ("MAIN-SHIP", "shipping", None, None),
    ]:
        where = {"parent": parent} if parent else {"warehouse": "MAIN"}
        body = {"code": code, "name": f"Location {code}", "kind": kind, "level": level, **where}
        post(client, "/locations", body)
    children = get(client, "/locations/MAIN-STOR/children")
    assert [loc["code"] for loc in children["items"]] == ["MAIN-STOR-A1", "MAIN-STOR-A2"]

    nut = post(
        client,
        "/items",
        {
            "code": "NUT",
            "name": "Hex nut M8",
            "item_type": "spare_part",
            "units": [{"unit": "box", "factor": "10"}],
        },
    )
    assert (nut["tracking"], nut["costing_method"], nut["base_unit"]) == ("none", "fifo", "pcs")
    milk = {
        "code": "MILK",
        "name": "Milk powder",
        "item_type": "raw_material",
        "base_unit": "l",
        "tracking": "lot",
        "shelf_life_days": 30,
        "costing_method": "moving_average",
    }
    post(client, "/items", milk)
    scan = {"code": "SCAN", "name": "Barcode scanner", "item_type": "finished_good"}
    post(client, "/items", {**scan, "tracking": "serial"})

    post(client, "/partners", {"code": "SUP1", "name": "Nuts & Co", "is_supplier": True})
    post(client, "/partners", {"code": "CUS1", "name": "Corner shop", "is_customer": True})
    terms = {"supplier_code": "HN-8", "price": "45.00", "currency": "CNY", "min_order_qty": "10"}
    put(client, "/partners/SUP1/supplier-items/NUT", {**terms, "lead_time_days": 7})
    [offer] = get(client, "/items/NUT/suppliers")
    assert (offer["partner"], offer["supplier_code"], offer["currency"]) == ("SUP1", "HN-8", "CNY")
    assert (offer["price"], offer["min_order_qty"], offer["lead_time_days"]) == ("45", "10", 7)


def receive_goods(client: TestClient) -> None:
    def receive(body: dict[str, Any], line: tuple[str, int], when: str) -> dict[str, Any]:
        reference = {"document_type": "purchase_order", "document_id": line[0]}
        body = {**body, "supplier": "SUP1", "effective_at": when}
        return one_move(
            post(client, "/stock/receive", {**body, **reference, "document_line": line[1]})
        )

    # D0: 10 boxes of NUT at 45.00 a box = 100 pcs, 4.50 a piece, 450.00 in all
    nut = receive(
        {
            "item": "NUT",
            "quantity": "10",
            "unit": "box",
            "unit_cost": "45.00",
            "to_location": "MAIN-RCV",
        },
        ("PO-1", 1),
        at(D0, 9),
    )
    assert figures(nut) == ("100", "4.5", "450")
    assert (nut["from_location"], nut["to_location"], nut["stock_change"]) == (
        "MAIN/SUPPLIER",
        "MAIN-RCV",
        "100",
    )
    assert nut["note"] == "supplier SUP1"
    # D0: MILK lot L1, 20 l at 2.00 = 40.00 (expires D0 + 30 days, from the shelf life)
    milk = {"item": "MILK", "to_location": "MAIN-RCV", "manufactured_on": D0.isoformat()}
    l1 = receive({**milk, "lot": "L1", "quantity": "20", "unit_cost": "2"}, ("PO-1", 2), at(D0, 10))
    assert figures(l1) == ("20", "2", "40")
    lot = get(client, "/lots/MILK/L1")
    assert (lot["expires_on"], lot["status"]) == (
        (D0 + timedelta(days=30)).isoformat(),
        "available",
    )
    # D0: scanner S-001 at 100.00
    s1 = receive(
        {
            "item": "SCAN",
            "to_location": "MAIN-RCV",
            "lot": "S-001",
            "quantity": "1",
            "unit_cost": "100",
        },
        ("PO-1", 3),
        at(D0, 11),
    )
    assert figures(s1) == ("1", "100", "100")

    # D1: 50 pcs of NUT at 5.20 = 260.00; MILK L2 30 l at 3.00 = 90.00; S-002 at 120.00
    nut2 = receive(
        {"item": "NUT", "quantity": 50, "unit_cost": "5.20", "to_location": "MAIN-RCV"},
        ("PO-2", 1),
        at(D1, 9),
    )
    assert figures(nut2) == ("50", "5.2", "260")
    l2 = receive(
        {**milk, "lot": "L2", "quantity": "30", "unit_cost": "3.00"}, ("PO-2", 2), at(D1, 10)
    )
    assert figures(l2) == ("30", "3", "90")
    s2 = receive(
        {
            "item": "SCAN",
            "to_location": "MAIN-RCV",
            "lot": "S-002",
            "quantity": "1",
            "unit_cost": "120",
        },
        ("PO-2", 3),
        at(D1, 11),
    )
    assert figures(s2) == ("1", "120", "120")
    # MILK is now 50 l worth 130.00: the moving average is 2.60
    assert valuation(client, item="MILK")[0] == {"MILK": ("50", "130", "2.6")}


def inspect_and_put_away(client: TestClient) -> None:
    def transfer(
        item: str, qty: str, source: str, dest: str, when: str, lot: str | None = None
    ) -> None:
        body = {"item": item, "quantity": qty, "from_location": source, "to_location": dest}
        move = one_move(post(client, "/stock/transfer", {**body, "lot": lot, "effective_at": when}))
        # a transfer between two own locations keeps the value and changes no stock
        assert (move["operation"], move["stock_change"]) == ("move", "0")

    transfer("NUT", "150", "MAIN-RCV", "MAIN-QC", at(D2, 9))
    transfer("NUT", "120", "MAIN-QC", "MAIN-STOR-A1", at(D2, 10))
    transfer("NUT", "30", "MAIN-QC", "MAIN-STOR-A2", at(D2, 10, 5))
    transfer("MILK", "20", "MAIN-RCV", "MAIN-STOR-A1", at(D2, 11), lot="L1")
    transfer("MILK", "30", "MAIN-RCV", "MAIN-STOR-A1", at(D2, 11), lot="L2")
    transfer("SCAN", "1", "MAIN-RCV", "MAIN-STOR-A2", at(D2, 12), lot="S-001")
    transfer("SCAN", "1", "MAIN-RCV", "MAIN-STOR-A2", at(D2, 12), lot="S-002")
    assert stock_rows(client, warehouse="MAIN") == [
        ("MILK", "MAIN-STOR-A1", "L1", "20"),
        ("MILK", "MAIN-STOR-A1", "L2", "30"),
        ("NUT", "MAIN-STOR-A1", None, "120"),
        ("NUT", "MAIN-STOR-A2", None, "30"),
        ("SCAN", "MAIN-STOR-A2", "S-001", "1"),
        ("SCAN", "MAIN-STOR-A2", "S-002", "1"),
    ]


def back_date_and_close(client: TestClient) -> None:
    # a receipt forgotten on D1 is entered now, back-dated: 10 NUT at 6.00 = 60.00 into bin A1.
    # FIFO layers follow posting order, so this layer comes after the 50 at 5.20.
    late = one_move(
        post(
            client,
            "/stock/receive",
            {
                "item": "NUT",
                "quantity": "10",
                "unit_cost": "6",
                "to_location": "MAIN-STOR-A1",
                "effective_at": at(D1, 12),
                "reference": {"document_type": "purchase_order", "document_id": "PO-3"},
            },
        )
    )
    assert figures(late) == ("10", "6", "60")
    assert late["effective_at"].startswith(D1.isoformat())
    assert late["recorded_at"].startswith(TODAY.isoformat())

    period = post(client, "/periods/close", {"through": D2.isoformat(), "note": "D0-D2 audited"})
    assert (period["closed_through"], period["user"]) == (D2.isoformat(), "admin")
    late_again = {"item": "NUT", "quantity": "1", "unit_cost": "1", "to_location": "MAIN-RCV"}
    problem = refused(
        client, "/stock/receive", {**late_again, "effective_at": at(D2, 23)}, 409, "period_closed"
    )
    assert problem["data"]["closed_through"] == D2.isoformat()
    assert [p["closed_through"] for p in get(client, "/periods")["items"]] == [D2.isoformat()]


def sell(client: TestClient) -> None:
    def issue(body: dict[str, Any], order: tuple[str, int], when: str) -> dict[str, Any]:
        ref = {"document_type": "sales_order", "document_id": order[0], "document_line": order[1]}
        body = {**body, "customer": "CUS1", "effective_at": when, "reference": ref}
        return one_move(post(client, "/stock/issue", body))

    # D3: 110 NUT from A1 (130 there). FIFO takes the oldest layers: 100 at 4.50 = 450.00 and
    # 10 of the 50 at 5.20 = 52.00; 502.00 in all, 502 / 110 = 4.5636363.. -> 4.563636
    nut = issue(
        {"item": "NUT", "quantity": "110", "from_location": "MAIN-STOR-A1"}, ("SO-1", 1), at(D3, 9)
    )
    assert figures(nut) == ("110", "4.563636", "502")
    assert (nut["to_location"], nut["stock_change"], nut["note"]) == (
        "MAIN/CUSTOMER",
        "-110",
        "customer CUS1",
    )
    # left: 40 at 5.20 = 208.00 and 10 at 6.00 = 60.00 -> 50 pcs worth 268.00
    assert valuation(client, item="NUT")[0] == {"NUT": ("50", "268", "5.36")}

    # D3: 15 l of MILK lot L1 at the moving average 130.00 / 50 = 2.60 -> 39.00; 35 l, 91.00 left
    milk = {"item": "MILK", "from_location": "MAIN-STOR-A1"}
    l1 = issue({**milk, "lot": "L1", "quantity": "15"}, ("SO-1", 2), at(D3, 10))
    assert figures(l1) == ("15", "2.6", "39")
    # D3: lot L3, 10 l at 3.30 = 33.00 straight into the bin: 45 l worth 124.00
    l3 = {**milk, "to_location": "MAIN-STOR-A1", "lot": "L3", "quantity": "10", "unit_cost": "3.3"}
    del l3["from_location"]
    assert figures(
        one_move(post(client, "/stock/receive", {**l3, "effective_at": at(D3, 11)}))
    ) == ("10", "3.3", "33")
    # average 124 / 45 = 2.7555555.. -> 2.755556; 9 l of L2 at it = 24.800004
    l2 = issue({**milk, "lot": "L2", "quantity": "9"}, ("SO-2", 1), at(D3, 12))
    assert figures(l2) == ("9", "2.755556", "24.800004")
    # left: 36 l worth 124.00 - 24.800004 = 99.199996; 99.199996 / 36 = 2.7555554.. -> 2.755555
    assert valuation(client, item="MILK")[0] == {"MILK": ("36", "99.199996", "2.755555")}

    # D3: scanner S-002 is sold. A serial number takes its own layer: the issue costs S-002's
    # 120.00 (not the oldest layer, S-001's 100.00), which stays for the scanner left in stock
    s2 = issue(
        {"item": "SCAN", "from_location": "MAIN-STOR-A2", "lot": "S-002", "quantity": "1"},
        ("SO-2", 2),
        at(D3, 13),
    )
    assert figures(s2) == ("1", "120", "120")
    assert valuation(client, item="SCAN")[0] == {"SCAN": ("1", "100", "100")}


def adjust_scrap_and_reverse(client: TestClient) -> None:
    where = {"item": "NUT", "location": "MAIN-STOR-A2"}
    # D4: 5 NUT found in A2, valued at 5.00 = 25.00 (a new FIFO layer): 55 pcs, 293.00
    gain = one_move(
        post(
            client,
            "/stock/adjust",
            {
                **where,
                "quantity": "5",
                "reason_code": "found",
                "unit_cost": "5",
                "effective_at": at(D4, 9),
            },
        )
    )
    assert figures(gain) == ("5", "5", "25")
    assert (gain["from_location"], gain["reason_code"], gain["stock_change"]) == (
        "MAIN/ADJUSTMENT",
        "found",
        "5",
    )
    # D4: 2 NUT lost in A2: the oldest layer (40 at 5.20) gives 10.40: 53 pcs, 282.60
    loss = one_move(
        post(
            client,
            "/stock/adjust",
            {**where, "quantity": "-2", "reason_code": "lost", "effective_at": at(D4, 10)},
        )
    )
    assert figures(loss) == ("2", "5.2", "10.4")
    assert (loss["to_location"], loss["stock_change"]) == ("MAIN/ADJUSTMENT", "-2")
    refused(
        client,
        "/stock/adjust",
        {**where, "quantity": "1", "reason_code": "birthday"},
        422,
        "unknown_reason_code",
    )
    # D4: 3 NUT scrapped from A1, damaged: 3 at 5.20 = 15.60 -> 50 pcs, 267.00
    scrap = {"item": "NUT", "quantity": "3", "from_location": "MAIN-STOR-A1"}
    scrapped = one_move(
        post(
            client, "/stock/scrap", {**scrap, "reason_code": "damaged", "effective_at": at(D4, 11)}
        )
    )
    assert figures(scrapped) == ("3", "5.2", "15.6")
    assert (scrapped["to_location"], scrapped["to_kind"]) == ("MAIN/SCRAP", "scrap")
    assert valuation(client, item="NUT")[0] == {"NUT": ("50", "267", "5.34")}

    # the scrap was a mistake: reverse it (now). The 3 pcs come back at what they cost, 15.60
    back = one_move(
        post(client, f"/moves/{scrapped['id']}/reverse", {"note": "not damaged after all"})
    )
    assert figures(back) == ("3", "5.2", "15.6")
    assert (back["operation"], back["reverses_move_id"]) == ("reverse", scrapped["id"])
    assert (back["from_location"], back["to_location"], back["stock_change"]) == (
        "MAIN/SCRAP",
        "MAIN-STOR-A1",
        "3",
    )
    refused(client, f"/moves/{scrapped['id']}/reverse", {}, 409, "move_already_reversed")
    # NUT: 53 pcs worth 282.60 (A1 20, A2 33); 282.6 / 53 = 5.3320754.. -> 5.332075
    assert valuation(client, item="NUT")[0] == {"NUT": ("53", "282.6", "5.332075")}


def reserve_and_refuse(client: TestClient) -> None:
    bin_a2 = {"item": "NUT", "location": "MAIN-STOR-A2"}
    reserved = post(client, "/stock/reserve", {**bin_a2, "quantity": "20", "document_id": "SO-3"})
    assert (reserved["quantity"], reserved["location"], reserved["replayed"]) == (
        "20",
        "MAIN-STOR-A2",
        False,
    )
    # A2: 33 on hand, 20 reserved, 13 available: 14 cannot be issued, and nothing changes
    issue = {"item": "NUT", "quantity": "14", "from_location": "MAIN-STOR-A2"}
    problem = refused(client, "/stock/issue", issue, 409, "insufficient_stock")
    assert (problem["data"]["requested"], problem["data"]["available"]) == ("14", "13")
    refused(client, "/stock/reserve", {**bin_a2, "quantity": "13.5"}, 422, "too_many_decimals")
    refused(client, "/stock/release", {**bin_a2, "quantity": "21"}, 409, "release_exceeds_reserved")
    post(client, "/stock/release", {**bin_a2, "quantity": "5", "document_id": "SO-3"})
    [a2] = get(client, "/stock", item="NUT", location="MAIN-STOR-A2")["items"]
    assert (a2["on_hand"], a2["reserved"], a2["available"]) == ("33", "15", "18")
    # a replayed request (same Idempotency-Key, same body) writes nothing the second time
    body = {
        "item": "NUT",
        "quantity": "1",
        "from_location": "MAIN-STOR-A1",
        "to_location": "MAIN-SHIP",
    }
    first = client.post(f"{API}/stock/transfer", json=body, headers={"Idempotency-Key": "ship-1"})
    again = client.post(f"{API}/stock/transfer", json=body, headers={"Idempotency-Key": "ship-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json()["moves"] == first.json()["moves"]
    back = {**body, "from_location": "MAIN-SHIP", "to_location": "MAIN-STOR-A1"}
    one_move(post(client, "/stock/transfer", back))
    assert stock_rows(client, item="NUT") == [
        ("NUT", "MAIN-STOR-A1", None, "20"),
        ("NUT", "MAIN-STOR-A2", None, "33"),
    ]


def read_stock_now(client: TestClient) -> None:
    # MILK by lot: L1 20 - 15 = 5; L2 30 - 9 = 21; L3 10
    zone = get(client, "/stock", location="MAIN-STOR")  # the zone includes its two bins
    assert [
        (r["item"], r["location"], r["lot"], r["on_hand"], r["available"]) for r in zone["items"]
    ] == [
        ("MILK", "MAIN-STOR-A1", "L1", "5", "5"),
        ("MILK", "MAIN-STOR-A1", "L2", "21", "21"),
        ("MILK", "MAIN-STOR-A1", "L3", "10", "10"),
        ("NUT", "MAIN-STOR-A1", None, "20", "20"),
        ("NUT", "MAIN-STOR-A2", None, "33", "18"),
        ("SCAN", "MAIN-STOR-A2", "S-001", "1", "1"),
    ]
    # 5 + 21 + 10 + 20 + 33 + 1 = 90 on hand, 15 reserved, 75 available
    assert zone["totals"] == {"on_hand": "90", "reserved": "15", "available": "75"}
    assert stock_rows(client, location="MAIN-RCV") == []
    nut = get(client, "/stock/items/NUT")
    assert (nut["on_hand"], nut["reserved"], nut["available"]) == ("53", "15", "38")
    lot = get(client, "/stock", item="MILK", lot="L2")["items"]
    assert [(r["on_hand"], r["expires_on"]) for r in lot] == [
        ("21", (D0 + timedelta(days=30)).isoformat())
    ]


def read_the_past(client: TestClient) -> None:
    assert as_of(client, at(D0, 23, 59)) == [
        ("MILK", "MAIN-RCV", "L1", "20"),
        ("NUT", "MAIN-RCV", None, "100"),
        ("SCAN", "MAIN-RCV", "S-001", "1"),
    ]
    # the back-dated receipt of D1 12:00 is there as of D1 evening
    assert as_of(client, at(D1, 23), item="NUT") == [
        ("NUT", "MAIN-RCV", None, "150"),
        ("NUT", "MAIN-STOR-A1", None, "10"),
    ]
    assert as_of(client, at(D2, 9, 30), item="NUT") == [
        ("NUT", "MAIN-QC", None, "150"),
        ("NUT", "MAIN-STOR-A1", None, "10"),
    ]
    # end of D2 (the closed period's checkpoint lies just after this instant)
    assert as_of(client, at(D2, 23), location="MAIN-STOR") == [
        ("MILK", "MAIN-STOR-A1", "L1", "20"),
        ("MILK", "MAIN-STOR-A1", "L2", "30"),
        ("NUT", "MAIN-STOR-A1", None, "130"),
        ("NUT", "MAIN-STOR-A2", None, "30"),
        ("SCAN", "MAIN-STOR-A2", "S-001", "1"),
        ("SCAN", "MAIN-STOR-A2", "S-002", "1"),
    ]
    # D3 evening, measured from that checkpoint: 130 - 110 = 20 in A1; MILK 5, 21, 10
    assert as_of(client, at(D3, 23), item="NUT") == [
        ("NUT", "MAIN-STOR-A1", None, "20"),
        ("NUT", "MAIN-STOR-A2", None, "30"),
    ]
    past = get(client, "/stock/items/MILK", at=at(D3, 23))
    assert (past["on_hand"], past["reserved"]) == ("36", None)
    assert [(r["lot"], r["on_hand"]) for r in past["locations"]] == [
        ("L1", "5"),
        ("L2", "21"),
        ("L3", "10"),
    ]


def value_now_and_then(client: TestClient) -> None:
    # now: NUT 282.60 + MILK 99.199996 + SCAN 100.00 = 481.799996
    assert valuation(client) == (
        {
            "MILK": ("36", "99.199996", "2.755555"),
            "NUT": ("53", "282.6", "5.332075"),
            "SCAN": ("1", "100", "100"),
        },
        "481.799996",
    )
    # end of D2: NUT 450 + 260 + 60 = 770 for 160 (4.8125); MILK 130 for 50; SCAN 220 for 2
    assert valuation(client, at=at(D2, 23)) == (
        {
            "MILK": ("50", "130", "2.6"),
            "NUT": ("160", "770", "4.8125"),
            "SCAN": ("2", "220", "110"),
        },
        "1120",
    )
    # end of D3: NUT 268 for 50; MILK 99.199996 for 36; SCAN 100 (S-001) -> 467.199996
    assert valuation(client, at=at(D3, 23)) == (
        {
            "MILK": ("36", "99.199996", "2.755555"),
            "NUT": ("50", "268", "5.36"),
            "SCAN": ("1", "100", "100"),
        },
        "467.199996",
    )
    assert valuation(client, at=at(D0, 8)) == ({}, "0")


def read_history(client: TestClient) -> None:
    # NUT: 3 receipts, 3 put-away transfers, 1 sale, 2 adjustments, 1 scrap, 1 reversal and
    # the round trip to the shipping lane; the refused requests left no trace
    nut = get(client, "/moves", item="NUT", limit=500)
    assert nut["total"] == 13
    assert [m["operation"] for m in nut["items"]][-4:] == ["move", "receive", "receive", "receive"]
    assert nut["items"][-1]["document_id"] == "PO-1"  # oldest by business time
    l1 = get(client, "/moves", item="MILK", lot="L1")
    assert [(m["operation"], m["quantity"]) for m in l1["items"]] == [
        ("issue", "15"),
        ("move", "20"),
        ("receive", "20"),
    ]
    so1 = get(client, "/moves", document_id="SO-1")
    assert sorted((m["item"], m["document_line"], m["value"]) for m in so1["items"]) == [
        ("MILK", 2, "39"),
        ("NUT", 1, "502"),
    ]
    # the zone's history includes both bins: NUT 10, MILK 5, SCAN 3
    assert move_count(client, location="MAIN-STOR") == 18
    assert move_count(client, location="MAIN-QC") == 3
    assert move_count(client, operation="adjust") == 2
    assert move_count(client, since=at(D3, 0), until=at(D3, 23, 59)) == 5


def test_five_days_at_the_main_warehouse_add_up_to_the_cent(client: TestClient) -> None:
    set_up_master_data(client)
    receive_goods(client)
    inspect_and_put_away(client)
    back_date_and_close(client)
    sell(client)
    adjust_scrap_and_reverse(client)
    reserve_and_refuse(client)
    read_stock_now(client)
    read_the_past(client)
    value_now_and_then(client)
    read_history(client)
    report = get(client, "/verify")
    assert (report["ok"], report["problems"], report["truncated"]) == (True, [], False)
    assert report["moves_checked"] == move_count(client) == 25
