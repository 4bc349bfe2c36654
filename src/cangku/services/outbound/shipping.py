"""Shipping registration: what a request has picked leaves the shipping location for the
customer (a sales order) or production (a requisition), at the cost its layers give; a
shipment document records it with its packages, carrier, tracking number and cost of goods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import outbound as out_store
from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.domain.enums import LocationKind, Operation
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.operations import check_note, short_text
from cangku.domain.outbound import SHIPMENT, request_state_after_shipping
from cangku.domain.permissions import PICKER_SHIPPER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled
from cangku.domain.stock import MoveLine
from cangku.services.common import Context
from cangku.services.documents import StepOutcome, StepResult, create_document, run_step
from cangku.services.outbound.requests import request_machine

__all__ = ["SHIPMENT_SHIP", "deliver_shipment", "ship_request"]

#: register shipments (picked goods leave) and their delivery
SHIPMENT_SHIP = action("shipment.ship", roles={PICKER_SHIPPER, WAREHOUSE_MANAGER}, scoped=True)


def ship_request(
    db: Database,
    ctx: Context,
    kind: str,
    number: str,
    *,
    carrier: str | None = None,
    tracking_number: str | None = None,
    packages: int | None = None,
    note: str | None = None,
) -> StepResult:
    """Ship what a request has picked: one move per picked reservation from the shipping
    location to the customer (or production), its reservation released; a shipment document
    (``SH-...``) records the lines, their cost and the carrier. The request is shipped once
    every line has left in full, else partially shipped (the rest is the backorder).

    Raises NotFound, ``invalid_transition``, PermissionDenied (``shipment.ship``),
    RuleViolation ``nothing_picked``, InvalidInput (``invalid_packages``, field lengths).
    Answers ``data.shipment`` and ``data.cost_of_goods``."""
    machine = request_machine(kind)
    carrier, tracking_number = (
        short_text(carrier, "carrier", 100),
        short_text(tracking_number, "tracking", 100),
    )
    if packages is not None and not 1 <= packages <= 100000:
        raise InvalidInput("packages is a whole number from 1", code="invalid_packages")
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        shipping = out_store.shipping_location(conn, doc.warehouse_id, doc.warehouse_code)
        picked = [
            r
            for r in out_store.allocations_of(conn, [doc.id])
            if r.location_id == shipping and r.pick_line_id is not None
        ]
        if not picked:
            raise RuleViolation(
                f"{doc.number} has nothing picked to ship", code="nothing_picked", document=number
            )
        lines = {line.id: line for line in store.lines_of(conn, doc.id)}
        kind_to = (
            LocationKind.CUSTOMER if machine.doc_type == "sales_order" else LocationKind.PRODUCTION
        )
        dest_id = loads.virtual_location(conn, doc.warehouse_id, kind_to)
        places = lookups.locations_by_ids(conn, [shipping, dest_id])
        items = loads.inbound_items(conn, ids=[r.item_id for r in picked])
        lots = loads.lots_by_ids(conn, [r.lot_id for r in picked])
        out_store.remove_allocations(conn, picked)
        issued: list[MoveLine] = []
        shipped: dict[int, int] = {}
        for r in picked:
            item = items[r.item_id]
            assert isinstance(item, loads.InboundItem) and r.line_id is not None
            move = MoveLine(
                Operation.ISSUE, item.info(), places[shipping], places[dest_id], r.quantity,
                lot=lots[r.lot_id] if r.lot_id else None,
                note=f"shipped on {doc.number}",
            )  # fmt: skip
            move.document_line = lines[r.line_id].line_no
            issued.append(move)
            shipped[r.line_id] = shipped.get(r.line_id, 0) + r.quantity
        done = {line_id: line.done + shipped.get(line_id, 0) for line_id, line in lines.items()}
        target = request_state_after_shipping(
            {line_id: line.quantity for line_id, line in lines.items()}, done
        )

        def after(conn: Connection, move_ids: list[int]) -> dict[str, Any]:
            costs = {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.execute(
                    select(moves.c.id, moves.c.unit_cost, moves.c.value).where(
                        moves.c.id.in_(move_ids)
                    )
                )
            }
            rows = []
            total = 0
            for index, (r, move_id) in enumerate(zip(picked, move_ids, strict=True), start=1):
                unit_cost, value = costs[move_id]
                total += value
                rows.append(
                    {
                        "line_no": index,
                        "item_id": r.item_id,
                        "quantity": r.quantity,
                        "done": r.quantity,
                        "lot_id": r.lot_id,
                        "location_id": shipping,
                        "source_line_id": r.line_id,
                        "move_id": move_id,
                        "base_price": unit_cost,
                    }
                )
            _, shipment = create_document(
                conn,
                SHIPMENT,
                actor,
                now,
                warehouse_id=doc.warehouse_id,
                warehouse_code=doc.warehouse_code,
                lines=rows,
                note=note,
                partner_id=doc.partner_id,
                origin_id=doc.id,
                reference=doc.reference,
                total_value=total,
                carrier=carrier,
                tracking_number=tracking_number,
                packages=packages,
            )
            return {"shipment": shipment, "cost_of_goods": str(from_scaled(total))}

        return StepOutcome(
            target=target,
            moves=issued,
            line_changes=[{"line_id": k, "add_done": v} for k, v in shipped.items()],
            after=after,
        )

    payload = {
        "carrier": carrier,
        "tracking_number": tracking_number,
        "packages": packages,
        "note": note,
    }
    return run_step(db, ctx, machine, "ship", number, payload, decide, note=note)


def deliver_shipment(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Record that a shipment arrived (the carrier's proof of delivery, in ``note``)."""
    return run_step(
        db, ctx, SHIPMENT, "deliver", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip
