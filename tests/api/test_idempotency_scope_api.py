"""``Idempotency-Key`` over HTTP is the sender's own (ADR 0013): another user's key neither
replays the first user's move nor tells that the key exists; a replay checks permissions again."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.users import grant_role, revoke_role
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
RECEIPT = {"item": "BOLT", "quantity": "10", "to_location": "WH1-A", "unit_cost": "2"}


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as test_client:
        yield test_client


def receive(
    client: TestClient, headers: dict[str, str], key: str, body: dict[str, Any] = RECEIPT
) -> Any:
    return client.post(
        f"{API}/stock/receive", json=body, headers={**headers, "Idempotency-Key": key}
    )


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_another_users_key_does_not_replay_the_first_users_move(
    client: TestClient, db: Database
) -> None:
    admin = admin_headers(db)
    first = receive(client, admin, "K")
    assert first.status_code == 201, first.text
    clerk2 = token_headers(user_with_roles(db, "clerk2", ("receiving_clerk", "WH2")))
    refused = receive(client, clerk2, "K")
    assert refused.status_code == 403
    assert "Idempotent-Replay" not in refused.headers
    # the refusal of the clerk's own request (into WH1), nothing of the admin's move
    assert refused.json()["data"] == {"permission": "stock.receive", "warehouse": "WH1"}
    assert "moves" not in refused.json()

    other = receive(client, clerk2, "K", {**RECEIPT, "to_location": "WH2-A"})
    assert other.status_code == 201, other.text
    assert other.json()["moves"][0]["user"] == "clerk2"

    clerk1 = token_headers(user_with_roles(db, "clerk1", ("receiving_clerk", "WH1")))
    own = receive(client, clerk1, "K")
    assert own.status_code == 201, own.text
    assert "Idempotent-Replay" not in own.headers
    assert own.json()["moves"][0]["user"] == "clerk1"

    again = receive(client, admin, "K")
    assert (again.status_code, again.headers["Idempotent-Replay"]) == (200, "true")
    assert again.json()["moves"] == first.json()["moves"]
    assert count(db) == 3


def test_a_replay_after_the_warehouse_was_taken_away_answers_403(
    client: TestClient, db: Database
) -> None:
    clerk = token_headers(user_with_roles(db, "clerk1", ("receiving_clerk", "WH1")))
    assert receive(client, clerk, "K").status_code == 201
    grant_role(db, Context("admin"), "clerk1", "receiving_clerk", "WH2")
    revoke_role(db, Context("admin"), "clerk1", "receiving_clerk", "WH1")
    refused = receive(client, clerk, "K")
    assert refused.status_code == 403
    assert "Idempotent-Replay" not in refused.headers
    assert count(db) == 1
