"""The recall trace of a lot: where it came from, where every unit is now, where it went.

Stock only changes through moves, and the company's own stock is what sits in its storage,
quality, receiving, shipping and transit locations (``VALUED_KINDS``); every other location is
virtual (a supplier, customers, production, scrap, inventory adjustments). So each move of the
lot either stays inside (a transfer, a pick: it changes where the units are, not how many) or
crosses the boundary, in from a virtual location or out to one, and the lot's balances are the
sum of those crossings. The trace lists every crossing with its document and partner, and its
totals reconcile exactly::

    received + returned by customers + adjusted in + from production + recovered from scrap
      = on hand now + shipped + issued to production + scrapped + adjusted out
        + returned to suppliers

(``LotTrace.balanced``). Read with the warehouses a user may see; the identity is only
promised when they see them all (``complete``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import (
    balances,
    document_lines,
    documents,
    items,
    locations,
    lots,
    moves,
    partners,
    warehouses,
)
from cangku.domain.enums import VALUED_KINDS, LocationKind
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled

__all__ = [
    "IN_CATEGORIES",
    "OUT_CATEGORIES",
    "TRACE_HEADERS",
    "LotTrace",
    "TraceMove",
    "TracePlace",
    "lot_trace",
    "trace_rows",
]

#: what a move into the company from each virtual kind is
IN_CATEGORIES: dict[str, str] = {
    LocationKind.SUPPLIER: "received",
    LocationKind.CUSTOMER: "returned_by_customers",
    LocationKind.ADJUSTMENT: "adjusted_in",
    LocationKind.PRODUCTION: "from_production",
    LocationKind.SCRAP: "recovered_from_scrap",
}
#: what a move out of the company to each virtual kind is
OUT_CATEGORIES: dict[str, str] = {
    LocationKind.CUSTOMER: "shipped",
    LocationKind.PRODUCTION: "issued_to_production",
    LocationKind.SCRAP: "scrapped",
    LocationKind.ADJUSTMENT: "adjusted_out",
    LocationKind.SUPPLIER: "returned_to_suppliers",
}
_OURS = frozenset(str(k) for k in VALUED_KINDS)


@dataclass(frozen=True)
class TraceMove:
    """A move of the lot across the company's boundary."""

    move_id: int
    at: datetime
    category: str
    quantity: Decimal
    warehouse: str
    #: our side of the move (where the units came to, or left from)
    location: str
    #: the virtual location on the other side
    counterpart: str
    #: the document the move names (a receipt, a sales order, a requisition, ...)
    document_type: str | None
    document: str | None
    #: the shipment that took the goods out (sales orders and requisitions)
    shipment: str | None
    #: the document's partner (the supplier of a receipt, the customer of a sales order)
    partner: str | None
    partner_name: str | None
    #: a requisition's requesting department
    department: str | None
    reason_code: str | None
    note: str | None


@dataclass(frozen=True)
class TracePlace:
    """Where units of the lot are now."""

    warehouse: str
    location: str
    kind: str
    on_hand: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class LotTrace:
    item: str
    lot: str
    status: str
    came_from: list[TraceMove]
    now_at: list[TracePlace]
    went_to: list[TraceMove]
    #: quantity per category (every one of IN_CATEGORIES and OUT_CATEGORIES), plus
    #: ``on_hand``, ``reserved``, ``total_in`` and ``total_out``
    totals: dict[str, Decimal]
    #: every warehouse was seen: the totals cover the whole lot
    complete: bool

    @property
    def balanced(self) -> bool:
        """What came in equals what is here now plus what went out."""
        t = self.totals
        return t["total_in"] == t["on_hand"] + t["total_out"]


def _shipments() -> Any:
    """Move id -> the shipment whose line carries it (one per move)."""
    line, doc = document_lines.alias("ship_line"), documents.alias("ship_doc")
    return (
        select(line.c.move_id, func.min(doc.c.number).label("number"))
        .join(doc, doc.c.id == line.c.document_id)
        .where(doc.c.doc_type == "shipment", line.c.move_id.is_not(None))
        .group_by(line.c.move_id)
        .subquery("shipments")
    )


def _crossings(conn: Connection, lot_id: int, seen: Warehouses) -> list[TraceMove]:
    source, target = locations.alias("source"), locations.alias("target")
    shipped = _shipments()
    stmt = (
        select(
            moves.c.id,
            moves.c.effective_at,
            moves.c.quantity,
            warehouses.c.code.label("warehouse"),
            source.c.code.label("source"),
            source.c.kind.label("source_kind"),
            target.c.code.label("target"),
            target.c.kind.label("target_kind"),
            moves.c.document_type,
            moves.c.document_id,
            shipped.c.number.label("shipment"),
            partners.c.code.label("partner"),
            partners.c.name.label("partner_name"),
            documents.c.department,
            moves.c.reason_code,
            moves.c.note,
        )
        .join_from(moves, source, source.c.id == moves.c.from_location_id)
        .join(target, target.c.id == moves.c.to_location_id)
        .join(warehouses, warehouses.c.id == moves.c.warehouse_id)
        .outerjoin(documents, documents.c.number == moves.c.document_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .outerjoin(shipped, shipped.c.move_id == moves.c.id)
        .where(moves.c.lot_id == lot_id)
        .order_by(moves.c.effective_at, moves.c.id)
    )
    if seen is not None:
        stmt = stmt.where(moves.c.warehouse_id.in_(sorted(seen)))
    found: list[TraceMove] = []
    for r in conn.execute(stmt):
        inward = r.source_kind not in _OURS and r.target_kind in _OURS
        outward = r.source_kind in _OURS and r.target_kind not in _OURS
        if not (inward or outward):
            continue  # inside the company: where the units are, not how many
        category = IN_CATEGORIES[r.source_kind] if inward else OUT_CATEGORIES[r.target_kind]
        found.append(
            TraceMove(
                r.id,
                r.effective_at,
                category,
                from_scaled(r.quantity),
                r.warehouse,
                r.target if inward else r.source,
                r.source if inward else r.target,
                r.document_type,
                r.document_id,
                r.shipment,
                r.partner,
                r.partner_name,
                r.department,
                r.reason_code,
                r.note,
            )  # fmt: skip
        )
    return found


def _places(conn: Connection, lot_id: int, seen: Warehouses) -> list[TracePlace]:
    stmt = (
        select(
            warehouses.c.code,
            locations.c.code,
            locations.c.kind,
            balances.c.on_hand,
            balances.c.reserved,
        )
        .join_from(balances, locations, locations.c.id == balances.c.location_id)
        .join(warehouses, warehouses.c.id == balances.c.warehouse_id)
        .where(
            balances.c.lot_key == lot_id,
            locations.c.kind.in_(sorted(_OURS)),
            (balances.c.on_hand != 0) | (balances.c.reserved != 0),
        )
        .order_by(warehouses.c.code, locations.c.code)
    )
    if seen is not None:
        stmt = stmt.where(balances.c.warehouse_id.in_(sorted(seen)))
    return [
        TracePlace(w, code, kind, from_scaled(on_hand), from_scaled(reserved))
        for w, code, kind, on_hand, reserved in conn.execute(stmt)
    ]


def lot_trace(conn: Connection, lot_id: int, warehouses_seen: Warehouses = None) -> LotTrace:
    """The trace of the lot with id ``lot_id`` in the warehouses seen (None: all), its moves
    in business-time order. Raises nothing for a lot without moves (an empty trace)."""
    head = conn.execute(
        select(items.c.code, lots.c.code, lots.c.status)
        .join_from(lots, items, items.c.id == lots.c.item_id)
        .where(lots.c.id == lot_id)
    ).one()
    crossings = _crossings(conn, lot_id, warehouses_seen)
    places = _places(conn, lot_id, warehouses_seen)
    totals = {c: Decimal(0) for c in (*IN_CATEGORIES.values(), *OUT_CATEGORIES.values())}
    for move in crossings:
        totals[move.category] += move.quantity
    totals["total_in"] = sum((totals[c] for c in IN_CATEGORIES.values()), Decimal(0))
    totals["total_out"] = sum((totals[c] for c in OUT_CATEGORIES.values()), Decimal(0))
    totals["on_hand"] = sum((p.on_hand for p in places), Decimal(0))
    totals["reserved"] = sum((p.reserved for p in places), Decimal(0))
    inward = set(IN_CATEGORIES.values())
    return LotTrace(
        item=head[0],
        lot=head[1],
        status=head[2],
        came_from=[m for m in crossings if m.category in inward],
        now_at=places,
        went_to=[m for m in crossings if m.category not in inward],
        totals=totals,
        complete=warehouses_seen is None,
    )


#: the columns of the trace as one table (a file): each row is a move in, a place, a move out
#: or a total
TRACE_HEADERS = (
    "Section",
    "Category",
    "Date",
    "Warehouse",
    "Location",
    "Quantity",
    "Reserved",
    "Document type",
    "Document",
    "Shipment",
    "Partner",
    "Partner name",
    "Department",
    "Reason",
    "Note",
)


def _move_row(section: str, m: TraceMove) -> list[Any]:
    return [
        section, m.category, m.at, m.warehouse, m.location, m.quantity, None, m.document_type,
        m.document, m.shipment, m.partner, m.partner_name, m.department, m.reason_code, m.note,
    ]  # fmt: skip


def trace_rows(trace: LotTrace) -> list[list[Any]]:
    """The trace as rows under ``TRACE_HEADERS``: came from, now at, went to, then totals."""
    blank = [None] * 8
    return [
        *(_move_row("came_from", m) for m in trace.came_from),
        *(
            ["now_at", p.kind, None, p.warehouse, p.location, p.on_hand, p.reserved, *blank]
            for p in trace.now_at
        ),
        *(_move_row("went_to", m) for m in trace.went_to),
        *(
            ["total", name, None, None, None, value, None, *blank]
            for name, value in trace.totals.items()
        ),
    ]
