"""What the outbound pages read beside ``queries.documents``: a document's outbound facts, made
of ``queries.outbound``'s header (ship-to, department, plan, carrier, packages) and
reservations (bin, lot, quantity, the pick list that picks them), with what only the pages
show: the requests a pick list or shipment serves, a returned line's disposition, and the
requests waiting for a pick list.

Plain reads of a few statements each, scoped as the callers' queries are (the document itself
was read with ``get_document`` in the warehouses the reader sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from cangku.db.tables import allocations, document_lines, documents, locations, partners
from cangku.db.tables import warehouses as warehouse_table
from cangku.domain.outbound import REQUEST_KINDS
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.outbound import Reservation, outbound_header, reservations

__all__ = [
    "OutboundFacts",
    "WaitingRequest",
    "outbound_facts",
    "waiting_requests",
]


@dataclass(frozen=True)
class OutboundFacts:
    ship_to: str | None = None
    department: str | None = None
    plan_reference: str | None = None
    planned_on: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    packages: int | None = None
    #: request line number -> its reservations
    reservations: dict[int, list[Reservation]] = field(default_factory=dict)
    #: pick list or shipment line number -> the request (number) it serves
    requests: dict[int, str] = field(default_factory=dict)
    #: customer return line number -> restock, inspect or scrap
    dispositions: dict[int, str] = field(default_factory=dict)

    @property
    def waiting_pick(self) -> bool:
        """Is stock reserved for the request on no pick list yet (a pick list may be made)?"""
        return any(
            not r.picked and r.pick_list is None
            for rows in self.reservations.values()
            for r in rows
        )

    def reserved(self, line_no: int) -> Decimal:
        return sum((r.quantity for r in self.reservations.get(line_no, ())), Decimal(0))


_source = aliased(document_lines, name="source")
_request = aliased(documents, name="request")
_own = aliased(documents, name="own")


def outbound_facts(conn: Connection, number: str) -> OutboundFacts:
    """The outbound facts of document ``number`` (read already, so it exists)."""
    head = outbound_header(conn, number)
    facts = OutboundFacts(
        head.ship_to, head.department, head.plan_reference, head.planned_on, head.carrier,
        head.tracking_number, head.packages,
    )  # fmt: skip
    if head.doc_type in REQUEST_KINDS:
        for held in reservations(conn, number):
            if held.line_no is not None:
                facts.reservations.setdefault(held.line_no, []).append(held)
    elif head.doc_type in ("pick_list", "shipment"):
        rows = conn.execute(
            select(document_lines.c.line_no, _request.c.number)
            .join(_own, _own.c.id == document_lines.c.document_id)
            .join(_source, _source.c.id == document_lines.c.source_line_id)
            .join(_request, _request.c.id == _source.c.document_id)
            .where(_own.c.number == number)
        )
        facts.requests.update({int(r[0]): str(r[1]) for r in rows})
    elif head.doc_type == "customer_return":
        rows = conn.execute(
            select(document_lines.c.line_no, document_lines.c.disposition)
            .join(_own, _own.c.id == document_lines.c.document_id)
            .where(_own.c.number == number)
        )
        facts.dispositions.update({int(r[0]): str(r[1] or "") for r in rows})
    return facts


@dataclass(frozen=True)
class WaitingRequest:
    """A request with stock reserved and on no pick list yet."""

    number: str
    state: str
    warehouse: str
    partner: str | None
    department: str | None
    due_on: date | None
    reference: str | None
    #: reserved and waiting to be picked (base units, over its lines)
    quantity: Decimal
    #: how many reservations wait (the pick list's lines)
    reservations: int


def waiting_requests(
    conn: Connection, doc_type: str, warehouses_seen: Warehouses, limit: int = 200
) -> list[WaitingRequest]:
    """Requests of ``doc_type`` that a pick list may pick now (allocated, picking or partly
    shipped) with reservations in storage on no pick list, oldest due first."""
    waiting = and_(
        allocations.c.document_id == documents.c.id,
        allocations.c.pick_line_id.is_(None),
    )
    stmt = (
        select(
            documents.c.number,
            documents.c.state,
            warehouse_table.c.code,
            partners.c.code,
            documents.c.department,
            documents.c.due_on,
            documents.c.reference,
            func.sum(allocations.c.quantity),
            func.count(allocations.c.id),
        )
        .join_from(documents, allocations, waiting)
        .join(locations, locations.c.id == allocations.c.location_id)
        .join(warehouse_table, warehouse_table.c.id == documents.c.warehouse_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .where(
            documents.c.doc_type == doc_type,
            documents.c.state.in_(["allocated", "picking", "partially_shipped"]),
            locations.c.kind != "shipping",
        )
        .group_by(
            documents.c.id,
            documents.c.number,
            documents.c.state,
            warehouse_table.c.code,
            partners.c.code,
            documents.c.department,
            documents.c.due_on,
            documents.c.reference,
        )
        .order_by(documents.c.due_on.is_(None), documents.c.due_on, documents.c.id)
        .limit(limit)
    )
    if warehouses_seen is not None:
        stmt = stmt.where(documents.c.warehouse_id.in_(sorted(warehouses_seen)))
    return [
        WaitingRequest(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_scaled(r[7]), int(r[8]))
        for r in conn.execute(stmt)
    ]
