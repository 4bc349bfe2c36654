"""The goods of a transfer move: dispatched by the picker (to transit, or straight to their
bins within a warehouse), received at the destination, and what did not arrive resolved by a
manager. Each step loads the transfer's lines and places in a few reads, decides in
``domain.transfers`` and posts its moves with the transfer's number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.uow import Database
from cangku.domain.enums import STORAGE_KINDS, LocationKind, Operation
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.operations import check_note
from cangku.domain.permissions import Actor
from cangku.domain.quantities import from_scaled, parse_decimal, to_scaled
from cangku.domain.stock import LocationInfo, MoveLine
from cangku.domain.transfers import (
    TRANSFER,
    Outcome,
    TransferLine,
    check_dispatch,
    check_outcome,
    check_receipt,
    check_resolution,
)
from cangku.services.common import Context
from cangku.services.documents import StepOutcome, StepResult, run_step
from cangku.services.transfers.requests import check_free

__all__ = ["Resolution", "dispatch_transfer", "receive_transfer", "resolve_transfer"]


def _quantities(raw: Mapping[int, Decimal | str] | None) -> dict[int, int]:
    """Line number -> base quantity (scaled); a negative one is refused by the domain."""
    return {int(k): to_scaled(parse_decimal(v)) for k, v in (raw or {}).items()}


@dataclass
class _Loaded:
    """A transfer's lines, items, lots and places, read in a few statements."""

    lines: dict[int, store.LineRow]
    views: dict[int, TransferLine]
    items: dict[object, loads.InboundItem]
    lots: dict[int, Any]
    places: dict[int, LocationInfo]
    transit: int

    def move(
        self, operation: Operation, row: store.LineRow, source: int, dest: int, quantity: int
    ) -> MoveLine:
        item = self.items[row.item_id]
        line = MoveLine(
            operation, item.info(), self.places[source], self.places[dest], quantity,
            lot=self.lots[row.lot_id] if row.lot_id else None,
        )  # fmt: skip
        line.document_line = row.line_no
        return line


def _load(conn: Connection, doc: store.DocumentRow, extra: Sequence[int] = ()) -> _Loaded:
    rows = store.lines_of(conn, doc.id)
    items = loads.inbound_items(conn, ids=[r.item_id for r in rows])
    transit = loads.virtual_location(conn, doc.warehouse_id, LocationKind.TRANSIT)
    wanted = {transit, *extra}
    for r in rows:
        wanted.update(x for x in (r.location_id, r.target_location_id) if x is not None)
    views = {
        r.line_no: TransferLine(
            r.line_no,
            items[r.item_id].code,
            r.quantity,
            r.done,
            r.accepted,
            r.rejected,
            r.resolved,
        )  # fmt: skip
        for r in rows
    }
    return _Loaded(
        {r.line_no: r for r in rows},
        views,
        items,
        loads.lots_by_ids(conn, [r.lot_id for r in rows]),
        lookups.locations_by_ids(conn, wanted),
        transit,
    )


def dispatch_transfer(
    db: Database,
    ctx: Context,
    number: str,
    picked: Mapping[int, Decimal | str] | None = None,
    note: str | None = None,
) -> StepResult:
    """The picker dispatches an approved transfer: each line's goods (``picked``: line number
    -> quantity; a line not named goes in full, 0 stays behind) leave their bin for the source
    warehouse's transit location, or within a warehouse go straight to their bin (the transfer
    is then received).

    Raises NotFound, ``invalid_transition``, PermissionDenied (``transfer.dispatch`` in the
    source warehouse), InvalidInput (``unknown_line``, quantities), RuleViolation
    (``dispatched_more_than_requested``, ``nothing_to_dispatch``), InsufficientStock (the bin
    no longer has it free). Writes the moves, the lines' dispatched quantities, the event."""
    wanted = _quantities(picked)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        loaded = _load(conn, doc)
        taking = check_dispatch(loaded.views, wanted)
        within = doc.destination_id == doc.warehouse_id
        moves: list[MoveLine] = []
        need: dict[tuple[int, int, int], int] = {}
        for line_no, quantity in taking.items():
            row = loaded.lines[line_no]
            assert row.location_id is not None
            dest = row.target_location_id if within else loaded.transit
            assert dest is not None  # a transfer within a warehouse names every line's bin
            moves.append(loaded.move(Operation.MOVE, row, row.location_id, dest, quantity))
            key = (row.item_id, row.location_id, row.lot_id or 0)
            need[key] = need.get(key, 0) + quantity
        check_free(conn, need, moves)
        changes = [{"line_id": loaded.lines[n].id, "add_done": q} for n, q in taking.items()]
        if within:  # arrived with the same move
            changes = [{**c, "add_accepted": c["add_done"]} for c in changes]
        return StepOutcome(
            target="received" if within else "in_transit",
            moves=moves,
            line_changes=changes,
            data={"dispatched": {str(n): str(q) for n, q in taking.items()}},
        )

    payload = {"picked": {str(k): str(v) for k, v in wanted.items()}, "note": note}
    return run_step(db, ctx, TRANSFER, "dispatch", number, payload, decide, note=check_note(note))


def _bins(
    conn: Connection, codes: Mapping[int, str] | None, warehouse_id: int
) -> dict[int, LocationInfo]:
    """The bins a receiver scanned, by line number; each a storage location of the
    destination warehouse."""
    if not codes:
        return {}
    found = lookups.locations_by_codes(conn, sorted(set(codes.values())))
    out: dict[int, LocationInfo] = {}
    for line_no, code in codes.items():
        place = found.get(code)
        if place is None:
            raise NotFound("location", code)
        if place.warehouse_id != warehouse_id or place.kind not in STORAGE_KINDS:
            raise InvalidInput(
                f"{code} is not a storage location of the warehouse the transfer arrives in",
                code="to_location_not_in_warehouse",
                location=code,
            )
        if not place.active:
            raise RuleViolation(f"location {code} is deactivated", code="location_inactive")
        out[int(line_no)] = place
    return out


def receive_transfer(
    db: Database,
    ctx: Context,
    number: str,
    received: Mapping[int, Decimal | str] | None = None,
    damaged: Mapping[int, Decimal | str] | None = None,
    bins: Mapping[int, str] | None = None,
    note: str | None = None,
) -> StepResult:
    """Receive a transfer in transit at its destination: what arrived in good order
    (``received``: line number -> quantity; a line not named arrived in full less what
    ``damaged`` reports) moves from transit to its bin (``bins``: line number -> the scanned
    bin, else the line's own). Anything short or damaged stays in transit as the transfer's
    discrepancy, for a manager to resolve.

    Raises NotFound, ``invalid_transition`` (received twice), PermissionDenied
    (``transfer.receive`` in the destination warehouse), InvalidInput (``unknown_line``,
    quantities, ``to_location_required``, ``to_location_not_in_warehouse``), RuleViolation
    ``received_more_than_dispatched``. Writes the moves, the lines' received and damaged
    quantities, the event."""
    good, broken = _quantities(received), _quantities(damaged)
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        scanned = _bins(conn, bins, doc.destination_id)
        loaded = _load(conn, doc)
        for line_no in scanned:
            if line_no not in loaded.lines:
                raise InvalidInput(f"the transfer has no line {line_no}", code="unknown_line")
        arriving, target = check_receipt(loaded.views, good, broken)
        loaded.places.update({p.id: p for p in scanned.values()})
        moves = []
        for line_no, quantity in arriving.items():
            row = loaded.lines[line_no]
            place = scanned.get(line_no)
            dest = place.id if place else row.target_location_id
            if dest is None:
                raise InvalidInput(
                    f"line {line_no}: scan the bin the goods go to",
                    code="to_location_required",
                    line=line_no,
                )
            moves.append(loaded.move(Operation.MOVE, row, loaded.transit, dest, quantity))
        changes: list[dict[str, Any]] = []
        for line_no, row in loaded.lines.items():
            change: dict[str, Any] = {"line_id": row.id, "add_accepted": arriving.get(line_no, 0)}
            change["add_rejected"] = broken.get(line_no, 0)
            if line_no in scanned:
                change["set_target_location_id"] = scanned[line_no].id
            changes.append(change)
        left = {n: v.missing - arriving.get(n, 0) for n, v in loaded.views.items()}
        missing = {str(n): str(from_scaled(q)) for n, q in left.items() if q}
        return StepOutcome(
            target=target,
            moves=moves,
            line_changes=changes,
            data={"missing": missing} if missing else {},
            result={"missing": missing},
        )

    payload = {
        "received": {str(k): str(v) for k, v in good.items()},
        "damaged": {str(k): str(v) for k, v in broken.items()},
        "bins": {str(k): v for k, v in (bins or {}).items()},
        "note": note,
    }
    return run_step(db, ctx, TRANSFER, "receive", number, payload, decide, note=note)


@dataclass(frozen=True)
class Resolution:
    """What became of some of a line's missing goods."""

    line: int
    outcome: str
    quantity: Decimal | str
    #: found goods: the bin they go to (else the line's own)
    location: str | None = None


def resolve_transfer(
    db: Database,
    ctx: Context,
    number: str,
    resolutions: Sequence[Resolution],
    note: str | None = None,
) -> StepResult:
    """A manager resolves what of a transfer did not arrive: ``lost`` (written off from transit
    to the source warehouse's adjustment location, reason ``lost``), ``returned`` (back to the
    bin it left), ``found`` (to its destination bin, or ``location``), ``scrapped`` (to scrap,
    reason ``damaged``). The transfer is received once nothing is missing.

    Raises NotFound, ``invalid_transition``, PermissionDenied (``transfer.resolve`` in the
    destination warehouse), InvalidInput (``no_resolutions``, ``unknown_outcome``,
    ``unknown_line``, quantities, ``to_location_required``), RuleViolation
    ``resolved_more_than_missing``. Writes the moves, the lines' resolved quantities, the
    event with every resolution."""
    parsed = [
        (int(r.line), check_outcome(r.outcome), to_scaled(parse_decimal(r.quantity)), r.location)
        for r in resolutions
    ]
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        found_bins = _bins(
            conn, {i: loc for i, (_, _, _, loc) in enumerate(parsed) if loc}, doc.destination_id
        )
        adjustment = loads.virtual_location(conn, doc.warehouse_id, LocationKind.ADJUSTMENT)
        scrap = loads.virtual_location(conn, doc.warehouse_id, LocationKind.SCRAP)
        loaded = _load(conn, doc, (adjustment, scrap))
        loaded.places.update({p.id: p for p in found_bins.values()})
        target = check_resolution(loaded.views, [(n, o, q) for n, o, q, _ in parsed])
        moves: list[MoveLine] = []
        resolved: dict[int, int] = {}
        for index, (line_no, outcome, quantity, _) in enumerate(parsed):
            row = loaded.lines[line_no]
            assert row.location_id is not None
            if outcome is Outcome.LOST:
                move = loaded.move(Operation.ADJUST, row, loaded.transit, adjustment, quantity)
                move.reason_code = "lost"
            elif outcome is Outcome.SCRAPPED:
                move = loaded.move(Operation.SCRAP, row, loaded.transit, scrap, quantity)
                move.reason_code = "damaged"
            elif outcome is Outcome.RETURNED:
                move = loaded.move(Operation.MOVE, row, loaded.transit, row.location_id, quantity)
            else:
                place = found_bins.get(index)
                dest = place.id if place else row.target_location_id
                if dest is None:
                    raise InvalidInput(
                        f"line {line_no}: name the bin the found goods go to",
                        code="to_location_required",
                        line=line_no,
                    )
                move = loaded.move(Operation.MOVE, row, loaded.transit, dest, quantity)
            move.note = f"{outcome} ({doc.number})"
            moves.append(move)
            resolved[line_no] = resolved.get(line_no, 0) + quantity
        return StepOutcome(
            target=target,
            moves=moves,
            line_changes=[
                {"line_id": loaded.lines[n].id, "add_resolved": q} for n, q in resolved.items()
            ],
            data={
                "resolutions": [
                    {"line": n, "outcome": str(o), "quantity": str(parse_decimal(r.quantity))}
                    for (n, o, _, _), r in zip(parsed, resolutions, strict=True)
                ]
            },
        )

    payload = {
        "resolutions": [
            {"line": n, "outcome": str(o), "quantity": q, "location": loc}
            for n, o, q, loc in parsed
        ],
        "note": note,
    }
    return run_step(db, ctx, TRANSFER, "resolve", number, payload, decide, note=note)
