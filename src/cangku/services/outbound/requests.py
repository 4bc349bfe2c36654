"""Outbound requests: sales orders (for a customer) and material requisitions (for production
or internal use). Raise, submit (approved at once under every approval rule's threshold),
approve or reject (never by the requester), revise a rejected one, cancel (what was reserved
is released), close with the backorder dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import outbound as out_store
from cangku.db.costs import current_unit_costs
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import Machine, check_due_on, require_lines
from cangku.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from cangku.domain.inbound import check_approver
from cangku.domain.operations import check_note, short_text, unit_cost_value
from cangku.domain.outbound import REQUEST_KINDS, approval_rule
from cangku.domain.permissions import (
    PICKER_SHIPPER,
    PURCHASER,
    STAFF,
    WAREHOUSE_MANAGER,
    Actor,
    action,
)
from cangku.domain.quantities import scaled_product, scaled_ratio, to_scaled
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    assignee_of,
    create_document,
    deliver_outbox,
    run_step,
    today,
)
from cangku.services.inbound.orders import command_payload, raise_inactive
from cangku.services.inbound.quantities import Converter, items_by_code

__all__ = [
    "OUTBOUND_ALLOCATE",
    "REQUEST_ACTIONS",
    "NewRequest",
    "RequestLineInput",
    "approve_request",
    "cancel_request",
    "close_request",
    "create_request",
    "reject_request",
    "request_machine",
    "revise_request",
    "submit_request",
]

#: raise, submit, revise, cancel and close sales orders
SO_EDIT = action("so.edit", roles={WAREHOUSE_MANAGER, PURCHASER}, scoped=True)
#: approve or reject a sales order someone else raised
SO_APPROVE = action("so.approve", roles={WAREHOUSE_MANAGER}, scoped=True)
#: raise, submit, revise, cancel and close material requisitions
REQUISITION_EDIT = action("requisition.edit", roles=STAFF, scoped=True)
#: approve or reject a requisition someone else raised
REQUISITION_APPROVE = action("requisition.approve", roles={WAREHOUSE_MANAGER}, scoped=True)
#: allocate (reserve) stock to approved requests and release it; make and cancel pick lists
OUTBOUND_ALLOCATE = action(
    "outbound.allocate", roles={WAREHOUSE_MANAGER, PICKER_SHIPPER}, scoped=True
)
#: the edit and approve actions per request kind
REQUEST_ACTIONS = {
    "sales_order": (SO_EDIT, SO_APPROVE),
    "requisition": (REQUISITION_EDIT, REQUISITION_APPROVE),
}


def request_machine(kind: str) -> Machine:
    """The machine of a request kind (``sales_order``, ``requisition``). Raises InvalidInput
    ``unknown_request_kind``."""
    found = REQUEST_KINDS.get(kind)
    if found is None:
        raise InvalidInput(
            f"unknown request kind {kind!r}",
            code="unknown_request_kind",
            allowed=sorted(REQUEST_KINDS),
        )
    return found


@dataclass(frozen=True)
class RequestLineInput:
    item: str
    quantity: Decimal | str
    unit: str | None = None
    #: a sales price per ``unit`` (sales orders); None: valued at the item's cost
    unit_price: Decimal | str | None = None
    #: a chosen lot or bin: allocation takes only from it
    lot: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class NewRequest:
    kind: str
    warehouse: str
    lines: list[RequestLineInput] = field(default_factory=list)
    #: sales orders: the customer (required) and where to ship
    customer: str | None = None
    ship_to: str | None = None
    #: requisitions: the requesting department and the production order or cost centre
    department: str | None = None
    #: the plan served: a sales order or production order number and its planned date
    plan_reference: str | None = None
    planned_on: date | None = None
    #: the customer's order number
    reference: str | None = None
    #: the requested date
    due_on: date | None = None
    note: str | None = None
    assignee: str | None = None
    #: submit at once (approved at once under every threshold)
    submit: bool = False


def _request_lines(
    conn: Connection, warehouse_id: int, lines: list[RequestLineInput]
) -> tuple[list[dict[str, Any]], int]:
    """The rows of a request's lines and its value (scaled): its prices, else its cost."""
    require_lines(lines, "request")
    found = items_by_code(conn, [line.item for line in lines])
    converter = Converter(conn, list(found.values()), {ln.unit for ln in lines if ln.unit})
    costs = current_unit_costs(conn, [item.id for item in found.values()])
    lots: dict[tuple[str, str], int] = {}
    for line in lines:
        if line.lot:
            lot = lookups.lot_by_code(conn, found[line.item].id, line.lot)
            if lot is None:
                raise NotFound("lot", line.lot)
            lots[(line.item, line.lot)] = lot.id
    places = lookups.locations_by_codes(
        conn, sorted({line.location for line in lines if line.location})
    )
    rows: list[dict[str, Any]] = []
    total = 0
    for number, line in enumerate(lines, start=1):
        item = found[line.item]
        if not item.active:
            raise_inactive(item.code)
        quantity, _, base = converter.base(item, line.quantity, line.unit)
        price = unit_cost_value(line.unit_price)
        unit_price = to_scaled(price) if price is not None else None
        if unit_price is not None:
            value = scaled_product(to_scaled(quantity), unit_price)
        else:
            value = scaled_product(base, costs.get(item.id, 0))
        total += value
        location_id = None
        if line.location:
            place = places.get(line.location)
            if place is None:
                raise NotFound("location", line.location)
            if place.warehouse_id != warehouse_id:
                raise InvalidInput(
                    f"location {place.code} is not in the request's warehouse",
                    code="location_not_in_warehouse",
                    location=place.code,
                )
            location_id = place.id
        rows.append(
            {
                "line_no": number,
                "item_id": item.id,
                "quantity": base,
                "unit": line.unit or item.base_unit,
                "unit_quantity": to_scaled(quantity),
                "unit_price": unit_price,
                "base_price": scaled_ratio(value, base),
                "lot_id": lots[(line.item, line.lot)] if line.lot else None,
                "location_id": location_id,
            }
        )
    return rows, total


def create_request(db: Database, ctx: Context, command: NewRequest) -> StepResult:
    """Raise an outbound request (a draft, or submitted at once with ``submit``): a sales order
    for an active customer, or a requisition for production or internal use.

    Raises NotFound (warehouse, customer, item, unit, lot, location, assignee), RuleViolation
    (``not_a_customer``, ``item_inactive``, ``partner_inactive``, ``warehouse_inactive``),
    InvalidInput (``unknown_request_kind``, ``customer_required``, ``no_lines``, quantities,
    units, field lengths), PermissionDenied (``so.edit`` / ``requisition.edit`` in the
    warehouse). Writes the request, its lines, its events, outbox rows and the audit entry."""
    machine = request_machine(command.kind)
    edit, _ = REQUEST_ACTIONS[machine.doc_type]
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        warehouse = loads.active_warehouse(conn, command.warehouse)
        actor.require(edit, warehouse.id)
        partner_id = None
        ship_to = short_text(command.ship_to, "ship_to", 1000)
        if machine.doc_type == "sales_order":
            if not command.customer:
                raise InvalidInput("a sales order names its customer", code="customer_required")
            customer = out_store.customer(conn, command.customer)
            partner_id, ship_to = customer.id, ship_to or customer.address
        day = today(conn, now)
        rows, total = _request_lines(conn, warehouse.id, command.lines)
        document_id, number = create_document(
            conn,
            machine,
            actor,
            now,
            warehouse_id=warehouse.id,
            warehouse_code=warehouse.code,
            lines=rows,
            note=note,
            partner_id=partner_id,
            reference=short_text(command.reference, "reference", 100),
            total_value=total,
            due_on=check_due_on(command.due_on, day),
            assignee_id=assignee_of(conn, command.assignee) if command.assignee else None,
            ship_to=ship_to,
            department=short_text(command.department, "department", 100),
            plan_reference=short_text(command.plan_reference, "plan_reference", 100),
            planned_on=check_due_on(command.planned_on, day),
        )
        state = machine.initial
        if command.submit:
            doc = store.lock_document(conn, machine.doc_type, number)
            state = _submit(conn, machine, doc, actor, now, None)
        return {"number": number, "state": state, "move_ids": [], "id": document_id}

    result, replayed = run_write(
        db, ctx, edit, command_payload(command), work, target_type=machine.doc_type
    )
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], [], replayed, {})


def _submit(
    conn: Connection,
    machine: Machine,
    doc: store.DocumentRow,
    actor: Actor,
    now: datetime,
    note: str | None,
) -> str:
    outcome = _decide_submit(conn, machine, doc)
    return advance(
        conn, machine, doc, "submit", actor, now,
        target=outcome.target, note=note, data=outcome.data, fields=outcome.fields,
    )  # fmt: skip


def _decide_submit(conn: Connection, machine: Machine, doc: store.DocumentRow) -> StepOutcome:
    lines = store.lines_of(conn, doc.id)
    quantity = sum(line.quantity for line in lines)
    rule = approval_rule(
        out_store.approval_rules_of(conn, machine.doc_type),
        machine.doc_type,
        doc.warehouse_id,
        doc.total_value or 0,
        quantity,
    )
    if rule is None:
        return StepOutcome(
            target="approved",
            data={"approved": "automatically", "why": "under every approval threshold"},
        )
    return StepOutcome(
        target="submitted", data={"approval_rule": rule.id, "approver_role": rule.approver_role}
    )


def submit_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Submit a draft request: approved at once (the timeline says so) when no approval rule
    of its kind and warehouse is reached by its value or quantity, else it waits for
    approval. Raises NotFound, ``invalid_transition``, PermissionDenied."""
    machine = request_machine(kind)
    return run_step(
        db, ctx, machine, "submit", number, {"note": note},
        lambda conn, doc, actor, now: _decide_submit(conn, machine, doc), note=check_note(note),
    )  # fmt: skip


def _check_approver_role(
    conn: Connection, machine: Machine, doc: store.DocumentRow, actor: Actor
) -> None:
    """The approver is never the requester, and holds the rule's approver role if it names one."""
    check_approver(actor.user_id, doc.created_by, doc.number)
    lines = store.lines_of(conn, doc.id)
    rule = approval_rule(
        out_store.approval_rules_of(conn, machine.doc_type),
        machine.doc_type,
        doc.warehouse_id,
        doc.total_value or 0,
        sum(line.quantity for line in lines),
    )
    if rule is not None and rule.approver_role:
        roles = out_store.roles_of(conn, actor.user_id, doc.warehouse_id)
        if rule.approver_role not in roles and "administrator" not in roles:
            raise PermissionDenied(
                f"{doc.number} needs the approval of a {rule.approver_role}",
                code="approver_role_required",
                role=rule.approver_role,
                document=doc.number,
            )


def approve_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Approve a submitted request (never one's own: ``own_document_approval``; with the role
    the approval rule names: ``approver_role_required``). Writes the state, the approver."""
    machine = request_machine(kind)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        _check_approver_role(conn, machine, doc, actor)
        return StepOutcome(fields={"approved_by": actor.user_id})

    return run_step(
        db, ctx, machine, "approve", number, {"note": note}, decide, note=check_note(note)
    )


def reject_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None
) -> StepResult:
    """Reject a submitted request with the reason (required) in ``note``."""
    machine = request_machine(kind)
    reason = check_note(note)
    if not reason:
        raise InvalidInput("a rejection needs a reason", code="reason_required")

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        _check_approver_role(conn, machine, doc, actor)
        return StepOutcome()

    return run_step(db, ctx, machine, "reject", number, {"note": note}, decide, note=reason)


def revise_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Take a rejected request back to draft (to change and submit again)."""
    machine = request_machine(kind)
    return run_step(
        db, ctx, machine, "revise", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip


def _release_unpicked(conn: Connection, doc: store.DocumentRow) -> dict[str, Any]:
    """Release the request's reservations that are not picked yet (nor on a pick list)."""
    rows = [r for r in out_store.allocations_of(conn, [doc.id]) if r.pick_line_id is None]
    out_store.remove_allocations(conn, rows)
    return {"released": len(rows)}


def cancel_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Cancel a request nothing has been picked for (draft to allocated): what was reserved
    for it is released. A shipped or picking request is ``invalid_transition``."""
    machine = request_machine(kind)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        return StepOutcome(data=_release_unpicked(conn, doc))

    return run_step(
        db, ctx, machine, "cancel", number, {"note": note}, decide, note=check_note(note)
    )


def close_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Close a partly shipped request: its backorder is dropped and what is still reserved
    for it released. Refused (``picked_not_shipped``) while picked goods wait to ship."""
    machine = request_machine(kind)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        if any(r.pick_line_id is not None for r in out_store.allocations_of(conn, [doc.id])):
            raise RuleViolation(
                f"{doc.number} has goods on a pick list or picked and not shipped: ship them"
                " or cancel the pick list first",
                code="picked_not_shipped",
                document=doc.number,
            )
        return StepOutcome(data=_release_unpicked(conn, doc))

    return run_step(
        db, ctx, machine, "close", number, {"note": note}, decide, note=check_note(note)
    )
