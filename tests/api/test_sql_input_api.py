"""SQL-like input in every filter of every GET route is data, never SQL.

The routes and their query parameters come from the app, so a new filter is tested the moment
it exists (and fails here until its expected answer is written down in ``EXPECTED``). Every
value answers exactly what any unknown value would: no match (200, nothing listed), the code's
``..._not_found`` or a validation refusal; ``%`` and ``_`` match literally. Nothing answers 500
and every table is still there afterwards.
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import audit_log, items, metadata
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS
from cangku.settings import Settings
from tests.api.routes import API, Route, api_routes
from tests.auth import admin_headers
from tests.databases import ENGINE, RUN_ID, pg_admin, pg_url
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SQL_LIKE = ["' OR 1=1 --", "%", "_", '"; DROP TABLE items; --', "1' UNION SELECT * FROM users --"]
ROUTES = [
    r
    for r in api_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
    if r.method == "GET"
]
#: a required parameter's ordinary value, so that only the filter under test is odd
REQUIRED = {
    "/stock/as-of": {"at": "2030-01-01T00:00:00Z"},
    "/stock/as-of.csv": {"at": "2030-01-01T00:00:00Z"},
}
#: the time filters: anything but an ISO 8601 date or time is invalid_time
TIMES = frozenset({"at", "since", "until"})

EMPTY = (200, None)
#: the answer to SQL-like text in each text filter (typed filters answer 422 invalid_input)
EXPECTED: dict[tuple[str, str], tuple[int, str | None]] = {
    ("/items", "q"): EMPTY,
    ("/items", "item_type"): EMPTY,
    ("/items", "tracking"): EMPTY,
    ("/items", "category"): (404, "category_not_found"),
    ("/categories", "q"): EMPTY,
    ("/moves", "item"): (404, "item_not_found"),
    ("/moves", "location"): (404, "location_not_found"),
    ("/moves", "lot"): (404, "lot_not_found"),
    ("/moves", "document_type"): EMPTY,
    ("/moves", "document_id"): EMPTY,
    ("/moves", "operation"): EMPTY,
    ("/valuation", "item"): (404, "item_not_found"),
    ("/lots", "item"): (404, "item_not_found"),
    ("/lots", "status"): (422, "invalid_lot_status"),
    ("/lots", "q"): EMPTY,
    ("/serials", "item"): (404, "item_not_found"),
    ("/serials", "status"): (422, "invalid_lot_status"),
    ("/serials", "q"): EMPTY,
    ("/partners", "q"): EMPTY,
    ("/partners", "role"): (422, "invalid_role"),
    ("/stock", "item"): (404, "item_not_found"),
    ("/stock", "location"): (404, "location_not_found"),
    ("/stock", "warehouse"): (404, "warehouse_not_found"),
    ("/stock", "lot"): (404, "lot_not_found"),
    ("/stock", "q"): EMPTY,
    ("/stock/as-of", "item"): (404, "item_not_found"),
    ("/stock/scan", "text"): (404, "scan_not_found"),
    ("/stock/as-of", "location"): (404, "location_not_found"),
    ("/stock/as-of", "warehouse"): (404, "warehouse_not_found"),
    ("/stock/as-of", "lot"): (404, "lot_not_found"),
    ("/warehouses", "q"): EMPTY,
    ("/locations", "q"): EMPTY,
    ("/locations", "warehouse"): (404, "warehouse_not_found"),
    ("/locations", "kind"): (422, "invalid_location_kind"),
    ("/locations", "parent"): (404, "location_not_found"),
    ("/audit", "user"): EMPTY,
    ("/audit", "action"): EMPTY,
    ("/audit", "target_type"): EMPTY,
    ("/audit", "target"): EMPTY,
    ("/audit", "warehouse"): EMPTY,
    ("/audit", "q"): EMPTY,  # but see audit_matches: the trail's details hold real '_'
    # labels (a PDF): nothing found is no_labels
    ("/labels/items", "code"): (404, "item_not_found"),
    ("/labels/items", "q"): (422, "no_labels"),
    ("/labels/items", "item_type"): (422, "no_labels"),
    ("/labels/items", "category"): (404, "category_not_found"),
    ("/labels/items", "tracking"): (422, "no_labels"),
    ("/labels/lots", "code"): (404, "lot_not_found"),
    ("/labels/lots", "item"): (404, "item_not_found"),
    ("/labels/lots", "status"): (422, "invalid_lot_status"),
    ("/labels/lots", "q"): (422, "no_labels"),
    ("/labels/locations", "code"): (404, "location_not_found"),
    ("/labels/locations", "q"): (422, "no_labels"),
    ("/labels/locations", "warehouse"): (404, "warehouse_not_found"),
    ("/labels/locations", "kind"): (422, "invalid_location_kind"),
    # the lists' orders: a column name the list does not offer
    ("/items", "sort"): (422, "invalid_sort"),
    ("/items", "stock"): (422, "invalid_stock_filter"),
    ("/moves", "sort"): (422, "invalid_sort"),
    ("/moves", "cursor"): (422, "invalid_cursor"),
    ("/valuation", "cursor"): (422, "invalid_cursor"),
    ("/stock/on-hand-series", "item"): (404, "item_not_found"),
    ("/stock", "sort"): (422, "invalid_sort"),
    ("/stock", "cursor"): (422, "invalid_cursor"),
    ("/stock", "balance"): (422, "invalid_balance_filter"),
    ("/stock/as-of", "cursor"): (422, "invalid_cursor"),
    ("/stock/as-of.csv", "item"): (404, "item_not_found"),
    ("/stock/as-of.csv", "location"): (404, "location_not_found"),
    ("/stock/as-of.csv", "warehouse"): (404, "warehouse_not_found"),
    ("/stock/as-of.csv", "lot"): (404, "lot_not_found"),
    ("/lots", "sort"): (422, "invalid_sort"),
    ("/partners", "sort"): (422, "invalid_sort"),
    ("/warehouses", "sort"): (422, "invalid_sort"),
    ("/locations", "sort"): (422, "invalid_sort"),
    ("/users", "sort"): (422, "invalid_sort"),
    ("/roles", "sort"): (422, "invalid_sort"),
    ("/audit", "sort"): (422, "invalid_sort"),
    # documents and the task inbox
    ("/documents", "type"): (422, "unknown_document_type"),
    ("/documents", "state"): (422, "unknown_state"),
    ("/documents", "warehouse"): (404, "warehouse_not_found"),
    ("/documents", "partner"): (404, "partner_not_found"),
    ("/documents", "item"): (404, "item_not_found"),
    ("/documents", "q"): EMPTY,
    ("/tasks", "type"): (422, "unknown_document_type"),
    ("/on-order", "item"): (404, "item_not_found"),
    ("/on-order", "warehouse"): (404, "warehouse_not_found"),
    ("/alerts", "kind"): (422, "unknown_alert_kind"),
    ("/alerts", "warehouse"): (404, "warehouse_not_found"),
    ("/replenishment/levels", "warehouse"): (404, "warehouse_not_found"),
    ("/replenishment/levels", "item"): (404, "item_not_found"),
    ("/replenishment/levels", "category"): (404, "category_not_found"),
    ("/deliveries", "status"): (422, "invalid_delivery_status"),
    ("/deliveries", "topic"): EMPTY,
    ("/replenishment/suggestions", "warehouse"): (404, "warehouse_not_found"),
    ("/replenishment/suggestions", "item"): (404, "item_not_found"),
    ("/replenishment/suggestions", "category"): (404, "category_not_found"),
    ("/replenishment/suggestions", "supplier"): (404, "partner_not_found"),
    ("/approval-rules", "kind"): (422, "unknown_request_kind"),
    ("/outbound/demand", "warehouse"): (404, "warehouse_not_found"),
    ("/transfers/in-transit", "warehouse"): (404, "warehouse_not_found"),
    ("/cycle-counts/due", "warehouse"): (404, "warehouse_not_found"),
    ("/cycle-counts/abc", "warehouse"): (404, "warehouse_not_found"),
    ("/cycle-counts/accuracy", "warehouse"): (404, "warehouse_not_found"),
    ("/adjustments", "state"): (422, "unknown_state"),
    ("/adjustments", "item"): EMPTY,
    ("/adjustments", "warehouse"): EMPTY,
    ("/reason-codes", "kind"): (422, "invalid_reason_kind"),
    ("/shipments/{number}/delivery-note.pdf", "lang"): (422, "invalid_input"),
}
#: the analysis reports' filters (every report's, from the registry) and free text parameters
REPORT_TEXT = {
    "warehouse": (404, "warehouse_not_found"),
    "category": (404, "category_not_found"),
    "type": (422, "invalid_item_type"),
    "item": (404, "item_not_found"),
    "supplier": (404, "supplier_not_found"),
    "buckets": (422, "invalid_buckets"),
}
EXPECTED |= {
    (f"/reports/{name}", key): REPORT_TEXT[key]
    for name, spec in REPORTS.items()
    for key in (*spec.filters, *spec.extras)
    if key in REPORT_TEXT
}
#: the routes whose ``at`` is a day (a date: not one is invalid_input), not a time
DAY_AT = frozenset(f"/reports/{name}" for name, spec in REPORTS.items() if spec.time == "as_of")


FILTERS = [
    (route, name)
    for route in ROUTES
    for name in route.query
    if name not in REQUIRED.get(route.path[len(API) :], {})
]


# ------------------------------------------------------------------ one seeded database


@pytest.fixture(scope="module")
def module_url(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the module: every call here only reads."""
    if ENGINE == "postgresql":
        name = f"cangku_sql_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield pg_url(name)
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = Path(tmp_path_factory.mktemp("sql")) / "cangku.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture(scope="module")
def seeded(module_url: str) -> Iterator[tuple[TestClient, Database]]:
    db = Database(module_url)
    build_company(db)
    app = create_app(Settings(database_url=module_url), db)
    with TestClient(app, headers=admin_headers(db)) as client:
        receipt = {"item": "BOLT", "quantity": "10", "to_location": "WH1-A", "unit_cost": "1"}
        assert client.post(f"{API}/stock/receive", json=receipt).status_code == 201
        partner = {"code": "SUP1", "name": "Supplier", "is_supplier": True}
        assert client.post(f"{API}/partners", json=partner).status_code == 201
        yield client, db
    db.dispose()


def audit_matches(db: Database, text: str) -> int:
    """Entries whose target or details contain ``text`` literally (case-insensitive)."""
    with db.read() as conn:
        rows = conn.execute(select(audit_log.c.target, audit_log.c.details)).all()
    return sum(1 for t, d in rows if text in (t or "").lower() or text in str(d or "").lower())


def listed(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if "total" in body:
        assert body["total"] == len(body["items"]) or body["total"] > body["limit"]
        return int(body["total"])
    return len(body["items"])


# ------------------------------------------------------------------ the tests


def test_every_text_filter_has_its_expected_answer() -> None:
    missing = [
        f"{route.id} {name}"
        for route, name in FILTERS
        if name in route.text_query and (route.path[len(API) :], name) not in EXPECTED
    ]
    assert missing == [], "write down what SQL-like text answers in EXPECTED"
    assert len(FILTERS) >= 80


@pytest.mark.parametrize(("route", "name"), FILTERS, ids=[f"{r.id} {n}" for r, n in FILTERS])
def test_sql_like_text_in_a_filter_is_only_data(
    seeded: tuple[TestClient, Database], route: Route, name: str
) -> None:
    client, db = seeded
    tail = route.path[len(API) :]
    values = {p: "WH1" if "warehouse" in route.path else "BOLT" for p in route.path_params}
    url = route.url({**values, "code": "WH1-A"} if tail.startswith("/locations/") else values)
    typed = (422, "invalid_input")  # a number or a flag: the value is not one
    if name in TIMES and tail not in DAY_AT:
        typed = (422, "invalid_time")  # an ISO 8601 date or time only
    expected = EXPECTED.get((tail, name), typed) if name in route.text_query else typed
    for value in SQL_LIKE:
        params = {**REQUIRED.get(tail, {}), name: value}
        response = client.get(url, params=params)
        assert response.status_code < 500, (route.id, name, value, response.text)
        status, code = expected
        if code is None:
            assert response.status_code == 200, (route.id, name, value, response.text)
            wanted = audit_matches(db, value.lower()) if (tail, name) == ("/audit", "q") else 0
            assert listed(response.json()) == wanted, (route.id, name, value)
        else:
            got = (response.status_code, response.json()["code"])
            assert got == (status, code), (route.id, name, value)


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.path_params], ids=[r.id for r in ROUTES if r.path_params]
)
def test_sql_like_text_in_a_path_is_not_found(
    seeded: tuple[TestClient, Database], route: Route
) -> None:
    client, _ = seeded
    for name in route.path_params:
        for value in SQL_LIKE:
            values = {p: "FLOUR" if p == "item" else "BOLT" for p in route.path_params}
            response = client.get(route.url({**values, name: quote(value, safe="")}))
            body = response.json()
            assert response.status_code in (404, 422), (route.id, name, value, response.text)
            assert body["code"].endswith("_not_found") or body["code"] == "invalid_input"


def test_the_tables_are_all_still_there(seeded: tuple[TestClient, Database]) -> None:
    client, db = seeded
    with db.read() as conn:
        for table in metadata.sorted_tables:
            conn.execute(select(func.count()).select_from(table)).scalar_one()
        assert conn.execute(select(func.count()).select_from(items)).scalar_one() == 4
    assert client.get(f"{API}/items").json()["total"] == 4
    assert client.get(f"{API}/stock").json()["totals"]["on_hand"] == "10"
