"""The conditions alerts are about (issue 16 point 5, ADR 0030), as they hold now: one
set-based read per kind, answering only the subjects for which the condition holds, each with
its subject key (what names it uniquely within its kind) and its figures.

Stock figures are per item and warehouse: the stock in the warehouse's storage locations
(internal, receiving, quality, shipping), compared with the levels in force there (ADR 0032:
the override, else the computed level, else the item's own). An item is looked at
in the warehouses where it is kept (it has a balance row there, even of zero). Days are the
company's (its time zone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, case, func, or_, select

from cangku.db.company import read_company
from cangku.db.tables import (
    balances,
    documents,
    items,
    locations,
    lots,
    moves,
    replenishment_levels,
    supplier_items,
    warehouses,
)
from cangku.domain.enums import STORAGE_KINDS, LocationKind
from cangku.domain.quantities import from_scaled
from cangku.queries.cycle_counts import due_now
from cangku.queries.document_summary import open_condition
from cangku.queries.levels import in_force, join_levels
from cangku.queries.verify import verify

__all__ = [
    "DEFAULT_KINDS",
    "KINDS",
    "Condition",
    "Moment",
    "Thresholds",
    "conditions",
]

STORAGE = sorted(str(kind) for kind in STORAGE_KINDS)
CONSUMERS = (str(LocationKind.CUSTOMER), str(LocationKind.PRODUCTION))


@dataclass(frozen=True)
class Thresholds:
    """The windows of the kinds that take one: lots expiring within ``expiring_days`` (0 to
    3,650), slow-moving after ``idle_days`` without an issue (1 to 3,650), overstock beyond
    ``supply_days`` days of supply (1 to 3,650)."""

    expiring_days: int = 30
    idle_days: int = 90
    #: overstock above this many days of the computed demand per day (1 to 3,650)
    supply_days: int = 180


@dataclass(frozen=True)
class Moment:
    """When the conditions are read: the instant, the company's time zone and its day then."""

    now: datetime
    zone: ZoneInfo
    today: date

    @classmethod
    def of(cls, conn: Connection, now: datetime) -> Moment:
        zone = ZoneInfo(read_company(conn).time_zone)
        return cls(now, zone, now.astimezone(zone).date())


@dataclass(frozen=True)
class Condition:
    """A condition that holds now: its kind, the key naming its subject, a title for people,
    the records it is about, and its figures (JSON-able: quantities as decimal strings)."""

    kind: str
    subject_key: str
    title: str
    item_id: int | None = None
    warehouse_id: int | None = None
    lot_id: int | None = None
    document_id: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)


def _text(scaled: int | None) -> str | None:
    return None if scaled is None else str(from_scaled(int(scaled)))


def _item_place(item: int, warehouse: int) -> str:
    return f"item:{item}/warehouse:{warehouse}"


def _held() -> Any:
    """On hand and reserved per item and warehouse in storage locations, with the levels in
    force there (``queries.levels``: override, else computed, else the item's own) and the
    computed demand per day, for active items in active warehouses."""
    held = (
        select(
            balances.c.item_id,
            balances.c.warehouse_id,
            func.sum(balances.c.on_hand).label("on_hand"),
            func.sum(balances.c.reserved).label("reserved"),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(STORAGE))
        .group_by(balances.c.item_id, balances.c.warehouse_id)
        .subquery("held")
    )
    joined = held.join(items, items.c.id == held.c.item_id).join(
        warehouses, warehouses.c.id == held.c.warehouse_id
    )
    return (
        select(
            held.c.item_id,
            held.c.warehouse_id,
            items.c.code.label("item"),
            warehouses.c.code.label("warehouse"),
            in_force("reorder_point").label("reorder_point"),
            in_force("safety_stock").label("safety_stock"),
            in_force("order_up_to").label("max_stock"),
            replenishment_levels.c.demand,
            held.c.on_hand,
            held.c.reserved,
        )
        .select_from(join_levels(joined, held.c.item_id, held.c.warehouse_id))
        .where(items.c.active.is_(True), warehouses.c.active.is_(True))
    ), held


def _stock_rows(conn: Connection, level: str | None, condition: Callable[[Any], Any]) -> list[Any]:
    """The rows of ``_held`` where ``level`` (in force) is set and ``condition(held)`` holds."""
    stmt, held = _held()
    if level is not None:
        stmt = stmt.where(in_force(level).is_not(None))  # type: ignore[arg-type]
    stmt = stmt.where(condition(held))
    return list(conn.execute(stmt.order_by(held.c.item_id, held.c.warehouse_id)))


def _stock_figures(row: Any, **levels: Any) -> dict[str, Any]:
    figures = {
        "on_hand": _text(row.on_hand),
        "reserved": _text(row.reserved),
        "available": _text(int(row.on_hand) - int(row.reserved)),
    }
    figures.update({name: _text(value) for name, value in levels.items()})
    return figures


def _place(kind: str, label: str, r: Any, figures: dict[str, Any]) -> Condition:
    """A condition about an item in a warehouse (``r`` has their ids and codes)."""
    return Condition(
        kind,
        _item_place(r.item_id, r.warehouse_id),
        f"{label}: {r.item} in {r.warehouse}",
        int(r.item_id),
        int(r.warehouse_id),
        figures=figures,
    )


def low_stock(conn: Connection, _: Moment, __: Thresholds) -> list[Condition]:
    """Available (on hand less reserved) at or below the reorder point in force."""
    rows = _stock_rows(
        conn, "reorder_point", lambda h: h.c.on_hand - h.c.reserved <= in_force("reorder_point")
    )
    return [
        _place("low_stock", "Low stock", r, _stock_figures(r, reorder_point=r.reorder_point))
        for r in rows
    ]


def below_safety_stock(conn: Connection, _: Moment, __: Thresholds) -> list[Condition]:
    """Available below the safety stock in force."""
    rows = _stock_rows(
        conn, "safety_stock", lambda h: h.c.on_hand - h.c.reserved < in_force("safety_stock")
    )
    figures = _stock_figures
    return [
        _place(
            "below_safety_stock", "Below safety stock", r, figures(r, safety_stock=r.safety_stock)
        )
        for r in rows
    ]


def stock_out(conn: Connection, _: Moment, __: Thresholds) -> list[Condition]:
    """Nothing (or less) on hand, for an item with a reorder point or a safety stock in force
    there."""
    set_somewhere = or_(
        in_force("reorder_point").is_not(None), in_force("safety_stock").is_not(None)
    )
    rows = _stock_rows(conn, None, lambda h: and_(set_somewhere, h.c.on_hand <= 0))
    return [_place("stock_out", "Stock-out", r, _stock_figures(r)) for r in rows]


def _days_of_supply(r: Any) -> str | None:
    if not r.demand:
        return None
    return str((Decimal(int(r.on_hand)) / Decimal(int(r.demand))).quantize(Decimal("0.01")))


def _pack(item_id: Any) -> Any:
    """The preferred supplier's pack size of the item (scaled; 0 when none)."""
    found = (
        select(supplier_items.c.pack_size)
        .where(supplier_items.c.item_id == item_id, supplier_items.c.preferred.is_(True))
        .scalar_subquery()
    )
    return func.coalesce(found, 0)


def overstock(conn: Connection, _: Moment, limits: Thresholds) -> list[Condition]:
    """On hand above the maximum in force by more than the preferred supplier's pack (an
    order in whole packs may leave up to one pack above the maximum: ADR 0028's suggested
    quantity; no pack: above the maximum), or above ``supply_days`` days of the computed
    demand per day (``days_of_supply``: on hand / demand per day)."""
    demand = replenishment_levels.c.demand
    rows = _stock_rows(
        conn,
        None,
        lambda h: or_(
            and_(
                in_force("order_up_to").is_not(None),
                h.c.on_hand > in_force("order_up_to") + _pack(h.c.item_id),
            ),
            and_(demand > 0, h.c.on_hand > demand * limits.supply_days),
        ),
    )
    out = []
    for r in rows:
        figures = _stock_figures(r, max_stock=r.max_stock)
        above = r.max_stock is not None and int(r.on_hand) > int(r.max_stock)
        figures["excess"] = _text(int(r.on_hand) - int(r.max_stock)) if above else None
        figures["days_of_supply"] = _days_of_supply(r)
        figures["supply_days"] = limits.supply_days
        out.append(_place("overstock", "Overstock", r, figures))
    return out


_ON_HAND = func.sum(balances.c.on_hand)


def _lots_in_stock(conn: Connection, dated: Any) -> list[Any]:
    stmt = (
        select(
            balances.c.lot_id,
            balances.c.item_id,
            balances.c.warehouse_id,
            lots.c.code.label("lot"),
            lots.c.expires_on,
            items.c.code.label("item"),
            warehouses.c.code.label("warehouse"),
            func.sum(balances.c.on_hand).label("on_hand"),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .join(lots, lots.c.id == balances.c.lot_id)
        .join(items, items.c.id == balances.c.item_id)
        .join(warehouses, warehouses.c.id == balances.c.warehouse_id)
        .where(locations.c.kind.in_(STORAGE), dated)
        .group_by(
            balances.c.lot_id,
            balances.c.item_id,
            balances.c.warehouse_id,
            lots.c.code,
            lots.c.expires_on,
            items.c.code,
            warehouses.c.code,
        )
        .having(_ON_HAND > 0)
        .order_by(balances.c.lot_id, balances.c.warehouse_id)
    )
    return list(conn.execute(stmt))


def _lot_condition(kind: str, title: str, r: Any, today: date) -> Condition:
    return Condition(
        kind,
        f"lot:{r.lot_id}/warehouse:{r.warehouse_id}",
        title,
        int(r.item_id),
        int(r.warehouse_id),
        int(r.lot_id),
        figures={
            "lot": r.lot,
            "expires_on": r.expires_on.isoformat(),
            "days_left": (r.expires_on - today).days,
            "on_hand": _text(r.on_hand),
        },
    )


def expiring_lot(conn: Connection, at: Moment, limits: Thresholds) -> list[Condition]:
    """Lots in stock that expire today or within ``expiring_days`` days."""
    today = at.today
    last = today + timedelta(days=limits.expiring_days)
    rows = _lots_in_stock(conn, lots.c.expires_on.between(today, last))
    return [
        _lot_condition(
            "expiring_lot",
            f"Lot {r.lot} of {r.item} expires on {r.expires_on} in {r.warehouse}",
            r,
            today,
        )
        for r in rows
    ]


def expired_lot(conn: Connection, at: Moment, _: Thresholds) -> list[Condition]:
    """Lots still in stock past their expiry date."""
    today = at.today
    rows = _lots_in_stock(conn, lots.c.expires_on < today)
    return [
        _lot_condition("expired_lot", f"Expired lot {r.lot} of {r.item} in {r.warehouse}", r, today)
        for r in rows
    ]


def slow_moving(conn: Connection, at: Moment, limits: Thresholds) -> list[Condition]:
    """Stock on hand in a warehouse that has not been issued from it (to a customer or to
    production) for ``idle_days`` days or more: counted from the day of its last issue there,
    or, never issued there, of its first move there (a new item is not slow on arrival)."""
    dst = locations.alias("dst")
    issued = case((dst.c.kind.in_(CONSUMERS), moves.c.effective_at))
    activity = (
        select(
            moves.c.item_id,
            moves.c.warehouse_id,
            func.max(issued).label("last_issue"),
            func.min(moves.c.effective_at).label("first_move"),
        )
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(moves.c.effective_at <= at.now)
        .group_by(moves.c.item_id, moves.c.warehouse_id)
        .subquery("activity")
    )
    held = (
        select(
            balances.c.item_id,
            balances.c.warehouse_id,
            func.sum(balances.c.on_hand).label("on_hand"),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(STORAGE))
        .group_by(balances.c.item_id, balances.c.warehouse_id)
        .having(_ON_HAND > 0)
        .subquery("held")
    )
    # slow when the idle day is on or before today - idle_days: before the start of the day after
    first_fresh = at.today - timedelta(days=limits.idle_days - 1)
    cutoff = datetime.combine(first_fresh, time(0), at.zone)
    since = func.coalesce(activity.c.last_issue, activity.c.first_move)
    stmt = (
        select(
            held,
            activity.c.last_issue,
            since.label("since"),
            items.c.code.label("item"),
            warehouses.c.code.label("warehouse"),
        )
        .join(
            activity,
            and_(
                activity.c.item_id == held.c.item_id, activity.c.warehouse_id == held.c.warehouse_id
            ),
        )
        .join(items, items.c.id == held.c.item_id)
        .join(warehouses, warehouses.c.id == held.c.warehouse_id)
        .where(items.c.active.is_(True), warehouses.c.active.is_(True), since < cutoff)
        .order_by(held.c.item_id, held.c.warehouse_id)
    )
    out = []
    for r in conn.execute(stmt):
        last = None if r.last_issue is None else r.last_issue.astimezone(at.zone).date()
        idle_from = r.since.astimezone(at.zone).date()
        figures = {
            "on_hand": _text(r.on_hand),
            "last_issue": None if last is None else last.isoformat(),
            "idle_days": (at.today - idle_from).days,
        }
        out.append(_place("slow_moving", "Slow-moving", r, figures))
    return out


def count_due(conn: Connection, at: Moment, _: Thresholds) -> list[Condition]:
    """Warehouses with places due for counting under the cycle-count plan (one condition per
    warehouse, not per place: a plan never run makes every place due at once)."""
    out = []
    stmt = select(warehouses.c.id, warehouses.c.code).where(warehouses.c.active.is_(True))
    for warehouse_id, code in conn.execute(stmt.order_by(warehouses.c.id)).all():
        due = due_now(conn, int(warehouse_id), at.today)
        if not due:
            continue
        dated = [d.due_on for d in due if d.due_on is not None]
        figures = {
            "places_due": len(due),
            "never_counted": len(due) - len(dated),
            "oldest_due_on": min(dated).isoformat() if dated else None,
        }
        out.append(
            Condition(
                "count_due",
                f"warehouse:{warehouse_id}",
                f"Counts due in {code}",
                warehouse_id=int(warehouse_id),
                figures=figures,
            )
        )
    return out


def overdue_document(conn: Connection, at: Moment, _: Thresholds) -> list[Condition]:
    """Open documents (not in a final state) past their due date."""
    stmt = (
        select(
            documents.c.id,
            documents.c.number,
            documents.c.doc_type,
            documents.c.state,
            documents.c.due_on,
            documents.c.warehouse_id,
        )
        .where(documents.c.due_on < at.today, open_condition())
        .order_by(documents.c.id)
    )
    return [
        Condition(
            "overdue_document",
            f"document:{r.id}",
            f"Overdue: {r.number}",
            warehouse_id=int(r.warehouse_id),
            document_id=int(r.id),
            figures={
                "number": r.number,
                "doc_type": r.doc_type,
                "state": r.state,
                "due_on": r.due_on.isoformat(),
                "days_overdue": (at.today - r.due_on).days,
            },
        )
        for r in conn.execute(stmt)
    ]


def verify_failed(conn: Connection, _: Moment, __: Thresholds) -> list[Condition]:
    """The ledger, balances, costs or audit trail fail ``verify`` (it reads everything: only
    checked when asked for)."""
    report = verify(conn)
    if report.ok:
        return []
    checks = sorted({str(p["check"]) for p in report.problems})
    figures = {"problems": len(report.problems), "checks": checks, "truncated": report.truncated}
    return [Condition("verify_failed", "ledger", "Ledger verification failed", figures=figures)]


Reader = Callable[[Connection, Moment, Thresholds], list[Condition]]
#: every kind and its read, in the order they are checked
KINDS: dict[str, Reader] = {
    "low_stock": low_stock,
    "below_safety_stock": below_safety_stock,
    "stock_out": stock_out,
    "overstock": overstock,
    "expiring_lot": expiring_lot,
    "expired_lot": expired_lot,
    "slow_moving": slow_moving,
    "count_due": count_due,
    "overdue_document": overdue_document,
    "verify_failed": verify_failed,
}
#: what a check looks at when no kinds are named: every kind but ``verify_failed``
DEFAULT_KINDS = tuple(kind for kind in KINDS if kind != "verify_failed")


def conditions(
    conn: Connection, kinds: Iterable[str], now: datetime, limits: Thresholds
) -> list[Condition]:
    """The conditions of ``kinds`` (known kinds: the caller checks) that hold at ``now``."""
    at = Moment.of(conn, now)
    return [found for kind in kinds for found in KINDS[kind](conn, at, limits)]
