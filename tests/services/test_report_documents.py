"""The reports read from documents' timelines (supplier performance, purchase cycle): a real
order received and put away through the services, its timeline then set to known instants,
every figure by hand, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from cangku.db.tables import document_events, documents
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS, Report, read_query, run_report
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import PutawayLineInput, put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from tests.factories import CTX, build_company

NOW = datetime.now(UTC)
#: the order's instant, a week ago at 08:00 UTC (the company's zone is UTC)
ORDERED = datetime.combine(NOW.date() - timedelta(days=7), datetime.min.time(), UTC).replace(hour=8)


def report(db: Database, name: str, **params: str) -> Report:
    with db.read() as conn:
        return run_report(conn, read_query(conn, REPORTS[name], params, NOW))


def rows(found: Report) -> list[dict[str, Any]]:
    return found.as_dicts()


def _set_time(db: Database, number: str, step: str, at: datetime) -> None:
    with db.write() as uow:
        doc = uow.conn.execute(select(documents.c.id).where(documents.c.number == number)).scalar()
        uow.conn.execute(
            update(document_events)
            .where(document_events.c.document_id == doc, document_events.c.step == step)
            .values(at=at)
        )
        uow.commit()


@pytest.fixture
def received(db: Database) -> Database:
    """ACME's order of 100 BOLT at 1.50 and 40 kg FLOUR at 2, both expected in five days; all
    the bolts and 30 kg of flour received 3.5 days after ordering, put away half a day later.
    A second supplier's order, confirmed, is still waiting and not yet due."""
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    create_partner(db, CTX, PartnerInput("SLOW", "Slow Trading", is_supplier=True))
    set_supplier_item(db, CTX, SupplierItemInput("SLOW", "BOLT", lead_time_days=30))
    expected = ORDERED.date() + timedelta(days=5)
    order = create_purchase_order(
        db, CTX,
        NewPurchaseOrder("ACME", "WH1", [
            OrderLineInput("BOLT", "100", unit_price="1.5", expected_on=expected),
            OrderLineInput("FLOUR", "40", unit_price="2", expected_on=expected),
        ]),
    ).number  # fmt: skip
    confirm_order(db, CTX, order)
    receipt = create_receipt(
        db, CTX,
        NewReceipt(order=order, lines=[
            ReceiptLineInput("BOLT", "100"),
            ReceiptLineInput("FLOUR", "30", lot="F-1"),
        ]),
    )  # fmt: skip
    putaway = receipt.data["putaway"]
    put_away(db, CTX, putaway, [PutawayLineInput(1, "WH1-A"), PutawayLineInput(2, "WH1-B")])
    waiting = create_purchase_order(
        db, CTX, NewPurchaseOrder("SLOW", "WH1", [OrderLineInput("BOLT", "10", unit_price="1")])
    ).number  # fmt: skip
    confirm_order(db, CTX, waiting)
    _set_time(db, order, "confirm", ORDERED)
    _set_time(db, waiting, "confirm", ORDERED)
    _set_time(db, receipt.number, "receive", ORDERED + timedelta(days=3, hours=12))
    _set_time(db, putaway, "put_away", ORDERED + timedelta(days=4))
    return db


def test_supplier_lead_times_and_rates(received: Database) -> None:
    found = {r["supplier"]: r for r in rows(report(received, "suppliers"))}
    acme = found["ACME"]
    assert acme["lines"] == 2
    assert acme["promised_days"] == Decimal("5.0")
    assert acme["actual_days"] == Decimal("3.5")
    assert (acme["on_time"], acme["in_full"], acme["otif"]) == (
        Decimal("100.0"), Decimal("50.0"), Decimal("50.0"),
    )  # fmt: skip
    assert acme["ordered_value"] == Decimal("230")  # 100 x 1.50 + 40 x 2
    # SLOW's line was given today + its 30 days' lead time when it was raised; ordered (its
    # timeline says) a week ago, that is 37 days: not received and not due, so not rated
    slow = found["SLOW"]
    assert (slow["lines"], slow["promised_days"], slow["actual_days"]) == (1, Decimal("37.0"), None)
    assert slow["on_time"] is None


def test_supplier_lines_and_prices(received: Database) -> None:
    lines = {(r["supplier"], r["item"]): r for r in rows(report(received, "suppliers",
                                                                group="line"))}  # fmt: skip
    flour = lines[("ACME", "FLOUR")]
    assert (flour["price"], flour["quantity"], flour["promised_days"]) == (
        Decimal("2"), Decimal("40"), 5,
    )  # fmt: skip
    assert (flour["on_time"], flour["in_full"]) == ("yes", "no")
    assert flour["ordered_on"] == ORDERED.date()
    per_item = {(r["supplier"], r["item"]): r for r in rows(report(received, "suppliers",
                                                                   group="item"))}  # fmt: skip
    assert per_item[("ACME", "BOLT")]["last_price"] == Decimal("1.5")
    # filtered by supplier: only its lines
    only = rows(report(received, "suppliers", supplier="SLOW", group="line"))
    assert [r["supplier"] for r in only] == ["SLOW"]


def test_purchase_cycle_stages(received: Database) -> None:
    stages = {r["stage"]: r for r in rows(report(received, "cycles"))}
    assert stages["order_to_receipt"]["count"] == 1
    assert stages["order_to_receipt"]["mean"] == Decimal("3.5")
    assert stages["receipt_to_putaway"]["median"] == Decimal("0.5")
    assert stages["order_to_putaway"]["p90"] == Decimal("4.0")
    assert stages["order_to_receipt"]["within_7"] == 1
    assert stages["receipt_to_putaway"]["within_1"] == 1
    # a period before the order: nothing
    early = (ORDERED.date() - timedelta(days=30)).isoformat()
    before = rows(report(received, "cycles", start=early, end=early))
    assert [r["count"] for r in before] == [0, 0, 0]


def test_a_period_that_ends_before_the_order_counts_no_supplier(received: Database) -> None:
    day: date = ORDERED.date() - timedelta(days=1)
    assert rows(report(received, "suppliers", end=day.isoformat())) == []
