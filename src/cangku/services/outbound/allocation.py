"""Allocation: reserving stock for approved requests as rows (``allocations``), FIFO by receipt
date or FEFO by expiry per item (or from a chosen lot or bin), never from stock that is on
hold, quarantined, recalled, rejected, expired or outside a storage location; partially when
short (the rest is the backorder). Releasing takes the rows back off."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import outbound as out_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.allocation import AllocationPlan, Need, allocate, default_strategy
from cangku.domain.enums import LotStatus
from cangku.domain.errors import InsufficientStock, InvalidInput, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.permissions import Actor
from cangku.domain.quantities import from_scaled
from cangku.queries.lots import expiry_settings
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    deliver_outbox,
    run_step,
    step_action,
)
from cangku.services.outbound.requests import request_machine

__all__ = [
    "allocate_lines",
    "allocate_request",
    "allocate_wave",
    "open_quantities",
    "release_request",
]


def open_quantities(
    conn: Connection, docs: Sequence[store.DocumentRow]
) -> tuple[dict[int, list[store.LineRow]], dict[int, int]]:
    """The requests' lines (by document id) and, per line id, what is neither shipped nor
    reserved yet (its backorder): two statements for any number of requests."""
    lines = store.lines_of_documents(conn, [doc.id for doc in docs])
    held: dict[int, int] = {}
    for row in out_store.allocations_of(conn, [doc.id for doc in docs]):
        if row.line_id is not None:
            held[row.line_id] = held.get(row.line_id, 0) + row.quantity
    return lines, {
        line.id: line.quantity - line.done - held.get(line.id, 0)
        for rows in lines.values()
        for line in rows
    }


def allocate_lines(
    conn: Connection,
    docs: Sequence[store.DocumentRow],
    actor: Actor,
    now: datetime,
    *,
    excluded: Collection[tuple[int, int, int | None]] = (),
) -> AllocationPlan:
    """Reserve what each line of the requests (of one warehouse) still needs, by its item's
    strategy (a chosen lot or bin on the line binds it), the requests served in the order
    given, and write the rows. Answers the plan (what was reserved per line, what is short)."""
    if not docs:
        return AllocationPlan((), {})
    warehouse_id = docs[0].warehouse_id
    lines, open_qty = open_quantities(conn, docs)
    wanted = [(doc, line) for doc in docs for line in lines[doc.id] if open_qty[line.id] > 0]
    if not wanted:
        return AllocationPlan((), {})
    item_ids = [line.item_id for _, line in wanted]
    items = loads.inbound_items(conn, ids=item_ids)
    configured = out_store.item_strategies(conn, item_ids)
    needs = []
    for _, line in wanted:
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
    out_store.lock_items(conn, warehouse_id, item_ids)
    today = expiry_settings(conn).today(now)
    expired_ok = out_store.allows_expired(conn, warehouse_id)
    demand = out_store.Demand(_prunable(needs, excluded), today, expired_ok)
    plan = allocate(
        needs,
        out_store.candidates(conn, warehouse_id, item_ids, demand),
        today,
        allow_expired=expired_ok,
        excluded=excluded,
    )
    document_of = {line.id: doc.id for doc, line in wanted}
    out_store.add_allocations(
        conn,
        [
            {
                "document_id": document_of[a.line_id],
                "line_id": a.line_id,
                "item_id": a.item_id,
                "location_id": a.location_id,
                "lot_id": a.lot_id,
                "warehouse_id": warehouse_id,
                "quantity": a.quantity,
            }
            for a in plan.allocations
        ],
        actor.user_id,
        now,
    )
    return plan


def _prunable(
    needs: Sequence[Need], excluded: Collection[tuple[int, int, int | None]]
) -> dict[int, tuple[str, int]]:
    """Item id -> (strategy, total quantity) of the items whose candidates may be read only as
    far as the total reaches (``out_store.candidates``): every line of the item unbound (no
    chosen lot or bin) and of one strategy, and nothing excluded. Their lines then take one
    common order from the front, so no balance past the total's reach can be taken."""
    if excluded:
        return {}
    totals: dict[int, tuple[str, int]] = {}
    whole: set[int] = set()
    for need in needs:
        found = totals.get(need.item_id, (need.strategy, 0))
        if need.lot_id is not None or need.location_id is not None or found[0] != need.strategy:
            whole.add(need.item_id)
        totals[need.item_id] = (found[0], found[1] + need.quantity)
    return {item: total for item, total in totals.items() if item not in whole}


def _summary(lines: Sequence[store.LineRow], plan: AllocationPlan) -> dict[str, Any]:
    """What the plan reserved and left short, per line number of one request."""
    allocated, short = plan.allocated, plan.shortages
    return {
        "allocated": {
            str(line.line_no): str(from_scaled(allocated[line.id]))
            for line in lines
            if line.id in allocated
        },
        "short": {
            str(line.line_no): str(from_scaled(short[line.id]))
            for line in lines
            if line.id in short
        },
    }


def _check_chosen_lots(
    conn: Connection,
    lines: Sequence[store.LineRow],
    open_qty: dict[int, int],
    doc: store.DocumentRow,
    now: datetime,
) -> None:
    """A line that names its lot is refused outright when that lot may not be reserved (on
    hold, quarantined, recalled, rejected; expired where the warehouse does not allow it)
    rather than left silently short: ``lot_not_available`` / ``lot_expired``."""
    chosen = [line for line in lines if line.lot_id is not None and open_qty[line.id] > 0]
    if not chosen:
        return
    found = loads.lots_by_ids(conn, [line.lot_id for line in chosen])
    day = expiry_settings(conn).today(now)
    expired_ok = out_store.allows_expired(conn, doc.warehouse_id)
    for line in chosen:
        lot = found[line.lot_id or 0]
        if lot.status is not LotStatus.AVAILABLE:
            raise RuleViolation(
                f"{doc.number} line {line.line_no}: lot {lot.code} is {lot.status} and cannot"
                " be allocated",
                code="lot_not_available",
                lot=lot.code,
                status=str(lot.status),
                line=line.line_no,
            )
        if not expired_ok and lot.expires_on is not None and lot.expires_on < day:
            raise RuleViolation(
                f"{doc.number} line {line.line_no}: lot {lot.code} expired on"
                f" {lot.expires_on.isoformat()}",
                code="lot_expired",
                lot=lot.code,
                expires_on=lot.expires_on.isoformat(),
                line=line.line_no,
            )


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
        lines, open_qty = open_quantities(conn, [doc])
        if not any(qty > 0 for qty in open_qty.values()):
            raise RuleViolation(
                f"{doc.number} has nothing left to allocate",
                code="nothing_to_allocate",
                document=doc.number,
            )
        _check_chosen_lots(conn, lines[doc.id], open_qty, doc, now)
        plan = allocate_lines(conn, [doc], actor, now)
        if not plan.allocations:
            raise InsufficientStock(
                f"no stock of {doc.number}'s items can be allocated in {doc.warehouse_code}"
                " (none available, or only held, quarantined, expired or in inspection)",
                code="no_stock_to_allocate",
                document=doc.number,
            )
        summary = _summary(lines[doc.id], plan)
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


def allocate_wave(
    db: Database, ctx: Context, kind: str, numbers: list[str], note: str | None = None
) -> dict[str, dict[str, Any]]:
    """Allocate several approved (or partly shipped) requests of one warehouse in one step, in
    the order given (the first served first when stock is short): one load of the stock for
    all of them, one write of the reservations, each request's "allocate" event. Requests
    with nothing left to allocate are skipped; a request that gets nothing keeps its state.

    Raises NotFound, ``invalid_transition`` (a request not approved), RuleViolation
    ``requests_in_several_warehouses``, PermissionDenied. Answers {number: {allocated,
    short, state}}."""
    machine = request_machine(kind)
    note = check_note(note)
    if not numbers:
        raise InvalidInput("name at least one request to allocate", code="no_lines")
    act = step_action(machine.step("allocate").action)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        order = list(dict.fromkeys(numbers))
        docs = [store.lock_document(conn, machine.doc_type, n) for n in sorted(order)]
        by_number = {doc.number: doc for doc in docs}
        docs = [by_number[n] for n in order]
        if len({doc.warehouse_id for doc in docs}) > 1:
            raise RuleViolation(
                "a wave allocates requests of one warehouse",
                code="requests_in_several_warehouses",
            )
        actor.require(act, docs[0].warehouse_id)
        for doc in docs:
            machine.check(doc.state, "allocate", doc.number)
        plan = allocate_lines(conn, docs, actor, now)
        lines = store.lines_of_documents(conn, [doc.id for doc in docs])
        answer: dict[str, Any] = {}
        for doc in docs:
            summary = _summary(lines[doc.id], plan)
            state = doc.state
            if summary["allocated"]:
                target = "allocated" if doc.state == "approved" else doc.state
                state = advance(
                    conn, machine, doc, "allocate", actor, now,
                    target=target, note=note, data=summary,
                )  # fmt: skip
            answer[doc.number] = {**summary, "state": state}
        return answer

    result, replayed = run_write(
        db, ctx, act, {"kind": kind, "numbers": numbers, "note": note}, work,
        target_type=machine.doc_type,
    )  # fmt: skip
    if not replayed:
        deliver_outbox(db)
    return dict(result)
