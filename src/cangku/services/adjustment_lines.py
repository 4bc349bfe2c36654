"""The lines of an adjustment: what they name, loaded set-based (items, units, locations,
lots, reason codes), checked, and the moves they post (``domain.adjustments`` decides them).
``services.adjustments`` raises, submits and posts the documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import adjustments as store
from cangku.db import inbound as loads
from cangku.db import lookups
from cangku.db import lots as lot_store
from cangku.domain.adjustments import (
    REASON_KINDS,
    AdjustmentLine,
    adjustment_moves,
    check_direction,
    check_gain_cost,
    check_place,
    check_reason_code,
    reason_kind,
)
from cangku.domain.documents import require_lines
from cangku.domain.enums import Tracking
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.operations import check_line, check_note
from cangku.domain.stock import LocationInfo, LotInfo, MoveLine
from cangku.queries.lots import expiry_settings
from cangku.services.inbound.quantities import Converter, items_by_code
from cangku.services.stock_inputs import unit_cost_per_base

__all__ = [
    "AdjustmentLineInput",
    "NewAdjustment",
    "ResolvedLines",
    "line_moves",
    "line_row",
    "resolve_lines",
]


@dataclass(frozen=True)
class AdjustmentLineInput:
    item: str
    location: str
    #: gain, loss or scrap
    direction: str
    quantity: Decimal | str
    #: a code of the company's adjustment list (gain, loss) or scrap list (scrap)
    reason: str
    lot: str | None = None
    unit: str | None = None
    #: a gain's cost per ``unit``; None: the item's cost now
    unit_cost: Decimal | str | None = None
    #: a gain's new lot's expiry date
    expires_on: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class NewAdjustment:
    lines: list[AdjustmentLineInput] = field(default_factory=list)
    #: None: the warehouse of the lines' locations
    warehouse: str | None = None
    note: str | None = None
    #: submit at once (approved, or waiting for approval above the threshold)
    submit: bool = False
    #: and post it when it needs no approval
    post: bool = False


@dataclass
class ResolvedLines:
    """What ``resolve_lines`` found: the warehouse, the lines' rows and the moves they post."""

    warehouse_id: int
    warehouse_code: str
    rows: list[dict[str, Any]]
    moves: list[MoveLine]


def _lots(
    conn: Connection,
    lines: Sequence[AdjustmentLineInput],
    items: dict[str, loads.InboundItem],
    now: datetime,
) -> dict[int, LotInfo | None]:
    """The lot of each line (by index): existing ones in one read; a gain may bring a new lot
    of a tracked item (created here, as a receipt would)."""
    named = [(i, items[ln.item], ln) for i, ln in enumerate(lines) if ln.lot]
    found = store.lots_by_codes(conn, [(item.id, ln.lot or "") for _, item, ln in named])
    out: dict[int, LotInfo | None] = {}
    for index, item, line in named:
        lot_code = line.lot or ""
        if item.tracking == Tracking.NONE:
            raise InvalidInput(
                f"item {item.code} is not lot- or serial-tracked; leave the lot out",
                code="lot_not_allowed",
                item=item.code,
            )
        lot = found.get((item.id, lot_code))
        if lot is None and line.direction == "gain":
            lot = lot_store.get_or_create(
                conn, item.info(), lot_code, now, expires_on=line.expires_on,
                is_serial=item.tracking == Tracking.SERIAL,
            )  # fmt: skip
            found[(item.id, lot_code)] = lot
        if lot is None:
            raise NotFound("lot", f"{item.code}/{lot_code}")
        out[index] = lot
    return out


def resolve_lines(conn: Connection, command: NewAdjustment, now: datetime) -> ResolvedLines:
    """Load what the lines name (items, units, locations, lots, reason codes) set-based and
    build the moves they will post, checked by the ledger's rules that need no stock."""
    require_lines(command.lines, "adjustment")
    codes = store.codes_of(conn, REASON_KINDS)
    for line in command.lines:
        kind = reason_kind(check_direction(line.direction))
        check_reason_code(line.reason, kind, codes[kind])
        check_note(line.note)
    items = items_by_code(conn, [line.item for line in command.lines])
    converter = Converter(conn, list(items.values()), {ln.unit for ln in command.lines if ln.unit})
    places = lookups.locations_by_codes(conn, sorted({ln.location for ln in command.lines}))
    for line in command.lines:
        if line.location not in places:
            raise NotFound("location", line.location)
    if command.warehouse:
        wh = loads.active_warehouse(conn, command.warehouse)
        warehouse_id, warehouse_code = wh.id, wh.code
    else:
        first = places[command.lines[0].location]
        warehouse_id, warehouse_code = first.warehouse_id, first.warehouse_code or ""
    lots = _lots(conn, command.lines, items, now)
    lines: list[AdjustmentLine] = []
    rows: list[dict[str, Any]] = []
    for index, given in enumerate(command.lines):
        item, place = items[given.item], places[given.location]
        check_place(place.code, place.warehouse_id, warehouse_id, warehouse_code)
        check_gain_cost(given.direction, given.unit_cost not in (None, ""))
        quantity, _, base = converter.base(item, given.quantity, given.unit)
        cost = unit_cost_per_base(conn, item.info(), given.unit_cost, given.unit, base, quantity)
        lot = lots.get(index)
        made = AdjustmentLine(
            given.direction, base, item.id, cost, 0, index + 1, place.id,
            lot.id if lot else None, given.reason, check_note(given.note),
        )  # fmt: skip
        lines.append(made)
        rows.append(line_row(made, given.unit or item.base_unit))
    moves = line_moves(conn, warehouse_id, lines, {p.id: p for p in places.values()})
    _check_moves(conn, moves, now)
    return ResolvedLines(warehouse_id, warehouse_code, rows, moves)


def line_row(line: AdjustmentLine, unit: str) -> dict[str, Any]:
    """The document line's row of an adjustment line (entered in ``unit``)."""
    return {
        "line_no": line.line_no, "item_id": line.item_id, "quantity": line.quantity,
        "location_id": line.location_id, "lot_id": line.lot_id, "direction": line.direction,
        "reason_code": line.reason_code, "base_price": line.unit_cost, "note": line.note,
        "unit": unit,
    }  # fmt: skip


def line_moves(
    conn: Connection,
    warehouse_id: int,
    lines: list[AdjustmentLine],
    known: dict[int, LocationInfo] | None = None,
) -> list[MoveLine]:
    """The moves of ``lines`` (items, locations and lots read set-based)."""
    virtual = store.virtual_locations(conn, warehouse_id)
    items = loads.inbound_items(conn, ids=[line.item_id for line in lines])
    places = dict(known or {})
    wanted = {line.location_id for line in lines} | set(virtual.values())
    places.update(lookups.locations_by_ids(conn, wanted - set(places)))
    lots = loads.lots_by_ids(conn, [line.lot_id for line in lines])
    infos = {line.item_id: items[line.item_id].info() for line in lines}
    return adjustment_moves(lines, infos, places, lots, virtual)


def _check_moves(conn: Connection, moves: list[MoveLine], now: datetime) -> None:
    zone = expiry_settings(conn).zone
    day = now.astimezone(zone).date()
    for move in moves:
        check_line(move, day, zone)
