"""The transfer pages (issue 14): a transfer from WH1 to WH2 raised on its form, approved and
dispatched from the document page, received on the scanner screen with a short and damaged line
and its discrepancy resolved on the resolve screen; the stock in transit. After each POST: the
exact state and on-hand quantities; each refusal: the form again with the message in the
page's language and nothing written; the receive screen offered where the goods arrive, not
where they leave; the pages in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from cangku.db import tables
from cangku.db.tables import balances, items, locations, lots, warehouses
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.transfers.movement import dispatch_transfer, receive_transfer
from cangku.services.transfers.requests import (
    NewTransfer,
    TransferLineInput,
    approve_transfer,
    create_transfer,
)
from cangku.services.users import create_user
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as
from tests.web.test_every_page_in_chinese import _data, _english_messages, _raw_codes, _untranslated
from tests.web.test_outbound_pages import _autofocus, _error, _lines, _rows, _value

PICKER = Context(username="picker")
BOSS = Context(username="boss")
NUMBER = "TR-WH1-2026-00001"
#: what a refused form or step must leave as it was
WATCHED = [
    *snapshot.WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.outbox,
    tables.audit_log,
]


def _state_of(db: Database) -> dict[str, Any]:
    return snapshot.state(db, WATCHED)


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """The test company with 100 BOLT in WH1-A at 0.50 and 20 GLUE of lot G1 in WH1-A at
    2.00; users picker (picker / shipper) and boss (warehouse manager) in WH1, clerk
    (receiving clerk) and chief (warehouse manager) in WH2, watcher (viewer) everywhere."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("GLUE", "20", "WH1-A", lot="G1", unit_cost="2.00"))
    with browser(db, database_url) as client:
        for name, role, where in [
            ("picker", "picker_shipper", "WH1"),
            ("boss", "warehouse_manager", "WH1"),
            ("clerk", "receiving_clerk", "WH2"),
            ("chief", "warehouse_manager", "WH2"),
            ("watcher", "viewer", None),
        ]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, where)])
        client.cookies.set("lang", "en")
        yield client, db


def _as(client: Browser, db: Database, username: str, lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _on_hand(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    """Every non-zero balance: (item, location code, lot) -> on hand; transit locations as
    ``transit@WH``."""
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, locations.c.kind, warehouses.c.code)
            .add_columns(lots.c.code, balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.on_hand != 0, locations.c.kind.in_(["internal", "transit"]))
        )
        return {
            (r[0], f"transit@{r[3]}" if r[2] == "transit" else r[1], r[4]): Decimal(r[5]) / 10**6
            for r in rows
        }


def _state(db: Database) -> str:
    with db.read() as conn:
        found = conn.execute(
            select(tables.documents.c.state).where(tables.documents.c.number == NUMBER)
        ).scalar_one()
    return str(found)


def _raise(client: Browser, **form: str) -> Any:
    page = client.get("/transfers/new")
    assert page.status_code == 200
    rows = _lines(
        [
            {"item": "BOLT", "quantity": "10", "unit": "", "from_location": "WH1-A",
             "lot": "", "to_location": "WH2-A"},
            {"item": "GLUE", "quantity": "5", "unit": "", "from_location": "WH1-A",
             "lot": "G1", "to_location": ""},
        ]
    )  # fmt: skip
    data = {"idempotency_key": key_of(page.text), "from_warehouse": "WH1",
            "to_warehouse": "WH2", "submit": "1", **rows, **form}  # fmt: skip
    return client.post("/transfers/new", data=data, follow_redirects=False)


def _take(client: Browser, step: str, **form: str) -> Any:
    """Press a step's button on the transfer's page (with the page's idempotency key)."""
    page = client.get(f"/documents/{NUMBER}")
    data = {"idempotency_key": key_of(page.text), **form}
    return client.post(f"/documents/{NUMBER}/transfer/{step}", data=data, follow_redirects=False)


def _dispatched(db: Database) -> None:
    """The form's transfer raised, approved and dispatched through the services."""
    lines = [
        TransferLineInput("BOLT", "10", "WH1-A", to_location="WH2-A"),
        TransferLineInput("GLUE", "5", "WH1-A", lot="G1"),
    ]
    create_transfer(db, PICKER, NewTransfer("WH1", "WH2", lines, submit=True))
    approve_transfer(db, BOSS, NUMBER)
    dispatch_transfer(db, PICKER, NUMBER)


# ------------------------------------------------------------------ raising and the buttons


def test_a_transfer_is_raised_on_the_form_approved_and_dispatched_from_its_page(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    # when the picker raises it, submitted at once
    answer = _raise(_as(client, db, "picker"))
    # then it waits for a manager, and its page shows where it goes
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/documents/{NUMBER}"
    page = client.get(answer.headers["location"]).text
    assert f"{NUMBER} was submitted; it waits for approval." in page
    assert re.search(r'id="to-warehouse"><strong>WH2</strong>', page)
    assert [r[2:7] for r in _rows(page, "lines")] == [
        ["WH1-A", "WH2-A", "10", "0", "0"],
        ["WH1-A", "scanned on arrival", "5", "0", "0"],
    ]
    assert _state(db) == "submitted"
    # the requester may cancel, not approve
    assert re.findall(r'formaction="/documents/[^"/]+/transfer/([a-z]+)"', page) == ["cancel"]
    # when the manager of WH1 approves, and the picker dispatches every line in full
    boss = _as(client, db, "boss")
    assert "transfer/reject" in boss.get(f"/documents/{NUMBER}").text
    assert _take(boss, "approve").status_code == 303
    assert _state(db) == "approved"
    answer = _take(_as(client, db, "picker"), "dispatch")
    # then the goods are in WH1's transit location
    assert answer.status_code == 303
    assert _state(db) == "in_transit"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(90),
        ("GLUE", "WH1-A", "G1"): Decimal(15),
        ("BOLT", "transit@WH1", None): Decimal(10),
        ("GLUE", "transit@WH1", "G1"): Decimal(5),
    }
    page = client.get(f"/documents/{NUMBER}").text
    assert "In transit" in page
    assert [r[5:10] for r in _rows(page, "lines")] == [
        ["10", "0", "0", "0", "10"],
        ["5", "0", "0", "0", "5"],
    ]


def test_a_rejection_takes_its_reason_from_the_note(site: tuple[Browser, Database]) -> None:
    client, db = site
    _raise(_as(client, db, "picker"))
    boss = _as(client, db, "boss")
    before = _state_of(db)
    refused = _take(boss, "reject")
    assert refused.status_code == 422
    assert _error(refused.text) == "Give the reason for the rejection in the note."
    assert _state_of(db) == before
    assert _take(boss, "reject", note="not this week").status_code == 303
    assert _state(db) == "rejected"
    assert _take(_as(client, db, "picker"), "revise").status_code == 303
    assert _state(db) == "draft"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"to_warehouse": "", "to_location-0": "WH1-B"},
            "Line 2: scan or enter the bin the goods go to.",
        ),
        (
            {"from_location-0": "WH2-A"},
            "WH2-A is not a storage location of warehouse WH1.",
        ),
        (
            {"quantity-0": "101"},
            "Not enough stock of BOLT at WH1-A: 101 requested, 100 available.",
        ),
    ],
    ids=["within-without-a-bin", "bin-of-another-warehouse", "more-than-free"],
)
def test_a_refused_transfer_keeps_what_was_typed_and_writes_nothing(
    site: tuple[Browser, Database], form: dict[str, str], message: str
) -> None:
    client, db = site
    picker = _as(client, db, "picker")
    before = _state_of(db)
    answer = _raise(picker, **form)
    assert answer.status_code == 422
    assert _error(answer.text) == message
    assert _value(answer.text, "item-1") == "GLUE"
    assert _state_of(db) == before


def test_more_lines_keeps_what_was_typed(site: tuple[Browser, Database]) -> None:
    client, db = site
    picker = _as(client, db, "picker")
    before = _state_of(db)
    answer = _raise(picker, more="1")
    assert answer.status_code == 200
    assert _value(answer.text, "rows") == "5"
    assert _value(answer.text, "lot-1") == "G1"
    assert 'name="item-4"' in answer.text
    assert _state_of(db) == before


# ------------------------------------------------------------------ receiving


def test_the_receive_screen_is_offered_where_the_goods_arrive(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    _dispatched(db)
    link = f'class="button primary" href="/transfers/{NUMBER}/receive"'
    # the receiving clerk of WH2 is offered the screen; the picker and the manager of WH1 not
    assert link in _as(client, db, "clerk").get(f"/documents/{NUMBER}").text
    assert "Take this task" in client.get(f"/documents/{NUMBER}").text
    for user in ("picker", "boss"):
        page = _as(client, db, user).get(f"/documents/{NUMBER}").text
        assert link not in page, user
        assert "Take this task" not in page, user
    assert _as(client, db, "picker").get(f"/transfers/{NUMBER}/receive").status_code == 403
    assert _as(client, db, "boss").get(f"/transfers/{NUMBER}/receive").status_code == 403


def test_receiving_with_a_short_and_a_damaged_line_leaves_a_discrepancy_to_resolve(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    _dispatched(db)
    clerk = _as(client, db, "clerk")
    # the screen: what was dispatched is received, the line's bin filled in, the bin missing
    # first
    page = clerk.get(f"/transfers/{NUMBER}/receive").text
    assert [_value(page, n) for n in ("received-1", "bin-1", "received-2", "bin-2")] == [
        "10", "WH2-A", "5", ""
    ]  # fmt: skip
    assert _autofocus(page) == "bin-2"
    form = {"idempotency_key": key_of(page), "received-1": "11", "bin-1": "WH2-A",
            "received-2": "5", "bin-2": "WH2-A"}  # fmt: skip
    # when more than dispatched is typed: refused, as typed, nothing written
    before = _state_of(db)
    refused = clerk.post(f"/transfers/{NUMBER}/receive", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert _error(refused.text) == (
        "Line 1 (BOLT): 11 received (with the damaged), but only 10 was dispatched. Record "
        "less; what is missing becomes a discrepancy."
    )
    assert _value(refused.text, "received-1") == "11"
    assert _state_of(db) == before
    # when 8 arrive in good order and 1 damaged (1 missing), and every GLUE
    form.update({"received-1": "8", "damaged-1": "1"})
    answer = clerk.post(f"/transfers/{NUMBER}/receive", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert _state(db) == "discrepancy"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(90),
        ("GLUE", "WH1-A", "G1"): Decimal(15),
        ("BOLT", "transit@WH1", None): Decimal(2),
        ("BOLT", "WH2-A", None): Decimal(8),
        ("GLUE", "WH2-A", "G1"): Decimal(5),
    }
    page = client.get(answer.headers["location"]).text
    assert f"{NUMBER}: Receive at destination done; it is now Discrepancy." in page
    assert [r[5:10] for r in _rows(page, "lines")] == [
        ["10", "8", "1", "0", "2"],
        ["5", "5", "0", "0", "0"],
    ]
    # the clerk may not resolve; the manager of WH2 is offered it
    screen = f'class="button primary" href="/transfers/{NUMBER}/resolve"'
    assert screen not in page
    assert screen in (_as(client, db, "chief").get(f"/documents/{NUMBER}").text)


def test_resolving_on_the_screen_settles_what_is_in_transit(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    _dispatched(db)
    receive_transfer(
        db, Context("clerk"), NUMBER, received={1: "7"}, damaged={1: "1"}, bins={2: "WH2-A"}
    )
    chief = _as(client, db, "chief")
    page = chief.get(f"/transfers/{NUMBER}/resolve").text
    assert [r[0] for r in _rows(page, "resolve-lines")] == ["1"]
    assert _value(page, "quantity-1") == "3"
    assert _autofocus(page) == "outcome-1"
    # when more than is missing is resolved: refused, nothing written
    before = _state_of(db)
    form = {"idempotency_key": key_of(page), "outcome-1": "lost", "quantity-1": "4"}
    refused = chief.post(f"/transfers/{NUMBER}/resolve", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert _error(refused.text) == "Line 1 (BOLT): at most 3 is still in transit."
    assert _state_of(db) == before
    # no outcome chosen: refused too
    form.update({"outcome-1": ""})
    refused = chief.post(f"/transfers/{NUMBER}/resolve", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert _error(refused.text) == "Choose an outcome for at least one line."
    assert _state_of(db) == before
    # when 2 are found (into WH2-A): 1 still in transit
    form.update({"outcome-1": "found", "quantity-1": "2", "location-1": "WH2-A"})
    assert chief.post(f"/transfers/{NUMBER}/resolve", data=form).status_code == 200
    assert _state(db) == "discrepancy"
    # and the last one scrapped
    page = chief.get(f"/transfers/{NUMBER}/resolve").text
    assert _value(page, "quantity-1") == "1"
    form = {"idempotency_key": key_of(page), "outcome-1": "scrapped", "quantity-1": "1"}
    answer = chief.post(f"/transfers/{NUMBER}/resolve", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert _state(db) == "received"
    assert _on_hand(db) == {
        ("BOLT", "WH1-A", None): Decimal(90),
        ("GLUE", "WH1-A", "G1"): Decimal(15),
        ("BOLT", "WH2-A", None): Decimal(9),
        ("GLUE", "WH2-A", "G1"): Decimal(5),
    }
    page = client.get(f"/documents/{NUMBER}").text
    assert [r[5:10] for r in _rows(page, "lines")] == [
        ["10", "7", "1", "3", "0"],
        ["5", "5", "0", "0", "0"],
    ]
    assert "Line 1: 1 Scrapped" in page


# ------------------------------------------------------------------ in transit, links, Chinese


def test_the_stock_in_transit_is_listed_with_its_value_where_values_are_seen(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    _dispatched(db)
    page = _as(client, db, "boss").get("/transfers/in-transit?warehouse=WH2").text
    rows = _rows(page, "transit")
    assert [[r[0], r[1], r[2], r[4], r[5], r[6], r[8]] for r in rows] == [
        [NUMBER, "WH1", "WH2", "BOLT Hex bolt M8", "", "10", "CN¥5.00"],
        [NUMBER, "WH1", "WH2", "GLUE Wood glue", "G1", "5", "CN¥10.00"],
    ]
    assert re.search(r'id="transit-total">[^<]*15\.00', page)
    # the viewer sees the goods, not their value
    viewer = _as(client, db, "watcher").get("/transfers/in-transit").text
    assert len(_rows(viewer, "transit")) == 2
    assert "transit-total" not in viewer and "10.00" not in viewer
    assert _as(client, db, "boss").get("/transfers/in-transit?warehouse=NOPE").status_code == 404


def test_the_operations_page_links_the_transfer_pages(site: tuple[Browser, Database]) -> None:
    client, db = site
    tiles = re.findall(
        r'class="tile" href="([^"]+)"', _as(client, db, "picker").get("/stock/operations").text
    )
    assert {"/transfers/new", "/transfers/in-transit"} <= set(tiles)
    viewer = _as(client, db, "watcher").get("/stock/operations").text
    assert "/transfers/new" not in viewer and "/transfers/in-transit" in viewer


def test_the_transfer_pages_in_chinese_show_chinese_labels(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    _dispatched(db)
    clerk = _as(client, db, "clerk", "zh_CN")
    page = clerk.get(f"/documents/{NUMBER}").text
    assert "调拨单" in page and "在途" in page and "签收调拨单" in page and "发运" in page
    messages, raw, data = _english_messages(), _raw_codes(), _data(db)
    problems: list[str] = []
    for user, url in [
        ("clerk", f"/documents/{NUMBER}"),
        ("clerk", f"/transfers/{NUMBER}/receive"),
        ("boss", "/transfers/in-transit"),
        ("picker", "/transfers/new"),
        ("picker", "/stock/operations"),
        ("boss", "/documents?type=transfer"),
    ]:
        page = _as(client, db, user, "zh_CN").get(url)
        assert page.status_code == 200, url
        problems += [f"{url}: {p}" for p in _untranslated(page.text, messages, raw, data)]
    receive_transfer(db, Context("clerk"), NUMBER, received={1: "9"}, bins={2: "WH2-A"})
    chief = _as(client, db, "chief", "zh_CN")
    page = chief.get(f"/transfers/{NUMBER}/resolve").text
    assert "处理差异" in page and "途中丢失" in page
    problems += [f"resolve: {p}" for p in _untranslated(page, messages, raw, data)]
    page = chief.get(f"/documents/{NUMBER}").text
    assert "差异" in page
    problems += [f"document: {p}" for p in _untranslated(page, messages, raw, data)]
    assert problems == []
