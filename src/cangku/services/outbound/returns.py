"""Customer returns against a shipment: each line names what came back, why and where it goes
(back to a bin, to inspection at the quality location, or to scrap); the goods come back at
the cost they left with (the shipment move's unit cost)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.tables import document_lines, documents, moves
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import require_lines
from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.outbound import (
    CUSTOMER_RETURN,
    DISPOSITIONS,
    RETURN_REASONS,
    SHIPMENT,
    check_return,
)
from cangku.domain.permissions import (
    PICKER_SHIPPER,
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
    post_for,
    run_step,
)
from cangku.services.inbound.orders import command_payload
from cangku.services.inbound.quantities import Converter, items_by_code

__all__ = [
    "CUSTOMER_RETURN_RECEIVE",
    "CustomerReturnLineInput",
    "NewCustomerReturn",
    "cancel_customer_return",
    "create_customer_return",
    "receive_customer_return",
]

#: register and receive goods a customer sends back
CUSTOMER_RETURN_RECEIVE = action(
    "customer_return.receive",
    roles={RECEIVING_CLERK, PICKER_SHIPPER, WAREHOUSE_MANAGER},
    scoped=True,
)


@dataclass(frozen=True)
class CustomerReturnLineInput:
    item: str
    quantity: Decimal | str
    lot: str | None = None
    unit: str | None = None
    reason: str = "other"
    #: restock (to ``location``), inspect (the quality location) or scrap
    disposition: str = "restock"
    location: str | None = None


@dataclass(frozen=True)
class NewCustomerReturn:
    shipment: str
    lines: list[CustomerReturnLineInput] = field(default_factory=list)
    note: str | None = None
    #: receive at once; False: a draft received later
    receive: bool = True


def _shipped(
    conn: Connection, shipment_id: int
) -> dict[tuple[int, int | None], tuple[int, int, int]]:
    """(item, lot) -> (shipped, the first move that shipped it, its unit cost)."""
    rows = conn.execute(
        select(
            document_lines.c.item_id,
            document_lines.c.lot_id,
            func.sum(document_lines.c.quantity),
            func.min(document_lines.c.move_id),
        )
        .where(document_lines.c.document_id == shipment_id)
        .group_by(document_lines.c.item_id, document_lines.c.lot_id)
    ).all()
    costs = dict(
        conn.execute(
            select(moves.c.id, moves.c.unit_cost).where(moves.c.id.in_([r[3] for r in rows]))
        ).all()
    )
    return {(r[0], r[1]): (int(r[2]), int(r[3]), int(costs.get(r[3]) or 0)) for r in rows}


def _returned(conn: Connection, shipment_id: int) -> dict[tuple[int, int | None], int]:
    """What earlier returns (not cancelled) against the shipment took back, per (item, lot)."""
    rows = conn.execute(
        select(
            document_lines.c.item_id, document_lines.c.lot_id, func.sum(document_lines.c.quantity)
        )
        .join(documents, documents.c.id == document_lines.c.document_id)
        .where(
            documents.c.origin_id == shipment_id,
            documents.c.doc_type == CUSTOMER_RETURN.doc_type,
            documents.c.state != "cancelled",
        )
        .group_by(document_lines.c.item_id, document_lines.c.lot_id)
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


def _requested_as(conn: Connection, doc: store.DocumentRow) -> str | None:
    """The type of the request whose shipment the return is against."""
    shipment = documents.alias("shipment")
    request = documents.alias("request")
    return conn.execute(
        select(request.c.doc_type)
        .join_from(shipment, request, request.c.id == shipment.c.origin_id)
        .where(shipment.c.id == doc.origin_id)
    ).scalar()


def _receive_moves(conn: Connection, doc: store.DocumentRow) -> list[MoveLine]:
    rows = store.lines_of(conn, doc.id)
    items = loads.inbound_items(conn, ids=[r.item_id for r in rows])
    lots = loads.lots_by_ids(conn, [r.lot_id for r in rows])
    # goods come back from where they went: a requisition's from production
    came_from = (
        LocationKind.PRODUCTION
        if _requested_as(conn, doc) == "requisition"
        else (LocationKind.CUSTOMER)
    )
    customer_id = loads.virtual_location(conn, doc.warehouse_id, came_from)
    scrap_id = loads.virtual_location(conn, doc.warehouse_id, LocationKind.SCRAP)
    places = lookups.locations_by_ids(
        conn, {customer_id, scrap_id} | {r.target_location_id or 0 for r in rows}
    )
    out: list[MoveLine] = []
    for row in rows:
        item = items[row.item_id]
        assert isinstance(item, loads.InboundItem) and row.target_location_id is not None
        lot = lots.get(row.lot_id) if row.lot_id else None
        back = MoveLine(
            Operation.RECEIVE, item.info(), places[customer_id], places[row.target_location_id],
            row.quantity, lot=lot, unit_cost=row.base_price, reason_code=row.reason_code,
            note=f"customer return: {row.reason_code}",
        )  # fmt: skip
        back.document_line = row.line_no
        out.append(back)
        if row.disposition == "scrap":
            gone = MoveLine(
                Operation.SCRAP, item.info(), places[row.target_location_id], places[scrap_id],
                row.quantity, lot=lot, reason_code="damaged", note="customer return scrapped",
            )  # fmt: skip
            gone.document_line = row.line_no
            out.append(gone)
    return out


def create_customer_return(db: Database, ctx: Context, command: NewCustomerReturn) -> StepResult:
    """Register goods a customer sends back against a shipment and, unless ``receive`` is
    False, receive them at once: each line back at the cost it left with, to the bin named
    (restock), to the quality location (inspect), or through it to scrap.

    Raises NotFound (shipment, item, lot, location), InvalidInput (``no_lines``,
    quantities, reasons, ``unknown_disposition``, ``location_required``), RuleViolation
    (``return_exceeds_shipped``, ``not_shipped``), PermissionDenied
    (``customer_return.receive``). Nothing is written when it raises."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        shipment = store.document_by_number(conn, SHIPMENT.doc_type, command.shipment)
        actor.require(CUSTOMER_RETURN_RECEIVE, shipment.warehouse_id)
        require_lines(command.lines, "customer return")
        warehouse = loads.warehouse_inbound(conn, warehouse_id=shipment.warehouse_id)
        found = items_by_code(conn, [line.item for line in command.lines])
        converter = Converter(
            conn, list(found.values()), {ln.unit for ln in command.lines if ln.unit}
        )
        shipped, earlier = _shipped(conn, shipment.id), _returned(conn, shipment.id)
        places = lookups.locations_by_codes(
            conn, sorted({ln.location for ln in command.lines if ln.location})
        )
        rows: list[dict[str, Any]] = []
        taken: dict[tuple[int, int | None], int] = {}
        for line_no, line in enumerate(command.lines, start=1):
            check_reason(line.reason, RETURN_REASONS)
            if line.disposition not in DISPOSITIONS:
                raise InvalidInput(
                    f"unknown disposition {line.disposition!r}",
                    code="unknown_disposition",
                    allowed=list(DISPOSITIONS),
                )
            item = found[line.item]
            _, _, base = converter.base(item, line.quantity, line.unit)
            lot_id = None
            if line.lot:
                lot = lookups.lot_by_code(conn, item.id, line.lot)
                if lot is None:
                    raise NotFound("lot", line.lot)
                lot_id = lot.id
            key = (item.id, lot_id)
            if key not in shipped:
                raise RuleViolation(
                    f"{item.code}{' lot ' + line.lot if line.lot else ''} was not shipped on"
                    f" {shipment.number}",
                    code="not_shipped",
                    item=item.code,
                    shipment=shipment.number,
                )
            quantity, move_id, unit_cost = shipped[key]
            check_return(item.code, base + taken.get(key, 0), quantity, earlier.get(key, 0))
            taken[key] = taken.get(key, 0) + base
            target = _target(line, places, warehouse, shipment.warehouse_id)
            rows.append(
                {
                    "line_no": line_no,
                    "item_id": item.id,
                    "quantity": base,
                    "lot_id": lot_id,
                    "target_location_id": target,
                    "move_id": move_id,
                    "base_price": unit_cost,
                    "reason_code": line.reason,
                    "disposition": line.disposition,
                }
            )
        document_id, number = create_document(
            conn,
            CUSTOMER_RETURN,
            actor,
            now,
            warehouse_id=shipment.warehouse_id,
            warehouse_code=shipment.warehouse_code,
            lines=rows,
            note=note,
            partner_id=shipment.partner_id,
            origin_id=shipment.id,
        )
        state, move_ids = CUSTOMER_RETURN.initial, []
        if command.receive:
            doc = store.lock_document(conn, CUSTOMER_RETURN.doc_type, number)
            move_ids = post_for(conn, doc, _receive_moves(conn, doc), actor, now)
            state = advance(
                conn, CUSTOMER_RETURN, doc, "receive", actor, now, data={"moves": move_ids}
            )
        return {"number": number, "state": state, "move_ids": move_ids}

    result, replayed = run_write(
        db, ctx, CUSTOMER_RETURN_RECEIVE, command_payload(command), work,
        target_type="customer_return",
    )  # fmt: skip
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], result["move_ids"], replayed, {})


def _target(
    line: CustomerReturnLineInput,
    places: dict[str, Any],
    warehouse: loads.WarehouseInbound,
    warehouse_id: int,
) -> int:
    if line.disposition == "restock":
        if not line.location:
            raise InvalidInput(
                f"{line.item}: scan the bin the returned goods go back to",
                code="location_required",
            )
        place = places.get(line.location)
        if place is None:
            raise NotFound("location", line.location)
        if place.warehouse_id != warehouse_id or place.kind is not LocationKind.INTERNAL:
            raise RuleViolation(
                f"{place.code} is not a storage location of the shipment's warehouse",
                code="return_location_not_storage",
                location=place.code,
            )
        return int(place.id)
    if warehouse.quality_id is None:
        raise RuleViolation(
            f"warehouse {warehouse.code} has no quality location for returned goods",
            code="no_quality_location",
            warehouse=warehouse.code,
        )
    return int(warehouse.quality_id)


def receive_customer_return(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Receive a registered (draft) customer return: its moves, at the cost the goods left with."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        return StepOutcome(moves=_receive_moves(conn, doc))

    return run_step(
        db, ctx, CUSTOMER_RETURN, "receive", number, {"note": note}, decide, note=check_note(note)
    )


def cancel_customer_return(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Cancel a customer return that was not received."""
    return run_step(
        db, ctx, CUSTOMER_RETURN, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
