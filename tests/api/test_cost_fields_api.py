"""The permission matrix by field (issue 10, defect 10): what goods cost (a move's unit cost
and value, stock value, average cost) is in no answer to a caller without ``valuation.view``
in the move's warehouse, on every readable route and in the posting answers; a caller with
it gets the exact figures."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.services.stock import VALUATION_VIEW
from cangku.settings import Settings
from tests.api.routes import API
from tests.api.test_permissions_matrix import ROUTES, holds, path_values, seed
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: the keys that say what goods cost
COST_KEYS = frozenset(
    {"unit_cost", "value", "average_cost", "total_value", "unit_price", "base_price"}
)
READS = [r for r in ROUTES if r.method == "GET" and r.path.startswith(API)]


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        yield test_client


def keys_in(found: Any) -> set[str]:
    """Every key of every object in a JSON answer."""
    if isinstance(found, dict):
        return set(found).union(*(keys_in(v) for v in found.values()))
    if isinstance(found, list):
        return set().union(*(keys_in(v) for v in found))
    return set()


def cost_keys_seen(client: TestClient, headers: dict[str, str], role: str, seeded: Any) -> dict:
    """The cost keys in the answer of every GET route ``role`` may call."""
    seen = {}
    for route in READS:
        if not holds(role, route.declared[0]):
            continue
        response = client.get(route.url(path_values(route, seeded)), headers=headers)
        assert response.status_code < 500, route.id
        if response.headers.get("content-type", "").startswith("application/json"):
            found = keys_in(response.json()) & COST_KEYS
            if found:
                seen[route.id] = sorted(found)
    return seen


@pytest.mark.parametrize(
    "role", [r for r in BUILTIN_ROLES if r not in VALUATION_VIEW.roles and r != "administrator"]
)
def test_no_answer_shows_a_cost_to_a_role_without_valuation_view(
    client: TestClient, db: Database, role: str
) -> None:
    seeded = seed(client, db)
    headers = token_headers(user_with_roles(db, "fields", (role, None)))
    assert cost_keys_seen(client, headers, role, seeded) == {}


@pytest.mark.parametrize("role", sorted(VALUATION_VIEW.roles))
def test_a_role_with_valuation_view_sees_each_moves_exact_cost(
    client: TestClient, db: Database, role: str
) -> None:
    seeded = seed(client, db)
    headers = token_headers(user_with_roles(db, "fields", (role, None)))
    one = client.get(f"{API}/moves/{seeded['move_id']}", headers=headers).json()
    assert (one["quantity"], one["unit_cost"], one["value"]) == ("100", "2", "200")
    listed = client.get(f"{API}/moves", params={"item": "FLOUR"}, headers=headers).json()
    assert [(m["unit_cost"], m["value"]) for m in listed["items"]] == [("1", "50")]


def test_the_clerk_gets_no_cost_in_a_posting_answer_nor_in_the_moves(
    client: TestClient, db: Database
) -> None:
    clerk = token_headers(user_with_roles(db, "clerk", ("receiving_clerk", None)))
    receipt = {"item": "BOLT", "quantity": "4", "to_location": "WH1-A", "unit_cost": "2.5"}
    posted = client.post(f"{API}/stock/receive", json=receipt, headers=clerk)
    assert posted.status_code == 201
    move = posted.json()["moves"][0]
    assert "unit_cost" not in move and "value" not in move
    assert move["quantity"] == "4"
    listed = client.get(f"{API}/moves", headers=clerk).json()["items"]
    assert [sorted(keys_in(m) & COST_KEYS) for m in listed] == [[]]
    one = client.get(f"{API}/moves/{move['id']}", headers=clerk).json()
    assert keys_in(one) & COST_KEYS == set()
    # the manager sees the same move with its exact cost
    manager = token_headers(user_with_roles(db, "manager", ("warehouse_manager", None)))
    seen = client.get(f"{API}/moves/{move['id']}", headers=manager).json()
    assert (seen["unit_cost"], seen["value"]) == ("2.5", "10")


def test_costs_show_only_in_the_warehouses_where_valuation_view_is_granted(
    client: TestClient, db: Database
) -> None:
    admin = admin_headers(db)
    for location, cost in (("WH1-A", "3"), ("WH2-A", "5")):
        receipt = {"item": "BOLT", "quantity": "2", "to_location": location, "unit_cost": cost}
        assert client.post(f"{API}/stock/receive", json=receipt, headers=admin).status_code == 201
    headers = token_headers(user_with_roles(db, "mixed", ("viewer", None), ("purchaser", "WH1")))
    listed = client.get(f"{API}/moves", headers=headers).json()["items"]
    assert sorted((m["warehouse"], m.get("unit_cost"), m.get("value")) for m in listed) == [
        ("WH1", "3", "6"),
        ("WH2", None, None),
    ]
    assert [keys_in(m) & COST_KEYS for m in listed if m["warehouse"] == "WH2"] == [set()]


def test_the_openapi_schema_says_the_cost_fields_are_optional(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    move = schema.get("MoveOut") or schema["MoveOut-Output"]
    assert "unit_cost" not in move.get("required", [])
    assert "value" not in move.get("required", [])
    assert "valuation.view" in move["properties"]["unit_cost"]["description"]
