"""The read side of documents: one document with its lines, timeline, moves and the documents
made from it; lists with filters; the task inbox; what is on order.

Everything is scoped: ``warehouses`` is the set the reader may see documents in (None: all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, false, func, or_, select
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
from cangku.domain.permissions import Actor, Warehouses, declared_actions
from cangku.domain.quantities import from_scaled, scaled_product
from cangku.queries.common import Page, check_paging, count_capped, text_filter

__all__ = [
    "DocumentSummary",
    "DocumentView",
    "EventView",
    "LineView",
    "TaskCount",
    "get_document",
    "list_documents",
    "my_tasks",
    "on_order",
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
class DocumentSummary:
    number: str
    doc_type: str
    state: str
    warehouse: str
    partner: str | None
    partner_name: str | None
    created_by: str
    assignee: str | None
    due_on: date | None
    reference: str | None
    total_value: Decimal | None
    created_at: datetime
    updated_at: datetime
    origin: str | None
    #: the step that is this document's next task (None: nothing waits on it)
    next_step: str | None
    overdue: bool = False


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


_creator = aliased(users, name="creator")
_assignee = aliased(users, name="assignee")
_approver = aliased(users, name="approver")
_origin = aliased(documents, name="origin")


def _summary_columns() -> list[Any]:
    return [
        documents.c.number,
        documents.c.doc_type,
        documents.c.state,
        warehouses.c.code,
        partners.c.code,
        partners.c.name,
        _creator.c.username,
        _assignee.c.username,
        documents.c.due_on,
        documents.c.reference,
        documents.c.total_value,
        documents.c.created_at,
        documents.c.updated_at,
        _origin.c.number,
    ]


def _summary_from() -> Any:
    return (
        documents.join(warehouses, warehouses.c.id == documents.c.warehouse_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .join(_creator, _creator.c.id == documents.c.created_by)
        .outerjoin(_assignee, _assignee.c.id == documents.c.assignee_id)
        .outerjoin(_origin, _origin.c.id == documents.c.origin_id)
    )


def _next_step(doc_type: str, state: str) -> str | None:
    machine = machines().get(doc_type)
    task = machine.task(state) if machine else None
    return task.code if task else None


def _summary(row: Any, today: date | None = None) -> DocumentSummary:
    due = row[8]
    step = _next_step(row[1], row[2])
    return DocumentSummary(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], due, row[9],
        from_scaled(row[10]) if row[10] is not None else None, row[11], row[12], row[13], step,
        overdue=bool(step and due is not None and today is not None and due < today),
    )  # fmt: skip


def _visible(warehouses_seen: Warehouses) -> ColumnElement[bool] | None:
    if warehouses_seen is None:
        return None
    if not warehouses_seen:
        return false()
    seen = sorted(warehouses_seen)
    # a transfer is seen in both warehouses: where it leaves and where it arrives
    return or_(documents.c.warehouse_id.in_(seen), documents.c.to_warehouse_id.in_(seen))


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
            *_summary_columns(),
            documents.c.id,
            documents.c.note,
            _approver.c.username,
            documents.c.closed_at,
            *_OUTBOUND,
        )
        .select_from(
            _summary_from().outerjoin(_approver, _approver.c.id == documents.c.approved_by)
        )
        .where(documents.c.number == number)
    )
    seen = _visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("document", number)
    base = _summary(row, today)
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
    stmt = select(*_summary_columns()).select_from(_summary_from())
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
        stmt = stmt.where(_open_condition())
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
    seen = _visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    total, exact = count_capped(conn, stmt)
    rows = conn.execute(stmt.order_by(documents.c.id.desc()).limit(limit).offset(offset))
    return Page([_summary(r, today) for r in rows], total, limit, offset, exact)


def _open_condition() -> ColumnElement[bool]:
    parts = [
        and_(documents.c.doc_type == m.doc_type, documents.c.state.in_(m.open_states()))
        for m in machines().values()
    ]
    return or_(*parts) if parts else false()


# ---------------------------------------------------------------- the task inbox
def _task_condition(actor: Actor) -> ColumnElement[bool]:
    """Open documents whose next step the actor may take (in its warehouse) and that nobody
    else was given, or that were given to the actor."""
    actions = declared_actions()
    parts: list[ColumnElement[bool]] = []
    for machine in machines().values():
        by_action: dict[tuple[str, bool], list[str]] = {}
        for state, step_code in machine.tasks.items():
            task = machine.step(step_code)
            by_action.setdefault((task.action, task.at_destination), []).append(state)
        for (code, at_destination), states in by_action.items():
            act = actions.get(code)
            if act is None or not actor.may(act):
                continue
            where = actor.warehouses(act)
            cond = and_(documents.c.doc_type == machine.doc_type, documents.c.state.in_(states))
            if where is not None:
                # a step taken where the goods arrive is that warehouse's task
                column = (
                    func.coalesce(documents.c.to_warehouse_id, documents.c.warehouse_id)
                    if at_destination
                    else documents.c.warehouse_id
                )
                cond = and_(cond, column.in_(sorted(where)))
            parts.append(cond)
    mine = documents.c.assignee_id == actor.user_id
    role_based = and_(
        or_(*parts) if parts else false(),
        or_(documents.c.assignee_id.is_(None), mine),
    )
    return or_(role_based, and_(mine, _open_condition()))


def my_tasks(
    conn: Connection,
    actor: Actor,
    today: date,
    *,
    doc_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DocumentSummary]:
    """The actor's task inbox: overdue first, then by due date (none last), then oldest."""
    check_paging(limit, offset)
    stmt = select(*_summary_columns()).select_from(_summary_from()).where(_task_condition(actor))
    if doc_type is not None:
        stmt = stmt.where(documents.c.doc_type == doc_type)
    total, exact = count_capped(conn, stmt)
    overdue = case((documents.c.due_on < today, 0), else_=1)
    undated = case((documents.c.due_on.is_(None), 1), else_=0)
    rows = conn.execute(
        stmt.order_by(overdue, undated, documents.c.due_on, documents.c.id)
        .limit(limit)
        .offset(offset)
    )
    return Page([_summary(r, today) for r in rows], total, limit, offset, exact)


@dataclass(frozen=True)
class TaskCount:
    doc_type: str
    step: str
    count: int
    overdue: int


def task_counts(conn: Connection, actor: Actor, today: date) -> list[TaskCount]:
    """How many tasks wait on the actor, per document type and step (the dashboard)."""
    rows = conn.execute(
        select(
            documents.c.doc_type,
            documents.c.state,
            func.count(),
            func.sum(case((documents.c.due_on < today, 1), else_=0)),
        )
        .where(_task_condition(actor))
        .group_by(documents.c.doc_type, documents.c.state)
    )
    merged: dict[tuple[str, str], list[int]] = {}
    for doc_type, state, count, late in rows:
        step = _next_step(doc_type, state)
        if step is None:
            continue
        entry = merged.setdefault((doc_type, step), [0, 0])
        entry[0] += int(count)
        entry[1] += int(late or 0)
    return [TaskCount(t, s, c, o) for (t, s), (c, o) in sorted(merged.items())]


# ---------------------------------------------------------------- on order
def on_order(
    conn: Connection, item_ids: list[int] | None = None, warehouse_id: int | None = None
) -> dict[tuple[int, int], Decimal]:
    """(item id, warehouse id) -> base units ordered and not received yet, over confirmed and
    partly received purchase orders (what the stock pages show beside on hand)."""
    open_qty = func.sum(
        case(
            (
                document_lines.c.quantity > document_lines.c.done,
                document_lines.c.quantity - document_lines.c.done,
            ),
            else_=0,
        )
    )
    stmt = (
        select(document_lines.c.item_id, documents.c.warehouse_id, open_qty)
        .join(documents, documents.c.id == document_lines.c.document_id)
        .where(
            documents.c.doc_type == "purchase_order",
            documents.c.state.in_(["confirmed", "partially_received"]),
        )
        .group_by(document_lines.c.item_id, documents.c.warehouse_id)
    )
    if item_ids is not None:
        stmt = stmt.where(document_lines.c.item_id.in_(item_ids))
    if warehouse_id is not None:
        stmt = stmt.where(documents.c.warehouse_id == warehouse_id)
    return {(int(r[0]), int(r[1])): from_scaled(r[2]) for r in conn.execute(stmt) if r[2]}


def on_order_of(conn: Connection, item_code: str, warehouses_seen: Warehouses = None) -> Decimal:
    """Base units of one item on order, over the warehouses the reader sees."""
    item_id = conn.execute(select(items.c.id).where(items.c.code == item_code)).scalar()
    if item_id is None:
        return Decimal(0)
    found = on_order(conn, [int(item_id)])
    return sum(
        (qty for (_, wh), qty in found.items() if warehouses_seen is None or wh in warehouses_seen),
        start=Decimal(0),
    )


def machine_of(doc_type: str) -> Machine:
    found = machines().get(doc_type)
    if found is None:
        raise InvalidInput(f"unknown document type {doc_type!r}", code="unknown_document_type")
    return found


@dataclass(frozen=True)
class LotOrigin:
    """A document line that names a lot: a receipt (with its order), an inspection, a return."""

    number: str
    doc_type: str
    state: str
    line_no: int
    quantity: Decimal
    at: datetime
    partner: str | None
    #: the document it was made from (a receipt's purchase order)
    origin: str | None
    reference: str | None


def documents_of_lot(
    conn: Connection, lot_id: int, warehouses_seen: Warehouses = None
) -> list[LotOrigin]:
    """The documents whose lines name the lot, oldest first: where it came from (the receipt and
    its purchase order, the supplier's delivery note) and what happened to it since."""
    stmt = (
        select(
            documents.c.number,
            documents.c.doc_type,
            documents.c.state,
            document_lines.c.line_no,
            document_lines.c.quantity,
            documents.c.created_at,
            partners.c.code,
            _origin.c.number,
            documents.c.reference,
        )
        .join_from(document_lines, documents, documents.c.id == document_lines.c.document_id)
        .outerjoin(partners, partners.c.id == documents.c.partner_id)
        .outerjoin(_origin, _origin.c.id == documents.c.origin_id)
        .where(document_lines.c.lot_id == lot_id)
        .order_by(documents.c.id, document_lines.c.line_no)
    )
    seen = _visible(warehouses_seen)
    if seen is not None:
        stmt = stmt.where(seen)
    return [
        LotOrigin(r[0], r[1], r[2], r[3], from_scaled(r[4]), r[5], r[6], r[7], r[8])
        for r in conn.execute(stmt)
    ]


def priced_for(view: DocumentView, scope: frozenset[str] | None) -> DocumentView:
    """The document as a reader sees it: its prices and values only where they may see what
    goods cost (``scope``: the codes of the warehouses they hold valuation.view in, None: all)."""
    if scope is None or view.warehouse in scope:
        return view
    lines = tuple(replace(x, unit_price=None, base_price=None, value=None) for x in view.lines)
    return replace(view, total_value=None, lines=lines)
