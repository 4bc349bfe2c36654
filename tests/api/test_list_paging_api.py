"""The long lists over HTTP (``/stock``, ``/moves``, ``/valuation``, ``/stock/as-of``): ``sort``
orders exactly, a ``cursor`` walk forward and back returns every row once, ``offset`` still
works and hands out a cursor, ``limit`` holds on the valuation (its total stays the whole
stock's), the as-of CSV streams every row, and a sort or cursor the list did not offer is a
422 problem with its code."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cangku.api.routers import stock as stock_router
from cangku.app import create_app
from cangku.db.uow import Database
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PAST = datetime.now(UTC) - timedelta(days=3)
#: (item, quantity, location, lot, unit cost, days ago)
RECEIPTS = [
    ("BOLT", "10", "WH1-A", None, "1", 3),
    ("BOLT", "5", "WH1-B", None, "2", 2),
    ("BOLT", "7", "WH2-A", None, "1", 2),
    ("FLOUR", "5", "WH1-A", "F1", "3", 1),
    ("GLUE", "2", "WH1-B", "G1", "4", 1),
]
#: the stock rows by item, location and lot: (item, location, on hand)
BY_ITEM = [
    ("BOLT", "WH1-A", "10"),
    ("BOLT", "WH1-B", "5"),
    ("BOLT", "WH2-A", "7"),
    ("FLOUR", "WH1-A", "5"),
    ("GLUE", "WH1-B", "2"),
]


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    with TestClient(
        create_app(Settings(database_url=database_url), db), headers=admin_headers(db)
    ) as test_client:
        for item, qty, location, lot, cost, days in RECEIPTS:
            body: dict[str, Any] = {"item": item, "quantity": qty, "to_location": location}
            when = datetime.now(UTC) - timedelta(days=days, hours=1)
            body.update(unit_cost=cost, effective_at=when.isoformat())
            if lot:  # GLUE's lot expires before FLOUR's
                days_left = 50 if item == "GLUE" else 100
                body.update(
                    lot=lot, expires_on=(PAST + timedelta(days=days_left)).date().isoformat()
                )
            answer = test_client.post(f"{API}/stock/receive", json=body)
            assert answer.status_code == 201, answer.text
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:
    answer = client.get(f"{API}{path}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def stock_rows(page: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["item"], r["location"], r["on_hand"]) for r in page["items"]]


def walk(client: TestClient, path: str, **params: Any) -> tuple[list[Any], list[Any]]:
    """Every page forward by next_cursor, then back from the last by prev_cursor."""
    pages = [get(client, path, **params)]
    while pages[-1]["next_cursor"]:
        pages.append(get(client, path, **params, cursor=pages[-1]["next_cursor"]))
    back = [pages[-1]]
    while back[-1]["prev_cursor"]:
        back.append(get(client, path, **params, cursor=back[-1]["prev_cursor"]))
    forward = [row for page in pages for row in page["items"]]
    backward = [row for page in reversed(back) for row in page["items"]]
    return forward, backward


def refusal(client: TestClient, path: str, **params: Any) -> tuple[int, str]:
    answer = client.get(f"{API}{path}", params=params)
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer.status_code, answer.json()["code"]


# ------------------------------------------------------------------ /stock
def test_stock_pages_carry_the_cursor_and_an_exact_total(client: TestClient) -> None:
    page = get(client, "/stock", limit=2)
    assert stock_rows(page) == BY_ITEM[:2]
    assert (page["total"], page["total_exact"], page["offset"]) == (5, True, 0)
    assert page["prev_cursor"] is None and page["next_cursor"]
    second = get(client, "/stock", limit=2, cursor=page["next_cursor"])
    assert stock_rows(second) == BY_ITEM[2:4]
    assert (second["total"], second["offset"]) == (5, 0)
    by_offset = get(client, "/stock", limit=2, offset=2)
    assert stock_rows(by_offset) == BY_ITEM[2:4]
    assert by_offset["next_cursor"] and by_offset["prev_cursor"]
    assert stock_rows(get(client, "/stock", limit=2, cursor=by_offset["next_cursor"])) == [
        BY_ITEM[4]
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("item", BY_ITEM),
        ("-item", BY_ITEM[::-1]),
        ("location", [BY_ITEM[i] for i in (0, 3, 1, 4, 2)]),
        ("-location", [BY_ITEM[i] for i in (2, 4, 1, 3, 0)]),
        ("warehouse", [BY_ITEM[i] for i in (0, 1, 3, 4, 2)]),
        ("-warehouse", [BY_ITEM[i] for i in (2, 4, 3, 1, 0)]),
        ("lot", [BY_ITEM[i] for i in (0, 1, 2, 3, 4)]),
        ("-lot", [BY_ITEM[i] for i in (4, 3, 2, 1, 0)]),
        ("on_hand", [BY_ITEM[i] for i in (4, 1, 3, 2, 0)]),
        ("-on_hand", [BY_ITEM[i] for i in (0, 2, 3, 1, 4)]),
        ("available", [BY_ITEM[i] for i in (4, 1, 3, 2, 0)]),
        ("expires_on", [BY_ITEM[i] for i in (4, 3, 0, 1, 2)]),
        ("-expires_on", [BY_ITEM[i] for i in (2, 1, 0, 3, 4)]),
    ],
)
def test_stock_sorts_in_exact_order_and_walks_every_row_once(
    client: TestClient, sort: str, expected: list[tuple[str, str, str]]
) -> None:
    assert stock_rows(get(client, "/stock", sort=sort, limit=500)) == expected
    forward, backward = walk(client, "/stock", sort=sort, limit=2)
    assert [(r["item"], r["location"], r["on_hand"]) for r in forward] == expected
    assert backward == forward


# ------------------------------------------------------------------ /moves
def test_moves_sort_and_walk(client: TestClient) -> None:
    newest = get(client, "/moves", limit=500)["items"]
    assert [m["quantity"] for m in newest] == ["2", "5", "7", "5", "10"]
    by_id = get(client, "/moves", sort="id", limit=500)["items"]
    assert [m["id"] for m in by_id] == sorted(m["id"] for m in newest)
    by_quantity = get(client, "/moves", sort="-quantity", limit=500)["items"]
    assert [m["quantity"] for m in by_quantity] == ["10", "7", "5", "5", "2"]
    by_item = get(client, "/moves", sort="item", limit=500)["items"]
    assert [(m["item"], m["quantity"]) for m in by_item] == [
        ("BOLT", "10"),
        ("BOLT", "5"),
        ("BOLT", "7"),
        ("FLOUR", "5"),
        ("GLUE", "2"),
    ]
    for sort, whole in [(None, newest), ("-quantity", by_quantity), ("item", by_item)]:
        params = {"sort": sort} if sort else {}
        forward, backward = walk(client, "/moves", limit=2, **params)
        assert [m["id"] for m in forward] == [m["id"] for m in whole]
        assert backward == forward
    page = get(client, "/moves", limit=2)
    assert (page["total"], page["total_exact"]) == (5, True)


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("path", ["/stock", "/moves"])
def test_a_sort_the_list_does_not_offer_is_invalid_sort(client: TestClient, path: str) -> None:
    assert refusal(client, path, sort="price") == (422, "invalid_sort")
    assert refusal(client, path, sort="--item") == (422, "invalid_sort")


def forged(sort: str, values: list[Any]) -> str:
    raw = json.dumps({"s": sort, "v": values, "b": False}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/stock", "not-a-cursor"),
        ("/stock", forged("item", ["BOLT", "WH1-A", "", 1, 1])),  # one value short
        ("/stock", forged("item", ["BOLT", "WH1-A", "", "x", 1, 0])),  # text for an id
        ("/stock", forged("-item", ["BOLT", "WH1-A", "", 1, 1, 0])),  # another sort's
        ("/moves", forged("-effective_at", ["2026-01-01", 1])),  # a date for a time
        ("/moves", forged("-effective_at", [{"t": "2026-01-01T00:00:00"}, 1])),  # naive
        ("/moves", forged("id", [2**70, 2**70])),  # beyond BIGINT
        ("/valuation", forged("item", [5])),
        ("/stock/as-of", "e30"),
    ],
)
def test_a_cursor_the_list_did_not_hand_out_is_invalid_cursor(
    client: TestClient, path: str, cursor: str
) -> None:
    params = {"at": datetime.now(UTC).isoformat()} if path == "/stock/as-of" else {}
    assert refusal(client, path, cursor=cursor, **params) == (422, "invalid_cursor")


def test_a_cursor_of_another_sort_is_refused(client: TestClient) -> None:
    cursor = get(client, "/moves", limit=1)["next_cursor"]
    assert refusal(client, "/moves", cursor=cursor, sort="id") == (422, "invalid_cursor")


# ------------------------------------------------------------------ /valuation
def test_valuation_honours_limit_and_keeps_the_whole_total(client: TestClient) -> None:
    whole = get(client, "/valuation", limit=500)
    assert [(v["item"], v["value"]) for v in whole["items"]] == [
        ("BOLT", "27"),
        ("FLOUR", "15"),
        ("GLUE", "8"),
    ]
    assert (whole["total_value"], whole["total"], whole["total_exact"]) == ("50", 3, True)
    first = get(client, "/valuation", limit=1)
    assert [v["item"] for v in first["items"]] == ["BOLT"]
    assert (first["total_value"], first["total"], first["limit"]) == ("50", 3, 1)
    forward, backward = walk(client, "/valuation", limit=2)
    assert forward == whole["items"] and backward == forward
    assert [v["item"] for v in get(client, "/valuation", limit=1, offset=2)["items"]] == ["GLUE"]
    then = get(client, "/valuation", limit=1, at=(PAST + timedelta(hours=2)).isoformat())
    assert ([v["item"] for v in then["items"]], then["total_value"]) == (["BOLT"], "10")


# ------------------------------------------------------------------ /stock/as-of
def test_as_of_is_paged(client: TestClient) -> None:
    at = datetime.now(UTC).isoformat()
    whole = get(client, "/stock/as-of", at=at, limit=500)
    assert [(r["item"], r["location"], r["on_hand"]) for r in whole["items"]] == BY_ITEM
    assert (whole["total"], whole["total_exact"], whole["next_cursor"]) == (5, True, None)
    page = get(client, "/stock/as-of", at=at, limit=2)
    assert len(page["items"]) == 2 and page["total"] == 5
    forward, backward = walk(client, "/stock/as-of", at=at, limit=2)
    assert forward == whole["items"] and backward == forward
    by_offset = get(client, "/stock/as-of", at=at, limit=2, offset=4)
    assert by_offset["items"] == whole["items"][4:] and by_offset["next_cursor"] is None
    earlier = get(client, "/stock/as-of", at=(PAST + timedelta(hours=2)).isoformat())
    assert [(r["item"], r["on_hand"]) for r in earlier["items"]] == [("BOLT", "10")]


# ------------------------------------------------------------------ the OpenAPI document
def test_the_schema_names_the_sorts_and_the_refusals(client: TestClient) -> None:
    document = get(client, "/openapi.json")
    operation = document["paths"][f"{API}/stock"]["get"]
    sort = next(p for p in operation["parameters"] if p["name"] == "sort")
    assert "-on_hand" in str(sort["schema"]) and "available" in str(sort["schema"])
    assert "invalid_cursor" in operation["responses"]["422"]["description"]
    assert "cursor" in operation["description"]
    for path in ("/moves", "/valuation", "/stock/as-of"):
        names = {p["name"] for p in document["paths"][f"{API}{path}"]["get"]["parameters"]}
        assert {"limit", "offset", "cursor"} <= names


def test_as_of_csv_streams_every_row_a_step_at_a_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_router, "EXPORT_STEP", 2)  # three steps for five rows
    at = datetime.now(UTC).isoformat()
    answer = client.get(f"{API}/stock/as-of.csv", params={"at": at})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0] == "item,item_name,unit,warehouse,location,lot,on_hand"
    assert [tuple(line.split(",")[i] for i in (0, 4, 6)) for line in lines[1:]] == BY_ITEM
    assert lines[4].split(",")[5] == "F1"
    unknown = client.get(f"{API}/stock/as-of.csv", params={"at": at, "item": "NOPE"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "item_not_found")
