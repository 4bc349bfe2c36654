"""``POST /api/v1/moves/bulk``: many moves per request, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.queries.stock import HistoryFilter, StockFilter, history, totals
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

URL = "/api/v1/moves/bulk"
MOVES: list[dict[str, Any]] = [
    {"item": "BOLT", "quantity": "100", "from_location": "WH1/SUPPLIER", "to_location": "WH1-A",
     "operation": "receive", "unit_cost": "0.5", "effective_at": "2026-01-05T08:00:00"},
    {"item": "BOLT", "quantity": 30, "from_location": "WH1-A", "to_location": "WH1-B",
     "operation": "move"},
    {"item": "GLUE", "quantity": "20", "from_location": "WH1/ADJUSTMENT", "to_location": "WH1-B",
     "operation": "adjust", "lot": "G-1", "lot_expires_on": "2027-06-30", "unit_cost": "3",
     "reason_code": "opening_balance"},
]  # fmt: skip


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def on_hand(db: Database, item: str, location: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item, location=location)).on_hand


def move_count(db: Database) -> int:
    with db.read() as conn:
        return history(conn, HistoryFilter()).total


def test_many_moves_are_posted_in_batches(client: TestClient, db: Database) -> None:
    response = client.post(URL, json={"moves": MOVES, "batch_size": 2})
    assert response.status_code == 201
    answer = response.json()
    assert {k: answer[k] for k in ("replayed", "posted", "batches", "total", "resumed_from")} == {
        "replayed": False,
        "posted": 3,
        "batches": 2,
        "total": 3,
        "resumed_from": 0,
    }
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("70")
    assert on_hand(db, "GLUE", "WH1-B") == Decimal("20")


def test_a_refused_move_is_named(client: TestClient, db: Database) -> None:
    bad = [MOVES[0], {**MOVES[1], "item": "NOPE"}]
    response = client.post(URL, json={"moves": bad})
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["data"]["move_number"]) == (
        "item_not_found",
        2,
    )
    assert move_count(db) == 0


@pytest.mark.parametrize(
    "body",
    [{"moves": []}, {"moves": [{**MOVES[0], "colour": "red"}]}, {"moves": MOVES, "batch_size": 0}],
    ids=["empty", "extra-field", "batch-size"],
)
def test_malformed_requests_are_refused(client: TestClient, db: Database, body: Any) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert move_count(db) == 0


def test_a_repeat_with_the_same_key_is_a_replay_that_posts_nothing(
    client: TestClient, db: Database
) -> None:
    headers = {"Idempotency-Key": "migration-1"}
    first = client.post(URL, json={"moves": MOVES}, headers=headers)
    assert first.status_code == 201
    again = client.post(URL, json={"moves": MOVES}, headers=headers)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replay"] == "true"
    answer = again.json()
    assert (answer["replayed"], answer["posted"], answer["batches"]) == (True, 0, 0)
    assert (answer["import_id"], answer["previously_posted"], answer["posted_by"]) == (
        first.json()["import_id"],
        3,
        "admin",
    )
    assert move_count(db) == 3


def test_the_same_key_with_other_moves_is_refused(client: TestClient, db: Database) -> None:
    headers = {"Idempotency-Key": "migration-1"}
    assert client.post(URL, json={"moves": MOVES}, headers=headers).status_code == 201
    other = client.post(URL, json={"moves": MOVES[:2]}, headers=headers)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert move_count(db) == 3


def test_the_same_moves_again_are_refused_unless_a_repeat_is_allowed(
    client: TestClient, db: Database
) -> None:
    assert client.post(URL, json={"moves": MOVES}).status_code == 201
    again = client.post(URL, json={"moves": MOVES})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["code"] == "import_already_posted"
    assert (problem["data"]["posted_by"], problem["data"]["moves"]) == ("admin", 3)
    assert move_count(db) == 3
    repeated = client.post(URL, json={"moves": MOVES, "allow_repeat": True})
    assert (repeated.status_code, repeated.json()["posted"]) == (201, 3)
    assert move_count(db) == 6
    assert on_hand(db, "BOLT", "WH1-A") == Decimal("140")


def test_a_refusal_in_a_later_batch_posts_nothing(client: TestClient, db: Database) -> None:
    bad = [*MOVES, {**MOVES[1], "quantity": "999"}]
    response = client.post(URL, json={"moves": bad, "batch_size": 1})
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")
    assert response.json()["data"]["move_number"] == 4
    assert move_count(db) == 0


def test_a_chunked_request_resumes_after_its_committed_batches(
    client: TestClient, db: Database
) -> None:
    bad = [*MOVES, {**MOVES[1], "quantity": "999"}]
    refused = client.post(URL, json={"moves": bad, "batch_size": 2, "chunked": True})
    assert refused.status_code == 409
    assert refused.json()["data"]["resume_after"] == 2
    assert move_count(db) == 2
    fixed = [*MOVES, {**MOVES[1], "quantity": "9"}]
    resumed = client.post(URL, json={"moves": fixed, "batch_size": 2, "chunked": True})
    assert resumed.status_code == 201
    assert (resumed.json()["resumed_from"], resumed.json()["posted"]) == (2, 2)
    assert move_count(db) == 4
    assert on_hand(db, "BOLT", "WH1-B") == Decimal("39")
