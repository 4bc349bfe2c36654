"""The read side of outbound: a request's lines with what is reserved, picked, shipped and
backordered, its reservations, a shipment's delivery note. The demand coming in the next days
against available stock is ``queries.outbound_demand``'s (importable from here as well)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, case, func, select

from cangku.db.tables import (
    allocations,
    document_lines,
    documents,
    items,
    locations,
    lots,
    moves,
    partners,
    warehouses,
)
from cangku.domain.enums import LocationKind
from cangku.domain.errors import NotFound
from cangku.domain.outbound import SHIPMENT
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.outbound_demand import DemandRow, demand

__all__ = [
    "DemandRow",
    "OutboundHeader",
    "RequestLine",
    "Reservation",
    "ShipmentNote",
    "demand",
    "outbound_header",
    "request_lines",
    "reservations",
    "shipment_note",
]


@dataclass(frozen=True)
class OutboundHeader:
    number: str
    doc_type: str
    ship_to: str | None
    department: str | None
    plan_reference: str | None
    planned_on: date | None
    carrier: str | None
    tracking_number: str | None
    packages: int | None
    origin: str | None


def outbound_header(conn: Connection, number: str, seen: Warehouses = None) -> OutboundHeader:
    """The outbound fields of a request or shipment. NotFound ``document_not_found``."""
    origin = documents.alias("origin")
    stmt = (
        select(
            documents.c.number,
            documents.c.doc_type,
            documents.c.ship_to,
            documents.c.department,
            documents.c.plan_reference,
            documents.c.planned_on,
            documents.c.carrier,
            documents.c.tracking_number,
            documents.c.packages,
            origin.c.number,
        )  # fmt: skip
        .select_from(documents.outerjoin(origin, origin.c.id == documents.c.origin_id))
        .where(documents.c.number == number)
    )
    if seen is not None:
        stmt = stmt.where(documents.c.warehouse_id.in_(sorted(seen)))
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("document", number)
    return OutboundHeader(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9]
    )


@dataclass(frozen=True)
class RequestLine:
    line_no: int
    item: str
    item_name: str
    base_unit: str
    ordered: Decimal
    #: reserved in bins (not picked yet)
    reserved: Decimal
    #: picked, waiting at the shipping location
    picked: Decimal
    shipped: Decimal

    @property
    def backorder(self) -> Decimal:
        """What allocation still has to find."""
        return max(self.ordered - self.shipped - self.reserved - self.picked, Decimal(0))


def request_lines(conn: Connection, number: str) -> list[RequestLine]:
    """A request's lines with their reserved, picked and shipped figures (one statement)."""
    shipping = locations.alias("held_at")
    held = (
        select(
            allocations.c.line_id,
            func.sum(
                case(
                    (shipping.c.kind == str(LocationKind.SHIPPING), 0), else_=allocations.c.quantity
                )
            ).label("reserved"),
            func.sum(
                case(
                    (shipping.c.kind == str(LocationKind.SHIPPING), allocations.c.quantity), else_=0
                )
            ).label("picked"),
        )
        .join(shipping, shipping.c.id == allocations.c.location_id)
        .group_by(allocations.c.line_id)
        .subquery("held")
    )
    rows = conn.execute(
        select(
            document_lines.c.line_no,
            items.c.code,
            items.c.name,
            items.c.base_unit,
            document_lines.c.quantity,
            func.coalesce(held.c.reserved, 0),
            func.coalesce(held.c.picked, 0),
            document_lines.c.done,
        )  # fmt: skip
        .join_from(document_lines, documents, documents.c.id == document_lines.c.document_id)
        .join(items, items.c.id == document_lines.c.item_id)
        .outerjoin(held, held.c.line_id == document_lines.c.id)
        .where(documents.c.number == number)
        .order_by(document_lines.c.line_no)
    )
    return [
        RequestLine(
            r[0],
            r[1],
            r[2],
            r[3],
            from_scaled(r[4]),
            from_scaled(int(r[5])),
            from_scaled(int(r[6])),
            from_scaled(r[7]),
        )  # fmt: skip
        for r in rows
    ]


@dataclass(frozen=True)
class Reservation:
    line_no: int | None
    item: str
    location: str
    lot: str | None
    quantity: Decimal
    #: the pick list that picks it, if any
    pick_list: str | None
    #: picked: it lies at the shipping location, waiting to ship
    picked: bool = False


def reservations(conn: Connection, number: str) -> list[Reservation]:
    """The reservation rows of a request, by line and location (the bin's code, then the
    order they were made in)."""
    pick = documents.alias("pick")
    pick_line = document_lines.alias("pick_line")
    request_line = document_lines.alias("request_line")
    rows = conn.execute(
        select(
            request_line.c.line_no,
            items.c.code,
            locations.c.code,
            lots.c.code,
            allocations.c.quantity,
            pick.c.number,
            locations.c.kind,
        )  # fmt: skip
        .join_from(allocations, documents, documents.c.id == allocations.c.document_id)
        .join(items, items.c.id == allocations.c.item_id)
        .join(locations, locations.c.id == allocations.c.location_id)
        .outerjoin(lots, lots.c.id == allocations.c.lot_id)
        .outerjoin(request_line, request_line.c.id == allocations.c.line_id)
        .outerjoin(pick_line, pick_line.c.id == allocations.c.pick_line_id)
        .outerjoin(pick, pick.c.id == pick_line.c.document_id)
        .where(documents.c.number == number)
        .order_by(request_line.c.line_no, locations.c.code, allocations.c.id)
    )
    return [
        Reservation(r[0], r[1], r[2], r[3], from_scaled(r[4]), r[5], r[6] == LocationKind.SHIPPING)
        for r in rows
    ]


@dataclass(frozen=True)
class NoteLine:
    line_no: int
    item: str
    item_name: str
    lot: str | None
    expires_on: date | None
    quantity: Decimal
    base_unit: str
    #: unit cost and value (scaled figures as decimals): shown only to who may see values
    unit_cost: Decimal
    value: Decimal


@dataclass(frozen=True)
class ShipmentNote:
    number: str
    request: str | None
    warehouse: str
    customer_code: str | None
    customer_name: str | None
    ship_to: str | None
    reference: str | None
    carrier: str | None
    tracking_number: str | None
    packages: int | None
    shipped_at: date
    lines: tuple[NoteLine, ...]
    warehouse_id: int = 0

    @property
    def cost_of_goods(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal(0))


def shipment_note(conn: Connection, number: str, seen: Warehouses = None) -> ShipmentNote:
    """What a packing list / delivery note prints. NotFound ``shipment_not_found``."""
    origin = documents.alias("origin")
    stmt = (
        select(
            documents.c.id,
            documents.c.number,
            origin.c.number,
            warehouses.c.code,
            partners.c.code,
            partners.c.name,
            origin.c.ship_to,
            documents.c.reference,
            documents.c.carrier,
            documents.c.tracking_number,
            documents.c.packages,
            documents.c.created_at,
            documents.c.warehouse_id,
        )  # fmt: skip
        .join_from(documents, warehouses, warehouses.c.id == documents.c.warehouse_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .outerjoin(origin, origin.c.id == documents.c.origin_id)
        .where(documents.c.number == number, documents.c.doc_type == SHIPMENT.doc_type)
    )
    if seen is not None:
        stmt = stmt.where(documents.c.warehouse_id.in_(sorted(seen)))
    head = conn.execute(stmt).first()
    if head is None:
        raise NotFound("shipment", number)
    rows = conn.execute(
        select(
            document_lines.c.line_no,
            items.c.code,
            items.c.name,
            lots.c.code,
            lots.c.expires_on,
            document_lines.c.quantity,
            items.c.base_unit,
            moves.c.unit_cost,
            moves.c.value,
        )  # fmt: skip
        .join_from(document_lines, items, items.c.id == document_lines.c.item_id)
        .outerjoin(lots, lots.c.id == document_lines.c.lot_id)
        .outerjoin(moves, moves.c.id == document_lines.c.move_id)
        .where(document_lines.c.document_id == head[0])
        .order_by(document_lines.c.line_no)
    )
    lines = tuple(
        NoteLine(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            from_scaled(r[5]),
            r[6],
            from_scaled(r[7] or 0),
            from_scaled(r[8] or 0),
        )  # fmt: skip
        for r in rows
    )
    shipped_at = head[11]
    return ShipmentNote(
        head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8], head[9],
        head[10], shipped_at.date() if hasattr(shipped_at, "date") else shipped_at, lines,
        int(head[12]),
    )  # fmt: skip
