"""The role x endpoint matrix: every route under /api/v1, for every built-in role.

The routes come from the app (``tests.api.routes``) and each one's action from its
``permit(...)`` dependency, so a new endpoint is in the matrix the moment it exists and a route
that declares nothing fails here. For each role (a user holding it in every warehouse):
a route whose action the role holds must not answer 401/403; any other route must answer
exactly 403 ``permission_denied`` and write nothing. Without credentials every route answers
401; a token limited to ``*.view`` is refused (403) on every write route.

The calls send an empty JSON body, so most permitted writes stop at validation (422); the few
whose body is optional really run, in a database of the role's own.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cangku.api.deps import SESSION_COOKIE
from cangku.app import create_app
from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES, Action
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.settings import Settings
from tests.api.routes import API, Route, api_routes
from tests.auth import PASSWORD, admin_token, session_of, token_headers, user_with_roles
from tests.factories import build_company
from tests.snapshot import state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROUTES = api_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
WRITES = [r for r in ROUTES if r.writes]

# ------------------------------------------------------------------ the company the calls address


def path_values(route: Route, seeded: dict[str, str]) -> dict[str, str]:
    """Existing objects for the route's path parameters (a new parameter needs a value here)."""
    by_prefix = {
        "/stock/items/": {"code": "BOLT"},
        "/items/": {"code": "BOLT", "barcode": "6901234567892"},
        "/categories/": {"code": "HW"},
        "/lots/": {"item": "FLOUR", "code": "F1", "lot_id": seeded["lot_id"]},
        "/moves/": {"move_id": seeded["move_id"]},
        "/partners/": {"code": "SUP1", "item": "BOLT", "contact_id": seeded["contact_id"]},
        "/warehouses/": {"code": "WH1", "rule_id": "1"},
        "/locations/": {"code": "WH1-A"},
        "/tokens/": {"token_id": seeded["token_id"]},
        "/users/": {"username": "target"},
        "/roles/": {"code": "custom"},
        "/audit/": {"seq": "1"},
        "/replenishment/levels/": {"item": "BOLT", "warehouse": "WH1"},
        # no budget exists: 404 where permitted
        "/replenishment/budgets/": {"budget_id": "1"},
        # no alert is open in the seeded company: acknowledging answers 404 where permitted
        "/alerts/": {"alert_id": "1", "subscription_id": "1"},
        # no channel, delivery or subscription exists: 404 where permitted
        "/channels/": {"channel_id": "1", "subscription_id": "1"},
        "/deliveries/": {"delivery_id": "1"},
        "/jobs/": {"name": "deliveries"},
        # a cancelled order: no step waits on it (take answers 409, never the step's 403)
        "/documents/": {"number": seeded["cancelled_order"]},
        "/purchase-orders/": {"number": seeded["order"]},
        "/receipts/": {"number": seeded["receipt"]},
        "/inspections/": {"number": "QC-WH1-2026-99999"},
        "/putaways/": {"number": seeded["putaway"]},
        "/supplier-returns/": {"number": seeded["supplier_return"]},
        "/sales-orders/": {"number": seeded["sales_order"]},
        "/requisitions/": {"number": seeded["requisition"]},
        "/pick-lists/": {"number": "PK-WH1-2026-99999"},
        "/shipments/": {"number": "SH-WH1-2026-99999"},
        "/customer-returns/": {"number": "RC-WH1-2026-99999"},
        "/approval-rules/": {"rule_id": "1"},
        "/outbound/": {"number": seeded["sales_order"]},
        "/transfers/": {"number": seeded["transfer"]},
        "/counts/": {"number": seeded["count"]},
        "/adjustments/": {"number": "ADJ-WH1-2026-99999"},
        "/reason-codes/": {"kind": "scrap", "code": "other"},
    }
    tail = route.path[len(API) :]
    for prefix, values in by_prefix.items():
        if tail.startswith(prefix):
            missing = set(route.path_params) - set(values)
            assert not missing, f"{route.id}: give the matrix a value for {sorted(missing)}"
            return values
    assert not route.path_params, f"{route.id}: give the matrix values for {route.path_params}"
    return {}


def seed(client: TestClient, db: Database) -> dict[str, str]:
    """Stock in both warehouses, a lot, a partner with a contact and terms, a category, a
    custom role and a second user with a token: something for every path to address."""
    admin = token_headers(admin_token(db))

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"{API}{path}", json=body, headers=admin)
        assert response.status_code == 201, (path, response.text)
        found: dict[str, Any] = response.json()
        return found

    receipt = {"item": "BOLT", "quantity": "100", "to_location": "WH1-A", "unit_cost": "2"}
    move = post("/stock/receive", receipt)["moves"][0]
    post("/stock/receive", {**receipt, "to_location": "WH2-A"})
    lot = {"item": "FLOUR", "quantity": "50", "to_location": "WH1-A", "lot": "F1"}
    post("/stock/receive", {**lot, "unit_cost": "1"})
    post("/partners", {"code": "SUP1", "name": "Supplier", "is_supplier": True})
    contact = post("/partners/SUP1/contacts", {"name": "Ms Li"})
    response = client.put(
        f"{API}/partners/SUP1/supplier-items/BOLT",
        json={"price": "1.5", "currency": "CNY"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    post("/categories", {"code": "HW", "name": "Hardware"})
    post("/roles", {"code": "custom", "name": "Custom", "permissions": ["stock.view"]})
    user_with_roles(db, "target", ("viewer", None))
    lots = client.get(f"{API}/lots", params={"item": "FLOUR"}, headers=admin).json()
    documents = inbound_documents(client, admin, post)
    return {
        **documents,
        **outbound_documents(post),
        # a submitted transfer WH1 -> WH2
        "transfer": post(
            "/transfers",
            {
                "from_warehouse": "WH1",
                "to_warehouse": "WH2",
                "lines": [{"item": "BOLT", "quantity": "1", "from_location": "WH1-A"}],
                "submit": True,
            },
        )["number"],
        # a count of WH1 being counted
        "count": post("/counts", {"warehouse": "WH1", "start": True})["number"],
        "move_id": str(move["id"]),
        "lot_id": str(lots["items"][0]["id"]),
        "contact_id": str(contact["id"]),
        "token_id": str(create_token(db, Context("target"), "theirs").id),
    }


def inbound_documents(
    client: TestClient, admin: dict[str, str], post: Callable[..., dict[str, Any]]
) -> dict[str, str]:
    """A draft order, a cancelled one, a received receipt with its put-away, a draft return."""
    order = {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"item": "BOLT", "quantity": "5"}]}
    cancelled = post("/purchase-orders", order)["number"]
    response = client.post(f"{API}/purchase-orders/{cancelled}/cancel", headers=admin)
    assert response.status_code == 200, response.text
    line = {"item": "BOLT", "quantity": "2", "unit_price": "1"}
    receipt = post("/receipts", {"warehouse": "WH1", "supplier": "SUP1", "lines": [line]})
    back = {"item": "BOLT", "quantity": "1", "location": "WH1-A"}
    draft = {"supplier": "SUP1", "warehouse": "WH1", "ship": False, "lines": [back]}
    return {
        "order": post("/purchase-orders", order)["number"],
        "cancelled_order": cancelled,
        "receipt": receipt["number"],
        "putaway": receipt["result"]["putaway"],
        "supplier_return": post("/supplier-returns", draft)["number"],
    }


def outbound_documents(post: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """A draft sales order for a customer and a draft requisition."""
    post("/partners", {"code": "CUS1", "name": "Customer", "is_customer": True})
    lines = [{"item": "BOLT", "quantity": "5"}]
    return {
        "sales_order": post(
            "/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": lines}
        )["number"],
        "requisition": post("/requisitions", {"warehouse": "WH1", "lines": lines})["number"],
    }


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        yield test_client


def call(client: TestClient, route: Route, url: str, headers: dict[str, str]) -> Any:
    body = {} if route.writes else None
    return client.request(route.method, url, json=body, headers=headers)


def holds(role: str, declared: Action | None) -> bool:
    return declared is None or role in declared.roles


# ------------------------------------------------------------------ every route declares


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_every_route_declares_exactly_one_action(route: Route) -> None:
    assert len(route.declared) == 1, (
        f"{route.id} declares {route.declared}: add permit(ACTION) (or signed_in())"
    )


def test_the_matrix_covers_the_whole_api() -> None:
    paths = {r.path for r in ROUTES}
    for expected in ("/stock/receive", "/moves/{move_id}", "/users/{username}/roles", "/tokens"):
        assert f"{API}{expected}" in paths
    assert len(ROUTES) >= 90


# ------------------------------------------------------------------ the matrix


@pytest.mark.parametrize("role", BUILTIN_ROLES)
def test_role_matrix(client: TestClient, db: Database, role: str) -> None:
    seeded = seed(client, db)
    token = user_with_roles(db, "matrix", (role, None))
    session_id, csrf = session_of(db, "matrix", PASSWORD)
    with_token = token_headers(token)
    with_session = {"Cookie": f"{SESSION_COOKIE}={session_id}", "X-CSRF-Token": csrf}
    failures: list[str] = []
    denied = [r for r in ROUTES if not holds(role, r.declared[0])]
    allowed = [r for r in ROUTES if holds(role, r.declared[0])]
    before = state(db)
    for route in denied:
        url = route.url(path_values(route, seeded))
        response = call(client, route, url, with_token)
        got = (response.status_code, response.json().get("code"))
        if got != (403, "permission_denied"):
            failures.append(f"{role} {route.id}: expected 403 permission_denied, got {got}")
        after = state(db)
        if after != before:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            failures.append(f"{role} {route.id}: refused but wrote {changed}")
            before = after
    for route in allowed:
        url = route.url(path_values(route, seeded))
        headers = with_token
        if route.refuses_tokens is not None:
            response = call(client, route, url, with_token)
            got = (response.status_code, response.json().get("code"))
            if got != (403, route.refuses_tokens):
                failures.append(f"{role} {route.id}: a token got {got}")
            headers = with_session
        response = call(client, route, url, headers)
        if response.status_code in (401, 403) or response.status_code >= 500:
            failures.append(
                f"{role} {route.id}: permitted but {response.status_code} {response.text[:200]}"
            )
    assert failures == [], "\n".join(failures)
    assert len(denied) + len(allowed) == len(ROUTES)


def test_every_route_needs_credentials(client: TestClient) -> None:
    values = {name: "1" for route in ROUTES for name in route.path_params}
    failures = []
    for route in ROUTES:
        response = call(client, route, route.url(values), {})
        got = (response.status_code, response.json().get("code"))
        if got != (401, "not_authenticated"):
            failures.append(f"{route.id}: {got}")
    assert failures == []


def test_a_view_token_is_refused_on_every_write_route(client: TestClient, db: Database) -> None:
    seeded = seed(client, db)
    headers = token_headers(admin_token(db, ["*.view"]))
    before = state(db)
    failures = []
    for route in WRITES:
        response = call(client, route, route.url(path_values(route, seeded)), headers)
        expected = route.refuses_tokens or "permission_denied"
        got = (response.status_code, response.json().get("code"))
        if got != (403, expected):
            failures.append(f"{route.id}: expected 403 {expected}, got {got}")
    assert failures == []
    assert state(db) == before
