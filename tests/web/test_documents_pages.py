"""The document pages and the task inbox (issue 12): a purchase order's page with its lines,
timeline and the buttons of whoever may act; a button takes its step; a refused step shows its
message and writes nothing; the lists and their scope; each role's inbox and notifications;
every one of these pages in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select, text

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.users import create_user
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, inline_scripts, sign_in_as
from tests.web.test_every_page_in_chinese import (
    Data,
    _data,
    _english_messages,
    _raw_codes,
    _untranslated,
)

BUYER = Context(username="buyer")
BOSS = Context(username="boss")
CLERK = Context(username="clerk")
#: what a refused step must leave as it was: the stock, the documents, their timelines, the
#: notifications waiting and sent, the trail
WATCHED = [
    *snapshot.WATCHED,
    tables.documents,
    tables.document_lines,
    tables.document_events,
    tables.outbox,
    tables.notifications,
    tables.audit_log,
]


def _sql(db: Database, statement: str) -> None:
    with db.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()


@pytest.fixture
def inbound(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """The inbound company of tests/services/test_inbound.py (orders above 100.00 wait for
    approval), its users able to sign in, and a browser (signed in by each test)."""
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    set_supplier_item(
        db, CTX, SupplierItemInput("ACME", "BOLT", price=Decimal("0.5"), currency="CNY")
    )
    with browser(db, database_url) as client:
        for name, role, where in [
            ("buyer", "purchaser", "WH1"),
            ("boss", "warehouse_manager", "WH1"),
            ("clerk", "receiving_clerk", "WH1"),
            ("qc", "quality_inspector", "WH1"),
            ("faraway", "warehouse_manager", "WH2"),
        ]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, where)])
        _sql(db, "UPDATE company SET po_approval_threshold = 100000000")  # 100.00
        client.cookies.set("lang", "en")
        yield client, db


def _order(db: Database, ctx: Context = BUYER, quantity: str = "300") -> str:
    """An order of BOLT at 0.5 and 2 kg FLOUR at 3.25, raised by ``ctx``, due 2026-01-05."""
    command = NewPurchaseOrder(
        "ACME",
        "WH1",
        [OrderLineInput("BOLT", quantity), OrderLineInput("FLOUR", "2", unit_price="3.25")],
        reference="REQ-7",
        note="for the spring line",
        due_on=date(2026, 1, 5),
    )
    return create_purchase_order(db, ctx, command).number


def _as(client: Browser, db: Database, username: str, lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _buttons(html: str) -> list[str]:
    """The step buttons of a document's page: (the form action's last two segments)."""
    return re.findall(r'formaction="/documents/[^"/]+/([a-z_]+/[a-z_]+)"', html)


def _rows(html: str, table: str) -> list[list[str]]:
    """A table's body rows as the texts of their cells."""
    body = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None, table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in row] for row in cells]


def _state(db: Database, number: str) -> str:
    with db.read() as conn:
        found = conn.execute(
            select(tables.documents.c.state).where(tables.documents.c.number == number)
        ).scalar_one()
    return str(found)


# ------------------------------------------------------------------ one document


def test_the_page_shows_lines_timeline_and_the_buttons_of_whoever_may_act(
    inbound: tuple[Browser, Database],
) -> None:
    # given an order of 150.00 + 6.50, confirmed by the buyer: it waits for approval
    client, db = inbound
    number = _order(db)
    confirm_order(db, BUYER, number, note="urgent")
    # when the manager opens it
    page = _as(client, db, "boss").get(f"/documents/{number}")
    # then the header, the lines and the timeline are shown, with approve and reject
    assert page.status_code == 200
    html = page.text
    assert inline_scripts(html) == []
    assert number in html and "Awaiting approval" in html and "REQ-7" in html
    assert "CN¥156.50" in html and "for the spring line" in html
    assert _rows(html, "lines") == [
        ["1", "BOLT Hex bolt M8", "300", "0", "pcs", "CN¥0.5000", "CN¥150.00"],
        ["2", "FLOUR Wheat flour", "2", "0", "kg", "CN¥3.2500", "CN¥6.50"],
    ]
    timeline = [row[1:] for row in _rows(html, "timeline")]
    assert timeline == [
        ["buyer", "Create", "", "Draft", "for the spring line"],
        ["buyer", "Confirm", "Draft", "Awaiting approval", "urgent"],
    ]
    assert _buttons(html) == [
        "purchase_order/approve",
        "purchase_order/reject",
        "purchase_order/cancel",
    ]
    assert 'action="/documents/' + number + '/assign"' in html  # the manager assigns
    # the overdue due date says so in words
    assert "2026-01-05" in html and "Overdue" in html
    # the clerk sees the order but no step of it; the buyer may only cancel it
    assert _buttons(_as(client, db, "clerk").get(f"/documents/{number}").text) == []
    assert _buttons(_as(client, db, "buyer").get(f"/documents/{number}").text) == [
        "purchase_order/cancel"
    ]


def test_the_page_in_chinese(inbound: tuple[Browser, Database]) -> None:
    client, db = inbound
    number = _order(db)
    confirm_order(db, BUYER, number)
    html = _as(client, db, "boss", "zh_CN").get(f"/documents/{number}").text
    assert "待审批" in html and "审批通过" in html and "驳回" in html and "采购订单" in html
    assert "已逾期" in html or "逾期" in html


def test_a_button_takes_its_step_and_the_document_moves_on(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db)
    confirm_order(db, BUYER, number)
    boss = _as(client, db, "boss")
    key = re.search(r'name="idempotency_key" value="(\w+)"', boss.get(f"/documents/{number}").text)
    assert key is not None
    # when the manager presses "approve" with a note
    response = boss.post(
        f"/documents/{number}/purchase_order/approve",
        data={"note": "ok for Q1", "idempotency_key": key.group(1)},
        follow_redirects=False,
    )
    # then the order is confirmed and the page says so
    assert response.status_code == 303
    assert response.headers["location"] == f"/documents/{number}"
    assert _state(db, number) == "confirmed"
    page = boss.get(f"/documents/{number}")
    assert f"{number}: Approve done; it is now Confirmed." in page.text
    assert ["boss", "Approve", "Awaiting approval", "Confirmed", "ok for Q1"] in [
        row[1:] for row in _rows(page.text, "timeline")
    ]
    # the same form sent again takes nothing twice
    again = boss.post(
        f"/documents/{number}/purchase_order/approve",
        data={"note": "ok for Q1", "idempotency_key": key.group(1)},
    )
    assert again.status_code == 200 and _state(db, number) == "confirmed"
    # and the clerk is offered the receiving screen for it
    clerk_page = _as(client, db, "clerk").get(f"/documents/{number}").text
    assert f'href="/receiving?order={number}"' in clerk_page
    assert "Receive against this order" in clerk_page


@pytest.mark.parametrize(
    ("who", "step", "lang", "status", "message"),
    [
        (
            "boss",
            "confirm",
            "en",
            409,
            "{number} is Awaiting approval: “Confirm” cannot be done now.",
        ),
        ("boss", "confirm", "zh_CN", 409, "{number} 当前为“待审批”：现在不能执行“确认”。"),
        ("buyer", "approve", "en", 403, "it needs the permission po.approve"),
    ],
    ids=["invalid-transition", "invalid-transition-zh", "not-permitted"],
)
def test_a_refused_step_shows_its_message_and_writes_nothing(
    inbound: tuple[Browser, Database], who: str, step: str, lang: str, status: int, message: str
) -> None:
    client, db = inbound
    number = _order(db)
    confirm_order(db, BUYER, number)
    signed_in = _as(client, db, who, lang)
    before = snapshot.state(db, WATCHED)
    response = signed_in.post(f"/documents/{number}/purchase_order/{step}", data={"note": "again"})
    assert response.status_code == status
    assert message.format(number=number) in response.text
    assert snapshot.state(db, WATCHED) == before
    assert _state(db, number) == "awaiting_approval"


def test_approving_ones_own_order_is_refused_with_its_reason(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db, BOSS)
    confirm_order(db, BOSS, number)
    boss = _as(client, db, "boss", "zh_CN")
    before = snapshot.state(db, WATCHED)
    response = boss.post(f"/documents/{number}/purchase_order/approve", data={"note": "mine"})
    assert response.status_code == 409
    assert f"{number} 由您创建：须由他人审批。" in response.text
    assert 'value="mine"' in response.text  # the note is kept
    assert snapshot.state(db, WATCHED) == before


def test_a_step_of_another_type_or_an_unseen_document_is_not_found(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db)
    boss = _as(client, db, "boss")
    before = snapshot.state(db, WATCHED)
    assert boss.post(f"/documents/{number}/receipt/cancel").status_code == 404
    assert snapshot.state(db, WATCHED) == before
    # a manager of WH2 does not see WH1's documents
    faraway = _as(client, db, "faraway")
    before = snapshot.state(db, WATCHED)
    page = faraway.get(f"/documents/{number}")
    assert page.status_code == 404 and f"Document {number} does not exist." in page.text
    assert faraway.post(f"/documents/{number}/purchase_order/confirm").status_code == 404
    assert snapshot.state(db, WATCHED) == before


def test_a_receipt_shows_what_it_received_and_where_it_came_from(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db, quantity="100")  # 56.50: no approval
    confirm_order(db, BUYER, number)
    receipt = create_receipt(
        db,
        CLERK,
        NewReceipt(order=number, delivery_note="DN-1", lines=[ReceiptLineInput("BOLT", "100")]),
    )
    html = _as(client, db, "clerk").get(f"/documents/{receipt.number}").text
    assert f'href="/documents/{number}"' in html  # made from the order
    assert receipt.data["putaway"] in html  # and the put-away made from it
    assert (
        f'href="/putaways/{receipt.data["putaway"]}"'
        in _as(client, db, "clerk").get(f"/documents/{receipt.data['putaway']}").text
    )
    moves = re.findall(r'href="/moves/(\d+)"', html)
    assert [int(m) for m in moves] == receipt.move_ids
    order_page = client.get(f"/documents/{number}").text
    assert _rows(order_page, "lines")[0][:4] == ["1", "BOLT Hex bolt M8", "100", "100"]


def test_a_draft_receipt_over_its_order_is_received_once_the_over_receipt_is_confirmed(
    inbound: tuple[Browser, Database],
) -> None:
    # given an order of 100 BOLT (a 10 % tolerance) and a draft receipt of 105 against it
    client, db = inbound
    _sql(db, "UPDATE partners SET over_receipt_tolerance = 10000000 WHERE code = 'ACME'")
    number = _order(db, quantity="100")
    confirm_order(db, BUYER, number)
    draft = create_receipt(
        db,
        CLERK,
        NewReceipt(order=number, receive=False, lines=[ReceiptLineInput("BOLT", "105")]),
    ).number
    clerk = _as(client, db, "clerk")
    assert _buttons(clerk.get(f"/documents/{draft}").text) == ["receipt/receive", "receipt/cancel"]
    # when the clerk receives it, the page asks for the confirmation and nothing is written
    before = snapshot.state(db, WATCHED)
    asked = clerk.post(f"/documents/{draft}/receipt/receive")
    assert asked.status_code == 409
    assert (
        f"{number}: lines 1 would be received over the quantity ordered. "
        "Confirm the over-receipt to go on." in asked.text
    )
    assert 'name="confirm_over_receipt"' in asked.text
    assert snapshot.state(db, WATCHED) == before and _state(db, draft) == "draft"
    # confirmed, the receipt is received, and the order moves on
    done = clerk.post(f"/documents/{draft}/receipt/receive", data={"confirm_over_receipt": "1"})
    assert done.status_code == 200
    assert f"{draft}: Receive goods done; it is now Received." in done.text
    assert _state(db, draft) == "received"
    assert _state(db, number) == "partially_received"  # the flour is still to come


# ------------------------------------------------------------------ lists


def test_the_list_filters_by_type_state_and_text_within_what_the_user_sees(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    first = _order(db, quantity="100")
    second = _order(db)
    confirm_order(db, BUYER, second)
    boss = _as(client, db, "boss")

    def numbers(url: str) -> list[str]:
        page = boss.get(url)
        assert page.status_code == 200, url
        return re.findall(r'<tr data-number="([^"]+)"', page.text)

    assert numbers("/documents") == [second, first]
    assert numbers("/documents?type=purchase_order&state=awaiting_approval") == [second]
    assert numbers("/documents?type=receipt") == []
    assert numbers("/documents?q=REQ-7&warehouse=WH1&partner=ACME&open=1") == [second, first]
    assert numbers("/documents?warehouse=WH2") == []
    assert _as(client, db, "faraway").get("/documents").text.count("data-number=") == 0
    refused = _as(client, db, "boss", "zh_CN").get("/documents?type=invoice")
    assert refused.status_code == 422 and "没有这种单据类型。" in refused.text
    wrong_state = client.get("/documents?type=putaway&state=awaiting_approval")
    assert wrong_state.status_code == 422 and "这类单据没有这个状态。" in wrong_state.text


def test_the_list_exports_as_it_is_filtered(inbound: tuple[Browser, Database]) -> None:
    client, db = inbound
    number = _order(db)
    csv = _as(client, db, "boss").get("/documents?type=purchase_order&export=csv")
    assert csv.status_code == 200
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Number,Type,Status,Warehouse,Partner,Reference,Due")
    assert lines[1].startswith(f"{number},Purchase order,Draft,WH1,ACME,REQ-7,2026-01-05,")


# ------------------------------------------------------------------ the task inbox


def _inbox(client: Browser, db: Database, username: str) -> list[tuple[str, str]]:
    html = _as(client, db, username).get("/tasks").text
    return [(row[0], row[2]) for row in _rows(html, "tasks") if len(row) > 2]


def test_each_role_finds_its_step_in_its_inbox_and_is_told(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db)
    assert _inbox(client, db, "buyer") == [(number, "Confirm")]
    assert _inbox(client, db, "clerk") == []
    confirm_order(db, BUYER, number)
    assert _inbox(client, db, "buyer") == []
    assert _inbox(client, db, "boss") == [(number, "Approve")]
    assert _inbox(client, db, "faraway") == []
    # the manager was told twice: the badge and the panel say so, until read
    page = _as(client, db, "boss").get("/tasks").text
    assert re.search(r'id="unread"[^>]*>2<', page)
    assert page.count('data-unread="1"') == 2
    assert f"Purchase order {number} waits for “Approve”." in page
    assert client.post("/tasks/notifications/read").status_code == 200
    assert 'id="unread"' not in client.get("/tasks").text
    # approved, the clerk's inbox offers receiving, linked to the receiving screen
    client.post(f"/documents/{number}/purchase_order/approve")
    clerk = _as(client, db, "clerk").get("/tasks").text
    assert _inbox(client, db, "clerk") == [(number, "Receive goods")]
    assert f'href="/receiving?order={number}"' in clerk
    assert re.search(r'data-task="purchase_order.receive"><span[^>]*>[^<]*</span>'
                     r'<span class="card-value">1</span>', clerk)  # fmt: skip


def test_taking_and_assigning_from_the_pages(inbound: tuple[Browser, Database]) -> None:
    client, db = inbound
    number = _order(db, quantity="100")
    confirm_order(db, BUYER, number)  # waits for receiving
    boss = _as(client, db, "boss")
    assigned = boss.post(f"/documents/{number}/assign", data={"assignee": "boss"})
    assert assigned.status_code == 200 and f"{number} is assigned to boss." in assigned.text
    assert _inbox(client, db, "clerk") == []
    # a user who may not receive is refused, and nothing changes
    boss = _as(client, db, "boss")
    before = snapshot.state(db, WATCHED)
    refused = boss.post(f"/documents/{number}/assign", data={"assignee": "qc"})
    assert refused.status_code == 409
    assert "qc may not do “Receive goods” in this document's warehouse." in unescape(refused.text)
    assert snapshot.state(db, WATCHED) == before
    # the clerk takes it back from the inbox
    clerk = _as(client, db, "clerk")
    taken = clerk.post(f"/documents/{number}/take?back=tasks", follow_redirects=False)
    assert taken.headers["location"] == "/tasks"
    assert _inbox(client, db, "clerk") == [(number, "Receive goods")]
    # the inspector may take tasks, but not this one: a conflict, nothing written
    qc_browser = _as(client, db, "qc")
    before = snapshot.state(db, WATCHED)
    qc = qc_browser.post(f"/documents/{number}/take")
    assert qc.status_code == 409
    assert "receipt.receive" in qc.text
    assert snapshot.state(db, WATCHED) == before


def test_the_dashboard_counts_the_tasks_per_step(inbound: tuple[Browser, Database]) -> None:
    client, db = inbound
    _order(db)
    confirm_order(db, BUYER, _order(db))
    html = _as(client, db, "boss").get("/").text
    cards = re.findall(
        r'<a class="card( attention)?" href="(/tasks\?type=\w+)" data-task="([\w.]+)">'
        r'.*?<span class="card-value">(\d+)</span>',
        html,
    )
    assert cards == [
        (" attention", "/tasks?type=purchase_order", "purchase_order.approve", "1"),
        (" attention", "/tasks?type=purchase_order", "purchase_order.confirm", "1"),
    ]


# ------------------------------------------------------------------ Chinese


def test_the_document_pages_in_chinese_show_no_english_of_their_own(
    inbound: tuple[Browser, Database],
) -> None:
    client, db = inbound
    number = _order(db, quantity="100")
    confirm_order(db, BUYER, number)
    receipt = create_receipt(
        db, CLERK, NewReceipt(order=number, lines=[ReceiptLineInput("BOLT", "40")])
    )
    messages, raw, data = _english_messages(), _raw_codes(), _data(db)
    typed = {"for the spring line", "REQ-7"}  # the order's note and reference
    data = Data(data.values | typed, data.words | {"for", "the", "spring", "line", "req"})
    problems: list[Any] = []
    for user in ("boss", "clerk", "admin"):
        browser_ = _as(client, db, user, "zh_CN")
        for url in (
            "/",
            "/tasks",
            "/documents",
            "/documents?type=purchase_order&open=1",
            f"/documents/{number}",
            f"/documents/{receipt.number}",
            f"/documents/{receipt.data['putaway']}",
        ):
            page = browser_.get(url)
            assert page.status_code == 200, (user, url)
            problems += [
                f"{user} {url}: {p}" for p in _untranslated(page.text, messages, raw, data)
            ]
    assert problems == []
