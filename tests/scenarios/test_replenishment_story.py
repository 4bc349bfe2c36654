"""Issue 16's scenario on SQLite and PostgreSQL: the demand history of BOLT -> its forecast and
levels -> a sales order shipped crosses the reorder point -> the low-stock alert opens (checked
by the alert watch after the posting, as ``cangku serve`` does) and reaches the buyer's inbox,
an e-mail to a local SMTP server and a signed webhook to a local receiver -> the replenishment
suggestion -> the draft purchase order it makes, confirmed by the buyer -> the receipt closes
the alert, and the webhook hears of that too. Exact figures all the way (the ledger is
tests.replenishment_factory's, worked out by hand there)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cangku.db.company import read_company
from cangku.db.tables import alerts, warehouses
from cangku.db.uow import Database
from cangku.queries.demand import demand_history
from cangku.queries.replenishment import level_rows
from cangku.queries.suggestions import suggestions
from cangku.queries.verify import verify
from cangku.services.background import AlertWatch
from cangku.services.common import Context, utcnow
from cangku.services.delivery.channels import add_channel, subscribe_channel
from cangku.services.delivery.dispatch import run_delivery
from cangku.services.inbound.orders import confirm_order
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.outbound.allocation import allocate_request
from cangku.services.outbound.picking import confirm_pick, create_pick_list
from cangku.services.outbound.requests import NewRequest, RequestLineInput, create_request
from cangku.services.outbound.shipping import ship_request
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.replenishment.levels import recompute_levels
from cangku.services.replenishment.suggestions import OrderSuggestions, order_suggestions
from cangku.services.stock import transfer_stock
from cangku.services.stock_commands import Transfer
from cangku.services.tasks import notifications_of
from cangku.services.users import create_user
from tests.factories import CTX, build_company
from tests.replenishment_factory import WEEKLY, WEEKS, build_levelled_bolt
from tests.services.test_delivery import Mailbox, Receiver, mailbox, receiver

__all__ = ["mailbox", "receiver"]  # the fixtures, used by name

BUYER = Context(username="buyer")  # purchaser in WH1
SECRET = "s3cret-hook"


def open_alerts(db: Database) -> list[tuple[str, str]]:
    stmt = (
        select(alerts.c.kind, warehouses.c.code)
        .join(warehouses, warehouses.c.id == alerts.c.warehouse_id)
        .where(alerts.c.closed_at.is_(None))
        .order_by(alerts.c.id)
    )
    with db.read() as conn:
        return [(r.kind, r.code) for r in conn.execute(stmt)]


def channels_to(db: Database, mailbox: Mailbox, receiver: Receiver) -> None:
    """An e-mail channel to the buyers' list and a signed webhook, both hearing of low stock in
    WH1 from a minute ago."""
    with db.read() as conn:
        wh1 = conn.execute(select(warehouses.c.id).where(warehouses.c.code == "WH1")).scalar_one()
    since = utcnow() - timedelta(minutes=1)
    mail = add_channel(
        db,
        kind="email",
        name="buyers",
        target="buyers@example.com",
        config={"host": "127.0.0.1", "port": mailbox.port, "from": "cangku@example.com"},
    )
    hook = add_channel(db, kind="webhook", name="erp", target=f"{receiver.url}/hook", secret=SECRET)
    for channel in (mail, hook):
        subscribe_channel(db, channel, "alert.low_stock", warehouse_id=wh1, now=since)


def ship_bolts(db: Database, quantity: str) -> str:
    """A sales order of BOLT from WH1 to SHOP, approved at once, allocated, picked, shipped."""
    order = create_request(
        db,
        CTX,
        NewRequest(
            "sales_order",
            "WH1",
            [RequestLineInput("BOLT", quantity, unit_price="3")],
            customer="SHOP",
            submit=True,
        ),
    ).number
    allocate_request(db, CTX, "sales_order", order)
    pick = create_pick_list(db, CTX, [order])
    confirm_pick(db, CTX, pick.number)
    assert ship_request(db, CTX, "sales_order", order).state == "shipped"
    return order


def test_demand_to_alert_to_draft_order_to_receipt_that_closes_the_alert(
    db: Database, mailbox: Mailbox, receiver: Receiver
) -> None:
    build_company(db)
    build_levelled_bolt(db)  # 400 received into WH1-RCV, 266 issued: 134 left
    create_user(db, CTX, "buyer", "Buyer", roles=[("purchaser", "WH1")])
    create_partner(db, CTX, PartnerInput("SHOP", "Corner shop", is_customer=True))
    # ACME is BOLT's preferred supplier at 1.50, 10 at least
    set_supplier_item(
        db,
        CTX,
        SupplierItemInput(
            "ACME",
            "BOLT",
            price=Decimal("1.5"),
            currency="CNY",
            min_order_qty=Decimal(10),
            preferred=True,
        ),
    )
    # put away (a transfer: not demand)
    transfer_stock(db, CTX, Transfer("BOLT", "134", "WH1-RCV", "WH1-A"))
    channels_to(db, mailbox, receiver)

    # the demand history: 42 in the window's first week, then 14 a week
    with db.read() as conn:
        today = utcnow().astimezone(ZoneInfo(read_company(conn).time_zone)).date()
        start = today - timedelta(days=7 * WEEKS)
        history = demand_history(conn, start, today - timedelta(days=1))
    [series] = history.series
    assert (series.item_code, series.warehouse_code) == ("BOLT", "WH1")
    assert history.weekly(series) == [Decimal(q) for q in WEEKLY]

    # the forecast and the levels (worked out in tests.replenishment_factory)
    done = recompute_levels(db, BUYER, weeks=WEEKS)
    assert (done.computed, done.methods) == (1, {"moving_average": 1})
    with db.read() as conn:
        (row,), _ = level_rows(conn, readable=None)
    assert (row.demand, row.lead_time) == (Decimal(2), Decimal(7))
    assert row.in_force == {
        "safety_stock": Decimal(15),
        "reorder_point": Decimal(29),
        "order_up_to": Decimal(43),
    }

    watch = AlertWatch(db, delay=0.01, interval=0).start()
    try:
        # a shipment of 110 leaves 24: at or below the reorder point 29, above the safety
        # stock 15
        ship_bolts(db, "110")
        assert watch.wait_for_checks(1, timeout=60)
        assert open_alerts(db) == [("low_stock", "WH1")]

        # in the buyer's inbox
        [note] = [n for n in notifications_of(db, BUYER) if n.kind == "alert"]
        assert note.message["title"] == "Low stock: BOLT in WH1"
        assert note.message["figures"]["available"] == "24"
        assert note.message["figures"]["reorder_point"] == "29"

        # by e-mail and by the signed webhook
        run = run_delivery(db)
        assert sorted(o.status for o in run.outcomes) == ["sent", "sent"]
        [(sender, recipients, content)] = mailbox.got
        assert (sender, recipients) == ("cangku@example.com", ["buyers@example.com"])
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert "Low stock: BOLT in WH1" in str(message["Subject"])
        [got] = receiver.got
        signature = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Cangku-Signature"] == f"sha256={signature}"
        opened = json.loads(got.body)
        assert (opened["topic"], opened["payload"]["event"]) == ("alert", "opened")
        assert opened["payload"]["item"] == "BOLT"

        # the suggestion: position 24 (nothing on order, in transit or reserved), up to 43:
        # 19 short (more than the minimum order of 10)
        with db.read() as conn:
            found = suggestions(conn, utcnow().date())
        [line] = found.lines
        assert (line.item, line.warehouse, line.source, line.supplier) == (
            "BOLT",
            "WH1",
            "supplier",
            "ACME",
        )
        assert (line.on_hand, line.on_order, line.position) == (Decimal(24), 0, Decimal(24))
        assert (line.reorder_point, line.order_up_to) == (Decimal(29), Decimal(43))
        assert (line.wanted, line.quantity, line.reason) == (Decimal(19), Decimal(19), None)
        assert (line.minimum_order, line.unit_price, line.value) == (
            10,
            Decimal("1.5"),
            Decimal("28.5"),
        )

        # the buyer makes the draft purchase order and confirms it
        made = order_suggestions(db, BUYER, OrderSuggestions())
        [document] = made.documents
        assert (document.kind, document.warehouse, document.source, document.lines) == (
            "purchase_order",
            "WH1",
            "ACME",
            1,
        )
        assert confirm_order(db, BUYER, document.number).state == "confirmed"
        with db.read() as conn:
            assert suggestions(conn, utcnow().date()).lines == []  # 19 on order: 43 > 29

        # still open until the goods are here; the receipt of the 19 closes it (43 > 29), and
        # 43 is not above the maximum: no overstock
        assert open_alerts(db) == [("low_stock", "WH1")]
        checks = watch.checks
        create_receipt(db, CTX, NewReceipt([ReceiptLineInput("BOLT", "19")], order=document.number))
        assert watch.wait_for_checks(checks + 1, timeout=60)
        assert open_alerts(db) == []
    finally:
        watch.stop()

    # the webhook hears of the closing too; the e-mail channel was subscribed to the same topic
    run_delivery(db)
    closed = json.loads(receiver.got[-1].body)
    assert (closed["payload"]["event"], closed["payload"]["alert_id"]) == (
        "closed",
        opened["payload"]["alert_id"],
    )
    with db.read() as conn:
        assert verify(conn).problems == []
