"""Inspection (QC): the inspector records, per line, the sample taken and the quantities
accepted and rejected with a reason. Rejected goods move to the warehouse's rejection
location; accepted goods are released (their lot leaves quarantine) and a put-away follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.lots import set_statuses
from cangku.db.uow import Database
from cangku.domain.enums import LotStatus, Operation
from cangku.domain.errors import InvalidInput
from cangku.domain.inbound import INSPECTION, InspectionResult, check_inspection
from cangku.domain.operations import check_note
from cangku.domain.permissions import QUALITY_INSPECTOR, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import parse_decimal, to_scaled
from cangku.domain.stock import LotInfo, MoveLine
from cangku.services.common import Context
from cangku.services.documents import StepOutcome, StepResult, run_step
from cangku.services.inbound.followups import ToStore, open_putaway, register_if_done

__all__ = ["INSPECTION_RECORD", "InspectionLineInput", "record_inspection"]

#: record an inspection's results (accept, reject with a reason)
INSPECTION_RECORD = action(
    "inspection.record", roles={QUALITY_INSPECTOR, WAREHOUSE_MANAGER}, scoped=True
)


@dataclass(frozen=True)
class InspectionLineInput:
    line: int
    accepted: Decimal | str = "0"
    rejected: Decimal | str = "0"
    reason: str | None = None
    sample_size: Decimal | str | None = None
    note: str | None = None


def _scaled(value: Decimal | str | None, name: str) -> int:
    number = parse_decimal(value if value not in (None, "") else "0", name)
    if number < 0:
        raise InvalidInput(f"{name} cannot be negative", code="quantity_not_positive", field=name)
    return to_scaled(number)


def record_inspection(
    db: Database,
    ctx: Context,
    number: str,
    lines: list[InspectionLineInput],
    note: str | None = None,
) -> StepResult:
    """Record results on an open inspection. Lines not named wait for a later call; the
    inspection is done when every line is decided.

    Raises NotFound, ``invalid_transition`` (done already), InvalidInput (``no_lines``,
    quantities, ``reason_required``, ``unknown_reason_code``, ``unknown_line``), RuleViolation
    ``inspect_more_than_received``, PermissionDenied (``inspection.record``).
    Writes: moves of rejected goods to the rejection location, lot statuses (accepted:
    available; all rejected: rejected), the lines, a put-away of what was accepted, the event;
    the receipt is registered when nothing of it is left to inspect or store."""
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        if not lines:  # checked after the permission: a stranger learns nothing of the input
            raise InvalidInput("record at least one line", code="no_lines")
        rows = {line.line_no: line for line in store.lines_of(conn, doc.id)}
        items = loads.inbound_items(conn, ids=[r.item_id for r in rows.values()])
        warehouse = loads.warehouse_inbound(conn, warehouse_id=doc.warehouse_id)
        results: list[tuple[store.LineRow, InspectionResult]] = []
        for given in lines:
            row = rows.get(given.line)
            if row is None:
                raise InvalidInput(
                    f"{number} has no line {given.line}", code="unknown_line", line=given.line
                )
            result = InspectionResult(
                given.line,
                _scaled(given.accepted, "accepted"),
                _scaled(given.rejected, "rejected"),
                given.reason or None,
                _scaled(given.sample_size, "sample_size")
                if given.sample_size not in (None, "")
                else None,
                check_note(given.note),
            )
            pending = row.quantity - row.accepted - row.rejected
            check_inspection(result, pending, items[row.item_id].code, number)
            results.append((row, result))
        rejection_id = warehouse.rejection()
        lots = loads.lots_by_ids(conn, [row.lot_id for row, _ in results])
        places: dict[int, Any] = {}
        moves: list[MoveLine] = []
        changes: list[dict[str, Any]] = []
        accepted_goods: list[ToStore] = []
        lot_accepted: dict[int, int] = {}
        for row, result in results:
            held = row.location_id
            assert held is not None and row.source_line_id is not None  # set when received
            if result.rejected and held != rejection_id:
                for place in (held, rejection_id):
                    if place not in places:
                        places[place] = lookups.location_by_id(conn, place)
                move = MoveLine(
                    Operation.MOVE,
                    items[row.item_id].info(),
                    places[held],
                    places[rejection_id],
                    result.rejected,
                    lot=lots[row.lot_id] if row.lot_id else None,
                    note=f"rejected in inspection: {result.reason_code}",
                )
                move.document_line = row.line_no
                moves.append(move)
            if result.accepted:
                accepted_goods.append(
                    ToStore(
                        row.item_id,
                        row.lot_id,
                        result.accepted,
                        held,
                        row.source_line_id,
                    )
                )
            if row.lot_id:
                lot_accepted[row.lot_id] = (
                    lot_accepted.get(row.lot_id, 0) + row.accepted + result.accepted
                )
            change: dict[str, Any] = {
                "line_id": row.id,
                "add_accepted": result.accepted,
                "add_rejected": result.rejected,
                "add_done": result.accepted + result.rejected,
            }
            if result.reason_code:
                change["set_reason_code"] = result.reason_code
            if result.sample_size is not None:
                change["set_sample_size"] = result.sample_size
            if result.note:
                change["set_note"] = result.note
            changes.append(change)
        decided = {row.id: result.accepted + result.rejected for row, result in results}
        finished = all(
            r.accepted + r.rejected + decided.get(r.id, 0) >= r.quantity for r in rows.values()
        )
        statuses = {
            lot_id: LotStatus.AVAILABLE if accepted else LotStatus.REJECTED
            for lot_id, accepted in lot_accepted.items()
            if accepted or finished
        }

        def after(conn: Connection, move_ids: list[int]) -> dict[str, Any]:
            changed = _changed(lots, statuses)
            set_statuses(conn, changed, now, user_id=actor.user_id, document_id=doc.id)
            putaway = None
            if accepted_goods and doc.origin_id is not None:
                receipt = store.document_by_id(conn, doc.origin_id)
                putaway = open_putaway(conn, receipt, accepted_goods, actor, now, items)
            registered = False
            if finished and doc.origin_id is not None and putaway is None:
                registered = register_if_done(conn, doc.origin_id, actor, now, doc.number)
            return {"putaway": putaway, "receipt_registered": registered}

        return StepOutcome(
            target="done" if finished else "open",
            moves=moves,
            line_changes=changes,
            after=after,
            data={"lines": [r.line_no for _, r in results]},
        )

    return run_step(
        db, ctx, INSPECTION, "inspect", number,
        {"lines": [vars(line) for line in lines], "note": note}, decide, note=note,
    )  # fmt: skip


def _changed(lots: dict[int, LotInfo], statuses: dict[int, LotStatus]) -> dict[int, LotStatus]:
    """Only lots whose status differs (a released lot that was available stays untouched)."""
    return {
        lot_id: status for lot_id, status in statuses.items() if lots[lot_id].status is not status
    }
