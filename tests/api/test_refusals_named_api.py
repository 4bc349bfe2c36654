"""A refusal says what was refused (issue 10, defect 11): an action refused in another
warehouse names the permission and the warehouse, an unknown reason code lists the allowed
ones, in the data and in the message; nothing is written."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.domain.reasons import ADJUSTMENT_REASONS
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        yield test_client


def _moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_a_receipt_into_another_warehouse_names_the_permission_and_the_warehouse(
    client: TestClient, db: Database
) -> None:
    clerk = token_headers(user_with_roles(db, "clerk", ("receiving_clerk", "WH1")))
    before = _moves(db)
    body = {"item": "BOLT", "quantity": "1", "to_location": "WH2-A", "unit_cost": "1"}
    refused = client.post(f"{API}/stock/receive", json=body, headers=clerk)
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == "permission_denied"
    assert problem["data"] == {"permission": "stock.receive", "warehouse": "WH2"}
    assert problem["message"] == "you are not allowed to do stock.receive in warehouse WH2"
    assert _moves(db) == before
    inside = client.post(
        f"{API}/stock/receive", json={**body, "to_location": "WH1-A"}, headers=clerk
    )
    assert inside.status_code == 201


def test_an_action_refused_everywhere_names_its_permission(
    client: TestClient, db: Database
) -> None:
    viewer = token_headers(user_with_roles(db, "looker", ("viewer", None)))
    refused = client.post(
        f"{API}/stock/receive",
        json={"item": "BOLT", "quantity": "1", "to_location": "WH1-A"},
        headers=viewer,
    )
    assert refused.status_code == 403
    assert refused.json()["data"] == {"permission": "stock.receive"}
    assert refused.json()["message"] == "you are not allowed to do stock.receive"


def test_an_unknown_reason_code_lists_the_allowed_ones(client: TestClient, db: Database) -> None:
    before = _moves(db)
    refused = client.post(
        f"{API}/stock/adjust",
        json={"item": "BOLT", "quantity": "1", "location": "WH1-A", "reason_code": "whim"},
        headers=admin_headers(db),
    )
    assert refused.status_code == 422
    problem = refused.json()
    allowed = sorted(ADJUSTMENT_REASONS)
    assert problem["code"] == "unknown_reason_code"
    assert problem["data"] == {"reason": "whim", "allowed": allowed}
    assert problem["message"] == (
        f"unknown reason code 'whim'; the reason codes are {', '.join(allowed)}"
    )
    assert _moves(db) == before
