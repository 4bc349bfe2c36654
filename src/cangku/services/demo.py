"""``cangku demo``: a believable small manufacturer and distributor, built through the services.

Two warehouses (Shanghai main warehouse, Shenzhen distribution centre) with a zone/aisle/bin
tree, ~200 items of all five types, suppliers and customers, and a few months of history
posted through the real services with back-dated effective times: opening balances,
production output, inter-warehouse replenishment, cycle-count adjustments, scrap, and reversed
mistakes. The first month is then closed. Purchasing goes through the inbound documents:
purchase orders (those above the approval threshold approved by the manager), receipts with
lots and serial numbers (short deliveries closed, steel over-delivered within the supplier's
tolerance), inspections with some rejections, put-aways, and the rejected goods returned to
their supplier. Sales orders and material requisitions go through the outbound documents
(``services.demo_outbound``): approval rules, allocation, pick lists in waves, shipments with
carriers, short picks with backorders, customer returns. The last day leaves work open for
each role's task inbox: a draft purchase order, one waiting for approval, an overdue delivery,
an inspection, a put-away and a return to ship; a draft sales order, a requisition waiting
for approval, a rejected sales order, requests to allocate, to pick and to ship, an open pick
list and a backorder.

Everything is drawn from ``random.Random(seed)``: the same seed on the same day gives the same
company, move for move and document for document.

This module runs the story day by day (``_simulate``) and sums up what it built; the story's
bookkeeping is ``services.demo_story``, the master data and opening balances
``services.demo_master``, purchasing ``services.demo_inbound``, the weekly work and the last
day's open work ``services.demo_routine``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import (
    balances,
    documents,
    items,
    locations,
    lots,
    moves,
    partners,
    supplier_items,
    warehouses,
)
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.queries.stock import VALUED
from cangku.queries.valuation import stock_value
from cangku.services.common import Context, utcnow
from cangku.services.company import CompanyChanges, update_company
from cangku.services.demo_catalogue import (
    DAYS_PER_MONTH,
    PO_APPROVAL_THRESHOLD,
    STORAGE,
    draw_catalogue,
    ean13,
)
from cangku.services.demo_inbound import MANAGER, _arrivals, _return_rejected
from cangku.services.demo_internal import cycle_count
from cangku.services.demo_master import (
    _build_items,
    _build_partners,
    _build_sites,
    _opening,
    _refuse_unless_empty,
)
from cangku.services.demo_outbound import add_outbound_rules, customer_returns, requisitions, sales
from cangku.services.demo_replenishment import plan_replenishment
from cangku.services.demo_routine import _expired, _late_order, _open_work, _order, _weekly
from cangku.services.demo_story import _History
from cangku.services.demo_users import DemoUser, create_demo_users
from cangku.services.periods import close_period

__all__ = ["DemoSummary", "build_demo", "ean13", "summarize"]


# ------------------------------------------------------------------ the story, day by day
def _simulate(h: _History, start: date, days: int, close_through: date) -> None:
    _opening(h, start)
    for offset in range(1, days):
        day = start + timedelta(days=offset)
        h.start_day(day)
        if day.weekday() < 5:
            _arrivals(h, day)
            requisitions(h)
            # a Wednesday every third week, a Shanghai bin holds less than the books say
            sales(h, short=day.weekday() == 2 and offset // 7 % 3 == 1)
            if offset >= days - 12 and h.outbound.returns == 0:
                customer_returns(h, "restock")
            if offset >= days - 6 and h.outbound.returns == 1:
                customer_returns(h, "inspect")
            if day.weekday() == 0:
                _weekly(h)
                _return_rejected(h, MANAGER, ship=True)
            if day.weekday() == 1 and day.day <= 7:  # the month's first Tuesday
                cycle_count(h)
            _order(h, day)
        if offset == days - 10:
            _late_order(h, day)
        if offset == days - 1:
            _expired(h)
            _open_work(h)
            cycle_count(h, finish=False)
        if day == close_through:
            close_period(h.db, h.ctx, close_through, note="月结 Month-end close")


# ------------------------------------------------------------------ the summary
@dataclass(frozen=True)
class DemoSummary:
    seed: int
    months: int
    first_day: date
    last_day: date
    closed_through: date
    warehouses: int
    storage_locations: int
    items: int
    items_by_type: dict[str, int]
    lot_tracked_items: int
    serial_tracked_items: int
    lots: int
    serials: int
    expired_lots_in_stock: int
    lots_expiring_within_30_days: int
    partners: int
    supplier_items: int
    moves: int
    moves_by_operation: dict[str, int]
    items_below_reorder_point: int
    total_stock_value: Decimal
    seconds: float
    #: the documents, by type (purchase_order, receipt, sales_order, pick_list, shipment...)
    documents_by_type: dict[str, int] = field(default_factory=dict)
    #: who can sign in, with the demo passwords (administrator first)
    credentials: list[DemoUser] = field(default_factory=list)


def _scalar(conn: Connection, stmt: Select[Any]) -> int:
    return int(conn.execute(stmt).scalar_one())


def _lots_in_stock(conn: Connection, serial: bool, *where: ColumnElement[bool]) -> int:
    held = (
        select(balances.c.lot_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(VALUED), balances.c.on_hand > 0)
    )
    return _scalar(
        conn,
        select(func.count())
        .select_from(lots)
        .where(lots.c.is_serial.is_(serial), lots.c.id.in_(held), *where),
    )


def _below_reorder_point(conn: Connection) -> int:
    held = (
        select(balances.c.item_id, func.sum(balances.c.on_hand).label("q"))
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(VALUED))
        .group_by(balances.c.item_id)
        .subquery()
    )
    return _scalar(
        conn,
        select(func.count())
        .select_from(items.outerjoin(held, held.c.item_id == items.c.id))
        .where(
            items.c.reorder_point.is_not(None),
            func.coalesce(held.c.q, 0) < items.c.reorder_point,
        ),
    )


def _grouped(conn: Connection, column: Any) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).group_by(column).order_by(column))
    return {str(r[0]): int(r[1]) for r in rows}


def summarize(db: Database, seed: int, months: int, seconds: float = 0.0) -> DemoSummary:
    """What the demo built: counts, the closed period and the total stock value."""
    today = utcnow().date()
    first = today - timedelta(days=months * DAYS_PER_MONTH)
    count = select(func.count())
    with db.read() as conn:
        by_type = _grouped(conn, items.c.item_type)
        tracking = _grouped(conn, items.c.tracking)
        return DemoSummary(
            seed=seed,
            months=months,
            first_day=first,
            last_day=today - timedelta(days=1),
            closed_through=first + timedelta(days=DAYS_PER_MONTH - 1),
            warehouses=_scalar(conn, count.select_from(warehouses)),
            storage_locations=_scalar(
                conn, count.select_from(locations).where(locations.c.kind.in_(STORAGE))
            ),
            items=sum(by_type.values()),
            items_by_type=by_type,
            lot_tracked_items=tracking.get("lot", 0),
            serial_tracked_items=tracking.get("serial", 0),
            lots=_scalar(conn, count.select_from(lots).where(lots.c.is_serial.is_(False))),
            serials=_scalar(conn, count.select_from(lots).where(lots.c.is_serial.is_(True))),
            expired_lots_in_stock=_lots_in_stock(conn, False, lots.c.expires_on < today),
            lots_expiring_within_30_days=_lots_in_stock(
                conn, False, lots.c.expires_on.between(today, today + timedelta(days=30))
            ),
            partners=_scalar(conn, count.select_from(partners)),
            supplier_items=_scalar(conn, count.select_from(supplier_items)),
            moves=_scalar(conn, count.select_from(moves)),
            moves_by_operation=_grouped(conn, moves.c.operation),
            items_below_reorder_point=_below_reorder_point(conn),
            total_stock_value=stock_value(conn, utcnow()).total_value,
            seconds=round(seconds, 2),
            documents_by_type=_grouped(conn, documents.c.doc_type),
        )


# ------------------------------------------------------------------ the use case
def build_demo(
    db: Database, ctx: Context, seed: int = 2024, months: int = 4, activity: float = 1.0
) -> DemoSummary:
    """Build the demo company in an empty, initialised database (``services.setup.initialize``)
    and return what was built. ``months`` of history end yesterday; ``activity`` scales the
    daily number of requisitions and sales orders (tests use less).

    Raises RuleViolation ``database_not_empty`` when items, warehouses or moves exist already,
    InvalidInput ``invalid_months`` / ``invalid_activity``. Writes: warehouses (with their
    rejection locations), locations, units, categories, items (some marked for inspection),
    partners (a supplier marked for inspection, over-receipt tolerances) and their supplier
    items, purchase orders, receipts, inspections, put-aways and supplier returns, sales
    orders, requisitions, pick lists, shipments and customer returns with their timelines and
    notifications, reservations of the requests left open, a few thousand moves with their
    balances, costs and lots, a closed period with its checkpoint; the company settings
    (currency CNY, time zone Asia/Shanghai, purchase approval above 10,000) and the outbound
    approval rules (requisitions above 10,000, sales orders above 20,000); one user per built-in
    role and the sales and planner users with their custom roles, with a demo password, and the
    administrator's demo password if they have none (``services.demo_users``).
    """
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
        raise InvalidInput("months must be a whole number from 1 to 24", code="invalid_months")
    if not 0 < activity <= 10:
        raise InvalidInput("activity must be above 0 and at most 10", code="invalid_activity")
    started = time.perf_counter()
    _refuse_unless_empty(db)
    rng = random.Random(seed)
    catalogue = draw_catalogue(rng)
    # the demo is a company in China, shown first in Chinese: yuan and China Standard Time
    update_company(
        db,
        ctx,
        CompanyChanges(
            currency="CNY", time_zone="Asia/Shanghai", po_approval_threshold=PO_APPROVAL_THRESHOLD
        ),
    )
    _build_sites(db, ctx)
    _build_items(db, ctx, catalogue)
    _build_partners(db, ctx, catalogue)
    credentials = create_demo_users(db, ctx)  # they do the inbound and outbound work
    add_outbound_rules(db, ctx)
    today = utcnow().date()
    start = today - timedelta(days=months * DAYS_PER_MONTH)
    history = _History(db, ctx, rng, catalogue, today, activity)
    _simulate(history, start, months * DAYS_PER_MONTH, start + timedelta(DAYS_PER_MONTH - 1))
    plan_replenishment(db, today)
    summary = summarize(db, seed, months, time.perf_counter() - started)
    return replace(summary, credentials=credentials)
