"""The stock ledger over HTTP: operations, reads, idempotency and every refusal."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import balances, checkpoints, moves, periods
from cangku.db.uow import Database
from cangku.domain.quantities import NUMBER_PATTERN
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
NOW = datetime.now(UTC)


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"{API}{path}", json=body, headers=headers)


def receive(client: TestClient, item: str, qty: str, to: str, **extra: Any) -> dict[str, Any]:
    response = post(
        client,
        "/stock/receive",
        {"item": item, "quantity": qty, "to_location": to, "unit_cost": "1", **extra},
    )
    assert response.status_code == 201, response.text
    move: dict[str, Any] = response.json()["moves"][0]
    return move


def stock_totals(client: TestClient, **filters: Any) -> dict[str, str]:
    response = client.get(f"{API}/stock", params=filters)
    assert response.status_code == 200, response.text
    totals: dict[str, str] = response.json()["totals"]
    return totals


# ------------------------------------------------------------------ writes
def test_receive_answers_201_with_the_posted_move_in_strings(client: TestClient) -> None:
    response = post(
        client,
        "/stock/receive",
        {
            "item": "BOLT",
            "quantity": "2",
            "unit": "box",
            "to_location": "WH1-A",
            "unit_cost": 6,
            "reference": {"document_type": "po", "document_id": "PO-1", "document_line": 3},
        },
    )
    assert response.status_code == 201
    [move] = response.json()["moves"]
    assert (move["quantity"], move["unit_cost"], move["value"]) == ("24", "0.5", "12")
    assert (move["from_location"], move["to_location"]) == ("WH1/SUPPLIER", "WH1-A")
    assert (move["document_type"], move["document_id"], move["document_line"]) == ("po", "PO-1", 3)
    assert move["stock_change"] == "24"
    effective = datetime.fromisoformat(move["effective_at"])
    assert effective.utcoffset() == timedelta(0)
    assert response.json()["replayed"] is False
    assert stock_totals(client, item="BOLT") == {
        "on_hand": "24",
        "reserved": "0",
        "available": "24",
    }


def test_quantity_may_be_a_json_number_or_a_string(client: TestClient) -> None:
    assert receive(client, "FLOUR", "2.5", "WH1-A", lot="F1")["quantity"] == "2.5"
    response = post(
        client,
        "/stock/receive",
        {"item": "FLOUR", "quantity": 1.25, "lot": "F1", "to_location": "WH1-A"},
    )
    assert response.status_code == 201
    assert stock_totals(client, item="FLOUR")["on_hand"] == "3.75"


def test_flat_document_reference_is_accepted(client: TestClient) -> None:
    move = receive(client, "BOLT", "1", "WH1-A", document_type="po", document_id="PO-9")
    assert (move["document_type"], move["document_id"]) == ("po", "PO-9")


def test_issue_transfer_adjust_scrap_change_stock_exactly(client: TestClient) -> None:
    receive(client, "BOLT", "100", "WH1-A")
    issued = post(
        client,
        "/stock/issue",
        {"item": "BOLT", "quantity": "30", "from_location": "WH1-A", "to": "production"},
    )
    assert issued.status_code == 201
    assert issued.json()["moves"][0]["to_location"] == "WH1/PRODUCTION"
    moved = post(
        client,
        "/stock/transfer",
        {"item": "BOLT", "quantity": "20", "from_location": "WH1-A", "to_location": "WH2-A"},
    )
    assert moved.status_code == 201
    loss = post(
        client,
        "/stock/adjust",
        {"item": "BOLT", "quantity": "-5", "location": "WH1-A", "reason_code": "lost"},
    )
    assert loss.status_code == 201
    assert loss.json()["moves"][0]["stock_change"] == "-5"
    scrapped = post(
        client,
        "/stock/scrap",
        {"item": "BOLT", "quantity": 3, "from_location": "WH2-A", "reason_code": "damaged"},
    )
    assert scrapped.status_code == 201
    assert stock_totals(client, item="BOLT", location="WH1-A")["on_hand"] == "45"
    assert stock_totals(client, item="BOLT", warehouse="WH2")["on_hand"] == "17"
    assert stock_totals(client, item="BOLT")["on_hand"] == "62"


def test_reverse_a_move_restores_stock(client: TestClient) -> None:
    first = receive(client, "BOLT", "10", "WH1-A")
    response = client.post(f"{API}/moves/{first['id']}/reverse", json={"note": "typo"})
    assert response.status_code == 201
    reversal = response.json()["moves"][0]
    assert (reversal["reverses_move_id"], reversal["to_location"]) == (first["id"], "WH1/SUPPLIER")
    assert stock_totals(client, item="BOLT")["on_hand"] == "0"
    again = client.post(f"{API}/moves/{first['id']}/reverse")
    assert (again.status_code, again.json()["code"]) == (409, "move_already_reversed")


def test_reserve_and_release_change_available(client: TestClient) -> None:
    receive(client, "BOLT", "10", "WH1-A")
    reserved = post(
        client, "/stock/reserve", {"item": "BOLT", "quantity": "4", "location": "WH1-A"}
    )
    assert reserved.status_code == 201
    assert reserved.json() == {
        "item": "BOLT",
        "location": "WH1-A",
        "lot": None,
        "quantity": "4",
        "replayed": False,
    }
    assert stock_totals(client, item="BOLT") == {"on_hand": "10", "reserved": "4", "available": "6"}
    refused = post(
        client, "/stock/issue", {"item": "BOLT", "quantity": "7", "from_location": "WH1-A"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_stock")
    released = post(
        client, "/stock/release", {"item": "BOLT", "quantity": "4", "location": "WH1-A"}
    )
    assert released.status_code == 201
    assert stock_totals(client, item="BOLT")["available"] == "10"


def test_idempotent_write_replays_with_200_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    body = {"item": "BOLT", "quantity": "10", "to_location": "WH1-A", "unit_cost": "1"}
    first = post(client, "/stock/receive", body, key="rcv-1")
    again = post(client, "/stock/receive", body, key="rcv-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replay"] == "true"
    assert "Idempotent-Replay" not in first.headers
    assert again.json()["moves"] == first.json()["moves"]
    assert count(db, moves) == 1
    reused = post(client, "/stock/receive", {**body, "quantity": "11"}, key="rcv-1")
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
    assert count(db, moves) == 1
    assert stock_totals(client, item="BOLT")["on_hand"] == "10"


def test_sql_and_html_in_notes_are_stored_and_returned_verbatim(client: TestClient) -> None:
    note = "<script>alert('x')</script>\"; DROP TABLE moves; --"
    move = receive(client, "BOLT", "1", "WH1-A", note=note)
    assert move["note"] == note
    assert client.get(f"{API}/moves/{move['id']}").json()["note"] == note


# ------------------------------------------------------------------ refusals
YESTERDAY = NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        pytest.param(
            "/stock/receive",
            {"item": "NOPE", "quantity": "1", "to_location": "WH1-A"},
            404,
            "item_not_found",
            id="unknown-item",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1", "to_location": "NOWHERE"},
            404,
            "location_not_found",
            id="unknown-location",
        ),
        pytest.param(
            "/stock/issue",
            {"item": "GLUE", "quantity": "1", "from_location": "WH1-A", "lot": "NOLOT"},
            404,
            "lot_not_found",
            id="unknown-lot",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "0", "to_location": "WH1-A"},
            422,
            "quantity_not_positive",
            id="zero",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": -3, "to_location": "WH1-A"},
            422,
            "quantity_not_positive",
            id="negative",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "ten", "to_location": "WH1-A"},
            422,
            "invalid_number",
            id="not-a-number",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1_000", "to_location": "WH1-A"},
            422,
            "invalid_number",
            id="underscore",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "１", "to_location": "WH1-A"},
            422,
            "invalid_number",
            id="full-width-digit",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "unit_cost": "+2"},
            422,
            "invalid_number",
            id="cost-plus-sign",
        ),
        pytest.param(
            "/stock/adjust",
            {"item": "BOLT", "quantity": "-1e3", "location": "WH1-A", "reason_code": "found"},
            422,
            "invalid_number",
            id="adjust-exponent",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": True, "to_location": "WH1-A"},
            422,
            "invalid_input",
            id="boolean",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1.5", "to_location": "WH1-A"},
            422,
            "too_many_decimals",
            id="decimals",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "unit": "parsec"},
            404,
            "unit_not_found",
            id="unit",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "FLOUR", "quantity": "1", "to_location": "WH1-A"},
            422,
            "lot_required",
            id="lot-missing",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "PUMP", "quantity": "2", "to_location": "WH1-A", "lot": "SN-1"},
            422,
            "serial_quantity_not_one",
            id="serial",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1", "to_location": "WH1/CUSTOMER"},
            409,
            "location_kind_not_allowed",
            id="kinds",
        ),
        pytest.param(
            "/stock/issue",
            {"item": "BOLT", "quantity": "1", "from_location": "WH1-A"},
            409,
            "insufficient_stock",
            id="more-than-available",
        ),
        pytest.param(
            "/stock/reserve",
            {"item": "BOLT", "quantity": "1", "location": "WH1-A"},
            409,
            "insufficient_stock",
            id="reserve-more-than-on-hand",
        ),
        pytest.param(
            "/stock/adjust",
            {"item": "BOLT", "quantity": "1", "location": "WH1-A", "reason_code": "whim"},
            422,
            "unknown_reason_code",
            id="reason",
        ),
        pytest.param(
            "/stock/receive",
            {
                "item": "BOLT",
                "quantity": "1",
                "to_location": "WH1-A",
                "effective_at": (NOW + timedelta(days=2)).isoformat(),
            },
            422,
            "effective_in_future",
            id="future",
        ),
        pytest.param(
            "/stock/receive",
            {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "colour": "red"},
            422,
            "invalid_input",
            id="extra-field",
        ),
        pytest.param(
            "/stock/receive",
            {
                "item": "BOLT",
                "quantity": "1",
                "to_location": "WH1-A",
                "reference": {"document_id": "A"},
                "document_id": "B",
            },
            422,
            "invalid_input",
            id="reference-twice",
        ),
        pytest.param(
            "/stock/receive",
            {"quantity": "1", "to_location": "WH1-A"},
            422,
            "invalid_input",
            id="item-missing",
        ),
    ],
)
def test_refused_write_answers_the_code_and_writes_nothing(
    client: TestClient, db: Database, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    response = post(client, path, body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["content-type"] == "application/problem+json"
    assert count(db, moves) == 0
    assert count(db, balances) == 0


def test_the_number_grammar_is_documented_in_openapi(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json")
    schemas = schema.json()["components"]["schemas"]
    text, number = schemas["AdjustIn"]["properties"]["quantity"]["anyOf"]
    # the grammar with its bound: at most 12 digits before the point (less than 10^12)
    assert text["pattern"] == NUMBER_PATTERN.replace("[0-9]+", "0*[0-9]{1,12}", 1)
    assert (number["exclusiveMinimum"], number["exclusiveMaximum"]) == (-(10**12), 10**12)
    # a receipt's quantity is above zero: no minus, a non-zero digit; a cost is never negative
    text, number = schemas["ReceiveIn"]["properties"]["quantity"]["anyOf"]
    assert re.fullmatch(text["pattern"].strip("^$"), "0.5")
    assert not any(re.fullmatch(text["pattern"].strip("^$"), t) for t in ("0", "0.00", "-1"))
    assert number["exclusiveMinimum"] == 0
    cost = schemas["ItemCreate"]["properties"]["standard_cost"]["anyOf"]
    assert cost[1]["minimum"] == 0


def test_an_unknown_token_is_refused(client: TestClient, db: Database) -> None:
    response = client.post(
        f"{API}/stock/receive",
        headers={"Authorization": "Bearer ck_mallory"},
        json={"item": "BOLT", "quantity": "1", "to_location": "WH1-A"},
    )
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert count(db, moves) == 0


def test_closed_period_refuses_back_dated_moves(client: TestClient, db: Database) -> None:
    receive(client, "BOLT", "10", "WH1-A", effective_at=(NOW - timedelta(days=5)).isoformat())
    through = (NOW - timedelta(days=3)).date()
    closed = client.post(
        f"{API}/periods/close", json={"through": through.isoformat(), "note": "March"}
    )
    assert closed.status_code == 201
    assert (closed.json()["closed_through"], closed.json()["note"]) == (
        through.isoformat(),
        "March",
    )
    refused = post(
        client,
        "/stock/issue",
        {
            "item": "BOLT",
            "quantity": "1",
            "from_location": "WH1-A",
            "effective_at": (NOW - timedelta(days=4)).isoformat(),
        },
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "period_closed")
    assert count(db, moves) == 1
    listed = client.get(f"{API}/periods").json()
    assert [p["closed_through"] for p in listed["items"]] == [through.isoformat()]
    assert count(db, periods) == 1


# ------------------------------------------------------------------ reads
def test_stock_list_filters_and_pages(client: TestClient) -> None:
    receive(client, "BOLT", "3", "WH1-A")
    receive(client, "BOLT", "4", "WH1-A-01")
    receive(client, "GLUE", "5", "WH1-B", lot="G1")
    receive(client, "GLUE", "6", "WH2-A", lot="G2")
    everything = client.get(f"{API}/stock").json()
    assert everything["total"] == 4
    assert everything["totals"] == {"on_hand": "18", "reserved": "0", "available": "18"}
    sub = client.get(f"{API}/stock", params={"location": "WH1-A"}).json()
    assert [(r["location"], r["on_hand"]) for r in sub["items"]] == [
        ("WH1-A", "3"),
        ("WH1-A-01", "4"),
    ]
    assert client.get(f"{API}/stock", params={"lot": "G2"}).json()["totals"]["on_hand"] == "6"
    assert client.get(f"{API}/stock", params={"q": "glue"}).json()["total"] == 2
    assert client.get(f"{API}/stock", params={"warehouse": "WH2"}).json()["total"] == 1
    page = client.get(f"{API}/stock", params={"limit": 1, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 1, 1)
    assert [r["location"] for r in page["items"]] == ["WH1-A-01"]
    virtual = client.get(f"{API}/stock", params={"include_virtual": True, "item": "BOLT"}).json()
    assert ("WH1/SUPPLIER", "-7") in [(r["location"], r["on_hand"]) for r in virtual["items"]]
    assert client.get(f"{API}/stock", params={"limit": 0}).json()["code"] == "invalid_limit"
    assert client.get(f"{API}/stock", params={"item": "NOPE"}).status_code == 404


def test_zero_balances_appear_only_when_asked(client: TestClient) -> None:
    receive(client, "BOLT", "3", "WH1-A")
    post(client, "/stock/issue", {"item": "BOLT", "quantity": "3", "from_location": "WH1-A"})
    assert client.get(f"{API}/stock").json()["total"] == 0
    zero = client.get(f"{API}/stock", params={"include_zero": True}).json()
    assert [(r["location"], r["on_hand"]) for r in zero["items"]] == [("WH1-A", "0")]


def test_as_of_lists_stock_at_a_past_time(client: TestClient) -> None:
    receive(client, "BOLT", "10", "WH1-A", effective_at=(NOW - timedelta(days=3)).isoformat())
    receive(client, "BOLT", "5", "WH1-A-01", effective_at=(NOW - timedelta(days=1)).isoformat())
    at = (NOW - timedelta(days=2)).isoformat()
    rows = client.get(f"{API}/stock/as-of", params={"at": at}).json()["items"]
    assert [(r["item"], r["location"], r["on_hand"]) for r in rows] == [("BOLT", "WH1-A", "10")]
    now_rows = client.get(
        f"{API}/stock/as-of", params={"at": NOW.isoformat(), "location": "WH1-A"}
    ).json()["items"]
    assert [r["on_hand"] for r in now_rows] == ["10", "5"]
    naive = (NOW - timedelta(days=2)).replace(tzinfo=None).isoformat()
    assert client.get(f"{API}/stock/as-of", params={"at": naive}).json()["items"] == rows
    missing = client.get(f"{API}/stock/as-of")
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid_input")


def test_one_items_stock_now_and_as_of(client: TestClient) -> None:
    receive(
        client, "GLUE", "5", "WH1-A", lot="G1", effective_at=(NOW - timedelta(days=3)).isoformat()
    )
    receive(client, "GLUE", "2", "WH2-A", lot="G2")
    post(
        client,
        "/stock/reserve",
        {"item": "GLUE", "quantity": "1", "location": "WH1-A", "lot": "G1"},
    )
    now = client.get(f"{API}/stock/items/GLUE").json()
    assert (now["on_hand"], now["reserved"], now["available"]) == ("7", "1", "6")
    assert [(r["location"], r["lot"], r["available"]) for r in now["locations"]] == [
        ("WH1-A", "G1", "4"),
        ("WH2-A", "G2", "2"),
    ]
    past = client.get(
        f"{API}/stock/items/GLUE", params={"at": (NOW - timedelta(days=1)).isoformat()}
    ).json()
    assert (past["on_hand"], past["reserved"]) == ("5", None)
    assert [(r["location"], r["on_hand"]) for r in past["locations"]] == [("WH1-A", "5")]
    unknown = client.get(f"{API}/stock/items/NOPE")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "item_not_found")


def test_move_history_filters_and_one_move(client: TestClient) -> None:
    first = receive(
        client,
        "BOLT",
        "10",
        "WH1-A",
        document_type="po",
        document_id="PO-1",
        effective_at=(NOW - timedelta(days=2)).isoformat(),
    )
    post(
        client,
        "/stock/issue",
        {
            "item": "BOLT",
            "quantity": "4",
            "from_location": "WH1-A",
            "document_type": "so",
            "document_id": "SO-1",
        },
    )
    receive(client, "GLUE", "1", "WH2-A", lot="G1")
    everything = client.get(f"{API}/moves").json()
    assert [m["item"] for m in everything["items"]] == ["GLUE", "BOLT", "BOLT"]
    history = client.get(f"{API}/moves", params={"item": "BOLT"}).json()
    assert [m["operation"] for m in history["items"]] == ["issue", "receive"]
    assert client.get(f"{API}/moves", params={"document_id": "PO-1"}).json()["total"] == 1
    assert client.get(f"{API}/moves", params={"operation": "receive"}).json()["total"] == 2
    assert client.get(f"{API}/moves", params={"location": "WH2-A"}).json()["total"] == 1
    assert client.get(f"{API}/moves", params={"lot": "G1"}).json()["total"] == 1
    until = (NOW - timedelta(days=1)).isoformat()
    assert [
        m["id"] for m in client.get(f"{API}/moves", params={"until": until}).json()["items"]
    ] == [first["id"]]
    assert client.get(f"{API}/moves", params={"since": until}).json()["total"] == 2
    one = client.get(f"{API}/moves/{first['id']}").json()
    assert (one["quantity"], one["document_id"], one["hash"]) == ("10", "PO-1", first["hash"])
    missing = client.get(f"{API}/moves/99999")
    assert (missing.status_code, missing.json()["code"]) == (404, "move_not_found")


def test_valuation_now_and_as_of(client: TestClient) -> None:
    receive(
        client,
        "BOLT",
        "10",
        "WH1-A",
        unit_cost="1",
        effective_at=(NOW - timedelta(days=2)).isoformat(),
    )
    receive(client, "BOLT", "10", "WH1-A", unit_cost="2")
    now = client.get(f"{API}/valuation").json()
    assert now["total_value"] == "30"
    assert [(v["item"], v["quantity"], v["value"], v["average_cost"]) for v in now["items"]] == [
        ("BOLT", "20", "30", "1.5")
    ]
    past = client.get(
        f"{API}/valuation", params={"at": (NOW - timedelta(days=1)).isoformat(), "item": "BOLT"}
    ).json()
    assert (past["total_value"], datetime.fromisoformat(past["at"]).utcoffset()) == (
        "10",
        timedelta(0),
    )


def test_verify_reports_ok(client: TestClient) -> None:
    receive(client, "BOLT", "10", "WH1-A")
    report = client.get(f"{API}/verify").json()
    assert (report["ok"], report["moves_checked"], report["problems"]) == (True, 1, [])


def test_checkpoint_is_taken_and_replayed(client: TestClient, db: Database) -> None:
    receive(client, "BOLT", "10", "WH1-A", effective_at=(NOW - timedelta(days=2)).isoformat())
    as_of = (NOW - timedelta(days=1)).isoformat()
    first = client.post(
        f"{API}/checkpoints", json={"as_of": as_of}, headers={"Idempotency-Key": "cp-1"}
    )
    again = client.post(
        f"{API}/checkpoints", json={"as_of": as_of}, headers={"Idempotency-Key": "cp-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replay"] == "true"
    assert datetime.fromisoformat(first.json()["as_of"]) == datetime.fromisoformat(as_of)
    assert count(db, checkpoints) == 1
    now = client.post(f"{API}/checkpoints")
    assert now.status_code == 201
    future = client.post(
        f"{API}/checkpoints", json={"as_of": (NOW + timedelta(days=1)).isoformat()}
    )
    assert (future.status_code, future.json()["code"]) == (422, "effective_in_future")
    assert count(db, checkpoints) == 2


def test_production_output_is_received_from_the_production_location(client: TestClient) -> None:
    posted = receive(client, "BOLT", "6", "WH1-A", source="production")
    assert posted["from_location"] == "WH1/PRODUCTION"
    refused = post(
        client,
        "/stock/receive",
        {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "source": "moon"},
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_receipt_source")
