"""``/api/v1/company``, ``/api/v1/me/time-zone`` and ``/api/v1/users/{u}/time-zone``; the
valuation names its currency and keeps exact values."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from cangku.app import create_app
from cangku.db.tables import company, users
from cangku.db.uow import Database
from cangku.services.auth import SESSION_COOKIE
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.settings import Settings
from tests.auth import admin_headers, session_of, token_headers, user_with_roles
from tests.factories import CTX, build_company

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def version(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(company.c.version)).scalar_one())


def test_get_company_answers_the_settings_to_any_signed_in_user(
    client: TestClient, db: Database
) -> None:
    viewer = token_headers(user_with_roles(db, "lin", ("viewer", None)))
    answer = client.get("/api/v1/company", headers=viewer)
    assert answer.status_code == 200
    body = answer.json()
    del body["updated_at"]
    assert body == {
        "name": "",
        "currency": "CNY",
        "time_zone": "UTC",
        "unit_cost_places": 4,
        "expiring_soon_days": 30,
        "po_approval_threshold": None,
        "adjustment_approval_threshold": None,
        "version": 1,
    }


def test_put_company_changes_only_the_fields_given(client: TestClient) -> None:
    answer = client.put(
        "/api/v1/company", json={"time_zone": "Asia/Shanghai", "unit_cost_places": 2, "version": 1}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["currency"], body["time_zone"], body["unit_cost_places"]) == (
        "CNY",
        "Asia/Shanghai",
        2,
    )
    assert body["version"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"currency": "XYZ"}, "invalid_currency", id="currency"),
        pytest.param({"time_zone": "Asia/Beijing"}, "invalid_time_zone", id="zone"),
        pytest.param({"unit_cost_places": 9}, "invalid_input", id="places"),
        pytest.param({"expiring_soon_days": -1}, "invalid_input", id="days"),
        pytest.param({"currency": "usd"}, "invalid_input", id="currency-lower"),
        pytest.param({"colour": "blue"}, "invalid_input", id="unknown-field"),
    ],
)
def test_put_company_refuses_invalid_settings_with_a_problem(
    client: TestClient, db: Database, body: dict[str, object], code: str
) -> None:
    answer = client.put("/api/v1/company", json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == code
    assert version(db) == 1


def test_put_company_with_a_stale_version_is_409(client: TestClient, db: Database) -> None:
    assert client.put("/api/v1/company", json={"currency": "USD"}).status_code == 200
    answer = client.put("/api/v1/company", json={"currency": "EUR", "version": 1})
    assert answer.status_code == 409
    assert answer.json()["code"] == "version_conflict"
    assert client.get("/api/v1/company").json()["currency"] == "USD"


def test_put_company_needs_company_manage(client: TestClient, db: Database) -> None:
    manager = token_headers(user_with_roles(db, "wu", ("warehouse_manager", None)))
    answer = client.put("/api/v1/company", json={"currency": "USD"}, headers=manager)
    assert answer.status_code == 403
    assert answer.json()["code"] == "permission_denied"
    assert version(db) == 1


def test_my_time_zone_is_mine_to_choose_and_null_follows_the_company(
    client: TestClient, db: Database
) -> None:
    token = token_headers(user_with_roles(db, "lin", ("receiving_clerk", "WH1")))
    session_id, csrf = session_of(db, "lin")
    clerk = {"Authorization": "", "Cookie": f"{SESSION_COOKIE}={session_id}", "X-CSRF-Token": csrf}
    client.put("/api/v1/company", json={"time_zone": "Asia/Shanghai"})
    by_token = client.put("/api/v1/me/time-zone", json={"time_zone": "UTC"}, headers=token)
    assert (by_token.status_code, by_token.json()["code"]) == (403, "session_required")
    assert client.get("/api/v1/me/time-zone", headers=token).json() == {
        "time_zone": None,
        "company_time_zone": "Asia/Shanghai",
        "effective_time_zone": "Asia/Shanghai",
    }
    answer = client.put("/api/v1/me/time-zone", json={"time_zone": "UTC"}, headers=clerk)
    assert answer.json()["effective_time_zone"] == "UTC"
    refused = client.put("/api/v1/me/time-zone", json={"time_zone": "Utc+8"}, headers=clerk)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_time_zone")
    back = client.put("/api/v1/me/time-zone", json={"time_zone": None}, headers=clerk)
    assert back.json()["effective_time_zone"] == "Asia/Shanghai"


def test_an_administrator_sets_a_user_s_time_zone(client: TestClient, db: Database) -> None:
    user_with_roles(db, "lin", ("viewer", None))
    answer = client.put("/api/v1/users/lin/time-zone", json={"time_zone": "Asia/Tokyo"})
    assert answer.status_code == 200
    with db.read() as conn:
        zone = conn.execute(select(users.c.time_zone).where(users.c.username == "lin"))
        assert zone.scalar_one() == "Asia/Tokyo"
    missing = client.put("/api/v1/users/nobody/time-zone", json={"time_zone": "UTC"})
    assert (missing.status_code, missing.json()["code"]) == (404, "user_not_found")


def test_valuation_names_the_currency_and_keeps_exact_values(
    client: TestClient, db: Database
) -> None:
    receive_stock(db, CTX, Receive("BOLT", "1", "WH1-A", unit_cost="1311817.387279"))
    body = client.get("/api/v1/valuation").json()
    assert body["currency"] == "CNY"
    assert Decimal(body["total_value"]) == Decimal("1311817.387279")
    client.put("/api/v1/company", json={"currency": "USD"})
    assert client.get("/api/v1/valuation").json()["currency"] == "USD"
    moves = client.get("/api/v1/moves").json()
    assert moves["currency"] == "USD"
    assert moves["items"][0]["value"] == "1311817.387279"


def test_the_stock_list_gives_totals_per_unit(client: TestClient, db: Database) -> None:
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(db, CTX, Receive("FLOUR", "2.5", "WH1-A", lot="F1", unit_cost="1"))
    body = client.get("/api/v1/stock").json()
    assert body["unit_totals"] == [
        {"unit": "kg", "on_hand": "2.5", "reserved": "0", "available": "2.5"},
        {"unit": "pcs", "on_hand": "10", "reserved": "0", "available": "10"},
    ]
