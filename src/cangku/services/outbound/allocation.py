"""Allocation: reserving stock for approved requests as rows (``allocations``), FIFO by receipt
date or FEFO by expiry per item (or from a chosen lot or bin), never from stock that is on
hold, quarantined, recalled, rejected, expired or outside a storage location; partially when
short (the rest is the backorder). Releasing takes the rows back off."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import outbound as out_store
from cangku.db.uow import Database
from cangku.domain.allocation import AllocationPlan, Need, allocate, default_strategy
from cangku.domain.errors import InsufficientStock, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.permissions import Actor
from cangku.domain.quantities import from_scaled
from cangku.queries.lots import expiry_settings
from cangku.services.common import Context
from cangku.services.documents import StepOutcome, StepResult, run_step
from cangku.services.outbound.requests import request_machine

__all__ = ["allocate_lines", "allocate_request", "open_quantities", "release_request"]


def open_quantities(conn: Connection, doc: store.DocumentRow) -> dict[int, int]:
    """Per request line (id): what is neither shipped nor reserved yet (its backorder)."""
    lines = store.lines_of(conn, doc.id)
    held: dict[int, int] = {}
    for row in out_store.allocations_of(conn, [doc.id]):
        if row.line_id is not None:
            held[row.line_id] = held.get(row.line_id, 0) + row.quantity
    return {line.id: line.quantity - line.done - held.get(line.id, 0) for line in lines}


def allocate_lines(
    conn: Connection,
    doc: store.DocumentRow,
    actor: Actor,
    now: datetime,
    *,
    excluded: Collection[tuple[int, int, int | None]] = (),
) -> AllocationPlan:
    """Reserve what each line of a request still needs, by its item's strategy (a chosen lot
    or bin on the line binds it), and write the rows. Answers the plan (what was reserved per
    line, what is short)."""
    lines = store.lines_of(conn, doc.id)
    open_qty = open_quantities(conn, doc)
    wanted = [line for line in lines if open_qty[line.id] > 0]
    if not wanted:
        return AllocationPlan((), {})
    item_ids = [line.item_id for line in wanted]
    items = loads.inbound_items(conn, ids=item_ids)
    configured = out_store.item_strategies(conn, item_ids)
    needs = []
    for line in wanted:
        item = items[line.item_id]
        assert isinstance(item, loads.InboundItem)
        needs.append(
            Need(
                line.id,
                line.item_id,
                open_qty[line.id],
                default_strategy(item.tracking, item.shelf_life_days, configured.get(item.id)),
                line.lot_id,
                line.location_id,
            )
        )
    out_store.lock_items(conn, doc.warehouse_id, item_ids)
    settings = expiry_settings(conn)
    plan = allocate(
        needs,
        out_store.candidates(conn, doc.warehouse_id, item_ids),
        settings.today(now),
        allow_expired=out_store.allows_expired(conn, doc.warehouse_id),
        excluded=excluded,
    )
    out_store.add_allocations(
        conn,
        [
            {
                "document_id": doc.id,
                "line_id": a.line_id,
                "item_id": a.item_id,
                "location_id": a.location_id,
                "lot_id": a.lot_id,
                "warehouse_id": doc.warehouse_id,
                "quantity": a.quantity,
            }
            for a in plan.allocations
        ],
        actor.user_id,
        now,
    )
    return plan


def _summary(conn: Connection, doc: store.DocumentRow, plan: AllocationPlan) -> dict[str, Any]:
    line_nos = {line.id: line.line_no for line in store.lines_of(conn, doc.id)}
    return {
        "allocated": {
            str(line_nos[line]): str(from_scaled(qty)) for line, qty in plan.allocated.items()
        },
        "short": {
            str(line_nos[line]): str(from_scaled(qty)) for line, qty in plan.shortages.items()
        },
    }


def allocate_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Reserve stock for what an approved (or partly shipped) request still needs. Lines that
    cannot be covered in full are reserved in part; the rest is the backorder (``data.short``).

    Raises NotFound, ``invalid_transition`` (not approved), PermissionDenied
    (``outbound.allocate``), RuleViolation ``nothing_to_allocate`` (every line is covered) and
    InsufficientStock ``no_stock_to_allocate`` (nothing at all could be reserved: nothing is
    written). Writes reservation rows, the balances' reserved, the event."""
    machine = request_machine(kind)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        if not any(qty > 0 for qty in open_quantities(conn, doc).values()):
            raise RuleViolation(
                f"{doc.number} has nothing left to allocate",
                code="nothing_to_allocate",
                document=doc.number,
            )
        plan = allocate_lines(conn, doc, actor, now)
        if not plan.allocations:
            raise InsufficientStock(
                f"no stock of {doc.number}'s items can be allocated in {doc.warehouse_code}"
                " (none available, or only held, quarantined, expired or in inspection)",
                code="no_stock_to_allocate",
                document=doc.number,
            )
        summary = _summary(conn, doc, plan)
        target = "allocated" if doc.state == "approved" else doc.state
        return StepOutcome(target=target, data=summary, result=summary)

    return run_step(
        db, ctx, machine, "allocate", number, {"note": note}, decide, note=check_note(note)
    )


def release_request(
    db: Database, ctx: Context, kind: str, number: str, note: str | None = None
) -> StepResult:
    """Release a request's reservations that are not on a pick list. An allocated request
    goes back to approved. Raises RuleViolation ``nothing_to_release``."""
    machine = request_machine(kind)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows = [r for r in out_store.allocations_of(conn, [doc.id]) if r.pick_line_id is None]
        if not rows:
            raise RuleViolation(
                f"{doc.number} holds no reservation that is not on a pick list",
                code="nothing_to_release",
                document=doc.number,
            )
        out_store.remove_allocations(conn, rows)
        target = "approved" if doc.state == "allocated" else doc.state
        released = sum(r.quantity for r in rows)
        return StepOutcome(target=target, data={"released": str(from_scaled(released))})

    return run_step(
        db, ctx, machine, "release", number, {"note": note}, decide, note=check_note(note)
    )
