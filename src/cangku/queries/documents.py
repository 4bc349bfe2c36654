"""The read side of documents: one document with its lines, timeline, moves and the documents
made from it; lists with filters.

Everything is scoped: ``warehouses`` is the set the reader may see documents in (None: all).
The summary rows live in ``queries.document_summary``, the task inbox in ``queries.tasks``, what
is on order in ``queries.on_order`` and a lot's documents in ``queries.lot_documents``; their
public names are importable from here as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

import cangku.domain.outbound  # noqa: F401 - declares the inbound and outbound machines
from cangku.db.tables import (
    document_events,
    document_lines,
    documents,
    items,
    locations,
    lots,
    moves,
    partners,
    users,
    warehouses,
)
from cangku.domain.documents import Machine, machines
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.outbound import SHIPMENT
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_product
from cangku.queries.common import Page, check_paging, count_capped, text_filter
from cangku.queries.document_summary import (
    DocumentSummary,
    open_condition,
    summary_columns,
    summary_from,
    summary_of,
    visible,
)
from cangku.queries.lot_documents import LotOrigin, documents_of_lot
from cangku.queries.on_order import on_order, on_order_of
from cangku.queries.tasks import TaskCount, my_tasks, task_counts

__all__ = [
    "DocumentSummary",
    "DocumentView",
    "EventView",
    "LineView",
    "LotOrigin",
    "TaskCount",
    "documents_of_lot",
    "get_document",
    "list_documents",
    "machine_of",
    "my_tasks",
    "on_order",
    "on_order_of",
    "priced_for",
    "task_counts",
]


@dataclass(frozen=True)
class LineView:
    line_no: int
    item: str
    item_name: str
    base_unit: str
    quantity: Decimal
    done: Decimal
    accepted: Decimal
    rejected: Decimal
    unit: str | None
    unit_quantity: Decimal | None
    unit_price: Decimal | None
    base_price: Decimal | None
    #: the line's value: its quantity in its unit at its price
    value: Decimal | None
    expected_on: date | None
    lot: str | None
    location: str | None
    target_location: str | None
    reason_code: str | None
    sample_size: Decimal | None
    note: str | None
    #: a transfer line's resolved discrepancy (None on other documents)
    resolved: Decimal | None = None

    @property
    def in_transit(self) -> Decimal | None:
        """A transfer line's goods still in transit: dispatched - received - resolved."""
        if self.resolved is None:
            return None
        return self.done - self.accepted - self.resolved

    @property
    def open(self) -> Decimal:
        """What is still to do on the line (to receive, inspect, store, return)."""
        return max(self.quantity - self.done, Decimal(0))


@dataclass(frozen=True)
class EventView:
    at: datetime
    user: str
    step: str
    from_state: str | None
    to_state: str
    note: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class DocumentView(DocumentSummary):
    note: str | None = None
    approved_by: str | None = None
    closed_at: datetime | None = None
    lines: tuple[LineView, ...] = ()
    events: tuple[EventView, ...] = ()
    #: the moves this document wrote (ids, in order)
    move_ids: tuple[int, ...] = ()
    #: documents made from this one: (number, type, state)
    children: tuple[tuple[str, str, str], ...] = ()
    #: the outbound header (requests and shipments; None elsewhere)
    ship_to: str | None = None
    department: str | None = None
    plan_reference: str | None = None
    planned_on: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    packages: int | None = None
    #: a transfer's destination warehouse (None on other documents)
    to_warehouse: str | None = None


_approver = aliased(users, name="approver")


#: a request's or shipment's header fields (queries.outbound.outbound_header reads them too)
_OUTBOUND_FIELDS = (
    "ship_to", "department", "plan_reference", "planned_on", "carrier", "tracking_number",
    "packages",
)  # fmt: skip
_OUTBOUND = [documents.c[name] for name in _OUTBOUND_FIELDS]


def get_document(
    conn: Connection, number: str, warehouses_seen: Warehouses = None, today: date | None = None
) -> DocumentView:
    """One document with everything its page shows. NotFound ``document_not_found`` when it
    does not exist or lies in a warehouse the reader may not see."""
    stmt = (
        select(
            *summary_columns(),
            documents.c.id,
            documents.c.note,
            _approver.c.username,
            documents.c.closed_at,
            *_OUTBOUND,
        )
        .select_from(summary_from().outerjoin(_approver, _approver.c.id == documents.c.approved_by))
        .where(documents.c.number == number)
    )
    seen = visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("document", number)
    base = summary_of(row, today)
    document_id = row[14]
    return DocumentView(
        **base.__dict__,
        note=row[15],
        approved_by=row[16],
        closed_at=row[17],
        **dict(zip(_OUTBOUND_FIELDS, row[18:], strict=True)),
        lines=tuple(_lines(conn, document_id, transfer=base.doc_type == "transfer")),
        to_warehouse=_to_warehouse(conn, document_id) if base.doc_type == "transfer" else None,
        events=tuple(_events(conn, document_id)),
        move_ids=_move_ids(conn, base.doc_type, number, document_id),
        children=tuple(
            (r[0], r[1], r[2])
            for r in conn.execute(
                select(documents.c.number, documents.c.doc_type, documents.c.state)
                .where(documents.c.origin_id == document_id)
                .order_by(documents.c.id)
            )
        ),
    )


def _move_ids(conn: Connection, doc_type: str, number: str, document_id: int) -> tuple[int, ...]:
    """The moves a document wrote: those that name it; a shipment's name the request they
    ship, so a shipment's are those its lines carry. (Other documents' lines may carry a move
    they did not write: a customer return's, the shipped move it takes back.)"""
    if doc_type == SHIPMENT.doc_type:
        stmt = select(document_lines.c.move_id).where(
            document_lines.c.document_id == document_id, document_lines.c.move_id.is_not(None)
        )
    else:
        stmt = select(moves.c.id).where(
            moves.c.document_type == doc_type, moves.c.document_id == number
        )
    return tuple(sorted(int(x) for x in conn.execute(stmt).scalars()))


_here = aliased(locations, name="here")
_there = aliased(locations, name="there")


def _lines(conn: Connection, document_id: int, transfer: bool = False) -> list[LineView]:
    dl = document_lines
    rows = conn.execute(
        select(
            dl.c.line_no,
            items.c.code,
            items.c.name,
            items.c.base_unit,
            dl.c.quantity,
            dl.c.done,
            dl.c.accepted,
            dl.c.rejected,
            dl.c.unit,
            dl.c.unit_quantity,
            dl.c.unit_price,
            dl.c.base_price,
            dl.c.expected_on,
            lots.c.code,
            _here.c.code,
            _there.c.code,
            dl.c.reason_code,
            dl.c.sample_size,
            dl.c.note,
            dl.c.resolved,
        )  # fmt: skip
        .join_from(dl, items, items.c.id == dl.c.item_id)
        .outerjoin(lots, lots.c.id == dl.c.lot_id)
        .outerjoin(_here, _here.c.id == dl.c.location_id)
        .outerjoin(_there, _there.c.id == dl.c.target_location_id)
        .where(dl.c.document_id == document_id)
        .order_by(dl.c.line_no)
    )

    def maybe(value: int | None) -> Decimal | None:
        return from_scaled(value) if value is not None else None

    out = []
    for r in rows:
        value = (
            from_scaled(scaled_product(r[9], r[10]))
            if r[9] is not None and r[10] is not None
            else None
        )
        out.append(
            LineView(
                r[0],
                r[1],
                r[2],
                r[3],
                from_scaled(r[4]),
                from_scaled(r[5]),
                from_scaled(r[6]),
                from_scaled(r[7]),
                r[8],
                maybe(r[9]),
                maybe(r[10]),
                maybe(r[11]),
                value,
                r[12],
                r[13],
                r[14],
                r[15],
                r[16],
                maybe(r[17]),
                r[18],
                from_scaled(r[19]) if transfer else None,
            )  # fmt: skip
        )
    return out


def _to_warehouse(conn: Connection, document_id: int) -> str | None:
    return conn.execute(
        select(warehouses.c.code)
        .join(documents, documents.c.to_warehouse_id == warehouses.c.id)
        .where(documents.c.id == document_id)
    ).scalar()


def _events(conn: Connection, document_id: int) -> list[EventView]:
    rows = conn.execute(
        select(
            document_events.c.at,
            users.c.username,
            document_events.c.step,
            document_events.c.from_state,
            document_events.c.to_state,
            document_events.c.note,
            document_events.c.data,
        )
        .join_from(document_events, users, users.c.id == document_events.c.user_id)
        .where(document_events.c.document_id == document_id)
        .order_by(document_events.c.id)
    )
    return [
        EventView(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]) if r[6] else {})
        for r in rows
    ]


def list_documents(
    conn: Connection,
    doc_type: str | None = None,
    *,
    state: str | None = None,
    warehouse: str | None = None,
    partner: str | None = None,
    item: str | None = None,
    q: str | None = None,
    open_only: bool = False,
    warehouses_seen: Warehouses = None,
    today: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DocumentSummary]:
    """Documents, newest first, filtered by type, state (or only open ones), warehouse,
    partner, an item on their lines and ``q`` (number, reference). InvalidInput
    ``unknown_document_type`` / ``unknown_state``."""
    check_paging(limit, offset)
    stmt = select(*summary_columns()).select_from(summary_from())
    if doc_type is not None:
        machine = machines().get(doc_type)
        if machine is None:
            raise InvalidInput(
                f"unknown document type {doc_type!r}",
                code="unknown_document_type",
                allowed=sorted(machines()),
            )
        stmt = stmt.where(documents.c.doc_type == doc_type)
        if state is not None and state not in machine.states:
            raise InvalidInput(
                f"a {doc_type} is never {state!r}",
                code="unknown_state",
                allowed=list(machine.states),
            )
    if state is not None:
        stmt = stmt.where(documents.c.state == state)
    if open_only:
        stmt = stmt.where(open_condition())
    if warehouse is not None:
        stmt = stmt.where(warehouses.c.code == warehouse)
    if partner is not None:
        stmt = stmt.where(partners.c.code == partner)
    if item is not None:
        stmt = stmt.where(
            documents.c.id.in_(
                select(document_lines.c.document_id)
                .join(items, items.c.id == document_lines.c.item_id)
                .where(items.c.code == item)
            )
        )
    needle = text_filter(q, documents.c.number, documents.c.reference)
    if needle is not None:
        stmt = stmt.where(needle)
    seen = visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    total, exact = count_capped(conn, stmt)
    rows = conn.execute(stmt.order_by(documents.c.id.desc()).limit(limit).offset(offset))
    return Page([summary_of(r, today) for r in rows], total, limit, offset, exact)


def machine_of(doc_type: str) -> Machine:
    found = machines().get(doc_type)
    if found is None:
        raise InvalidInput(f"unknown document type {doc_type!r}", code="unknown_document_type")
    return found


def priced_for(view: DocumentView, scope: frozenset[str] | None) -> DocumentView:
    """The document as a reader sees it: its prices and values only where they may see what
    goods cost (``scope``: the codes of the warehouses they hold valuation.view in, None: all)."""
    if scope is None or view.warehouse in scope:
        return view
    lines = tuple(replace(x, unit_price=None, base_price=None, value=None) for x in view.lines)
    return replace(view, total_value=None, lines=lines)
