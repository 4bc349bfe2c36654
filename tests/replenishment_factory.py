"""A small ledger whose replenishment levels are worked out by hand (ADR 0032), shared by the
service, API, CLI and web tests.

BOLT (pcs, no decimals) in WH1: two orders from ACME, confirmed 40 and 30 days before today and
received 35 and 21 days before today: lead times 5 and 9 days (mean 7, sd sqrt(8) = 2.828427),
200 each. Demand over the 17 whole weeks ending yesterday: 42 in the first week, then 14 a week
(one issue to a customer mid-week). No ABC run: class B, 0.95, z 1.6449.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from cangku.db.company import read_company
from cangku.db.tables import document_events, documents
from cangku.db.uow import Database
from cangku.services.common import utcnow
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import issue_stock
from cangku.services.stock_commands import Issue
from tests.factories import CTX

WEEKS = 17
WEEKLY = [42] + [14] * 16


#: which event of a document sets its time: the order's confirmation, the receipt's receiving
_EVENTS = {
    "ordered": document_events.c.to_state == "confirmed",
    "received": document_events.c.step == "receive",
}


def _set_time(db: Database, number: str, event: str, when: datetime) -> None:
    with db.write() as uow:
        doc = select(documents.c.id).where(documents.c.number == number).scalar_subquery()
        uow.conn.execute(
            update(document_events)
            .where(document_events.c.document_id == doc, _EVENTS[event])
            .values(at=when)
        )
        uow.commit()


def build_levelled_bolt(db: Database) -> None:
    """The ledger of the module docstring (needs ``build_company``)."""
    with db.read() as conn:
        zone = ZoneInfo(read_company(conn).time_zone)
    today = utcnow().astimezone(zone).date()

    def at(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(12), zone).astimezone(UTC)

    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    for ordered, received in [(40, 35), (30, 21)]:
        order = create_purchase_order(
            db,
            CTX,
            NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "200", unit_price="1")]),
        ).number
        confirm_order(db, CTX, order)
        receipt = create_receipt(
            db, CTX, NewReceipt([ReceiptLineInput("BOLT", "200")], order=order)
        ).number
        _set_time(db, order, "ordered", at(ordered))
        _set_time(db, receipt, "received", at(received))
    start = today - timedelta(days=7 * WEEKS)  # the window's first day
    for week, quantity in enumerate(WEEKLY):
        day = start + timedelta(days=7 * week + 3)
        when = datetime.combine(day, time(12), zone).astimezone(UTC)
        issue_stock(db, CTX, Issue("BOLT", str(quantity), "WH1-RCV", effective_at=when))
