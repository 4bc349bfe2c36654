"""Adjustments and reason codes over HTTP: raise, submit, approve by another, post; the manual
adjust and scrap answer their document (202 when it waits for approval); refusals write
nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import audit_log, documents, moves, reason_codes
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
YEAR = datetime.now(UTC).year
FIRST = f"ADJ-WH1-{YEAR}-00001"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        body = {"item": "BOLT", "quantity": "10", "to_location": "WH1-A", "unit_cost": "2"}
        assert test_client.post(f"{API}/stock/receive", json=body).status_code == 201
        yield test_client


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (moves, documents, audit_log, reason_codes)
        )


def _as(db: Database, name: str, role: str) -> dict[str, str]:
    return token_headers(user_with_roles(db, name, (role, "WH1")))


LINES = [
    {"item": "BOLT", "location": "WH1-A", "direction": "loss", "quantity": "3", "reason": "lost"},
    {"item": "BOLT", "location": "WH1-B", "direction": "gain", "quantity": "1", "reason": "found",
     "unit_cost": "4"},
]  # fmt: skip


def test_raise_submit_approve_post_over_http(client: TestClient, db: Database) -> None:
    assert client.put(f"{API}/company", json={"adjustment_approval_threshold": "5"}).is_success
    counter = _as(db, "counter", "stock_counter")
    boss = _as(db, "boss", "warehouse_manager")
    raised = client.post(f"{API}/adjustments", json={"lines": LINES}, headers=counter)
    assert raised.status_code == 201, raised.text
    body = raised.json()
    assert (body["number"], body["state"], body["directions"]) == (
        FIRST, "draft", {"1": "loss", "2": "gain"},
    )  # fmt: skip
    assert [s["code"] for s in body["steps"]] == ["submit", "cancel"]
    submitted = client.post(f"{API}/adjustments/{FIRST}/submit", headers=counter)
    assert submitted.status_code == 200, submitted.text
    # 3 x 2.00 + 1 x 4.00 = 10.00 > 5.00
    assert submitted.json()["state"] == "submitted"
    # the boss's inbox holds the approval; the counter's nothing
    tasks = client.get(f"{API}/tasks", headers=boss).json()["items"]
    assert [(t["number"], t["next_step"]) for t in tasks] == [(FIRST, "approve")]
    assert client.get(f"{API}/tasks", headers=counter).json()["items"] == []
    own = client.post(f"{API}/adjustments/{FIRST}/approve", headers=counter)
    assert own.status_code == 403  # a counter may not approve at all
    approved = client.post(f"{API}/adjustments/{FIRST}/approve", json={"note": "ok"}, headers=boss)
    assert approved.json()["state"] == "approved"
    posted = client.post(f"{API}/adjustments/{FIRST}/post", headers=counter)
    assert posted.status_code == 200, posted.text
    assert posted.json()["state"] == "posted"
    assert len(posted.json()["result"]["move_ids"]) == 2
    before = _counts(db)
    twice = client.post(f"{API}/adjustments/{FIRST}/post", headers=counter)
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_transition")
    assert _counts(db) == before
    shown = client.get(f"{API}/adjustments/{FIRST}").json()
    assert [(ln["reason_code"], ln["done"]) for ln in shown["lines"]] == [
        ("lost", "3"),
        ("found", "1"),
    ]
    assert shown["total_value"] == "10"
    listed = client.get(f"{API}/adjustments", params={"state": "posted"}).json()
    assert [d["number"] for d in listed["items"]] == [FIRST]


def test_approving_ones_own_is_refused(client: TestClient, db: Database) -> None:
    client.put(f"{API}/company", json={"adjustment_approval_threshold": "1"})
    boss = _as(db, "boss", "warehouse_manager")
    body = {"lines": LINES[:1], "submit": True}
    assert client.post(f"{API}/adjustments", json=body, headers=boss).json()["state"] == "submitted"
    before = _counts(db)
    own = client.post(f"{API}/adjustments/{FIRST}/approve", headers=boss)
    assert (own.status_code, own.json()["code"]) == (409, "own_document_approval")
    no_reason = client.post(f"{API}/adjustments/{FIRST}/reject")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    assert _counts(db) == before
    rejected = client.post(f"{API}/adjustments/{FIRST}/reject", json={"note": "recount"})
    assert rejected.json()["state"] == "rejected"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        pytest.param({"reason": "whim"}, 422, "unknown_reason_code", id="reason"),
        pytest.param({"quantity": "-1"}, 422, "quantity_not_positive", id="negative"),
        pytest.param({"quantity": "0"}, 422, "quantity_not_positive", id="zero"),
        pytest.param({"direction": "up"}, 422, "invalid_direction", id="direction"),
        pytest.param({"location": "NOPE"}, 404, "location_not_found", id="location"),
        pytest.param({"quantity": "11"}, 409, "insufficient_stock", id="more-than-stock"),
    ],
)
def test_bad_adjustments_are_refused_and_nothing_written(
    client: TestClient, db: Database, change: dict[str, str], status: int, code: str
) -> None:
    before = _counts(db)
    line = {**LINES[0], **change}
    answer = client.post(f"{API}/adjustments", json={"lines": [line], "submit": True, "post": True})
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert _counts(db) == before


def test_an_unknown_number_is_not_found(client: TestClient) -> None:
    answer = client.get(f"{API}/adjustments/ADJ-WH1-2026-99999")
    assert (answer.status_code, answer.json()["code"]) == (404, "adjustment_not_found")


def test_manual_adjust_answers_its_document_and_202_above_the_threshold(
    client: TestClient, db: Database
) -> None:
    body = {"item": "BOLT", "quantity": "-1", "location": "WH1-A", "reason_code": "lost"}
    done = client.post(f"{API}/stock/adjust", json=body)
    assert done.status_code == 201, done.text
    assert (done.json()["document"], done.json()["state"]) == (FIRST, "posted")
    assert done.json()["moves"][0]["document_id"] == FIRST
    client.put(f"{API}/company", json={"adjustment_approval_threshold": "3"})
    moves_before = _counts(db)[0]
    scrap = {"item": "BOLT", "quantity": "2", "from_location": "WH1-A", "reason_code": "damaged"}
    waiting = client.post(f"{API}/stock/scrap", json=scrap)
    assert waiting.status_code == 202, waiting.text
    assert waiting.json() == {
        "moves": [],
        "replayed": False,
        "document": f"ADJ-WH1-{YEAR}-00002",
        "state": "submitted",
    }
    assert _counts(db)[0] == moves_before
    under = client.post(f"{API}/stock/scrap", json={**scrap, "quantity": "1"})
    assert (under.status_code, under.json()["state"]) == (201, "posted")


def test_reason_codes_over_http(client: TestClient, db: Database) -> None:
    listed = client.get(f"{API}/reason-codes", params={"kind": "adjustment"}).json()["items"]
    assert [c["code"] for c in listed][:3] == ["count_difference", "found", "lost"]
    added = client.post(
        f"{API}/reason-codes",
        json={"kind": "adjustment", "code": "forklift", "label": "Forklift", "label_zh": "叉车"},
    )
    assert added.status_code == 201, added.text
    assert added.json() == {
        "kind": "adjustment", "code": "forklift", "label": "Forklift", "label_zh": "叉车",
        "active": True, "builtin": False, "position": 110,
    }  # fmt: skip
    off = client.post(f"{API}/reason-codes/adjustment/lost/deactivate")
    assert (off.status_code, off.json()["active"], off.json()["builtin"]) == (200, False, True)
    before = _counts(db)
    body = {"item": "BOLT", "quantity": "-1", "location": "WH1-A", "reason_code": "lost"}
    refused = client.post(f"{API}/stock/adjust", json=body)
    assert (refused.status_code, refused.json()["code"]) == (409, "reason_code_inactive")
    dup = client.post(
        f"{API}/reason-codes", json={"kind": "adjustment", "code": "forklift", "label": "x"}
    )
    assert (dup.status_code, dup.json()["code"]) == (409, "reason_code_exists")
    bad = client.post(f"{API}/reason-codes", json={"kind": "scrap", "code": "A-B", "label": "x"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_reason_code")
    counter = _as(db, "counter", "stock_counter")
    denied = client.post(f"{API}/reason-codes/scrap/other/deactivate", headers=counter)
    assert denied.status_code == 403
    assert _counts(db)[0:2] == before[0:2]
    assert client.post(f"{API}/reason-codes/adjustment/lost/activate").json()["active"] is True


def _schema(client: TestClient) -> dict[str, Any]:
    return client.get(f"{API}/openapi.json").json()  # type: ignore[no-any-return]


def test_openapi_names_the_refusals(client: TestClient) -> None:
    paths = _schema(client)["paths"]
    post = paths["/api/v1/adjustments/{number}/post"]["post"]["responses"]
    assert {"404", "409", "422"} <= set(post)
    assert "202" in paths["/api/v1/stock/adjust"]["post"]["responses"]
