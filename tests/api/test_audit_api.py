"""The audit trail through the REST API: search filters, paging, one entry, who may read it,
and ``/verify`` naming an edited entry."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cangku.app import create_app
from cangku.db import guards
from cangku.db.tables import audit_log
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    initialize(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        for code in ("BOLT", "NUT"):
            created = test_client.post(
                "/api/v1/items",
                json={"code": code, "name": code.title(), "item_type": "spare_part"},
            )
            assert created.status_code == 201, created.text
        test_client.patch("/api/v1/items/BOLT", json={"name": "Hex bolt", "version": 1})
        yield test_client


def entries(response: Any) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(e["action"], e["target"]) for e in response.json()["items"]]


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["code"])


def entry_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_an_update_shows_who_from_where_and_what_changed(client: TestClient) -> None:
    found = client.get("/api/v1/audit", params={"action": "item.update", "target": "BOLT"})

    body = found.json()
    assert body["total"] == 1
    entry = body["items"][0]
    assert (entry["user"], entry["origin"], entry["target_type"]) == ("admin", "testclient", "item")
    assert entry["details"]["changes"] == {
        "name": {"before": "Bolt", "after": "Hex bolt"},
        "version": {"before": 1, "after": 2},
    }
    assert client.get(f"/api/v1/audit/{entry['seq']}").json() == entry


def test_filters_combine_and_entries_come_newest_first(client: TestClient) -> None:
    assert entries(client.get("/api/v1/audit", params={"action": "item.*"})) == [
        ("item.update", "BOLT"),
        ("item.create", "NUT"),
        ("item.create", "BOLT"),
    ]
    assert entries(client.get("/api/v1/audit", params={"target_type": "item", "q": "hex"})) == [
        ("item.update", "BOLT")
    ]
    assert entries(client.get("/api/v1/audit", params={"user": "admin", "target": "NUT"})) == [
        ("item.create", "NUT")
    ]
    assert entries(client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"})) == []
    assert entries(client.get("/api/v1/audit", params={"user": "nobody"})) == []


def test_pages_through_the_trail(client: TestClient) -> None:
    every = entries(client.get("/api/v1/audit", params={"action": "item."}))
    second = client.get("/api/v1/audit", params={"action": "item.", "limit": 1, "offset": 1})

    assert (second.json()["total"], second.json()["limit"], second.json()["offset"]) == (3, 1, 1)
    assert entries(second) == [every[1]]


def test_bad_queries_are_refused(client: TestClient) -> None:
    too_long = client.get("/api/v1/audit", params={"q": "x" * 201})
    no_rows = client.get("/api/v1/audit", params={"limit": 0})
    no_time = client.get("/api/v1/audit", params={"since": "yesterday"})
    missing = client.get("/api/v1/audit/999999")

    assert problem_code(too_long, 422) == "invalid_input"
    assert problem_code(no_rows, 422) == "invalid_limit"
    assert problem_code(no_time, 422) == "invalid_time"
    assert problem_code(missing, 404) == "audit_entry_not_found"


def test_a_viewer_is_refused_and_an_auditor_reads(client: TestClient, db: Database) -> None:
    viewer = user_with_roles(db, "viewer1", ("viewer", None))
    auditor = user_with_roles(db, "auditor1", ("auditor", None))
    before = entry_count(db)

    refused = client.get("/api/v1/audit", headers=token_headers(viewer))
    refused_one = client.get("/api/v1/audit/1", headers=token_headers(viewer))
    anonymous = client.get("/api/v1/audit", headers={"Authorization": ""})
    allowed = client.get("/api/v1/audit", params={"target": "NUT"}, headers=token_headers(auditor))

    assert problem_code(refused, 403) == "permission_denied"
    assert problem_code(refused_one, 403) == "permission_denied"
    assert problem_code(anonymous, 401) == "not_authenticated"
    assert entries(allowed) == [("item.create", "NUT")]
    assert entry_count(db) == before


def test_verify_names_an_edited_entry(client: TestClient, db: Database) -> None:
    seq = client.get("/api/v1/audit", params={"action": "item.update"}).json()["items"][0]["seq"]
    with db.write() as uow:
        for statement in guards.drop_statements(db.dialect, guards.AUDIT_TABLES):
            uow.conn.exec_driver_sql(statement)
        uow.conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(username="bob"))
        uow.commit()

    report = client.get("/api/v1/verify").json()

    assert report["ok"] is False
    assert report["problems"] == [
        {"check": "audit_hash_mismatch", "seq": seq, "action": "item.update", "target": "BOLT"}
    ]
