"""Put-away: the operator stores received (or accepted) goods in bins, confirming each bin by
scanning it; partial put-away is allowed; the receipt is registered once all of it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import documents as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db.uow import Database
from cangku.domain.enums import Operation
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.inbound import PUTAWAY, check_putaway_target
from cangku.domain.operations import check_note
from cangku.domain.permissions import RECEIVING_CLERK, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled, positive_quantity, to_scaled
from cangku.domain.stock import MoveLine
from cangku.services.common import Context
from cangku.services.documents import StepOutcome, StepResult, run_step
from cangku.services.inbound.followups import register_if_done

__all__ = ["PUTAWAY_CONFIRM", "PutawayLineInput", "put_away"]

#: store received goods in bins (a put-away's lines)
PUTAWAY_CONFIRM = action("putaway.confirm", roles={RECEIVING_CLERK, WAREHOUSE_MANAGER}, scoped=True)


@dataclass(frozen=True)
class PutawayLineInput:
    line: int
    #: the bin scanned; None: the suggested one
    location: str | None = None
    #: base units; None: all that still waits on the line
    quantity: Decimal | str | None = None


def put_away(
    db: Database,
    ctx: Context,
    number: str,
    lines: list[PutawayLineInput] | None = None,
    note: str | None = None,
) -> StepResult:
    """Store goods of an open put-away: the lines given (bin scanned, quantity), or with no
    lines every waiting line in its suggested bin. The put-away is done when every line is
    stored; the receipt is registered when nothing of it is left to inspect or store.

    Raises NotFound (document, location), ``invalid_transition``, InvalidInput
    (``unknown_line``, ``location_required`` when there is no suggestion, quantities,
    ``location_not_in_warehouse``), RuleViolation (``putaway_location_not_storage``,
    ``item_type_not_allowed``, ``location_capacity_exceeded``, ``putaway_more_than_waiting``),
    PermissionDenied (``putaway.confirm``). Writes: one move per line stored, the lines, the
    event."""
    note = check_note(note)

    def decide(
        conn: Connection, doc: store.DocumentRow, actor: Actor, now: datetime
    ) -> StepOutcome:
        rows = {row.line_no: row for row in store.lines_of(conn, doc.id)}
        wanted = lines or [
            PutawayLineInput(row.line_no) for row in rows.values() if row.done < row.quantity
        ]
        for given in wanted:
            if given.line not in rows:
                raise InvalidInput(
                    f"{number} has no line {given.line}", code="unknown_line", line=given.line
                )
        bins = loads.bins(
            conn,
            ids=[t for g in wanted if (t := rows[g.line].target_location_id) is not None]
            + [s for g in wanted if (s := rows[g.line].location_id) is not None],
            codes=[g.location for g in wanted if g.location],
        )
        items = loads.inbound_items(conn, ids=[rows[g.line].item_id for g in wanted])
        lots = loads.lots_by_ids(conn, [rows[g.line].lot_id for g in wanted])
        # every location the moves name (sources and bins), in one statement
        places = lookups.locations_by_codes(
            conn, sorted({b.code for key, b in bins.items() if isinstance(key, int)})
        )
        moves: list[MoveLine] = []
        changes: list[dict[str, Any]] = []
        stored: dict[int, int] = {}
        for given in wanted:
            row = rows[given.line]
            item = items[row.item_id]
            assert isinstance(item, loads.InboundItem)
            key: object = given.location if given.location else row.target_location_id
            if key is None:
                raise InvalidInput(
                    f"{number} line {row.line_no}: scan the bin to store {item.code} in",
                    code="location_required",
                    line=row.line_no,
                )
            target = bins.get(key)
            if target is None:
                raise NotFound("location", key)
            loads.check_warehouse_of(target, doc.warehouse_id, doc.warehouse_code)
            check_putaway_target(target, item.item_type)
            waiting = row.quantity - row.done - stored.get(row.id, 0)
            qty = (
                to_scaled(positive_quantity(given.quantity))
                if given.quantity not in (None, "")
                else waiting
            )
            if qty > waiting:
                raise RuleViolation(
                    f"{number} line {row.line_no}: {from_scaled(waiting)} wait to be stored,"
                    f" not {from_scaled(qty)}",
                    code="putaway_more_than_waiting",
                    line=row.line_no,
                    waiting=str(from_scaled(waiting)),
                )
            if qty == 0:
                continue
            stored[row.id] = stored.get(row.id, 0) + qty
            assert row.location_id is not None  # set when the put-away was opened
            move = MoveLine(
                Operation.MOVE,
                item.info(),
                places[bins[row.location_id].code],
                places[target.code],
                qty,
                lot=lots[row.lot_id] if row.lot_id else None,
            )
            move.document_line = row.line_no
            moves.append(move)
            changes.append(
                {"line_id": row.id, "add_done": qty, "set_target_location_id": target.id}
            )
        finished = all(r.done + stored.get(r.id, 0) >= r.quantity for r in rows.values())

        def after(conn: Connection, move_ids: list[int]) -> dict[str, Any]:
            registered = (
                finished
                and doc.origin_id is not None
                and register_if_done(conn, doc.origin_id, actor, now, doc.number)
            )
            return {"receipt_registered": registered}

        return StepOutcome(
            target="done" if finished else "open",
            moves=moves,
            line_changes=changes,
            after=after,
            data={"lines": [g.line for g in wanted]},
        )

    payload = {"lines": [vars(line) for line in lines or []], "note": note}
    return run_step(db, ctx, PUTAWAY, "put_away", number, payload, decide, note=note)
