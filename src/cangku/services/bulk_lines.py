"""The lines of a bulk posting: moves by codes, resolved through caches and checked by the
single operations' rules (``domain.operations``), posted a batch at a time in the caller's
transaction. ``services.bulk`` runs the import around them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from itertools import islice

from sqlalchemy import Connection

from cangku.db import catalog, ledger, lookups
from cangku.domain.enums import Operation
from cangku.domain.errors import CangkuError, NotFound
from cangku.domain.operations import (
    bulk_operation,
    check_line,
    check_note,
    check_request,
    may_create_lot,
    moved_quantity,
    unit_cost_value,
)
from cangku.domain.permissions import Action, Actor
from cangku.domain.quantities import SCALE, to_scaled
from cangku.domain.stock import ItemInfo, LocationInfo, LotInfo, MoveLine, check_effective_time
from cangku.queries.lots import expiry_settings
from cangku.services.stock import require_in_warehouses
from cangku.services.stock_inputs import lot_for

__all__ = ["BulkMove", "Resolver", "batches", "check_lines", "content", "post_batch"]


@dataclass(frozen=True)
class BulkMove:
    """One move by codes; ``quantity`` in the item's base unit, ``unit_cost`` per base unit."""

    item: str
    quantity: Decimal | str
    from_location: str
    to_location: str
    operation: str = "import"
    lot: str | None = None
    lot_expires_on: date | None = None
    unit_cost: Decimal | str | None = None
    effective_at: datetime | None = None
    reason_code: str | None = None
    document_type: str | None = None
    document_id: str | None = None
    note: str | None = None
    #: where the move stands in its file (a CSV row), for messages; not part of its content
    row: int | None = field(default=None, compare=False)


def content(move: BulkMove) -> bytes:
    """What a move says, as the import digest reads it (everything but its row number)."""
    fields = (
        move.item, move.quantity, move.from_location, move.to_location, move.operation,
        move.lot, move.lot_expires_on, move.unit_cost, move.effective_at, move.reason_code,
        move.document_type, move.document_id, move.note,
    )  # fmt: skip
    return ("\x1f".join("" if v is None else str(v) for v in fields) + "\x1e").encode()


class Resolver:
    """Caches from codes to the snapshots the rules need, filled a batch at a time."""

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.items: dict[str, ItemInfo] = {}
        self.locations: dict[str, LocationInfo] = {}
        self.lots: dict[tuple[int, str], LotInfo | None] = {}
        self.places: dict[str, int] = {}
        self.quantities: dict[tuple[str, Decimal | str], int] = {}
        #: (operation, reason code, unit cost as typed) -> the unit cost, scaled, once checked
        self.requests: dict[tuple[Operation, str | None, Decimal | str | None], int | None] = {}
        self.zone: tzinfo = UTC

    def start(self, conn: Connection) -> None:
        """A new transaction: ids of items and locations hold; lots made by a rolled-back one
        may not."""
        self.conn = conn
        self.lots.clear()
        #: the company's time zone: its days judge a lot's expiry
        self.zone = expiry_settings(conn).zone

    @property
    def db(self) -> Connection:
        assert self.conn is not None
        return self.conn

    def base_quantity(self, item: ItemInfo, operation: Operation, raw: Decimal | str) -> int:
        key = (item.base_unit, raw)
        known = self.quantities.get(key)
        if known is not None:
            return known
        places = self.places.get(item.base_unit)
        if places is None:
            places = self.places[item.base_unit] = lookups.unit_decimals(self.db, item.base_unit)
        quantity = moved_quantity(operation, raw)
        scaled = catalog.scaled_base_quantity(
            quantity, SCALE, item.base_unit, places, item.base_unit, places
        )
        self.quantities[key] = scaled
        return scaled

    def preload(self, batch: list[BulkMove]) -> None:
        """Resolve every new item and location code of ``batch`` in a few queries."""
        items = sorted({m.item for m in batch} - self.items.keys())
        if items:
            self.items.update(lookups.items_by_codes(self.db, items))
        codes = {m.from_location for m in batch} | {m.to_location for m in batch}
        missing = sorted(codes - self.locations.keys())
        if missing:
            self.locations.update(lookups.locations_by_codes(self.db, missing))

    def item(self, code: str) -> ItemInfo:
        found = self.items.get(code)
        if found is None:
            # bulk moves take item codes (quantities are in base units: a barcode's unit would
            # be lost), so no barcode look-up here
            found = lookups.items_by_codes(self.db, [code]).get(code)
            if found is None:
                raise NotFound("item", code)
            self.items[code] = found
        return found

    def location(self, code: str) -> LocationInfo:
        found = self.locations.get(code)
        if found is None:
            found = self.locations[code] = lookups.location_by_code(self.db, code)
        return found

    def lot(self, item: ItemInfo, move: BulkMove, create: bool, now: datetime) -> LotInfo | None:
        if not move.lot:
            return None
        key = (item.id, move.lot)
        if key in self.lots:
            return self.lots[key]
        found = lot_for(self.db, item, move.lot, now, create=create, expires_on=move.lot_expires_on)
        if create or found is not None:  # a lot that exists now exists for the whole batch
            self.lots[key] = found
        return found


def _line(resolver: Resolver, move: BulkMove, now: datetime) -> MoveLine:
    operation = bulk_operation(move.operation)
    request = (operation, move.reason_code, move.unit_cost)
    if request in resolver.requests:  # the same request checks the same way: once
        cost = resolver.requests[request]
    else:
        check_request(operation, reason_code=move.reason_code, unit_cost=move.unit_cost)
        typed = unit_cost_value(move.unit_cost)
        cost = resolver.requests[request] = to_scaled(typed) if typed is not None else None
    check_note(move.note)
    item = resolver.item(move.item)
    source = resolver.location(move.from_location)
    dest = resolver.location(move.to_location)
    qty = resolver.base_quantity(item, operation, move.quantity)
    return MoveLine(
        operation,
        item,
        source,
        dest,
        qty,
        lot=resolver.lot(item, move, may_create_lot(operation, source.kind), now),
        unit_cost=cost,
        effective_at=move.effective_at,
        reason_code=move.reason_code or None,
        note=move.note or None,
        document_type=move.document_type,
        document_id=move.document_id,
    )


def _shape(line: MoveLine, zone: tzinfo) -> tuple[object, ...]:
    """Everything ``check_line`` reads of a line: two lines of one shape pass or fail its rules
    alike. An item counts by what the rules read of it (by itself only with a lot, which must
    be its own); locations and lots are the resolver's objects for the whole batch."""
    item, lot = line.item, line.lot
    if lot is None:
        what: tuple[object, ...] = (item.active, item.tracking, item.item_type)
    else:
        day = None
        if lot.expires_on is not None and line.effective_at is not None:
            day = line.effective_at.astimezone(zone).date()  # fit for use on the day it moves
        what = (id(item), id(lot), day, line.quantity == SCALE)  # a serial moves one unit
    return (line.operation, id(line.source), id(line.dest), line.unit_cost is None, what)


def _name_move(exc: CangkuError, number: int, row: int | None) -> None:
    """Say which move (1-based position in the input; its file row when known) was refused."""
    exc.data.setdefault("move_number", number)
    where = f"move {number}"
    if row is not None:
        exc.data.setdefault("row", row)
        where += f" (row {row})"
    exc.message = f"{where}: {exc.message}"
    exc.args = (exc.message,)


def check_lines(
    resolver: Resolver, batch: list[BulkMove], now: datetime, first: int
) -> list[MoveLine]:
    """The batch's moves checked against the rules; a refusal names the move's position in the
    input (1-based) in its message and its data (``move_number``)."""
    lines: list[MoveLine] = []
    zone = resolver.zone
    today = now.astimezone(zone).date()
    passed: set[tuple[object, ...]] = set()  # the lines' shapes that passed the rules
    for offset, move in enumerate(batch):
        try:
            line = _line(resolver, move, now)
            shape = _shape(line, zone)
            if shape not in passed:
                check_line(line, today, zone)
                passed.add(shape)
        except CangkuError as exc:
            _name_move(exc, first + offset, move.row)
            raise
        lines.append(line)
    return lines


def post_batch(
    resolver: Resolver,
    actor: Actor,
    act: Action,
    now: datetime,
    batch: list[BulkMove],
    first: int,
) -> None:
    """Check and post one batch in the caller's transaction (moves ``first``... of the input)."""
    resolver.preload(batch)
    lines = check_lines(resolver, batch, now, first)
    granted: set[tuple[int, int]] = set()  # each pair of warehouses is checked once
    for line in lines:
        pair = (line.source.warehouse_id, line.dest.warehouse_id)
        if pair not in granted:
            require_in_warehouses(actor, act, line)
            granted.add(pair)
    try:
        ledger.post(resolver.db, lines, actor.user_id, now)
    except CangkuError as exc:
        index = _refused_line(exc, lines, now)
        if index is not None and "move_number" not in exc.data:
            _name_move(exc, first + index, batch[index].row)
        raise


def _refused_line(exc: CangkuError, lines: list[MoveLine], now: datetime) -> int | None:
    """The index of the line the ledger refused: it names the first line that would take
    stock below zero (``line_index``); a business time it refuses is found again here."""
    index = exc.data.get("line_index")
    if isinstance(index, int) and 0 <= index < len(lines):
        return index
    if exc.code not in ("period_closed", "effective_in_future"):
        return None
    closed = exc.data.get("closed_through")
    through = date.fromisoformat(closed) if isinstance(closed, str) else None
    for position, line in enumerate(lines):
        if line.effective_at is None:
            continue
        try:
            check_effective_time(line.effective_at, now, through)
        except CangkuError as found:
            if found.code == exc.code:
                return position
    return None


def batches(rows: Iterable[BulkMove], size: int) -> Iterator[list[BulkMove]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
