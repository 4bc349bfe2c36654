"""Transfer requests: raise one (between bins of a warehouse, or between two warehouses),
submit it (approved at once within a warehouse), approve or reject it (never by the requester),
revise a rejected one, cancel one not dispatched yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import transfers as transfer_store
from cangku.db.costs import current_unit_costs
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import check_due_on, require_lines
from cangku.domain.enums import STORAGE_KINDS, LocationKind, LotStatus, Operation
from cangku.domain.errors import InsufficientStock, InvalidInput, NotFound, RuleViolation
from cangku.domain.inbound import check_approver
from cangku.domain.operations import check_line, check_note, short_text
from cangku.domain.permissions import (
    PICKER_SHIPPER,
    RECEIVING_CLERK,
    STAFF,
    WAREHOUSE_MANAGER,
    Actor,
    action,
)
from cangku.domain.quantities import from_scaled, scaled_product, to_scaled
from cangku.domain.stock import LocationInfo, LotInfo, MoveLine
from cangku.domain.transfers import TRANSFER
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
    "TRANSFER_APPROVE",
    "TRANSFER_DISPATCH",
    "TRANSFER_EDIT",
    "TRANSFER_RECEIVE",
    "TRANSFER_RESOLVE",
    "NewTransfer",
    "TransferLineInput",
    "approve_transfer",
    "cancel_transfer",
    "create_transfer",
    "raise_transfer",
    "reject_transfer",
    "revise_transfer",
    "submit_transfer",
]

#: raise, submit, revise and cancel transfers
TRANSFER_EDIT = action(
    "transfer.edit", roles=STAFF, scoped=True, description="raise and cancel transfers"
)
#: approve or reject a transfer between warehouses someone else raised
TRANSFER_APPROVE = action("transfer.approve", roles={WAREHOUSE_MANAGER}, scoped=True)
#: pick and dispatch a transfer (in the warehouse it leaves)
TRANSFER_DISPATCH = action(
    "transfer.dispatch", roles={WAREHOUSE_MANAGER, PICKER_SHIPPER}, scoped=True
)
#: receive a transfer (in the warehouse it arrives in)
TRANSFER_RECEIVE = action(
    "transfer.receive", roles={WAREHOUSE_MANAGER, RECEIVING_CLERK}, scoped=True
)
#: resolve what of a transfer did not arrive (lost, returned, found, scrapped)
TRANSFER_RESOLVE = action("transfer.resolve", roles={WAREHOUSE_MANAGER}, scoped=True)


@dataclass(frozen=True)
class TransferLineInput:
    item: str
    quantity: Decimal | str
    #: the bin (storage location) the goods leave
    from_location: str
    lot: str | None = None
    #: the bin they go to (required within a warehouse; between warehouses the receiver may
    #: name it when the goods arrive)
    to_location: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class NewTransfer:
    from_warehouse: str
    #: None: within ``from_warehouse``
    to_warehouse: str | None = None
    lines: list[TransferLineInput] = field(default_factory=list)
    reference: str | None = None
    due_on: date | None = None
    note: str | None = None
    assignee: str | None = None
    #: submit at once (approved at once within a warehouse)
    submit: bool = False


def _storage(
    place: LocationInfo | None, code: str, warehouse: loads.WarehouseInbound, side: str
) -> LocationInfo:
    if place is None:
        raise NotFound("location", code)
    if place.warehouse_id != warehouse.id or place.kind not in STORAGE_KINDS:
        raise InvalidInput(
            f"{code} is not a storage location of warehouse {warehouse.code}",
            code=f"{side}_location_not_in_warehouse",
            location=code,
            warehouse=warehouse.code,
        )
    if not place.active:
        raise RuleViolation(f"location {code} is deactivated", code="location_inactive")
    return place


@dataclass(frozen=True)
class _Ends:
    source: loads.WarehouseInbound
    dest: loads.WarehouseInbound
    transit: LocationInfo

    @property
    def within(self) -> bool:
        return self.source.id == self.dest.id


def _ends(conn: Connection, command: NewTransfer) -> _Ends:
    source = loads.active_warehouse(conn, command.from_warehouse)
    dest = (
        loads.active_warehouse(conn, command.to_warehouse)
        if command.to_warehouse and command.to_warehouse != command.from_warehouse
        else source
    )
    transit_id = loads.virtual_location(conn, source.id, LocationKind.TRANSIT)
    return _Ends(source, dest, lookups.locations_by_ids(conn, [transit_id])[transit_id])


def _lot(conn: Connection, item_id: int, code: str | None) -> LotInfo | None:
    if not code:
        return None
    found = lookups.lot_by_code(conn, item_id, code)
    if found is None:
        raise NotFound("lot", code)
    return found


def transfer_lines(
    conn: Connection, ends: _Ends, lines: list[TransferLineInput], day: date
) -> tuple[list[dict[str, Any]], int]:
    """The rows of a transfer's lines and its value at cost now (scaled). Each line is checked
    as the move it dispatches would be (tracking, kinds, active records), and the free stock of
    its bin and lot must cover it."""
    require_lines(lines, "transfer")
    found = items_by_code(conn, [line.item for line in lines])
    converter = Converter(conn, list(found.values()), {ln.unit for ln in lines if ln.unit})
    places = lookups.locations_by_codes(
        conn,
        sorted(
            {ln.from_location for ln in lines} | {ln.to_location for ln in lines if ln.to_location}
        ),
    )
    costs = current_unit_costs(conn, [item.id for item in found.values()])
    rows: list[dict[str, Any]] = []
    wanted: dict[tuple[int, int, int], int] = {}
    checks: list[MoveLine] = []
    total = 0
    for number, line in enumerate(lines, start=1):
        item = found[line.item]
        if not item.active:
            raise_inactive(item.code)
        quantity, _, base = converter.base(item, line.quantity, line.unit)
        source = _storage(places.get(line.from_location), line.from_location, ends.source, "from")
        target = None
        if line.to_location:
            target = _storage(places.get(line.to_location), line.to_location, ends.dest, "to")
        elif ends.within:
            raise InvalidInput(
                f"line {number}: a transfer within a warehouse names the bin it goes to",
                code="to_location_required",
                line=number,
            )
        lot = _lot(conn, item.id, line.lot)
        if lot is not None and not ends.within and lot.status is not LotStatus.AVAILABLE:
            raise RuleViolation(
                f"lot {lot.code} is {lot.status}: it may not leave the warehouse",
                code="lot_not_available",
                lot=lot.code,
                status=str(lot.status),
            )
        # the move its dispatch writes: to the bin within a warehouse, else to transit
        first_stop = target if ends.within and target else ends.transit
        checks.append(MoveLine(Operation.MOVE, item.info(), source, first_stop, base, lot=lot))
        key = (item.id, source.id, lot.id if lot else 0)
        wanted[key] = wanted.get(key, 0) + base
        total += scaled_product(base, costs.get(item.id, 0))
        rows.append(
            {
                "line_no": number,
                "item_id": item.id,
                "quantity": base,
                "unit": line.unit or item.base_unit,
                "unit_quantity": to_scaled(quantity),
                "lot_id": lot.id if lot else None,
                "location_id": source.id,
                "target_location_id": target.id if target else None,
            }
        )
    for move in checks:
        check_line(move, day)
    check_free(conn, wanted, checks)
    return rows, total


def check_free(
    conn: Connection, wanted: dict[tuple[int, int, int], int], moves: list[MoveLine]
) -> None:
    """Each bin and lot holds, free (on hand less reserved), what the lines take from it.
    Raises InsufficientStock naming the first line short."""
    free = transfer_store.available(conn, wanted)
    for move in moves:
        key = (move.item.id, move.source.id, move.lot.id if move.lot else 0)
        if wanted[key] > free[key]:
            lot = f" lot {move.lot.code}" if move.lot else ""
            raise InsufficientStock(
                f"not enough {move.item.code}{lot} at {move.source.code}: "
                f"{from_scaled(wanted[key])} to transfer, {from_scaled(free[key])} available",
                item=move.item.code,
                location=move.source.code,
                lot=move.lot.code if move.lot else None,
                requested=str(from_scaled(wanted[key])),
                available=str(from_scaled(free[key])),
            )


def create_transfer(db: Database, ctx: Context, command: NewTransfer) -> StepResult:
    """Raise a transfer (a draft, or submitted at once with ``submit``): within a warehouse
    (every line names the bin it goes to) or to another warehouse (through transit).

    Raises NotFound (warehouse, item, unit, lot, location, assignee), RuleViolation
    (``warehouse_inactive``, ``item_inactive``, ``location_inactive``, ``lot_not_available``
    between warehouses, tracking), InvalidInput (``no_lines``, quantities, units,
    ``from_location_not_in_warehouse``, ``to_location_not_in_warehouse``,
    ``to_location_required``, ``same_location``), InsufficientStock (more than the bin has
    free), PermissionDenied (``transfer.edit`` in the source warehouse). Writes the document,
    its lines, its events, outbox rows and the audit entry."""
    check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        return raise_transfer(uow.conn, actor, now, command)

    result, replayed = run_write(
        db, ctx, TRANSFER_EDIT, command_payload(command), work, target_type=TRANSFER.doc_type
    )
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], [], replayed, {})


def raise_transfer(
    conn: Connection, actor: Actor, now: datetime, command: NewTransfer
) -> dict[str, Any]:
    """The work of ``create_transfer`` in the caller's transaction (replenishment suggestions
    raise several in one): checks ``transfer.edit`` in the source warehouse, writes the
    transfer, its lines, events and outbox rows; answers its number, state and id."""
    note = check_note(command.note)
    ends = _ends(conn, command)
    actor.require(TRANSFER_EDIT, ends.source.id)
    day = today(conn, now)
    rows, total = transfer_lines(conn, ends, command.lines, day)
    document_id, number = create_document(
        conn,
        TRANSFER,
        actor,
        now,
        warehouse_id=ends.source.id,
        warehouse_code=ends.source.code,
        lines=rows,
        note=note,
        reference=short_text(command.reference, "reference", 100),
        total_value=total,
        due_on=check_due_on(command.due_on, day),
        assignee_id=assignee_of(conn, command.assignee) if command.assignee else None,
        to_warehouse_id=ends.dest.id,
        data={"to_warehouse": ends.dest.code},
    )
    state = TRANSFER.initial
    if command.submit:
        doc = store.lock_document(conn, TRANSFER.doc_type, number)
        state = _submit(conn, doc, actor, now, None)
    return {"number": number, "state": state, "move_ids": [], "id": document_id}


def _decide_submit(conn: Connection, doc: store.DocumentRow) -> StepOutcome:
    if doc.destination_id == doc.warehouse_id:
        return StepOutcome(
            target="approved",
            data={"approved": "automatically", "why": "within one warehouse"},
            fields={"approved_by": doc.created_by},
        )
    return StepOutcome(target="submitted")


def _submit(
    conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime, note: str | None
) -> str:
    outcome = _decide_submit(conn, doc)
    return advance(
        conn, TRANSFER, doc, "submit", actor, now,
        target=outcome.target, note=note, data=outcome.data, fields=outcome.fields,
    )  # fmt: skip


def submit_transfer(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Submit a draft transfer: approved at once within a warehouse, else it waits for a
    manager. Raises NotFound, ``invalid_transition``, PermissionDenied (``transfer.edit``)."""
    return run_step(
        db, ctx, TRANSFER, "submit", number, {"note": note},
        lambda conn, doc, actor, now: _decide_submit(conn, doc), note=check_note(note),
    )  # fmt: skip


def approve_transfer(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Approve a submitted transfer between warehouses. Raises RuleViolation
    ``own_document_approval`` (the requester), NotFound, ``invalid_transition``,
    PermissionDenied (``transfer.approve`` in the source warehouse)."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        check_approver(actor.user_id, doc.created_by, doc.number)
        return StepOutcome(fields={"approved_by": actor.user_id})

    return run_step(
        db, ctx, TRANSFER, "approve", number, {"note": note}, decide, note=check_note(note)
    )


def reject_transfer(db: Database, ctx: Context, number: str, reason: str) -> StepResult:
    """Reject a submitted transfer with a reason (back to the requester to revise or cancel).
    Raises InvalidInput ``reason_required``, RuleViolation ``own_document_approval``."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the transfer is rejected", code="reason_required")

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        check_approver(actor.user_id, doc.created_by, doc.number)
        return StepOutcome()

    return run_step(
        db, ctx, TRANSFER, "reject", number, {"reason": reason}, decide, note=check_note(reason)
    )


def revise_transfer(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Take a rejected transfer back to draft."""
    return run_step(
        db, ctx, TRANSFER, "revise", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip


def cancel_transfer(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Cancel a transfer not dispatched yet (nothing moved). A dispatched one is
    ``invalid_transition``: its goods are resolved through receiving and discrepancies."""
    return run_step(
        db, ctx, TRANSFER, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
