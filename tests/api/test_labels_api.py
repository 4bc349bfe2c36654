"""``GET /api/v1/labels/...`` (issue 10): label PDFs; refusals are problem+json with stable
codes; whoever may view an item, lot or location may print its labels."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.lots import LotInput, create_lot
from cangku.settings import Settings
from tests.auth import admin_headers, admin_token, token_headers, user_with_roles
from tests.factories import CTX, build_company
from tests.labels import Decoded, decoded, pages_of
from tests.snapshot import state

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/labels"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    create_lot(db, CTX, LotInput("FLOUR", "F1", expires_on=date(2027, 3, 1)))
    app = create_app(Settings(database_url=database_url), db)
    with TestClient(app, headers=admin_headers(db)) as test_client:
        yield test_client


def test_item_labels_answer_a_pdf_of_the_codes_asked_for(client: TestClient) -> None:
    response = client.get(f"{API}/items", params={"code": ["BOLT", "GLUE"], "layout": "62x29"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="labels-items.pdf"'
    assert pages_of(response.content) == [(62.0, 29.0), (62.0, 29.0)]
    assert decoded(response.content)[0] == [
        Decoded("Code128", "]C0", b"BOLT"),
        Decoded("DataMatrix", "]d2", b"0106901234567892"),
    ]


def test_a_list_filter_prints_every_row_it_finds(client: TestClient) -> None:
    lots = client.get(f"{API}/lots", params={"item": "FLOUR", "layout": "62x29"})
    assert (lots.status_code, len(pages_of(lots.content))) == (200, 1)
    locations = client.get(f"{API}/locations", params={"warehouse": "WH1", "copies": 2})
    # WH1's six storage locations, twice: 12 labels on one A4 sheet of 24
    assert (locations.status_code, pages_of(locations.content)) == (200, [(210.0, 297.0)])


def test_lots_by_id_and_by_code_of_an_item(client: TestClient) -> None:
    by_code = client.get(f"{API}/lots", params={"code": "F1", "item": "FLOUR", "layout": "62x29"})
    assert decoded(by_code.content)[0][0] == Decoded("Code128", "]C0", b"F1")
    lot_id = client.get("/api/v1/lots/FLOUR/F1").json()["id"]
    by_id = client.get(f"{API}/lots", params={"id": lot_id, "layout": "62x29"})
    assert by_id.content == by_code.content


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "data"),
    [
        ("items", {"code": "NOPE"}, 404, "item_not_found", {"key": "NOPE"}),
        ("lots", {"code": "F9"}, 404, "lot_not_found", {"key": "F9"}),
        ("locations", {"code": "NOPE"}, 404, "location_not_found", {"key": "NOPE"}),
        (
            "items",
            {"code": "BOLT", "layout": "a5"},
            422,
            "invalid_layout",
            {"layout": "a5", "allowed": ["a4-3x8", "a4-2x7", "62x29", "100x50"]},
        ),
        ("items", {"code": "BOLT", "copies": 0}, 422, "invalid_copies", {"limit": 100}),
        ("items", {"code": "BOLT", "skip": 14, "layout": "a4-2x7"}, 422, "invalid_skip", None),
        ("items", {"code": "BOLT", "symbol": "aztec"}, 422, "invalid_symbol", None),
        ("items", {"q": "nothing like this"}, 422, "no_labels", {}),
        (
            "items",
            {"code": ["BOLT"] * 6, "copies": 100},
            422,
            "too_many_labels",
            {"limit": 500, "requested": 600},
        ),
        ("items", {"code": "BOLT", "copies": "two"}, 422, "invalid_input", None),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_refusal_is_a_problem_with_its_code_and_writes_nothing(
    client: TestClient,
    db: Database,
    path: str,
    params: dict[str, object],
    status: int,
    code: str,
    data: dict[str, object] | None,
) -> None:
    before = state(db)
    response = client.get(f"{API}/{path}", params=params)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    if data is not None:
        assert response.json()["data"] == data
    assert state(db) == before


def test_a_clerk_prints_the_locations_of_their_warehouse_only(
    client: TestClient, db: Database
) -> None:
    clerk = token_headers(user_with_roles(db, "clerk", ("receiving_clerk", "WH1")))
    mine = client.get(f"{API}/locations", params={"code": "WH1-A"}, headers=clerk)
    assert mine.status_code == 200, mine.text
    other = client.get(f"{API}/locations", params={"code": "WH2-A"}, headers=clerk)
    assert (other.status_code, other.json()["code"]) == (404, "location_not_found")
    everything = client.get(f"{API}/locations", params={"warehouse": "WH2"}, headers=clerk)
    assert (everything.status_code, everything.json()["code"]) == (404, "warehouse_not_found")


def test_a_token_without_the_view_permission_is_refused(client: TestClient, db: Database) -> None:
    stock_only = token_headers(admin_token(db, ["stock.receive"]))
    response = client.get(f"{API}/items", params={"code": "BOLT"}, headers=stock_only)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_the_openapi_document_declares_the_pdf_and_the_options(client: TestClient) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/labels/items"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["application/pdf"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["layout"]["enum"] == ["a4-3x8", "a4-2x7", "62x29", "100x50"]
    assert (params["copies"]["minimum"], params["copies"]["maximum"]) == (1, 100)
    assert params["code"]["maxItems"] == 500
