"""The outbound pages (issue 13): a sales order and a requisition raised on their forms, their
steps taken from the document page (submit, approve, reject with a reason, revise, allocate,
ship with carrier and packages), a pick list made from allocated requests, picking on the
scanner screen with a short pick, a customer return against the shipment, the approval rules
page. After each POST: the exact state, reservations and stock; each refusal: the message in
the page's language and nothing written; each page refused to the roles without its
permission; the pages in Chinese."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from cangku.db import tables
from cangku.db.tables import allocations, balances, documents, items, locations, lots, moves
from cangku.db.uow import Database
from cangku.queries.documents import DocumentView, get_document
from cangku.services.common import Context
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import (
    NewRequest,
    RequestLineInput,
    create_request,
    submit_request,
)
from cangku.services.outbound.rules import ApprovalRuleInput, add_approval_rule
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, inline_scripts, key_of, sign_in_as
from tests.web.test_every_page_in_chinese import (
    Data,
    _data,
    _english_messages,
    _raw_codes,
    _untranslated,
)

SALES = Context(username="sales")
BOSS = Context(username="boss")
PICKER = Context(username="picker")
SOON = date(2031, 3, 1)
LATER = date(2032, 3, 1)
#: what a refused form or step must leave as it was
WATCHED = [
    *snapshot.WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.allocations,
    tables.approval_rules,
    tables.outbox,
    tables.audit_log,
]


def _state_of(db: Database) -> dict[str, Any]:
    return snapshot.state(db, WATCHED)


@pytest.fixture
def outbound(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """The test company with customer SHOP (1 Road), GLUE in two lots (F-LATE: 40 in WH1-A at
    2.00, F-SOON: 30 in WH1-B at 3.00; allocated FEFO), 100 BOLT in WH1-A at 0.50; sales orders
    from 1,000.00 wait for approval; users sales (purchaser), boss (warehouse manager), picker
    (picker / shipper), clerk (receiving clerk) and watcher (viewer) in WH1."""
    build_company(db)
    create_partner(db, CTX, PartnerInput("SHOP", "Corner Shop", is_customer=True, address="1 Road"))
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    for lot, expires, where, qty, cost in [
        ("F-LATE", LATER, "WH1-A", "40", "2.00"),
        ("F-SOON", SOON, "WH1-B", "30", "3.00"),
    ]:
        receive_stock(
            db, CTX, Receive("GLUE", qty, where, lot=lot, expires_on=expires, unit_cost=cost)
        )
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    with db.write() as uow:
        uow.conn.execute(text("UPDATE items SET allocation_strategy = 'fefo' WHERE code = 'GLUE'"))
        uow.commit()
    add_approval_rule(db, CTX, ApprovalRuleInput("sales_order", min_value=Decimal("1000")))
    with browser(db, database_url) as client:
        for name, role in [
            ("sales", "purchaser"),
            ("boss", "warehouse_manager"),
            ("picker", "picker_shipper"),
            ("clerk", "receiving_clerk"),
            ("watcher", "viewer"),
        ]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, "WH1")])
        client.cookies.set("lang", "en")
        yield client, db


def _as(client: Browser, db: Database, username: str, lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _doc(db: Database, number: str) -> DocumentView:
    with db.read() as conn:
        return get_document(conn, number)


def _value(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def _autofocus(page: str) -> str:
    found = re.search(r'<(?:input|select) name="([a-z_\-0-9]+)"[^>]*autofocus', page)
    assert found is not None
    return found.group(1)


def _error(page: str) -> str:
    found = re.search(r'<div class="flash flash-error" role="alert">(.*?)</div>', page, re.S)
    assert found is not None
    return html.unescape(" ".join(found.group(1).split()))


def _rows(page: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None, table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in r] for r in cells]


def _buttons(page: str) -> list[str]:
    return re.findall(r'formaction="/documents/[^"/]+/([a-z_]+/[a-z_]+)"', page)


def _lines(rows: list[dict[str, str]]) -> dict[str, str]:
    data = {"rows": str(len(rows))}
    for i, row in enumerate(rows):
        data.update({f"{name}-{i}": value for name, value in row.items()})
    return data


def _reserved(db: Database) -> dict[tuple[str, str, str | None], Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.code, locations.c.code, lots.c.code, balances.c.reserved)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(balances.c.reserved != 0)
        )
        return {(r[0], r[1], r[2]): Decimal(r[3]) / 10**6 for r in rows}


def _on_hand(db: Database, item: str, where: str, lot: str | None) -> Decimal:
    with db.read() as conn:
        value = conn.execute(
            select(balances.c.on_hand)
            .join_from(balances, items, items.c.id == balances.c.item_id)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, lots.c.id == balances.c.lot_id)
            .where(items.c.code == item, locations.c.code == where)
            .where(lots.c.code == lot if lot else balances.c.lot_id.is_(None))
        ).scalar()
    return Decimal(value or 0) / 10**6


def _order(db: Database, quantity: str = "50", price: str = "10", submit: bool = True) -> str:
    command = NewRequest(
        "sales_order",
        "WH1",
        [RequestLineInput("GLUE", quantity, unit_price=price)],
        customer="SHOP",
        submit=submit,
    )
    return create_request(db, SALES, command).number


def _take(client: Browser, number: str, step: str, **form: str) -> Any:
    """Press a step's button on the document's page (with the page's idempotency key)."""
    page = client.get(f"/documents/{number}")
    kind = "sales_order" if number.startswith("SO") else "requisition"
    data = {"idempotency_key": key_of(page.text), **form}
    return client.post(f"/documents/{number}/{kind}/{step}", data=data, follow_redirects=False)


# ------------------------------------------------------------------ the request forms


def test_the_sales_order_form_raises_a_draft_with_every_field(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    sales = _as(client, db, "sales")
    form = sales.get("/sales-orders/new")
    assert form.status_code == 200
    assert inline_scripts(form.text) == []
    assert _autofocus(form.text) == "customer"
    data = {
        "customer": "SHOP",
        "warehouse": "WH1",
        "reference": "PO-C-9",
        "plan_reference": "SP-2031-W10",
        "planned_on": "2031-03-02",
        "due_on": "2031-03-05",
        "ship_to": "9 Dock Street",
        "note": "fragile",
        "idempotency_key": key_of(form.text),
        **_lines(
            [
                {"item": "GLUE", "quantity": "12", "unit_price": "20", "lot": "F-LATE"},
                {"item": "BOLT", "quantity": "2", "unit": "box", "location": "WH1-A"},
                {"item": "", "quantity": ""},
            ]
        ),
    }
    posted = sales.post("/sales-orders/new", data=data, follow_redirects=False)
    assert posted.status_code == 303
    number = posted.headers["location"].removeprefix("/documents/")
    assert re.fullmatch(r"SO-WH1-\d{4}-00001", number)
    order = _doc(db, number)
    assert (order.state, order.partner, order.reference, order.created_by, order.note) == (
        "draft",
        "SHOP",
        "PO-C-9",
        "sales",
        "fragile",
    )
    assert str(order.due_on) == "2031-03-05"
    # 12 x 20 + 24 bolts at their cost of 0.50
    assert order.total_value == Decimal(252)
    assert [(ln.item, ln.quantity, ln.unit_price, ln.lot, ln.location) for ln in order.lines] == [
        ("GLUE", Decimal(12), Decimal(20), "F-LATE", None),
        ("BOLT", Decimal(24), None, None, "WH1-A"),
    ]
    with db.read() as conn:
        row = conn.execute(
            select(documents.c.ship_to, documents.c.plan_reference, documents.c.planned_on).where(
                documents.c.number == number
            )
        ).one()
    assert (row[0], row[1], str(row[2])) == ("9 Dock Street", "SP-2031-W10", "2031-03-02")
    page = sales.get(posted.headers["location"])
    assert f"{number} was raised as a draft." in page.text
    assert "9 Dock Street" in page.text and "SP-2031-W10" in page.text
    assert _buttons(page.text) == ["sales_order/submit", "sales_order/cancel"]


def test_more_lines_keeps_what_was_typed_and_writes_nothing(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    sales = _as(client, db, "sales")
    form = sales.get("/requisitions/new")
    before = _state_of(db)
    data = {"department": "Assembly", "more": "1", "idempotency_key": key_of(form.text)}
    again = sales.post("/requisitions/new", data={**data, **_lines([{"item": "BOLT"}])})
    assert again.status_code == 200
    assert _value(again.text, "rows") == "4"
    assert (_value(again.text, "item-0"), _value(again.text, "department")) == (
        "BOLT",
        "Assembly",
    )
    assert _state_of(db) == before


def test_a_small_requisition_submitted_at_once_approves_itself(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    clerk = _as(client, db, "clerk")
    form = clerk.get("/requisitions/new")
    assert "unit_price-0" not in form.text  # a requisition has no prices
    data = {
        "department": "Assembly",
        "warehouse": "WH1",
        "plan_reference": "MO-7",
        "submit": "1",
        "idempotency_key": key_of(form.text),
        **_lines([{"item": "BOLT", "quantity": "10"}]),
    }
    posted = clerk.post("/requisitions/new", data=data, follow_redirects=False)
    number = posted.headers["location"].removeprefix("/documents/")
    assert number.startswith("MR-WH1-")
    assert _doc(db, number).state == "approved"
    page = clerk.get(posted.headers["location"]).text
    assert f"{number} was submitted and approved at once: it is under every threshold." in page
    assert "Approved automatically: under every approval threshold." in page
    assert '<dd id="department">Assembly</dd>' in page


@pytest.mark.parametrize(
    ("customer", "line", "lang", "message"),
    [
        ("", {"item": "GLUE", "quantity": "1"}, "en", "Choose the customer."),
        ("ACME", {"item": "GLUE", "quantity": "1"}, "en", "ACME is not a customer."),
        ("SHOP", {"item": "NOPE", "quantity": "1"}, "en", "Item NOPE does not exist."),
        ("SHOP", {"item": "", "quantity": ""}, "zh_CN", "请至少填写一行。"),
        ("", {"item": "GLUE", "quantity": "1"}, "zh_CN", "请选择客户。"),
    ],
    ids=["no-customer", "a-supplier", "unknown-item", "no-lines-chinese", "no-customer-chinese"],
)
def test_a_refused_order_keeps_what_was_typed_and_writes_nothing(
    outbound: tuple[Browser, Database],
    customer: str,
    line: dict[str, str],
    lang: str,
    message: str,
) -> None:
    client, db = outbound
    sales = _as(client, db, "sales", lang)
    form = sales.get("/sales-orders/new")
    before = _state_of(db)
    data = {"customer": customer, "warehouse": "WH1", "idempotency_key": key_of(form.text)}
    refused = sales.post("/sales-orders/new", data={**data, **_lines([line])})
    assert refused.status_code == 422
    assert _error(refused.text) == message
    assert _value(refused.text, "item-0") == line["item"]
    assert _state_of(db) == before


def test_the_forms_are_refused_to_roles_without_their_permission(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    picker = _as(client, db, "picker")
    assert picker.get("/sales-orders/new").status_code == 403
    assert picker.get("/requisitions/new").status_code == 200
    assert picker.get("/pick-lists/new").status_code == 200
    sales = _as(client, db, "sales")
    assert sales.get("/pick-lists/new").status_code == 403
    assert sales.get("/settings/approval-rules").status_code == 403
    watcher = _as(client, db, "watcher")
    before = _state_of(db)
    for url in (
        "/sales-orders/new",
        "/requisitions/new",
        "/pick-lists/new",
        "/customer-returns/new",
        "/settings/approval-rules",
    ):
        assert watcher.get(url).status_code == 403, url
        assert watcher.post(url, data={"rows": "0"}).status_code == 403, url
    refused = watcher.post("/settings/approval-rules/remove", data={"rule": "1"})
    assert refused.status_code == 403
    assert _state_of(db) == before


# ------------------------------------------------------------------ approval on the page


def test_a_submitted_order_waits_in_the_managers_tasks_and_is_approved_there(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="120", price="10")  # 1,200.00: over the rule
    assert _doc(db, number).state == "submitted"
    # the requester may not approve: no button, and the route refuses
    sales_page = _as(client, db, "sales").get(f"/documents/{number}").text
    assert _buttons(sales_page) == ["sales_order/cancel"]
    # the manager's inbox lists it with "Approve"
    tasks = _as(client, db, "boss").get("/tasks").text
    assert [number, "Sales order", "Approve"] == _rows(tasks, "tasks")[0][:3]
    assert f'href="/documents/{number}"' in tasks
    page = client.get(f"/documents/{number}").text
    assert _buttons(page) == [
        "sales_order/approve",
        "sales_order/reject",
        "sales_order/cancel",
    ]
    assert "A rejection needs its reason in the note." in page
    approved = _take(client, number, "approve", note="fine")
    assert approved.status_code == 303
    assert _doc(db, number).state == "approved"
    shown = client.get(f"/documents/{number}").text
    assert f"{number}: Approve done; it is now Approved." in shown


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Give the reason for the rejection in the note."),
        ("zh_CN", "请在备注中填写驳回原因。"),
    ],
)
def test_a_rejection_needs_a_reason_and_a_revision_goes_back_to_draft(
    outbound: tuple[Browser, Database], lang: str, message: str
) -> None:
    client, db = outbound
    number = _order(db, quantity="120")
    boss = _as(client, db, "boss", lang)
    before = _state_of(db)
    refused = _take(boss, number, "reject", note="  ")
    assert refused.status_code == 422
    assert _error(refused.text) == message
    assert _state_of(db) == before
    assert _take(boss, number, "reject", note="price too low").status_code == 303
    assert _doc(db, number).state == "rejected"
    sales = _as(client, db, "sales")
    assert _buttons(sales.get(f"/documents/{number}").text) == [
        "sales_order/revise",
        "sales_order/cancel",
    ]
    assert _take(sales, number, "revise").status_code == 303
    assert _doc(db, number).state == "draft"


def test_the_requester_may_not_approve_their_own_order(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    own = create_request(
        db,
        BOSS,
        NewRequest(
            "sales_order",
            "WH1",
            [RequestLineInput("GLUE", "200", unit_price="10")],
            customer="SHOP",
            submit=True,
        ),  # fmt: skip
    ).number
    boss = _as(client, db, "boss")
    before = _state_of(db)
    refused = _take(boss, own, "approve")
    assert refused.status_code == 409  # the step's rule, not the route's permission
    assert _error(refused.text) == f"You raised {own}: someone else must approve it."
    assert _state_of(db) == before


# ------------------------------------------------------------------ allocation, pick, ship


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "{number} is Allocated: “Ship” cannot be done now."),
        ("zh_CN", "{number} 当前为“已分配”：现在不能执行“发货”。"),
    ],
)
def test_a_step_out_of_turn_is_refused_in_the_pages_language(
    outbound: tuple[Browser, Database], lang: str, message: str
) -> None:
    client, db = outbound
    number = _order(db, quantity="10")
    allocate_request(db, PICKER, "sales_order", number)
    picker = _as(client, db, "picker", lang)
    before = _state_of(db)
    refused = _take(picker, number, "ship", carrier="SF")
    assert refused.status_code == 409
    assert _error(refused.text) == message.format(number=number)
    assert _state_of(db) == before


def test_allocating_shows_ordered_reserved_shipped_backorder_and_the_reservations(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="80", price="10")  # 800.00: approved at once
    picker = _as(client, db, "picker")
    page = picker.get(f"/documents/{number}").text
    assert _buttons(page) == ["sales_order/allocate"]
    assert _take(picker, number, "allocate").status_code == 303
    assert _doc(db, number).state == "allocated"
    # FEFO: the 30 of F-SOON, then 40 of F-LATE; 10 backordered
    assert _reserved(db) == {
        ("GLUE", "WH1-B", "F-SOON"): Decimal(30),
        ("GLUE", "WH1-A", "F-LATE"): Decimal(40),
    }
    shown = picker.get(f"/documents/{number}").text
    assert _rows(shown, "lines") == [
        [
            "1",
            "GLUE Wood glue",
            "80",
            "70",
            "0",
            "10",
            "pcs",
            "WH1-A · F-LATE · 40 WH1-B · F-SOON · 30",
        ]  # fmt: skip
    ]
    assert "Short (backorder): 1: 10" in shown
    assert f'href="/pick-lists/new?kind=sales_order&amp;request={number}"' in shown
    # releasing takes the reservations back
    assert _take(picker, number, "release").status_code == 303
    assert _reserved(db) == {}
    assert _doc(db, number).state == "approved"


def test_a_pick_list_is_made_from_the_ticked_requests(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    first, second = _order(db, quantity="20"), _order(db, quantity="10")
    third = _order(db, quantity="5")
    for number in (first, second, third):
        allocate_request(db, PICKER, "sales_order", number)
    picker = _as(client, db, "picker")
    form = picker.get(f"/pick-lists/new?kind=sales_order&request={first}")
    assert form.status_code == 200
    assert [row[1].split()[0] for row in _rows(form.text, "waiting")] == [first, second, third]
    assert f'value="{first}" id="request-1" checked' in form.text
    before = _state_of(db)
    none = picker.post(
        "/pick-lists/new", data={"kind": "sales_order", "idempotency_key": key_of(form.text)}
    )
    assert none.status_code == 422
    assert _error(none.text) == "Tick at least one request."
    assert _state_of(db) == before
    data = {"kind": "sales_order", "request": [first, second], "idempotency_key": key_of(form.text)}
    made = picker.post("/pick-lists/new", data=data, follow_redirects=False)
    assert made.status_code == 303
    pick = made.headers["location"].removeprefix("/picking/")
    assert pick.startswith("PK-WH1-")
    assert (_doc(db, first).state, _doc(db, second).state, _doc(db, third).state) == (
        "picking",
        "picking",
        "allocated",
    )
    # the 30 of F-SOON in WH1-B: 20 for the first order, 10 for the second, one line each
    assert [(ln.location, ln.item, ln.lot, ln.quantity) for ln in _doc(db, pick).lines] == [
        ("WH1-B", "GLUE", "F-SOON", Decimal(20)),
        ("WH1-B", "GLUE", "F-SOON", Decimal(10)),
    ]
    # only the third waits now
    after = picker.get("/pick-lists/new").text
    assert [row[1].split()[0] for row in _rows(after, "waiting")] == [third]


def test_the_picking_screen_walks_bin_lot_quantity_and_asks_why_a_pick_is_short(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="50")
    allocate_request(db, PICKER, "sales_order", number)  # 30 F-SOON in WH1-B, 20 F-LATE in WH1-A
    pick = create_pick_list(db, PICKER, [number]).number
    picker = _as(client, db, "picker")
    screen = picker.get(f"/picking/{pick}")
    assert screen.status_code == 200
    assert inline_scripts(screen.text) == []
    assert '<script src="/static/outbound.js" defer></script>' in screen.text
    assert _autofocus(screen.text) == "location"
    chooser = picker.get("/picking")
    assert chooser.status_code == 200
    assert [row[0] for row in _rows(chooser.text, "pick-lists")] == [pick]
    # walking order: WH1-A before WH1-B
    assert [row[1] for row in _rows(screen.text, "pick-lines")] == ["WH1-A", "WH1-B"]
    assert '<strong id="pk-bin" class="pick-bin">WH1-A</strong>' in screen.text
    assert (_value(screen.text, "line"), _value(screen.text, "quantity")) == ("1", "20")
    key = key_of(screen.text)
    base = {"line": "1", "quantity": "20", "idempotency_key": key}
    before = _state_of(db)
    # the bin scanned, no lot yet: the screen asks for the lot and writes nothing
    asked = picker.post(f"/picking/{pick}", data={**base, "location": "WH1-A"})
    assert asked.status_code == 200
    assert _autofocus(asked.text) == "lot"
    assert _value(asked.text, "location") == "WH1-A"
    for fields, status, message, focus in [
        ({"location": "WH1-B", "lot": "F-LATE"}, 422, "Line 1: pick from WH1-A, not WH1-B.",
         "location"),
        (
            {"location": "WH1-A", "lot": "F-SOON"},
            422,
            "Line 1: lot F-SOON is not the allocated lot F-LATE. Pick the allocated lot, or "
            "release and allocate again.",
            "lot",
        ),
        ({"location": "WH1-A", "lot": "F-LATE", "quantity": "21"}, 422,
         "Line 1: at most 20 were allocated.", "quantity"),
        (
            {"location": "WH1-A", "lot": "F-LATE", "quantity": "15"},
            422,
            "Line 1: less than allocated was picked. Choose the reason of the short pick.",
            "reason",
        ),
    ]:  # fmt: skip
        refused = picker.post(f"/picking/{pick}", data={**base, **fields})
        assert refused.status_code == status, fields
        assert _error(refused.text) == message
        assert _autofocus(refused.text) == focus
        assert _state_of(db) == before
    # a short pick of 15 with its reason: the 5 missing are allocated from F-SOON
    short = {**base, "location": "WH1-A", "lot": "F-LATE", "quantity": "15", "reason": "damaged"}
    done = picker.post(f"/picking/{pick}", data=short, follow_redirects=False)
    assert done.status_code == 303
    shown = picker.get(done.headers["location"]).text
    assert "Picked 15 pcs of GLUE from WH1-A." in shown
    assert f"Allocated again elsewhere: {number} (5)." not in shown  # F-SOON is all taken
    assert _rows(shown, "pick-lines")[0][-1] == "Short 5"
    # nothing could be allocated again: the request's page offers no new pick list
    request_page = picker.get(f"/documents/{number}").text
    assert 'id="make-pick-list"' not in request_page
    # the picked 15 wait at the shipping location, the 30 of F-SOON on the pick list
    assert _rows(request_page, "lines")[0][-1] == (
        f"WH1-B · F-SOON · 30 {pick} WH1-SHIP · F-LATE · 15 Picked"
    )
    assert _value(shown, "line") == "2"
    assert _reserved(db) == {
        ("GLUE", "WH1-SHIP", "F-LATE"): Decimal(15),
        ("GLUE", "WH1-B", "F-SOON"): Decimal(30),
    }
    # the second line with the defaults: all 30
    last = {"line": "2", "location": "WH1-B", "lot": "F-SOON", "quantity": "30",
            "idempotency_key": key_of(shown)}  # fmt: skip
    assert picker.post(f"/picking/{pick}", data=last, follow_redirects=False).status_code == 303
    assert _doc(db, pick).state == "done"
    # the chooser lists open pick lists only; a scanned number opens its screen
    assert f'href="/picking/{pick}"' not in picker.get("/picking").text
    opened = picker.get(f"/picking?list={pick}", follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, f"/picking/{pick}")
    finished = picker.get(f"/picking/{pick}").text
    assert "Every line of this pick list is picked." in finished
    assert f'href="/documents/{number}"' in finished
    line = _doc(db, pick).lines[0]
    assert (line.accepted, line.rejected, line.reason_code) == (Decimal(15), Decimal(5), "damaged")


def test_what_a_short_pick_allocates_again_is_offered_a_new_pick_list(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    receive_stock(db, CTX, Receive("BOLT", "20", "WH1-B", unit_cost="0.60"))
    number = create_request(
        db, SALES, NewRequest("requisition", "WH1", [RequestLineInput("BOLT", "10")], submit=True)
    ).number
    allocate_request(db, PICKER, "requisition", number)  # FIFO: the 10 from WH1-A
    pick = create_pick_list(db, PICKER, [number], kind="requisition").number
    picker = _as(client, db, "picker")
    screen = picker.get(f"/picking/{pick}")
    short = {"line": "1", "location": "WH1-A", "quantity": "6", "reason": "not_found",
             "idempotency_key": key_of(screen.text)}  # fmt: skip
    done = picker.post(f"/picking/{pick}", data=short, follow_redirects=False)
    assert done.status_code == 303
    assert f"Allocated again elsewhere: {number} (4)." in picker.get(done.headers["location"]).text
    page = picker.get(f"/documents/{number}").text
    assert _rows(page, "lines")[0][2:6] == ["10", "10", "0", "0"]
    assert "WH1-B · 4" in _rows(page, "lines")[0][-1]
    assert (
        f'id="make-pick-list" href="/pick-lists/new?kind=requisition&amp;request={number}"' in page
    )


def test_shipping_from_the_page_records_carrier_and_shows_the_cost_of_goods(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="40")
    allocate_request(db, PICKER, "sales_order", number)
    pick = create_pick_list(db, PICKER, [number]).number
    confirm_pick(db, PICKER, pick)
    picker = _as(client, db, "picker")
    page = picker.get(f"/documents/{number}").text
    # picked: ship first (allocate and release stay offered for a backorder)
    assert _buttons(page) == ["sales_order/ship", "sales_order/allocate", "sales_order/release"]
    assert 'name="carrier"' in page and 'name="packages"' in page
    before = _state_of(db)
    bad = _take(picker, number, "ship", packages="two")
    assert bad.status_code == 422
    assert _error(bad.text) == "The number of packages is a whole number from 1."
    assert _state_of(db) == before
    shipped = _take(picker, number, "ship", carrier="SF", tracking_number="SF123", packages="2")
    assert shipped.status_code == 303
    assert _doc(db, number).state == "shipped"
    shipment = next(c for c, kind, _ in _doc(db, number).children if kind == "shipment")
    # the picker sees the shipment without its cost; the manager with it
    seen = picker.get(f"/documents/{shipment}").text
    assert '<dd id="carrier">SF</dd>' in seen and '<dd id="tracking">SF123</dd>' in seen
    assert '<dd id="packages">2</dd>' in seen
    assert "cost-of-goods" not in seen and "Cost of goods" not in seen
    boss = _as(client, db, "boss").get(f"/documents/{shipment}").text
    # the item's FIFO layers: all 40 from the first layer at 2.00
    assert re.search(r'id="cost-of-goods">CN¥80\.00<', boss)
    assert _rows(boss, "lines") == [
        ["1", "GLUE Wood glue", "F-LATE", "10", "pcs", "CN¥2.0000", "CN¥20.00", number],
        ["2", "GLUE Wood glue", "F-SOON", "30", "pcs", "CN¥2.0000", "CN¥60.00", number],
    ]
    assert "/customer-returns/new?shipment=" in boss
    # the moves written: the shipment's own (they name the order they ship, its lines carry them)
    with db.read() as conn:
        shipped_moves = (
            conn.execute(
                select(moves.c.id)
                .where(moves.c.document_id == number, moves.c.operation == "issue")
                .order_by(moves.c.id)
            )
            .scalars()
            .all()
        )
    assert len(shipped_moves) == 2
    listed = re.search(r'<p id="moves">(.*?)</p>', boss)
    assert listed is not None
    assert re.findall(r"#(\d+)</a>", listed.group(1)) == [str(m) for m in shipped_moves]


def test_a_customer_return_restocks_at_the_cost_the_goods_left_with(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="30")
    allocate_request(db, PICKER, "sales_order", number)
    confirm_pick(db, PICKER, create_pick_list(db, PICKER, [number]).number)
    shipment = ship_request(db, PICKER, "sales_order", number).data["shipment"]
    clerk = _as(client, db, "clerk")
    chooser = clerk.get("/customer-returns/new")
    assert f'href="/customer-returns/new?shipment={shipment}"' in chooser.text
    form = clerk.get(f"/customer-returns/new?shipment={shipment}")
    assert form.status_code == 200
    assert (_value(form.text, "item-0"), _value(form.text, "lot-0")) == ("GLUE", "F-SOON")
    base = {"shipment": shipment, "receive": "1", "idempotency_key": key_of(form.text),
            "rows": "1", "item-0": "GLUE", "lot-0": "F-SOON"}  # fmt: skip
    before = _state_of(db)
    for fields, message in [
        ({"quantity-0": "5", "reason-0": "", "disposition-0": "restock"}, "Choose a reason."),
        (
            {"quantity-0": "5", "reason-0": "damaged", "disposition-0": "restock"},
            "Scan the bin the returned goods go back to.",
        ),
        (
            {"quantity-0": "31", "reason-0": "damaged", "disposition-0": "restock",
             "location-0": "WH1-B"},
            "GLUE: at most 30 were shipped and not returned yet.",
        ),
    ]:  # fmt: skip
        refused = clerk.post("/customer-returns/new", data={**base, **fields})
        assert refused.status_code == 422, fields
        assert _error(refused.text) == message
        assert _value(refused.text, "quantity-0") == fields["quantity-0"]
        assert _state_of(db) == before
    fields = {"quantity-0": "4", "reason-0": "not_needed", "disposition-0": "restock",
              "location-0": "WH1-B"}  # fmt: skip
    posted = clerk.post("/customer-returns/new", data={**base, **fields}, follow_redirects=False)
    assert posted.status_code == 303
    back = posted.headers["location"].removeprefix("/documents/")
    assert back.startswith("RC-WH1-")
    assert _doc(db, back).state == "received"
    assert _on_hand(db, "GLUE", "WH1-B", "F-SOON") == Decimal(4)
    page = clerk.get(posted.headers["location"]).text
    assert f"Customer return {back} was received." in page
    assert _rows(page, "lines")[0][:8] == [
        "1", "GLUE Wood glue", "F-SOON", "4", "pcs", "No longer needed", "Back to stock", "WH1-B",
    ]  # fmt: skip


# ------------------------------------------------------------------ approval rules


def test_the_approval_rules_page_adds_and_removes_rules(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    boss = _as(client, db, "boss")
    page = boss.get("/settings/approval-rules")
    assert page.status_code == 200
    assert _rows(page.text, "rules") == [
        ["Sales order", "All warehouses", "CN¥1,000.00", "", "Anyone who may approve", "Remove"]
    ]
    before = _state_of(db)
    refused = boss.post(
        "/settings/approval-rules",
        data={"kind": "requisition", "warehouse": "WH1", "idempotency_key": key_of(page.text)},
    )
    assert refused.status_code == 422
    assert _error(refused.text) == "A rule needs a value or a quantity threshold."
    assert _state_of(db) == before
    data = {"kind": "requisition", "warehouse": "WH1", "min_quantity": "500",
            "approver_role": "warehouse_manager", "idempotency_key": key_of(page.text)}  # fmt: skip
    added = boss.post("/settings/approval-rules", data=data, follow_redirects=False)
    assert added.status_code == 303
    shown = boss.get("/settings/approval-rules").text
    assert "The approval rule was added." in shown
    assert ["Material requisition", "WH1", "", "500", "Warehouse manager", "Remove"] in _rows(
        shown, "rules"
    )
    # a requisition of 500 now waits for approval
    requisition = create_request(
        db, SALES, NewRequest("requisition", "WH1", [RequestLineInput("BOLT", "500")])
    ).number
    assert submit_request(db, SALES, "requisition", requisition).state == "submitted"
    with db.read() as conn:
        rule_id = conn.execute(
            select(tables.approval_rules.c.id).where(
                tables.approval_rules.c.doc_type == "requisition"
            )
        ).scalar_one()
    removed = boss.post(
        "/settings/approval-rules/remove", data={"rule": str(rule_id)}, follow_redirects=False
    )
    assert removed.status_code == 303
    with db.read() as conn:
        kinds = conn.execute(select(tables.approval_rules.c.doc_type)).scalars().all()
    assert kinds == ["sales_order"]
    gone = boss.post("/settings/approval-rules/remove", data={"rule": str(rule_id)})
    assert gone.status_code == 404
    assert _error(gone.text) == "There is no such approval rule."


# ------------------------------------------------------------------ tiles and Chinese


def test_the_operations_page_offers_the_outbound_tiles_to_who_may(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    tiles = re.findall(
        r'class="tile" href="([^"]+)"', _as(client, db, "boss").get("/stock/operations").text
    )
    assert {"/sales-orders/new", "/requisitions/new", "/pick-lists/new"} <= set(tiles)
    picker = re.findall(
        r'class="tile" href="([^"]+)"', _as(client, db, "picker").get("/stock/operations").text
    )
    assert "/sales-orders/new" not in picker
    assert {"/picking", "/pick-lists/new"} <= set(picker)


def test_the_outbound_pages_in_chinese_show_no_english_of_their_own(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="50")
    allocate_request(db, PICKER, "sales_order", number)
    pick = create_pick_list(db, PICKER, [number]).number
    waiting = _order(db, quantity="120")  # submitted, waiting for approval
    second = _order(db, quantity="5")
    shipped = _order(db, quantity="5")
    for order in (second, shipped):
        allocate_request(db, PICKER, "sales_order", order)
    confirm_pick(db, PICKER, create_pick_list(db, PICKER, [shipped]).number)
    shipment = ship_request(db, PICKER, "sales_order", shipped, carrier="SF").data["shipment"]
    messages, raw, data = _english_messages(), _raw_codes(), _data(db)
    data = Data(data.values | {"SF"}, data.words | {"sf"})
    problems: list[Any] = []
    pages = {
        "boss": ["/tasks", f"/documents/{waiting}", "/settings/approval-rules",
                 "/stock/operations", f"/documents/{shipment}", "/sales-orders/new",
                 "/requisitions/new", "/documents?type=sales_order"],
        "picker": ["/picking", f"/picking/{pick}", f"/documents/{number}", f"/documents/{pick}",
                   "/pick-lists/new", "/pick-lists/new?kind=requisition", "/tasks"],
        "clerk": [f"/customer-returns/new?shipment={shipment}", "/customer-returns/new"],
    }  # fmt: skip
    for user, urls in pages.items():
        browser_ = _as(client, db, user, "zh_CN")
        for url in urls:
            page = browser_.get(url)
            assert page.status_code == 200, (user, url)
            problems += [
                f"{user} {url}: {p}" for p in _untranslated(page.text, messages, raw, data)
            ]
    assert problems == []


def test_unknown_or_mistyped_documents_are_not_found(
    outbound: tuple[Browser, Database],
) -> None:
    client, db = outbound
    number = _order(db, quantity="5")
    admin = _as(client, db, "admin")
    for url in (
        f"/picking/{number}",
        "/picking/PK-NOPE",
        f"/customer-returns/new?shipment={number}",
        "/pick-lists/new?kind=nothing",
    ):
        page = admin.get(url)
        assert page.status_code in (404, 422), url
        assert "does not exist" in page.text or "no such kind" in page.text, url
    with db.read() as conn:
        assert conn.execute(select(allocations.c.id)).first() is None


def test_the_demand_page_and_the_delivery_note(outbound: tuple[Browser, Database]) -> None:
    client, db = outbound
    sales = Context(username="sales")
    lines = [RequestLineInput("GLUE", "100", unit_price="1"), RequestLineInput("BOLT", "30")]
    number = create_request(
        db, sales, NewRequest("sales_order", "WH1", lines, customer="SHOP", submit=True)
    ).number
    boss = _as(client, db, "boss")
    page = boss.get("/outbound/demand?days=7").text
    rows = re.findall(
        r"<tr( class=\"warn\")?>\s*<td[^>]*>WH1</td>\s*<td[^>]*><a href=\"/items/(\w+)\"", page
    )
    # 100 GLUE wanted against 70 in stock: a shortage of 30, first; BOLT is covered
    assert [(bool(warn), item) for warn, item in rows] == [(True, "GLUE"), (False, "BOLT")]
    assert "<strong>30</strong>" in page
    short = boss.get("/outbound/demand?days=7&short=1").text
    assert "/items/BOLT" not in short and "/items/GLUE" in short
    assert 'href="/outbound/demand"' in boss.get("/stock/operations").text
    card = re.search(r'id="demand-card">.*?card-value">(\d+)<', boss.get("/").text, re.S)
    assert card is not None and card.group(1) == "1"  # GLUE
    # everyone who sees documents sees it: the planner before approving, the clerk who can
    # hurry a receipt
    for who in ("sales", "clerk"):
        page = _as(client, db, who).get("/").text
        card = re.search(r'id="demand-card">.*?card-value">(\d+)<', page, re.S)
        assert card is not None and card.group(1) == "1", who
    assert boss.get("/outbound/demand?days=x").status_code == 422
    zh = _as(client, db, "boss", "zh").get("/outbound/demand").text
    assert "需求与缺货" in zh

    allocate_request(db, CTX, "sales_order", number)
    confirm_pick(db, CTX, create_pick_list(db, CTX, [number]).number)
    shipment = ship_request(db, CTX, "sales_order", number).data["shipment"]
    picker = _as(client, db, "picker")
    assert (
        f'href="/shipments/{shipment}/delivery-note.pdf"'
        in picker.get(f"/documents/{shipment}").text
    )
    pdf = picker.get(f"/shipments/{shipment}/delivery-note.pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert picker.get("/shipments/SH-NONE/delivery-note.pdf").status_code == 404
