"""Transfers through the REST API: WH1 -> WH2 requested, approved by the manager, dispatched by
the WH1 picker, received by the WH2 clerk with one short and one damaged unit, the discrepancy
resolved; the stock in transit with its value on the way; a transfer within a warehouse in one
step; each refusal answers its code and writes nothing; a viewer is refused every transfer
write; dispatch is the source warehouse's step and receipt the destination's."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.routes import Route, api_routes
from tests.api.test_outbound_api import Api, ok, refused, stock_of
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import WATCHED, state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
TABLES = [
    *WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.document_counters,
    tables.outbox,
    tables.audit_log,
]
USERS: dict[str, tuple[str, str | None]] = {
    "asker": ("receiving_clerk", "WH1"),
    "boss": ("warehouse_manager", None),
    "picker": ("picker_shipper", "WH1"),
    "receiver": ("receiving_clerk", "WH2"),
    "viewer": ("viewer", None),
}
ROUTES = [
    r
    for r in api_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
    if r.path[len(API) :].startswith("/transfers")
]


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """WH1 holds 100 BOLT at 0.50 in WH1-A and 40 GLUE of lot G1 at 2.00 in WH1-A."""
    build_company(db)
    headers = {"admin": admin_headers(db)}
    for name, role in USERS.items():
        headers[name] = token_headers(user_with_roles(db, name, role))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        setup = Api(client, headers)
        for item, lot, quantity, cost in [("BOLT", None, "100", "0.5"), ("GLUE", "G1", "40", "2")]:
            receipt = {"item": item, "quantity": quantity, "to_location": "WH1-A",
                       "lot": lot, "unit_cost": cost}  # fmt: skip
            ok(setup.post("admin", "/stock/receive", receipt), 201)
        yield setup


def _transfer(submit: bool = True) -> dict[str, Any]:
    return {
        "from_warehouse": "WH1",
        "to_warehouse": "WH2",
        "lines": [
            {"item": "BOLT", "quantity": "30", "from_location": "WH1-A", "to_location": "WH2-A"},
            {"item": "GLUE", "quantity": "10", "from_location": "WH1-A", "lot": "G1"},
        ],
        "submit": submit,
    }


def _lines(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (ln["line_no"], ln["quantity"], ln["done"], ln["accepted"], ln["rejected"],
         ln["resolved"], ln["in_transit"])
        for ln in doc["lines"]
    ]  # fmt: skip


def test_a_transfer_between_warehouses_through_the_api(api: Api, db: Database) -> None:
    made = ok(api.post("asker", "/transfers", _transfer(), key="tr-1"), 201)
    number = made["number"]
    assert (made["state"], made["warehouse"], made["to_warehouse"]) == ("submitted", "WH1", "WH2")
    assert [s["code"] for s in made["steps"]] == ["cancel"]  # the asker may only cancel it
    again = api.post("asker", "/transfers", _transfer(), key="tr-1")
    assert (again.status_code, again.headers["Idempotent-Replay"]) == (200, "true")
    # the receiver in WH2 sees it; the boss approves
    assert ok(api.get("receiver", f"/documents/{number}"))["state"] == "submitted"
    ok(api.post("boss", f"/transfers/{number}/approve"))
    # the receiver may not dispatch it from WH1; the picker dispatches every line in full
    assert (
        refused(api.post("receiver", f"/transfers/{number}/dispatch"), 403) == "permission_denied"
    )
    sent = ok(api.post("picker", f"/transfers/{number}/dispatch", {}))
    assert (sent["state"], len(sent["result"]["move_ids"])) == ("in_transit", 2)
    transit = ok(api.get("boss", "/transfers/in-transit"))
    assert [(r["number"], r["line_no"], r["item"], r["lot"], r["quantity"], r["value"])
            for r in transit["items"]] == [
        (number, 1, "BOLT", None, "30", "15"),
        (number, 2, "GLUE", "G1", "10", "20"),
    ]  # fmt: skip
    assert transit["total_value"] == "35"
    seen = ok(api.get("receiver", "/transfers/in-transit", warehouse="WH2"))
    # the receiver sees it arriving in WH2, but not what it cost (no valuation.view)
    assert [(r["line_no"], r.get("value")) for r in seen["items"]] == [(1, None), (2, None)]
    assert "total_value" not in seen
    # the picker may not receive it in WH2; the receiver does: 28 good, 1 damaged, 1 missing
    assert refused(api.post("picker", f"/transfers/{number}/receive"), 403) == "permission_denied"
    body = {"received": {"1": "28"}, "damaged": {"1": "1"}, "bins": {"2": "WH2-A"}}
    got = ok(api.post("receiver", f"/transfers/{number}/receive", body))
    assert (got["state"], got["result"]["missing"]) == ("discrepancy", {"1": "2"})
    assert _lines(got) == [
        (1, "30", "30", "28", "1", "0", "2"),
        (2, "10", "10", "10", "0", "0", "0"),
    ]
    resolutions = {"resolutions": [{"line": 1, "outcome": "lost", "quantity": "1"},
                                   {"line": 1, "outcome": "found", "quantity": "1"}]}  # fmt: skip
    done = ok(api.post("boss", f"/transfers/{number}/resolve", resolutions))
    assert done["state"] == "received"
    assert _lines(done) == [
        (1, "30", "30", "28", "1", "2", "0"),
        (2, "10", "10", "10", "0", "0", "0"),
    ]
    assert ok(api.get("boss", "/transfers/in-transit"))["items"] == []
    # 28 arrived and 1 found in WH2-A, 1 written off from WH1's transit (the stock list
    # shows storage locations: transit is empty again)
    assert stock_of(api, "BOLT") == {("WH1-A", None): ("70", "0"), ("WH2-A", None): ("29", "0")}


def test_within_a_warehouse_in_one_step(api: Api) -> None:
    body = {
        "from_warehouse": "WH1",
        "lines": [{"item": "BOLT", "quantity": "1", "unit": "box", "from_location": "WH1-A",
                   "to_location": "WH1-B"}],
        "submit": True,
    }  # fmt: skip
    made = ok(api.post("picker", "/transfers", body), 201)
    assert (made["state"], made["to_warehouse"], made["lines"][0]["quantity"]) == (
        "approved", "WH1", "12",
    )  # fmt: skip
    done = ok(api.post("picker", f"/transfers/{made['number']}/dispatch"))
    assert (done["state"], len(done["result"]["move_ids"])) == ("received", 1)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"lines": [{"item": "BOLT", "quantity": "101", "from_location": "WH1-A"}]}, 409,
         "insufficient_stock"),
        ({"lines": [{"item": "GLUE", "quantity": "1", "from_location": "WH1-A"}]}, 422,
         "lot_required"),
        ({"to_warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ({"lines": []}, 422, "no_lines"),
        ({"lines": [{"item": "BOLT", "quantity": "0", "from_location": "WH1-A"}]}, 422,
         "quantity_not_positive"),
        ({"lines": [{"item": "BOLT", "quantity": "1", "from_location": "WH2-A"}]}, 422,
         "from_location_not_in_warehouse"),
    ],
    ids=["more-than-available", "no-lot", "unknown-warehouse", "no-lines", "zero", "wrong-bin"],
)  # fmt: skip
def test_a_bad_transfer_is_refused_and_writes_nothing(
    api: Api, db: Database, change: dict[str, Any], status: int, code: str
) -> None:
    before = state(db, TABLES)
    response = api.post("asker", "/transfers", {**_transfer(), **change})
    assert refused(response, status) == code
    assert state(db, TABLES) == before


def test_refused_steps_write_nothing(api: Api, db: Database) -> None:
    number = ok(api.post("asker", "/transfers", _transfer()), 201)["number"]
    assert refused(api.post("asker", f"/transfers/{number}/approve"), 403) == "permission_denied"
    assert refused(api.post("boss", f"/transfers/{number}/reject"), 422) == "reason_required"
    ok(api.post("boss", f"/transfers/{number}/approve"))
    before = state(db, TABLES)
    for user, step, body, status, code in [
        ("picker", "dispatch", {"picked": {"1": "31"}}, 409, "dispatched_more_than_requested"),
        ("picker", "dispatch", {"picked": {"9": "1"}}, 422, "unknown_line"),
        ("receiver", "receive", {}, 409, "invalid_transition"),
        ("boss", "resolve", {"resolutions": [{"line": 1, "outcome": "lost", "quantity": "1"}]},
         409, "invalid_transition"),
    ]:  # fmt: skip
        assert refused(api.post(user, f"/transfers/{number}/{step}", body), status) == code
    assert state(db, TABLES) == before
    ok(api.post("picker", f"/transfers/{number}/dispatch"))
    before = state(db, TABLES)
    for user, step, body, status, code in [
        ("receiver", "receive", {"received": {"1": "31"}}, 409, "received_more_than_dispatched"),
        ("receiver", "receive", {"bins": {"2": "WH1-B"}}, 422, "to_location_not_in_warehouse"),
        ("receiver", "receive", {}, 422, "to_location_required"),
        ("asker", "cancel", {}, 409, "invalid_transition"),
        ("boss", "resolve", {"resolutions": [{"line": 1, "outcome": "stolen", "quantity": "1"}]},
         422, "unknown_outcome"),
    ]:  # fmt: skip
        assert refused(api.post(user, f"/transfers/{number}/{step}", body), status) == code
    assert state(db, TABLES) == before
    assert refused(api.post("boss", "/transfers/SO-WH1-2026-00001/approve"), 404) == (
        "transfer_not_found"
    )


def test_the_transfer_routes_are_these() -> None:
    assert sorted(r.id for r in ROUTES) == sorted(
        ["POST /transfers", "GET /transfers/in-transit"]
        + [f"POST /transfers/{{number}}/{step}" for step in
           ("submit", "approve", "reject", "revise", "cancel", "dispatch", "receive", "resolve")]
    )  # fmt: skip


@pytest.mark.parametrize("route", [r for r in ROUTES if r.writes], ids=lambda r: r.id)
def test_a_viewer_is_refused_every_transfer_write(api: Api, db: Database, route: Route) -> None:
    number = ok(api.post("asker", "/transfers", _transfer()), 201)["number"]
    before = state(db, TABLES)
    response = api.client.request(
        route.method, route.url({"number": number}), json={}, headers=api.headers["viewer"]
    )
    assert refused(response, 403) == "permission_denied"
    assert state(db, TABLES) == before
