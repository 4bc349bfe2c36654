"""Barcodes over HTTP (issue 10): stock reads and postings take an item's code or barcode."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.items import set_item_barcodes
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import CTX, build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PIECE = "6901234567892"
BOX = "6901234567908"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(PIECE, None), (BOX, "box")])
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        yield test_client


def test_receive_by_box_barcode_posts_a_box(client: TestClient) -> None:
    body = {"item": BOX, "quantity": "1", "to_location": "WH1-A"}
    response = client.post(f"{API}/stock/receive", json=body)
    assert response.status_code == 201, response.text
    [move] = response.json()["moves"]
    assert (move["item"], move["quantity"], move["unit"]) == ("BOLT", "12", "pcs")


def test_another_unit_than_the_barcode_s_is_a_422(client: TestClient) -> None:
    body = {"item": BOX, "quantity": "1", "to_location": "WH1-A", "unit": "pcs"}
    response = client.post(f"{API}/stock/receive", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "unit_conflicts_with_barcode"


def test_stock_filtered_by_barcode_answers_the_item_s_rows(client: TestClient) -> None:
    body = {"item": "BOLT", "quantity": "5", "to_location": "WH1-A", "unit_cost": "1"}
    assert client.post(f"{API}/stock/receive", json=body).status_code == 201
    by_code = client.get(f"{API}/stock", params={"item": "BOLT"})
    for barcode in (PIECE, BOX):
        by_barcode = client.get(f"{API}/stock", params={"item": barcode})
        assert by_barcode.status_code == 200, by_barcode.text
        assert by_barcode.json() == by_code.json()
        assert [row["item"] for row in by_barcode.json()["items"]] == ["BOLT"]
        one = client.get(f"{API}/stock/items/{barcode}")
        assert one.status_code == 200, one.text
        assert (one.json()["item"], one.json()["on_hand"]) == ("BOLT", "5")
    assert client.get(f"{API}/stock", params={"item": "0000"}).status_code == 404
