"""What needs attention, through the API (issue 10): the items list's ``stock=below_reorder``,
the stock list's ``balance=``, and the series the charts draw (``/valuation/series``,
``/stock/on-hand-series``), each within the caller's warehouses and permissions."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.app import create_app
from cangku.db.tables import warehouses
from cangku.db.uow import Database
from cangku.queries.asof import item_total_as_of
from cangku.queries.valuation import stock_value
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers
from tests.needs import BELOW, build_needs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_needs(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        yield test_client


def scope_of(db: Database, code: str) -> frozenset[int]:
    with db.read() as conn:
        return frozenset(
            {
                int(
                    conn.execute(
                        select(warehouses.c.id).where(warehouses.c.code == code)
                    ).scalar_one()
                )
            }
        )


def headers(db: Database, username: str) -> dict[str, str]:
    if username == "admin":
        return admin_headers(db)
    return token_headers(create_token(db, Context(username), "tests").token)


@pytest.mark.parametrize(
    ("username", "scope"), [("admin", "all"), ("boss1", "WH1"), ("boss2", "WH2")]
)
def test_items_at_or_below_their_reorder_point(
    client: TestClient, db: Database, username: str, scope: str
) -> None:
    found = client.get(
        f"{API}/items", params={"stock": "below_reorder"}, headers=headers(db, username)
    )
    assert found.status_code == 200
    assert [item["code"] for item in found.json()["items"]] == BELOW[scope]
    assert found.json()["total"] == len(BELOW[scope])


def test_the_stock_filter_needs_stock_view_and_a_known_name(
    client: TestClient, db: Database
) -> None:
    refused = client.get(
        f"{API}/items", params={"stock": "below_reorder"}, headers=headers(db, "lister")
    )
    assert refused.status_code == 403
    assert client.get(f"{API}/items", headers=headers(db, "lister")).status_code == 200
    wrong = client.get(f"{API}/items", params={"stock": "low"}, headers=admin_headers(db))
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "invalid_stock_filter"
    assert wrong.json()["data"]["allowed"] == ["below_reorder"]


@pytest.mark.parametrize(
    ("username", "balance", "rows"),
    [
        ("admin", "unusual", [("BOLT", "WH2-A", "-3")]),
        ("admin", "negative", [("BOLT", "WH2-A", "-3")]),
        ("admin", "over_reserved", []),
        ("boss1", "unusual", []),
        ("boss2", "negative", [("BOLT", "WH2-A", "-3")]),
    ],
)
def test_unusual_balances(
    client: TestClient, db: Database, username: str, balance: str, rows: list[tuple[str, str, str]]
) -> None:
    found = client.get(f"{API}/stock", params={"balance": balance}, headers=headers(db, username))
    assert found.status_code == 200
    assert [(r["item"], r["location"], Decimal(r["on_hand"])) for r in found.json()["items"]] == [
        (item, location, Decimal(quantity)) for item, location, quantity in rows
    ]
    for odd in ("odd", ""):  # an empty filter is not "no filter": the schema names the values
        wrong = client.get(f"{API}/stock", params={"balance": odd}, headers=headers(db, username))
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "invalid_balance_filter"


@pytest.mark.parametrize("username", ["admin", "boss1", "boss2"])
def test_the_value_series_equals_the_valuation_at_each_point(
    client: TestClient, db: Database, username: str
) -> None:
    found = client.get(f"{API}/valuation/series", headers=headers(db, username))
    assert found.status_code == 200
    body = found.json()
    assert body["currency"] == "CNY"
    assert len(body["points"]) == 13
    seen = {"admin": None, "boss1": "WH1", "boss2": "WH2"}[username]
    scope = None if seen is None else scope_of(db, seen)
    with db.read() as conn:
        for point in body["points"]:
            at = datetime.fromisoformat(point["at"])
            expected = stock_value(conn, at, at, warehouses=scope).total_value
            assert Decimal(point["value"]) == expected


def test_the_value_series_needs_valuation_view(client: TestClient, db: Database) -> None:
    refused = client.get(f"{API}/valuation/series", headers=headers(db, "clerk"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


def test_the_on_hand_series(client: TestClient, db: Database) -> None:
    found = client.get(
        f"{API}/stock/on-hand-series",
        params={"item": "NUT", "days": 30},
        headers=headers(db, "boss2"),
    )
    assert found.status_code == 200
    body = found.json()
    assert (body["item"], body["unit"], body["days"], len(body["points"])) == ("NUT", "pcs", 30, 31)
    with db.read() as conn:
        for point in body["points"]:
            at = datetime.fromisoformat(point["at"])
            expected = item_total_as_of(conn, "NUT", at, at, warehouses=scope_of(db, "WH2"))
            assert Decimal(point["on_hand"]) == expected
    assert Decimal(body["points"][-1]["on_hand"]) == Decimal(10)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"item": "NOPE"}, 404, "item_not_found"),
        ({"item": "NUT", "days": 7}, 422, "invalid_series_days"),
    ],
)
def test_the_on_hand_series_refusals(
    client: TestClient, db: Database, params: dict[str, object], status: int, code: str
) -> None:
    found = client.get(f"{API}/stock/on-hand-series", params=params, headers=admin_headers(db))
    assert found.status_code == status
    assert found.json()["code"] == code
