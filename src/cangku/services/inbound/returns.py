"""Returns to a supplier: goods from stock or from the rejection location go back, with a
reason; each leaves at the cost it came in with (the receipt's cost layer)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.tables import document_lines, documents, moves
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import require_lines
from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import InvalidInput
from cangku.domain.inbound import RECEIPT, RETURN_REASONS, SUPPLIER_RETURN
from cangku.domain.operations import check_note
from cangku.domain.permissions import (
    PURCHASER,
    QUALITY_INSPECTOR,
    RECEIVING_CLERK,
    WAREHOUSE_MANAGER,
    Actor,
    action,
)
from cangku.domain.reasons import check_reason
from cangku.domain.stock import MoveLine
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    create_document,
    deliver_outbox,
    run_step,
)
from cangku.services.inbound.quantities import Converter, items_by_code

__all__ = [
    "RETURN_CREATE",
    "RETURN_SHIP",
    "NewSupplierReturn",
    "ReturnLineInput",
    "cancel_supplier_return",
    "create_supplier_return",
    "ship_supplier_return",
]

#: raise a return to a supplier
RETURN_CREATE = action(
    "supplier_return.create",
    roles={PURCHASER, WAREHOUSE_MANAGER, QUALITY_INSPECTOR},
    scoped=True,
)
#: send a return's goods back (the moves to the supplier)
RETURN_SHIP = action(
    "supplier_return.ship", roles={RECEIVING_CLERK, WAREHOUSE_MANAGER}, scoped=True
)


@dataclass(frozen=True)
class ReturnLineInput:
    item: str
    quantity: Decimal | str
    #: where the goods are now (a bin, or the rejection location)
    location: str
    lot: str | None = None
    unit: str | None = None
    reason: str = "other"


@dataclass(frozen=True)
class NewSupplierReturn:
    lines: list[ReturnLineInput] = field(default_factory=list)
    #: the receipt the goods came on (its supplier and warehouse; the cost they left at)
    receipt: str | None = None
    supplier: str | None = None
    warehouse: str | None = None
    note: str | None = None
    #: send at once; False: a draft shipped later
    ship: bool = True


def _receipt_moves(conn: Connection, receipt_id: int) -> dict[tuple[int, int | None], int]:
    """(item, lot) -> the move that brought it in on the receipt."""
    rows = conn.execute(
        select(document_lines.c.item_id, document_lines.c.lot_id, document_lines.c.move_id).where(
            document_lines.c.document_id == receipt_id, document_lines.c.move_id.is_not(None)
        )
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


def _lot_receipt_move(conn: Connection, lot_id: int) -> int | None:
    """The receipt move that brought a lot in (any receipt), the latest first."""
    return conn.execute(
        select(document_lines.c.move_id)
        .join(documents, documents.c.id == document_lines.c.document_id)
        .where(
            documents.c.doc_type == RECEIPT.doc_type,
            document_lines.c.lot_id == lot_id,
            document_lines.c.move_id.is_not(None),
        )
        .order_by(document_lines.c.move_id.desc())
        .limit(1)
    ).scalar()


def _ship(conn: Connection, doc: store.DocumentRow, actor: Actor) -> list[MoveLine]:
    """The moves of a return: each line from its location to the supplier, preferring the cost
    layer its receipt opened (and that receipt's unit cost for an averaged item)."""
    rows = store.lines_of(conn, doc.id)
    items = loads.inbound_items(conn, ids=[r.item_id for r in rows])
    by_receipt = _receipt_moves(conn, doc.origin_id) if doc.origin_id else {}
    supplier_loc = lookups.location_by_id(
        conn, loads.virtual_location(conn, doc.warehouse_id, LocationKind.SUPPLIER)
    )
    out: list[MoveLine] = []
    for row in rows:
        item = items[row.item_id]
        assert isinstance(item, loads.InboundItem)
        source = lookups.location_by_id(conn, row.location_id)  # type: ignore[arg-type]
        origin = by_receipt.get((row.item_id, row.lot_id))
        if origin is None and row.lot_id is not None:
            origin = _lot_receipt_move(conn, row.lot_id)
        cost = None
        if origin is not None:
            cost = conn.execute(select(moves.c.unit_cost).where(moves.c.id == origin)).scalar()
        move = MoveLine(
            Operation.RETURN,
            item.info(),
            source,
            supplier_loc,
            row.quantity,
            lot=lookups.lot_by_id(conn, row.lot_id) if row.lot_id else None,
            unit_cost=int(cost) if cost is not None and item.costing_method != "fifo" else None,
            prefer_layer_of_move=origin,
            reason_code=row.reason_code,
            note=f"return to supplier: {row.reason_code}",
        )
        move.document_line = row.line_no
        out.append(move)
    return out


def create_supplier_return(db: Database, ctx: Context, command: NewSupplierReturn) -> StepResult:
    """Raise a return to a supplier (from a receipt, or naming the supplier and warehouse) and,
    unless ``ship`` is False, send it at once: one move per line from its location to the
    supplier, at the cost the goods came in with.

    Raises NotFound, InvalidInput (``no_lines``, quantities, reasons, ``lot_required``...),
    RuleViolation (insufficient stock, lot rules), PermissionDenied (``supplier_return.create``,
    and ``supplier_return.ship`` to send). Nothing is written when it raises."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        receipt = (
            store.document_by_number(conn, RECEIPT.doc_type, command.receipt)
            if command.receipt
            else None
        )
        if receipt is not None:
            warehouse = loads.warehouse_inbound(conn, warehouse_id=receipt.warehouse_id)
            supplier_id = receipt.partner_id
        else:
            if not command.warehouse or not command.supplier:
                raise InvalidInput(
                    "a return without a receipt names its warehouse and supplier",
                    code="supplier_required",
                )
            warehouse = loads.active_warehouse(conn, command.warehouse)
            supplier_id = loads.supplier(conn, command.supplier).id
        actor.require(RETURN_CREATE, warehouse.id)
        require_lines(command.lines, "supplier return")
        for given in command.lines:
            check_reason(given.reason, RETURN_REASONS)
        found = items_by_code(conn, [line.item for line in command.lines])
        converter = Converter(
            conn, list(found.values()), {ln.unit for ln in command.lines if ln.unit}
        )
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(command.lines, start=1):
            item = found[line.item]
            _, _, base = converter.base(item, line.quantity, line.unit)
            location = lookups.location_by_code(conn, line.location)
            if location.warehouse_id != warehouse.id:
                raise InvalidInput(
                    f"location {location.code} is not in warehouse {warehouse.code}",
                    code="location_not_in_warehouse",
                    location=location.code,
                )
            lot = None
            if line.lot:
                lot = lookups.lot_by_code(conn, item.id, line.lot)
                if lot is None:
                    from cangku.domain.errors import NotFound

                    raise NotFound("lot", f"{item.code}/{line.lot}")
            rows.append(
                {
                    "line_no": number, "item_id": item.id, "quantity": base,
                    "location_id": location.id, "lot_id": lot.id if lot else None,
                    "reason_code": line.reason, "unit": line.unit or item.base_unit,
                }
            )  # fmt: skip
        document_id, doc_number = create_document(
            conn, SUPPLIER_RETURN, actor, now,
            warehouse_id=warehouse.id, warehouse_code=warehouse.code, lines=rows, note=note,
            partner_id=supplier_id, origin_id=receipt.id if receipt else None,
        )  # fmt: skip
        result: dict[str, Any] = {
            "number": doc_number,
            "state": SUPPLIER_RETURN.initial,
            "move_ids": [],
        }
        if command.ship:
            actor.require(RETURN_SHIP, warehouse.id)
            doc = store.document_by_id(conn, document_id)
            from cangku.services.documents import post_for

            move_ids = post_for(conn, doc, _ship(conn, doc, actor), actor, now)
            store.update_lines(
                conn,
                [{"line_id": r.id, "add_done": r.quantity} for r in store.lines_of(conn, doc.id)],
            )
            result["state"] = advance(
                conn, SUPPLIER_RETURN, doc, "ship", actor, now, data={"moves": move_ids}
            )
            result["move_ids"] = move_ids
        return result

    result, replayed = run_write(
        db, ctx, RETURN_CREATE, dataclasses.asdict(command), work, target_type="supplier_return"
    )
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], result["move_ids"], replayed, {})


def ship_supplier_return(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Send a draft return's goods back to the supplier (see ``create_supplier_return``)."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows = store.lines_of(conn, doc.id)
        return StepOutcome(
            moves=_ship(conn, doc, actor),
            line_changes=[{"line_id": r.id, "add_done": r.quantity} for r in rows],
        )

    return run_step(
        db, ctx, SUPPLIER_RETURN, "ship", number, {"note": note}, decide, note=check_note(note)
    )


def cancel_supplier_return(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Cancel a draft return (nothing was sent)."""
    return run_step(
        db, ctx, SUPPLIER_RETURN, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
