"""``/api/v1/imports/{kind}`` (multipart, dry_run), its templates and ``/api/v1/exports``."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import items
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import build_company

GOOD = b"code,name,item_type,units,barcodes\nNUT,Hex nut,spare_part,box=100,111; 222=box\n"
BAD = b"code,name,item_type\nNUT,Hex nut,spare_part\nWASHER,,gadget\n"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def item_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(items)).scalar_one())


def upload(client: TestClient, data: bytes, *, dry_run: bool = False, name: str = "items.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/imports/items",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (name, data, "text/csv")},
    )


def test_a_dry_run_answers_the_counts_and_writes_nothing(client: TestClient, db: Database) -> None:
    response = upload(client, GOOD, dry_run=True)
    assert response.status_code == 200
    assert response.json() == {
        "kind": "items", "rows": 1, "created": 1, "updated": 0, "unchanged": 0, "posted": 0,
        "dry_run": True, "errors": [],
    }  # fmt: skip
    assert item_count(db) == 4


def test_an_import_writes_and_a_repeat_is_unchanged(client: TestClient, db: Database) -> None:
    assert upload(client, GOOD).json()["created"] == 1
    assert item_count(db) == 5
    assert upload(client, GOOD).json()["unchanged"] == 1


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_bad_rows_answer_422_with_every_problem(
    client: TestClient, db: Database, dry_run: bool
) -> None:
    response = upload(client, BAD, dry_run=dry_run)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "import_rows_invalid"
    assert body["data"]["errors"] == [
        {"row": 3, "column": "name", "code": "import_cell_required", "message": "name is empty"},
    ]
    assert item_count(db) == 4


def test_a_file_that_is_not_a_table_is_refused(client: TestClient) -> None:
    response = upload(client, b"\xff\xfe\x00\x01")
    assert (response.status_code, response.json()["code"]) == (422, "file_not_utf8")


def test_the_template_has_chinese_headers_and_a_sample(client: TestClient) -> None:
    response = client.get("/api/v1/imports/items/template", params={"lang": "zh"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["物料编码", "名称", "物料类型"]
    assert sheet["A3"].value == "BOLT-M8"


def test_the_export_round_trips(client: TestClient) -> None:
    response = client.get("/api/v1/exports/items", params={"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert (
        text.splitlines()[1]
        == "BOLT,Hex bolt M8,spare_part,,pcs,box=12,6901234567892,none,fifo,,,,,,,,,false,"
    )
    again = upload(client, response.content)
    assert (again.json()["unchanged"], again.json()["created"]) == (4, 0)


def test_a_viewer_may_export_but_not_import(client: TestClient, db: Database) -> None:
    headers = token_headers(user_with_roles(db, "viewer1", ("viewer", None)))
    refused = client.post(
        "/api/v1/imports/items", files={"file": ("a.csv", GOOD, "text/csv")}, headers=headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert client.get("/api/v1/exports/items", headers=headers).status_code == 200


def test_the_routes_are_documented(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    route = spec["paths"]["/api/v1/imports/opening_stock"]["post"]
    assert set(route["responses"]) >= {"200", "403", "413", "422"}
    assert "/api/v1/exports/lots" in spec["paths"]
