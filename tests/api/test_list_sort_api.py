"""``sort`` on the list endpoints (lots, partners, warehouses, locations, users, roles, the
audit trail): each listed column either way, the tie broken by the row's id, and a sort the list
does not offer refused as problem+json ``invalid_sort`` naming the ones it does."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.list_data import build_lists

with warnings.catch_warnings():
    # starlette asks for httpx2 instead of httpx; the test client works the same with either
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_lists(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def listed(client: TestClient, path: str, key: str, **params: Any) -> list[str]:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = body if isinstance(body, list) else body["items"]
    return [row[key] for row in rows]


def lot_keys(client: TestClient, **params: Any) -> list[str]:
    answer = client.get("/api/v1/lots", params=params)
    assert answer.status_code == 200, answer.text
    return [f"{lot['item']}/{lot['code']}" for lot in answer.json()["items"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["FLOUR/F-1", "FLOUR/F-2", "GLUE/G-1", "PUMP/SN-1"]),
        ("-item", ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-2", "FLOUR/F-1"]),
        ("code", ["FLOUR/F-1", "FLOUR/F-2", "GLUE/G-1", "PUMP/SN-1"]),
        ("expires_on", ["FLOUR/F-2", "FLOUR/F-1", "GLUE/G-1", "PUMP/SN-1"]),
        ("-expires_on", ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-1", "FLOUR/F-2"]),
        ("-manufactured_on", ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-1", "FLOUR/F-2"]),
        ("supplier_lot", ["FLOUR/F-1", "GLUE/G-1", "PUMP/SN-1", "FLOUR/F-2"]),
        ("-status", ["GLUE/G-1", "PUMP/SN-1", "FLOUR/F-1", "FLOUR/F-2"]),
    ],
    ids=lambda v: str(v) if not isinstance(v, list) else "",
)
def test_lots_sort(client: TestClient, sort: str | None, expected: list[str]) -> None:
    assert lot_keys(client, **({"sort": sort} if sort else {})) == expected


def test_lots_filtered_by_expiry_keep_expiry_date_first_unless_sorted(client: TestClient) -> None:
    assert lot_keys(client, expiry="ok") == ["FLOUR/F-2", "FLOUR/F-1"]
    assert lot_keys(client, expiry="ok", sort="-code") == ["FLOUR/F-2", "FLOUR/F-1"]
    assert lot_keys(client, expiry="ok", sort="code", limit=1, offset=1) == ["FLOUR/F-2"]


@pytest.mark.parametrize(
    ("path", "key", "sort", "expected"),
    [
        ("/api/v1/partners", "code", "name", ["ACME", "BETA", "CORE"]),
        ("/api/v1/partners", "code", "-name", ["CORE", "BETA", "ACME"]),
        ("/api/v1/partners", "code", "role", ["ACME", "CORE", "BETA"]),
        ("/api/v1/partners", "code", "-phone", ["BETA", "CORE", "ACME"]),
        ("/api/v1/warehouses", "code", "-code", ["WH2", "WH1"]),
        ("/api/v1/warehouses", "code", "name", ["WH1", "WH2"]),
        (
            "/api/v1/locations",
            "code",
            "-code",
            ["WH2-A", "WH1-SHIP", "WH1-RCV", "WH1-QC", "WH1-B", "WH1-A-01", "WH1-A"],
        ),
        (
            "/api/v1/locations",
            "code",
            "warehouse",
            ["WH1-A", "WH1-A-01", "WH1-B", "WH1-QC", "WH1-RCV", "WH1-SHIP", "WH2-A"],
        ),
        (
            "/api/v1/locations",
            "code",
            "-kind",
            ["WH1-SHIP", "WH1-RCV", "WH1-QC", "WH2-A", "WH1-B", "WH1-A-01", "WH1-A"],
        ),
        ("/api/v1/users", "username", "username", ["admin", "bo", "li.wei"]),
        ("/api/v1/users", "username", "-display_name", ["li.wei", "bo", "admin"]),
        ("/api/v1/roles", "code", None, [*BUILTIN_ROLES, "night_shift"]),
        ("/api/v1/roles", "code", "-kind", ["night_shift", *reversed(BUILTIN_ROLES)]),
        ("/api/v1/roles", "code", "name", None),
    ],
    ids=lambda v: str(v) if not isinstance(v, list) else "",
)
def test_a_list_sorts_by_a_column_either_way(
    client: TestClient, path: str, key: str, sort: str | None, expected: list[str] | None
) -> None:
    params = {"sort": sort} if sort else {}
    found = listed(client, path, key, **params)
    if expected is None:  # by the stored name: compare with the names themselves
        names = {r["code"]: r["name"] for r in client.get(path).json()}
        expected = sorted(names, key=lambda code: (names[code], code))
    assert found == expected


def test_the_audit_trail_sorts_newest_first_or_as_asked(client: TestClient) -> None:
    def targets(**params: Any) -> list[str]:
        answer = client.get("/api/v1/audit", params={"target_type": "partner", **params})
        assert answer.status_code == 200, answer.text
        return [e["target"] for e in answer.json()["items"]]

    assert targets() == ["CORE", "BETA", "ACME"]
    assert targets(sort="seq") == ["ACME", "BETA", "CORE"]
    assert targets(sort="target") == ["ACME", "BETA", "CORE"]
    assert targets(sort="-target", limit=2) == ["CORE", "BETA"]
    assert targets(sort="at", offset=1) == ["BETA", "CORE"]


@pytest.mark.parametrize(
    ("path", "sort", "allowed"),
    [
        ("/api/v1/lots", "price", ["item", "code", "kind"]),
        ("/api/v1/partners", "tax_id", ["code", "name", "role"]),
        ("/api/v1/warehouses", "-stock", ["code", "name", "address"]),
        ("/api/v1/locations", "capacity", ["code", "name", "warehouse"]),
        ("/api/v1/users", "password_hash", ["username", "display_name", "last_sign_in_at"]),
        ("/api/v1/roles", "permissions", ["code", "name", "kind"]),
        ("/api/v1/audit", "details", ["seq", "at", "user"]),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("/") else "",
)
def test_a_sort_the_list_does_not_offer_is_refused(
    client: TestClient, path: str, sort: str, allowed: list[str]
) -> None:
    answer = client.get(path, params={"sort": sort})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["code"] == "invalid_sort"
    assert problem["data"]["sort"] == sort.lstrip("-")
    assert problem["data"]["allowed"][:3] == allowed


def test_the_schema_names_every_sort_a_list_takes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    params = {p["name"]: p for p in paths["/api/v1/partners"]["get"]["parameters"]}
    assert params["sort"]["schema"]["enum"] == [
        "",
        "code",
        "name",
        "role",
        "email",
        "phone",
        "active",
        "-code",
        "-name",
        "-role",
        "-email",
        "-phone",
        "-active",
    ]
