"""Stock counts (盘点): raise a count of a scope, start it (the snapshot), enter what counters
find (several at once, unexpected items and lots allowed), close it (each line's difference
against the books now: the snapshot plus the moves since), send chosen lines back for a recount
by another counter, approve (above the company's threshold someone who did not count), post
the differences as adjustments with the count as their document. ADR 0025; the rules are in
``domain.counts``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from cangku.db import counts as count_store
from cangku.db import cycle_counts as cycle_store
from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.company import read_company
from cangku.db.costs import current_unit_costs
from cangku.db.lots import NewLot, check_code, check_tracking, ensure_lots
from cangku.db.tables import company
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.counts import (
    COUNT,
    CountLine,
    Scope,
    accuracy,
    check_approver,
    check_counted,
    variance,
)
from cangku.domain.documents import invalid_transition, machine
from cangku.domain.enums import STORAGE_KINDS, LocationKind, LotStatus, Operation, Tracking
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.permissions import STOCK_COUNTER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled, parse_decimal, to_scaled
from cangku.domain.stock import ItemInfo, LocationInfo, MoveLine
from cangku.services.common import Context, run_write
from cangku.services.count_scope import (
    NewCount,
    item_categories,
    location_paths,
    scope_of,
)
from cangku.services.documents import (
    StepOutcome,
    StepResult,
    advance,
    create_document,
    deliver_outbox,
    run_step,
)

__all__ = [
    "COUNT_APPROVE",
    "COUNT_MANAGE",
    "CountEntry",
    "NewCount",
    "approve_count",
    "cancel_count",
    "close_count",
    "create_count",
    "enter_counts",
    "post_count",
    "recount_lines",
    "start_count",
]

#: raise, start, count, close and cancel counts
COUNT_MANAGE = action("count.manage", roles={STOCK_COUNTER, WAREHOUSE_MANAGER}, scoped=True)
#: send lines back for a recount, approve and post counts
COUNT_APPROVE = action("count.approve", roles={WAREHOUSE_MANAGER}, scoped=True)
machine(COUNT)  # registered once its steps' actions are declared


def create_count(db: Database, ctx: Context, command: NewCount) -> StepResult:
    """Raise a count of a warehouse, or of zones, locations, items or categories in it, or of
    the places the cycle-count plan says are due (``plan``; within those limits) (started at
    once with ``start``). Raises NotFound (warehouse, location, item, category), InvalidInput
    ``location_not_in_warehouse`` / ``invalid_limit``, RuleViolation ``warehouse_inactive`` /
    ``nothing_due``,
    PermissionDenied (``count.manage``). Writes the document, its session, its events."""
    note = check_note(command.note)

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        warehouse = loads.active_warehouse(conn, command.warehouse)
        actor.require(COUNT_MANAGE, warehouse.id)
        today = now.astimezone(ZoneInfo(read_company(conn).time_zone)).date()
        scope = scope_of(conn, warehouse.id, command, today)
        document_id, number = create_document(
            conn, COUNT, actor, now, warehouse_id=warehouse.id, warehouse_code=warehouse.code,
            lines=[], note=note, data={"blind": command.blind},
        )  # fmt: skip
        count_store.write_session(conn, document_id, scope, command.blind)
        cycle_store.write_plan_places(conn, document_id, sorted(scope.places))
        state, made = COUNT.initial, dict[str, Any]()
        if command.start:
            doc = store.lock_document(conn, COUNT.doc_type, number)
            outcome = _decide_start(conn, doc, now)
            state = advance(conn, COUNT, doc, "start", actor, now, data=outcome.data)
            made = outcome.result
        return {"number": number, "state": state, "move_ids": [], "id": document_id, **made}

    payload = {**vars(command)}
    result, replayed = run_write(db, ctx, COUNT_MANAGE, payload, work, target_type="count")
    if not replayed:
        deliver_outbox(db)
    started = {k: result[k] for k in ("snapshot_lines",) if k in result}
    return StepResult(result["number"], result["state"], [], replayed, started)


def _decide_start(conn: Connection, doc: store.DocumentRow, now: datetime) -> StepOutcome:
    scope, _ = count_store.scope_of(conn, doc.id)
    lines = count_store.start_session(conn, doc.id, scope, now)
    return StepOutcome(data={"snapshot_lines": lines}, result={"snapshot_lines": lines})


def start_count(db: Database, ctx: Context, number: str) -> StepResult:
    """Start counting: the snapshot of the scope's balances and the ledger's position."""
    return run_step(
        db, ctx, COUNT, "start", number, {},
        lambda conn, doc, actor, now: _decide_start(conn, doc, now),
    )  # fmt: skip


@dataclass(frozen=True)
class CountEntry:
    """What a counter found at a place: the item, its lot (lot-tracked items), the quantity
    in base units."""

    location: str
    item: str
    quantity: Decimal | str
    lot: str | None = None


def enter_counts(
    db: Database, ctx: Context, number: str, entries: Sequence[CountEntry]
) -> dict[str, Any]:
    """Record counted quantities (the latest entry of a place in its round wins). A place the
    snapshot did not expect is added (expected 0); an unknown lot of a lot-tracked item is
    created. Raises NotFound (count, location, item), InvalidInput (``no_lines``,
    ``negative_count``, ``lot_required``), RuleViolation (``count_line_out_of_scope``,
    ``recount_by_same_counter``, ``invalid_transition`` unless counting), PermissionDenied.
    A batch reads only the lines of the places it names, and writes in a few statements
    whatever its size."""
    if not entries:
        raise InvalidInput("enter at least one count", code="no_lines")
    parsed = [(e, to_scaled(parse_decimal(e.quantity))) for e in entries]

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        doc = store.lock_document(conn, COUNT.doc_type, number)
        actor.require(COUNT_MANAGE, doc.warehouse_id)
        if doc.state != "counting":  # entries belong to a count in progress
            raise invalid_transition(COUNT.doc_type, number, doc.state, "count")
        scope, _ = count_store.scope_of(conn, doc.id)
        checked = _checked(conn, scope, parsed)
        lots = _entered_lots(conn, checked, now)
        keyed = [
            (entry, quantity, place, item, lots.get((item.id, entry.lot or "")))
            for entry, quantity, place, item in checked
        ]
        existing = {
            (r.item_id, r.location_id, r.lot_key): r
            for r in count_store.lines_at(
                conn, doc.id, [(item.id, place.id, lot or 0) for _, _, place, item, lot in keyed]
            )
        }
        changes: dict[int, dict[str, Any]] = {}
        new: dict[tuple[int, int, int], dict[str, Any]] = {}
        for _, quantity, place, item, lot_id in keyed:
            key = (item.id, place.id, lot_id or 0)
            row = existing.get(key)
            if row is None:
                new[key] = {
                    "document_id": doc.id, "item_id": item.id, "location_id": place.id,
                    "lot_key": lot_id or 0, "lot_id": lot_id, "counted": quantity,
                    "counted_by": actor.user_id, "counted_at": now,
                }  # fmt: skip
                continue
            if row.round > 1 and row.earlier_counter_id == actor.user_id:
                raise RuleViolation(
                    f"{item.code} at {place.code} is recounted by someone else",
                    code="recount_by_same_counter", item=item.code, location=place.code,
                )  # fmt: skip
            changes[row.id] = {
                "line_id": row.id, "counted": quantity, "counted_by": actor.user_id,
                "counted_at": now,
            }  # fmt: skip
        count_store.set_counts(conn, list(changes.values()))
        count_store.add_lines(conn, list(new.values()))
        return {"number": number, "entered": len(parsed), "new_lines": len(new)}

    payload = {"number": number, "entries": [vars(e) for e in entries]}
    result, replayed = run_write(
        db, ctx, COUNT_MANAGE, payload, work, target_type="count", target=number
    )
    return {**result, "replayed": replayed}


_Checked = tuple[CountEntry, int, LocationInfo, ItemInfo]


def _checked(
    conn: Connection, scope: Scope, parsed: list[tuple[CountEntry, int]]
) -> list[_Checked]:
    """Each entry with its place and item, refused in the entries' order when a place or item
    is unknown, a count negative, a place outside the scope or a lot missing."""
    places = lookups.locations_by_codes(conn, sorted({e.location for e, _ in parsed}))
    found = lookups.items_by_codes(conn, sorted({e.item for e, _ in parsed}))
    paths = location_paths(conn, [p.id for p in places.values()])
    cats = item_categories(conn, [i.id for i in found.values()])
    checked = []
    for entry, quantity in parsed:
        place, item = places.get(entry.location), found.get(entry.item)
        if place is None:
            raise NotFound("location", entry.location)
        if item is None:
            raise NotFound("item", entry.item)
        check_counted(quantity, item=item.code)
        if place.kind not in STORAGE_KINDS or not scope.covers(
            place.warehouse_id, place.id, paths[place.id], item.id, cats.get(item.id)
        ):
            raise RuleViolation(
                f"{item.code} at {place.code} is outside the count's scope",
                code="count_line_out_of_scope", item=item.code, location=place.code,
            )  # fmt: skip
        if item.tracking is not Tracking.NONE:
            if not entry.lot:
                raise InvalidInput(
                    f"{item.code} is counted by lot: name the lot",
                    code="lot_required", item=item.code,
                )  # fmt: skip
            check_tracking(item, item.tracking is Tracking.SERIAL)
            check_code(entry.lot)
        checked.append((entry, quantity, place, item))
    return checked


def _entered_lots(
    conn: Connection, checked: list[_Checked], now: datetime
) -> dict[tuple[int, str], int]:
    """The lots the entries name, by (item id, code): a lot nobody knew of is created
    (available, no dates), all in one insert."""
    wanted = {
        (item.id, entry.lot): NewLot(
            item.id,
            entry.lot,
            item.tracking is Tracking.SERIAL,
            None,
            None,
            None,
            LotStatus.AVAILABLE,
        )  # fmt: skip
        for entry, _, _, item in checked
        if item.tracking is not Tracking.NONE and entry.lot
    }
    if not wanted:
        return {}
    return {key: lot.id for key, lot in ensure_lots(conn, list(wanted.values()), now).items()}


def _book(
    conn: Connection, doc: store.DocumentRow
) -> tuple[list[count_store.CountLineRow], dict[int, CountLine]]:
    """The lines with what the books say now: the moves since the snapshot, the unit costs."""
    rows = count_store.lines_of(conn, doc.id)
    moved = count_store.moved_since(conn, doc.id)
    costs = current_unit_costs(conn, {r.item_id for r in rows})
    return rows, {
        r.id: CountLine(r.expected, moved.get(r.id, 0), r.counted, costs.get(r.item_id, 0))
        for r in rows
    }


def _kept(row: count_store.CountLineRow, line: CountLine, unit_cost: int) -> bool:
    """Whether a line's recorded moves since (NULL: none) or unit cost (kept where there is a
    difference) is not what ``line`` says."""
    if (row.moved or 0) != line.moved:
        return True
    return line.difference != 0 and row.unit_cost != unit_cost


def close_count(
    db: Database, ctx: Context, number: str, *, zero_uncounted: bool = False
) -> StepResult:
    """Close counting: each line's moves since the snapshot and unit cost are recorded, and its
    difference shown for review. A place expected but not counted stays out of the adjustment,
    unless ``zero_uncounted`` counts it as found empty. Only what changes is written: a line's
    ``moved`` NULL stands for no moves, and the unit cost is kept where there is a difference
    (elsewhere it values nothing), so closing 50,000 lines writes the few that moved or differ."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows, book = _book(conn, doc)
        changes = []
        for r in rows:
            line = book[r.id]
            change: dict[str, Any] = {}
            if zero_uncounted and r.counted is None:
                change.update(counted=0, counted_by=actor.user_id, counted_at=now)
                line = book[r.id] = CountLine(line.expected, line.moved, 0, line.unit_cost)
            if _kept(r, line, line.unit_cost) or change:
                changes.append(
                    {"line_id": r.id, "moved": line.moved, "unit_cost": line.unit_cost, **change}
                )
        count_store.set_counts(conn, changes)
        net, absolute = variance(book.values())
        right, counted = accuracy(list(book.values()))
        figures = {
            "lines": len(rows), "counted": counted, "right": right,
            "value_variance": str(from_scaled(net)),
            "absolute_variance": str(from_scaled(absolute)),
        }  # fmt: skip
        return StepOutcome(data=figures, result=figures)

    return run_step(db, ctx, COUNT, "close", number, {"zero_uncounted": zero_uncounted}, decide)


def recount_lines(
    db: Database, ctx: Context, number: str, line_ids: Sequence[int], note: str | None = None
) -> StepResult:
    """Send chosen lines back to be counted again, by another counter (the count is counting
    again). Raises InvalidInput ``unknown_line``, ``no_lines``."""
    if not line_ids:
        raise InvalidInput("choose the lines to recount", code="no_lines")

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows = {r.id: r for r in count_store.lines_by_ids(conn, doc.id, line_ids)}
        for line_id in line_ids:
            if line_id not in rows:
                raise InvalidInput(f"the count has no line {line_id}", code="unknown_line")
        count_store.set_counts(
            conn,
            [
                {"line_id": i, "counted": None, "counted_by": None, "counted_at": None,
                 "round": rows[i].round + 1, "earlier_counter_id": rows[i].counted_by}
                for i in sorted(set(line_ids))
            ],
        )  # fmt: skip
        return StepOutcome(data={"recount": sorted(set(line_ids))})

    return run_step(
        db, ctx, COUNT, "recount", number, {"lines": list(line_ids)}, decide, note=check_note(note)
    )


def approve_count(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Approve a closed count. Above the company's adjustment threshold (the sum of the
    differences' values) the approver did not count any of it: ``counter_cannot_approve``."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows, book = _book(conn, doc)
        _, absolute = variance(book.values())
        threshold = conn.execute(select(company.c.adjustment_approval_threshold)).scalar()
        counters = {x for r in rows for x in (r.counted_by, r.earlier_counter_id) if x is not None}
        check_approver(actor.user_id, counters, absolute, threshold, doc.number)
        return StepOutcome(fields={"approved_by": actor.user_id})

    return run_step(
        db, ctx, COUNT, "approve", number, {"note": note}, decide, note=check_note(note)
    )


def cancel_count(db: Database, ctx: Context, number: str, note: str | None = None) -> StepResult:
    """Cancel a count not approved yet: nothing is adjusted, its lines stay as they were
    counted. An approved or posted count is ``invalid_transition``."""
    return run_step(
        db, ctx, COUNT, "cancel", number, {"note": note},
        lambda *_: StepOutcome(), note=check_note(note),
    )  # fmt: skip


def post_count(db: Database, ctx: Context, number: str) -> StepResult:
    """Post an approved count: one adjustment move per line whose count differs from the books
    *now* (the snapshot plus every move since, up to this moment), to or from the warehouse's
    adjustment location, reason ``count_difference``, the count as the document."""

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows, book = _book(conn, doc)
        adjustment = loads.virtual_location(conn, doc.warehouse_id, LocationKind.ADJUSTMENT)
        wanted = [r for r in rows if book[r.id].difference != 0]
        places = lookups.locations_by_ids(conn, {adjustment, *(r.location_id for r in wanted)})
        items = loads.inbound_items(conn, ids=[r.item_id for r in wanted])
        lots = loads.lots_by_ids(conn, [r.lot_id for r in wanted])
        made = []
        for number_in_count, r in enumerate(wanted, start=1):
            gain = book[r.id].difference > 0
            here, there = places[r.location_id], places[adjustment]
            item = items[r.item_id]
            assert isinstance(item, loads.InboundItem)
            move = MoveLine(
                Operation.ADJUST, item.info(), there if gain else here, here if gain else there,
                abs(book[r.id].difference), lot=lots[r.lot_id] if r.lot_id else None,
                reason_code="count_difference",
            )  # fmt: skip
            move.document_line = number_in_count
            made.append(move)
        # the moves since as the posting found them, where they changed since closing (the
        # unit cost closing kept stays)
        kept = []
        for r in rows:
            cost = book[r.id].unit_cost if r.unit_cost is None else r.unit_cost
            if _kept(r, book[r.id], cost):
                kept.append({"line_id": r.id, "moved": book[r.id].moved, "unit_cost": cost})
        count_store.set_counts(conn, kept)
        return StepOutcome(moves=made, data={"adjusted_lines": len(made)})

    return run_step(db, ctx, COUNT, "post", number, {}, decide)
