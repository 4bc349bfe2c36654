"""``GET /api/v1/stock/scan``: a scan read the way the operation pages read it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.items import set_item_barcodes
from cangku.settings import Settings
from tests.auth import admin_headers, token_headers, user_with_roles
from tests.factories import CTX, build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCAN = "/api/v1/stock/scan"
BOX = "6901234567908"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(BOX, "box")])
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def test_a_raw_gs1_string_with_its_group_separator(client: TestClient) -> None:
    answer = client.get(SCAN, params={"text": f"]d2010{BOX}17270200" + "10B-7\x1d302"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "kind": "gs1",
        "item": "BOLT",
        "item_name": "Hex bolt M8",
        "unit": "box",
        "lot": "B-7",
        "expires_on": "2027-02-28",
        "manufactured_on": None,
        "quantity": 2,
        "location": None,
        "elements": [
            {"ai": "01", "value": f"0{BOX}"},
            {"ai": "17", "value": "270200"},
            {"ai": "10", "value": "B-7"},
            {"ai": "30", "value": "2"},
        ],
    }


def test_a_location_and_a_box_barcode(client: TestClient) -> None:
    assert client.get(SCAN, params={"text": "WH1-A"}).json()["location"] == "WH1-A"
    box = client.get(SCAN, params={"text": BOX}).json()
    assert (box["kind"], box["item"], box["unit"]) == ("item", "BOLT", "box")


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        ("NOPE", 404, "scan_not_found"),
        ("(01)09501101530003", 404, "item_not_found"),
        ("(01)09501101530004", 422, "gs1_check_digit"),
        ("(99)X", 422, "gs1_unknown_ai"),
        (" ", 422, "scan_empty"),
    ],
)
def test_refusals_are_problems(client: TestClient, text: str, status: int, code: str) -> None:
    answer = client.get(SCAN, params={"text": text})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


def test_a_location_of_another_warehouse_is_not_named(client: TestClient, db: Database) -> None:
    clerk = token_headers(user_with_roles(db, "clerk", ("receiving_clerk", "WH1")))
    assert client.get(SCAN, params={"text": "WH1-A"}, headers=clerk).status_code == 200
    other = client.get(SCAN, params={"text": "WH2-A"}, headers=clerk)
    assert (other.status_code, other.json()["code"]) == (404, "scan_not_found")
