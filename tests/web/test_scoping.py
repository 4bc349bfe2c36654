"""Warehouse scoping in the pages: a clerk of WH1 sees WH1's stock, locations and moves only;
another warehouse's object asked for by URL is "not found", and a posting into it is refused
with nothing written. The menu offers only what the user may use."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from cangku.services.stock import receive_stock, transfer_stock
from cangku.services.stock_commands import Receive, Transfer
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import state


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """Stock in both warehouses (moves 1 and 2 in WH1, 3 in WH2, 4 from WH1 to WH2); a
    receiving clerk of WH1 signed in."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1.5"))
    receive_stock(db, CTX, Receive("GLUE", "5", "WH1-B", lot="G1", unit_cost="2"))
    receive_stock(db, CTX, Receive("BOLT", "7", "WH2-A", unit_cost="1.5"))
    transfer_stock(db, CTX, Transfer("BOLT", "1", "WH1-A", "WH2-A"))
    create_user(db, CTX, "clerk", "Clerk", PASSWORD, [("receiving_clerk", "WH1")])
    with browser(db, database_url) as test_client:
        test_client.cookies.set("lang", "en")
        sign_in_as(test_client, db, "clerk")
        yield test_client


def moves_linked(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/moves/(\d+)"', html)}


def test_the_stock_page_shows_only_the_users_warehouses(client: Browser) -> None:
    page = client.get("/stock")
    assert page.status_code == 200
    assert "WH1-A" in page.text and "WH1-B" in page.text
    assert "WH2-A" not in page.text
    assert re.search(r'id="total-on-hand">14<', page.text)  # 9 BOLT + 5 GLUE


def test_another_warehouse_in_a_stock_filter_is_not_found(client: Browser) -> None:
    for query in ("warehouse=WH2", "location=WH2-A"):
        page = client.get(f"/stock?{query}")
        assert page.status_code == 422, query
        assert "does not exist" in page.text, query
        assert "WH2-A</a>" not in page.text, query


@pytest.mark.parametrize(
    "url", ["/locations/WH2-A", "/locations/WH2/SUPPLIER", "/moves/3", "/moves/999"]
)
def test_another_warehouses_location_or_move_is_not_found(client: Browser, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 404
    assert "does not exist" in page.text


def test_a_transfer_between_warehouses_is_seen_from_both(client: Browser) -> None:
    assert client.get("/moves/4").status_code == 200
    assert client.get("/moves/1").status_code == 200


def test_lists_and_trees_leave_the_other_warehouse_out(client: Browser) -> None:
    warehouses = client.get("/warehouses").text
    assert "Main warehouse" in warehouses and "Second warehouse" not in warehouses
    locations = client.get("/locations").text
    assert "WH1-A" in locations and "WH2-A" not in locations
    assert moves_linked(client.get("/").text) == {1, 2, 4}
    item = client.get("/items/BOLT").text
    assert "<td>WH2</td>" not in item and "<td>WH1</td>" in item  # stock rows by warehouse
    assert moves_linked(item) == {1, 4}
    history = client.get("/items/BOLT/history").text
    assert moves_linked(history) == {1, 4}
    lot = client.get("/lots/GLUE/G1").text
    assert moves_linked(lot) == {2}


def test_the_operation_forms_offer_only_the_users_locations(client: Browser) -> None:
    form = client.get("/stock/operations/receive").text
    offered = set(re.findall(r'<option value="([^"]+)">Location', form))
    assert offered == {"WH1-A", "WH1-A-01", "WH1-B", "WH1-QC", "WH1-RCV", "WH1-SHIP"}


def test_receiving_into_another_warehouse_is_refused_and_writes_nothing(
    client: Browser, db: Database
) -> None:
    before = state(db)
    data = {"item": "BOLT", "quantity": "3", "to_location": "WH2-A", "idempotency_key": "k1"}
    page = client.post("/stock/operations/receive", data=data)
    assert page.status_code == 403
    # the refusal names the warehouse and the permission (issue 10, defect 11)
    assert (
        "You are not allowed to do this in warehouse WH2: it needs the permission "
        "stock.receive there."
    ) in page.text
    assert state(db) == before
    with db.read() as conn:
        assert totals(conn, StockFilter(item="BOLT", warehouse="WH2")).on_hand == Decimal(8)
    posted = client.post(
        "/stock/operations/receive",
        data={**data, "to_location": "WH1-A", "idempotency_key": "k2"},
    )
    assert "Posted: Receive 3 pcs BOLT" in posted.text
    move = re.search(r'href="/moves/(\d+)"', posted.text)
    assert move is not None
    assert "<dt>User</dt><dd>clerk</dd>" in client.get(f"/moves/{move.group(1)}").text


def test_the_menu_offers_only_what_the_user_may_use(client: Browser, db: Database) -> None:
    def menu(html: str) -> list[str]:
        nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
        assert nav is not None
        return re.findall(r'<a href="([^"]+)"', nav.group(0))

    # a receiving clerk: no user administration, no audit trail
    assert menu(client.get("/").text) == [
        "/",
        "/tasks",
        "/items",
        "/stock",
        "/stock/operations",
        "/locations",
        "/warehouses",
        "/lots",
        "/partners",
    ]
    # a viewer: nothing to post
    create_user(db, CTX, "watcher", "Watcher", PASSWORD, [("viewer", None)])
    sign_in_as(client, db, "watcher")
    viewer = client.get("/").text
    assert "/stock/operations" not in menu(viewer)
    assert "/stock/operations/receive" not in viewer
    # an auditor: users (and their roles) and the audit trail too
    create_user(db, CTX, "inspector", "Inspector", PASSWORD, [("auditor", None)])
    sign_in_as(client, db, "inspector")
    assert menu(client.get("/").text)[-2:] == ["/users", "/audit"]
    # the administrator: everything
    sign_in_as(client, db, "admin")
    assert len(menu(client.get("/").text)) == 13  # with the tasks, reports and data import


def test_the_operations_page_lists_only_the_users_operations(client: Browser) -> None:
    page = client.get("/stock/operations").text
    tiles = re.findall(r'class="tile" href="([^"]+)"', page)
    # receiving against an order, a material requisition and a transfer (any staff member may
    # raise them; a sales order is a manager's or buyer's), the stock in transit, then the
    # clerk's single operations
    assert tiles == [
        "/receiving",
        "/requisitions/new",
        "/transfers/new",
        "/transfers/in-transit",
        "/stock/operations/receive",
        "/stock/operations/transfer",
    ]
    tabs = re.findall(
        r'href="(/stock/operations/\w+)"', client.get("/stock/operations/receive").text
    )
    assert set(tabs) == {"/stock/operations/receive", "/stock/operations/transfer"}
