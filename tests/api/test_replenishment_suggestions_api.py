"""Replenishment suggestions and budgets through the REST API (ADR 0033): the suggestions
worked out by hand (``tests.suggestion_factory``) with filters; orders made from all or some
of them, once per Idempotency-Key; budgets created, changed, listed with what is committed,
deleted; each refusal answers its status and code and writes nothing; supplier items take a
pack size and the preferred mark."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db import tables
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.api.test_inbound_api import API, DOCUMENT_TABLES, Api, TestClient, ok, refused
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import state
from tests.suggestion_factory import create_suggestion_story

WRITTEN = [*DOCUMENT_TABLES, tables.purchase_budgets]


@pytest.fixture
def api(db: Database, database_url: str) -> Iterator[Api]:
    """The suggestion story; buyer (purchaser in WH1), boss (warehouse manager in WH1), clerk
    (receiving clerk in WH1)."""
    build_company(db)
    create_suggestion_story(db)
    headers = {"admin": admin_headers(db)}
    for name, role in {
        "buyer": "purchaser",
        "boss": "warehouse_manager",
        "clerk": "receiving_clerk",
    }.items():
        headers[name] = token_headers(user_with_roles(db, name, (role, "WH1")))
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        yield Api(client, headers)


def _lines(api: Api, user: str = "admin", **params: Any) -> list[tuple[Any, ...]]:
    found = ok(api.get(user, "/replenishment/suggestions", **params))
    return [
        (ln["item"], ln["source"], ln["supplier"] or ln["from_warehouse"], ln["quantity"],
         ln["reason"])
        for ln in found["lines"]
    ]  # fmt: skip


def test_suggestions_with_their_figures_and_filters(api: Api) -> None:
    found = ok(api.get("admin", "/replenishment/suggestions"))
    washer = found["lines"][0]
    assert {k: washer[k] for k in ("item", "warehouse", "position", "wanted", "quantity", "rule",
                                   "pack_size", "minimum_order", "unit_price", "value",
                                   "days_of_cover", "abc_class")} == {
        "item": "WASHER", "warehouse": "WH1", "position": "5", "wanted": "48", "quantity": "48",
        "rule": "pack", "pack_size": "12", "minimum_order": "30", "unit_price": "2.5",
        "value": "120", "days_of_cover": "2.5", "abc_class": "A",
    }  # fmt: skip
    assert (found["budgets"], found["capacity"]) == ([], {})
    assert _lines(api) == [
        ("WASHER", "supplier", "ACME", "48", None),
        ("NUT", "transfer", "WH2", "97", None),
        ("GASKET", "supplier", "ZETA", "0", "below_minimum"),
        ("SPRING", "supplier", None, "0", "no_supplier"),
    ]
    assert _lines(api, supplier="ZETA") == [("GASKET", "supplier", "ZETA", "0", "below_minimum")]
    assert _lines(api, item="NUT", warehouse="WH1") == [("NUT", "transfer", "WH2", "97", None)]
    # the buyer sees WH1 only: no excess in WH2 to transfer
    assert ("NUT", "supplier", None, "0", "no_supplier") in _lines(api, "buyer")
    assert refused(api.get("clerk", "/replenishment/suggestions"), 403) == "permission_denied"


def test_orders_from_all_replayed_with_the_same_key(api: Api) -> None:
    made = ok(api.post("admin", "/replenishment/orders", {"all": True}, key="k-1"), 201)
    assert [(d["kind"], d["warehouse"], d["source"], d["lines"]) for d in made["documents"]] == [
        ("purchase_order", "WH1", "ACME", 1), ("transfer", "WH1", "WH2", 1)
    ]  # fmt: skip
    assert made["replayed"] is False
    before = state(api_db(api), WRITTEN)
    again = ok(api.post("admin", "/replenishment/orders", {"all": True}, key="k-1"), 201)
    assert again == {**made, "replayed": True}
    assert state(api_db(api), WRITTEN) == before
    order = ok(api.get("admin", f"/documents/{made['documents'][0]['number']}"))
    assert [(ln["item"], ln["quantity"], ln["unit_price"]) for ln in order["lines"]] == [
        ("WASHER", "48", "2.5")
    ]  # fmt: skip
    assert [ln[0] for ln in _lines(api)] == ["GASKET", "SPRING"]


def api_db(api: Api) -> Database:
    db: Database = api.client.app.state.db  # type: ignore[attr-defined]
    return db


def test_orders_picked_and_refusals(api: Api) -> None:
    db = api_db(api)
    before = state(db, WRITTEN)
    pick = {"item": "WASHER", "warehouse": "WH1"}
    cases = [
        (
            "admin",
            {"suggestions": [{"item": "GASKET", "warehouse": "WH1"}]},
            409,
            "suggestion_gone",
        ),
        ("admin", {}, 422, "choose_suggestions"),
        ("admin", {"all": True, "warehouse": "WH2"}, 409, "nothing_to_order"),
        ("admin", {"all": True, "extra": 1}, 422, "invalid_input"),
        ("clerk", {"suggestions": [pick]}, 403, "permission_denied"),
    ]
    for user, body, status, code in cases:
        assert refused(api.post(user, "/replenishment/orders", body), status) == code, body
    assert state(db, WRITTEN) == before
    made = ok(api.post("buyer", "/replenishment/orders", {"suggestions": [pick]}), 201)
    assert [(d["kind"], d["source"]) for d in made["documents"]] == [("purchase_order", "ACME")]


def test_budgets_crud_and_their_cut(api: Api) -> None:
    today = date.today().isoformat()
    body = {"period_start": today, "period_end": today, "amount": "100", "warehouse": "WH1"}
    made = ok(api.post("boss", "/replenishment/budgets", body), 201)
    assert {k: made[k] for k in ("warehouse", "category", "amount", "committed", "left")} == {
        "warehouse": "WH1", "category": None, "amount": "100", "committed": "0", "left": "100"
    }  # fmt: skip
    found = ok(api.get("admin", "/replenishment/suggestions", item="WASHER"))["lines"][0]
    assert (found["quantity"], found["value"], found["reason"], found["budget_left"]) == (
        "36", "90", "budget", "100"
    )  # fmt: skip
    path = f"{API}/replenishment/budgets/{made['id']}"
    changed = ok(api.client.put(path, json={**body, "amount": "1000"}, headers=api.headers["boss"]))
    assert changed["amount"] == "1000"
    assert [b["id"] for b in ok_list(api.get("buyer", "/replenishment/budgets"))] == [made["id"]]
    db = api_db(api)
    before = state(db, WRITTEN)
    everywhere = {**body, "warehouse": None}
    assert (
        refused(api.post("boss", "/replenishment/budgets", everywhere), 403) == "permission_denied"
    )
    assert refused(api.post("buyer", "/replenishment/budgets", body), 403) == "permission_denied"
    bad = {**body, "period_end": "2000-01-01"}
    assert refused(api.post("admin", "/replenishment/budgets", bad), 422) == "invalid_budget_period"
    gone = api.client.delete(f"{API}/replenishment/budgets/9999", headers=api.headers["admin"])
    assert refused(gone, 404) == "budget_not_found"
    assert state(db, WRITTEN) == before
    done = api.client.delete(
        f"{API}/replenishment/budgets/{made['id']}", headers=api.headers["boss"]
    )
    assert done.status_code == 204
    assert ok_list(api.get("admin", "/replenishment/budgets")) == []


def ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_supplier_items_take_pack_size_and_preferred(api: Api) -> None:
    terms = {"price": "1", "currency": "CNY", "pack_size": "10", "preferred": True}
    put = api.client.put(f"{API}/partners/BETA/supplier-items/GASKET", json=terms,
                         headers=api.headers["admin"])  # fmt: skip
    assert put.status_code == 200, put.text
    assert (put.json()["pack_size"], put.json()["preferred"]) == ("10", True)
    listed = ok_list(api.get("admin", "/partners/ZETA/supplier-items"))
    assert [(t["item"], t["preferred"]) for t in listed] == [("GASKET", False), ("SPRING", False)]
    # BETA is GASKET's preferred supplier now: 2 packs of 10, no minimum
    assert _lines(api, item="GASKET") == [("GASKET", "supplier", "BETA", "20", None)]
    bad = {**terms, "pack_size": "0"}
    put = api.client.put(f"{API}/partners/BETA/supplier-items/GASKET", json=bad,
                         headers=api.headers["admin"])  # fmt: skip
    assert refused(put, 422) == "invalid_pack_size"
