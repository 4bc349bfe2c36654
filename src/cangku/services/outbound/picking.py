"""Pick lists: the reservations of one or more requests of a warehouse (a wave), one line per
reservation in walking order (by location code); the picker confirms each line by scanning
the bin, the lot and the quantity. Picked goods move to the warehouse's shipping location with
their reservation; a short pick names a reason, and what is missing is allocated again from
other bins (or backordered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import outbound as out_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.allocation import route_key
from cangku.domain.enums import Operation
from cangku.domain.errors import InvalidInput, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.outbound import PICK_LIST, SHORT_PICK_REASONS, check_pick
from cangku.domain.permissions import PICKER_SHIPPER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled, parse_decimal, to_scaled
from cangku.domain.reasons import check_reason
from cangku.domain.stock import MoveLine
from cangku.services.common import Context, run_write
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    assignee_of,
    create_document,
    deliver_outbox,
    run_step,
)
from cangku.services.outbound.allocation import allocate_lines
from cangku.services.outbound.requests import OUTBOUND_ALLOCATE, request_machine

__all__ = [
    "PICK_CONFIRM",
    "PickLineInput",
    "cancel_pick_list",
    "confirm_pick",
    "create_pick_list",
]

#: confirm picks (scan bin, lot and quantity) and ship picked goods
PICK_CONFIRM = action("pick.confirm", roles={PICKER_SHIPPER, WAREHOUSE_MANAGER}, scoped=True)


@dataclass(frozen=True)
class PickLineInput:
    line: int
    #: what was picked (base units); None: all the line asks for
    quantity: Decimal | str | None = None
    #: the bin and lot scanned; None: not scanned (taken as the line's)
    location: str | None = None
    lot: str | None = None
    #: why less was picked (``SHORT_PICK_REASONS``)
    reason: str | None = None


def create_pick_list(
    db: Database,
    ctx: Context,
    requests: list[str],
    kind: str = "sales_order",
    *,
    assignee: str | None = None,
    note: str | None = None,
) -> StepResult:
    """Make one pick list for the reservations of one or more requests of a warehouse that are
    on no pick list yet, one line per reservation in walking order; the requests are picking.

    Raises NotFound, InvalidInput ``no_lines`` (nothing to pick), RuleViolation
    ``requests_in_several_warehouses``, ``invalid_transition`` (a request not allocated),
    PermissionDenied (``outbound.allocate``). Writes the pick list, its lines, the
    reservations' pick lines, each request's "pick" event."""
    machine = request_machine(kind)
    note = check_note(note)
    if not requests:
        raise InvalidInput("name at least one request to pick", code="no_lines")

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        docs = [store.lock_document(conn, machine.doc_type, n) for n in sorted(set(requests))]
        warehouses = {doc.warehouse_id for doc in docs}
        if len(warehouses) > 1:
            raise RuleViolation(
                "a pick list serves requests of one warehouse",
                code="requests_in_several_warehouses",
            )
        first = docs[0]
        actor.require(OUTBOUND_ALLOCATE, first.warehouse_id)
        for doc in docs:
            machine.check(doc.state, "pick", doc.number)
        rows = [
            r
            for r in out_store.allocations_of(conn, [doc.id for doc in docs])
            if r.pick_line_id is None
        ]
        shipping = out_store.shipping_location(conn, first.warehouse_id, first.warehouse_code)
        rows = [r for r in rows if r.location_id != shipping]
        if not rows:
            raise InvalidInput(
                "nothing is allocated and waiting to be picked on these requests",
                code="no_lines",
            )
        places = lookups.locations_by_ids(conn, {r.location_id for r in rows})
        rows.sort(key=lambda r: (route_key(places[r.location_id].code), r.item_id, r.id))
        lines = [
            {
                "line_no": number,
                "item_id": r.item_id,
                "quantity": r.quantity,
                "lot_id": r.lot_id,
                "location_id": r.location_id,
                "target_location_id": shipping,
                "source_line_id": r.line_id,
            }
            for number, r in enumerate(rows, start=1)
        ]
        pick_id, number = create_document(
            conn,
            PICK_LIST,
            actor,
            now,
            warehouse_id=first.warehouse_id,
            warehouse_code=first.warehouse_code,
            lines=lines,
            note=note,
            reference=", ".join(doc.number for doc in docs)[:100],
            origin_id=first.id if len(docs) == 1 else None,
            assignee_id=assignee_of(conn, assignee) if assignee else None,
        )
        made = store.lines_of(conn, pick_id)
        out_store.set_pick_lines(
            conn, [(r.id, line.id) for r, line in zip(rows, made, strict=True)]
        )
        for doc in docs:
            advance(conn, machine, doc, "pick", actor, now, data={"pick_list": number})
        return {"number": number, "state": PICK_LIST.initial, "move_ids": []}

    payload = {"requests": sorted(set(requests)), "kind": kind, "assignee": assignee, "note": note}
    result, replayed = run_write(db, ctx, OUTBOUND_ALLOCATE, payload, work, target_type="pick_list")
    if not replayed:
        deliver_outbox(db)
    return StepResult(result["number"], result["state"], [], replayed, {})


def confirm_pick(
    db: Database,
    ctx: Context,
    number: str,
    lines: list[PickLineInput] | None = None,
    note: str | None = None,
) -> StepResult:
    """Confirm picks: each line given (or, with none, every open line in full) moves from its
    bin to the shipping location, its reservation with it. A scanned bin or lot other than the
    line's is refused (``wrong_location``, ``lot_not_allocated``: allocate that lot first); more
    than allocated is ``pick_exceeds_allocation``; less needs a reason, releases the rest and
    allocates it again away from that bin (what cannot be is backordered).

    Writes: one move per picked line, the reservation rows and balances, the lines, the
    events; the pick list is done once every line is confirmed."""
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows = {row.line_no: row for row in store.lines_of(conn, doc.id)}
        open_rows = [r for r in rows.values() if not _confirmed(r)]
        wanted = lines or [PickLineInput(r.line_no) for r in open_rows]
        seen: set[int] = set()
        for given in wanted:
            row = rows.get(given.line)
            if row is None:
                raise InvalidInput(
                    f"{number} has no line {given.line}", code="unknown_line", line=given.line
                )
            if given.line in seen or _confirmed(row):
                raise RuleViolation(
                    f"{number} line {given.line} is already picked",
                    code="line_already_picked",
                    line=given.line,
                )
            seen.add(given.line)
        held = {
            r.pick_line_id: r
            for r in out_store.allocations_of(conn, pick_line_ids=[rows[g.line].id for g in wanted])
        }
        places = lookups.locations_by_ids(
            conn,
            {rows[g.line].location_id or 0 for g in wanted}
            | {rows[g.line].target_location_id or 0 for g in wanted},
        )
        scanned = lookups.locations_by_codes(
            conn, sorted({g.location for g in wanted if g.location})
        )
        items = loads.inbound_items(conn, ids=[rows[g.line].item_id for g in wanted])
        lots = loads.lots_by_ids(conn, [rows[g.line].lot_id for g in wanted])
        moves: list[MoveLine] = []
        changes: list[dict[str, Any]] = []
        taken: list[out_store.AllocationRow] = []
        staged: list[dict[str, Any]] = []
        short: list[tuple[int, int, int | None]] = []
        for given in wanted:
            row = rows[given.line]
            item = items[row.item_id]
            assert isinstance(item, loads.InboundItem)
            allocation = held.get(row.id)
            allocated = allocation.quantity if allocation else 0
            bin_ = places[row.location_id or 0]
            if given.location and given.location != bin_.code:
                raise RuleViolation(
                    f"{number} line {row.line_no}: pick {item.code} from {bin_.code},"
                    f" not {given.location}",
                    code="wrong_location",
                    line=row.line_no,
                    expected=bin_.code,
                    scanned=given.location,
                )
            if given.location and given.location not in scanned:
                raise InvalidInput(f"unknown location {given.location}", code="location_not_found")
            lot = lots.get(row.lot_id) if row.lot_id else None
            if given.lot and (lot is None or given.lot != lot.code):
                raise RuleViolation(
                    f"{number} line {row.line_no}: lot {given.lot} is not the allocated"
                    f" {lot.code if lot else 'stock without a lot'}; allocate it first",
                    code="lot_not_allocated",
                    line=row.line_no,
                    expected=lot.code if lot else None,
                    scanned=given.lot,
                )
            qty = (
                to_scaled(parse_decimal(given.quantity, "quantity"))
                if given.quantity not in (None, "")
                else allocated
            )
            reason = check_reason(given.reason, SHORT_PICK_REASONS, required=False)
            check_pick(number, row.line_no, allocated, qty, reason)
            if allocation is not None:
                taken.append(allocation)
            if qty > 0:
                move = MoveLine(
                    Operation.MOVE, item.info(), bin_, places[row.target_location_id or 0], qty,
                    lot=lot,
                )  # fmt: skip
                move.document_line = row.line_no
                moves.append(move)
                staged.append(
                    {
                        "document_id": allocation.document_id if allocation else None,
                        "line_id": row.source_line_id,
                        "item_id": row.item_id,
                        "location_id": row.target_location_id,
                        "lot_id": row.lot_id,
                        "warehouse_id": doc.warehouse_id,
                        "quantity": qty,
                        "pick_line_id": row.id,
                    }
                )
            if qty < allocated:
                short.append((row.item_id, row.location_id or 0, row.lot_id))
            changes.append(
                {
                    "line_id": row.id,
                    "add_done": qty,
                    "add_accepted": qty,
                    "add_rejected": allocated - qty,
                    "set_reason_code": reason if qty < allocated else None,
                }
            )
        # the reservations leave the bins before the moves (a move takes only what is free)
        out_store.remove_allocations(conn, taken)
        confirmed = {g.line for g in wanted}
        finished = all(r.line_no in confirmed or _confirmed(r) for r in rows.values())

        def after(conn: Connection, move_ids: list[int]) -> dict[str, Any]:
            out_store.add_allocations(conn, staged, actor.user_id, now)
            return {"reallocated": _reallocate(conn, taken, short, actor, now)}

        return StepOutcome(
            target="done" if finished else "open",
            moves=moves,
            line_changes=changes,
            after=after,
            data={"lines": sorted(confirmed), "short": len(short)},
        )

    payload = {"lines": [vars(line) for line in lines or []], "note": note}
    return run_step(db, ctx, PICK_LIST, "pick", number, payload, decide, note=note)


def _confirmed(row: store.LineRow) -> bool:
    """A pick line is confirmed once what was picked (accepted) and what was short (rejected)
    are recorded."""
    return row.accepted + row.rejected > 0


def _reallocate(
    conn: Connection,
    taken: list[out_store.AllocationRow],
    short: list[tuple[int, int, int | None]],
    actor: Actor,
    now: datetime,
) -> dict[str, str]:
    """After a short pick: allocate each affected request again, away from the bins that were
    short; what cannot be covered stays the backorder. Answers {request: quantity reserved}."""
    if not short:
        return {}
    out: dict[str, str] = {}
    ids = sorted({r.document_id for r in taken if r.document_id is not None})
    docs = [store.document_by_id(conn, document_id) for document_id in ids]
    plan = allocate_lines(conn, docs, actor, now, excluded=short)
    lines = store.lines_of_documents(conn, ids)
    for doc in docs:
        got = sum(plan.allocated.get(line.id, 0) for line in lines[doc.id])
        if got:
            out[doc.number] = str(from_scaled(got))
    return out


def cancel_pick_list(
    db: Database, ctx: Context, number: str, note: str | None = None
) -> StepResult:
    """Cancel an open pick list: its unpicked reservations stay with their requests (to be put
    on another pick list). Picked lines stay picked."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        open_lines = [r.id for r in store.lines_of(conn, doc.id) if not _confirmed(r)]
        out_store.clear_pick_lines(conn, open_lines)
        return StepOutcome(data={"lines": len(open_lines)})

    return run_step(db, ctx, PICK_LIST, "cancel", number, {"note": note}, decide, note=note)
