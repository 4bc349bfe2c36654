"""Bulk posting: many moves in large batches (imports, data migration, benchmarks).

The same ledger store and rules as the single operations; codes are resolved once per batch
through small caches, and balance updates are set-based (ADR 0003). Each batch is one
transaction: a refused move refuses its whole batch and nothing of that batch is written.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

from sqlalchemy import Connection

from cangku.db import catalog, ledger, lookups
from cangku.db import lots as lot_store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.enums import Operation, Tracking
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import SCALE, parse_decimal, positive_quantity, to_scaled
from cangku.domain.stock import ItemInfo, LocationInfo, LotInfo, MoveLine, check_move
from cangku.services.common import Context, run_write
from cangku.services.stock import require_in_warehouses

#: post many moves at once (a CSV import, an integration) in the warehouses granted
STOCK_IMPORT = action("stock.import", roles={WAREHOUSE_MANAGER}, scoped=True, audited=False)


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


@dataclass(frozen=True)
class BulkResult:
    posted: int
    batches: int
    seconds: float

    @property
    def moves_per_second(self) -> float:
        return self.posted / self.seconds if self.seconds else 0.0


class _Resolver:
    """Caches from codes to the snapshots the rules need, filled a batch at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.items: dict[str, ItemInfo] = {}
        self.locations: dict[str, LocationInfo] = {}
        self.lots: dict[tuple[int, str], LotInfo] = {}
        self.places: dict[str, int] = {}
        self.quantities: dict[tuple[str, Decimal | str], int] = {}

    def base_quantity(self, item: ItemInfo, raw: Decimal | str) -> int:
        key = (item.base_unit, raw)
        known = self.quantities.get(key)
        if known is not None:
            return known
        places = self.places.get(item.base_unit)
        if places is None:
            places = self.places[item.base_unit] = lookups.unit_decimals(self.conn, item.base_unit)
        quantity = positive_quantity(raw)
        scaled = catalog.scaled_base_quantity(
            quantity, SCALE, item.base_unit, places, item.base_unit, places
        )
        self.quantities[key] = scaled
        return scaled

    def preload(self, batch: list[BulkMove]) -> None:
        """Resolve every new item and location code of ``batch`` in a few queries."""
        items = sorted({m.item for m in batch} - self.items.keys())
        if items:
            self.items.update(lookups.items_by_codes(self.conn, items))
        codes = {m.from_location for m in batch} | {m.to_location for m in batch}
        missing = sorted(codes - self.locations.keys())
        if missing:
            self.locations.update(lookups.locations_by_codes(self.conn, missing))

    def item(self, code: str) -> ItemInfo:
        found = self.items.get(code)
        if found is None:
            found = self.items[code] = lookups.item_by_code(self.conn, code)
        return found

    def location(self, code: str) -> LocationInfo:
        found = self.locations.get(code)
        if found is None:
            found = self.locations[code] = lookups.location_by_code(self.conn, code)
        return found

    def lot(self, item: ItemInfo, move: BulkMove, now: datetime) -> LotInfo | None:
        if not move.lot:
            return None
        key = (item.id, move.lot)
        found = self.lots.get(key)
        if found is None:
            if item.tracking is Tracking.NONE:
                raise InvalidInput(f"item {item.code} is not lot-tracked", code="lot_not_allowed")
            found = lot_store.get_or_create(
                self.conn,
                item,
                move.lot,
                now,
                expires_on=move.lot_expires_on,
                is_serial=item.tracking is Tracking.SERIAL,
            )
            self.lots[key] = found
        return found


_OPERATIONS = {operation.value: operation for operation in Operation}


def _line(resolver: _Resolver, move: BulkMove, now: datetime) -> MoveLine:
    item = resolver.item(move.item)
    qty = resolver.base_quantity(item, move.quantity)
    cost = None
    if move.unit_cost is not None:
        cost = to_scaled(parse_decimal(move.unit_cost, "unit_cost"))
    operation = _OPERATIONS.get(move.operation)
    if operation is None:
        raise InvalidInput(f"unknown operation {move.operation!r}", code="invalid_operation")
    return MoveLine(
        operation,
        item,
        resolver.location(move.from_location),
        resolver.location(move.to_location),
        qty,
        lot=resolver.lot(item, move, now),
        unit_cost=cost,
        effective_at=move.effective_at,
        reason_code=move.reason_code,
        note=move.note,
        document_type=move.document_type,
        document_id=move.document_id,
    )


def _lines(resolver: _Resolver, batch: list[BulkMove], now: datetime, first: int) -> list[MoveLine]:
    """The batch's moves checked against the rules; a refusal names the move's position in the
    input (1-based) in its message and its data (``move_number``)."""
    lines: list[MoveLine] = []
    today = now.date()
    for offset, move in enumerate(batch):
        try:
            line = _line(resolver, move, now)
            check_move(line, today)
        except CangkuError as exc:
            exc.data.setdefault("move_number", first + offset)
            exc.message = f"move {first + offset}: {exc.message}"
            exc.args = (exc.message,)
            raise
        lines.append(line)
    return lines


def _batches(rows: Iterable[BulkMove], size: int) -> Iterator[list[BulkMove]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


#: the cyclic garbage collector's first threshold while bulk posting (CPython's default: 700)
BULK_GC_THRESHOLD = 100_000


class _RareCollections:
    """Raises the garbage collector's first threshold while at least one bulk posting runs.

    A batch allocates several container objects per move (lines, keys, rows), nearly all freed
    by reference counting; with the default threshold the collector runs every 700 allocations
    and walks them, ~15 % of a 1M-move run (bench/README.md). Collection is rarer, not off,
    so cyclic garbage is still freed. The threshold is process-wide: concurrent postings are
    counted and the threshold found before the first is restored after the last.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = gc.get_threshold()
                if self._saved[0] < BULK_GC_THRESHOLD:
                    gc.set_threshold(BULK_GC_THRESHOLD, *self._saved[1:])
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    gc.set_threshold(*self._saved)


rare_collections = _RareCollections()


def post_bulk(
    db: Database, ctx: Context, rows: Iterable[BulkMove], batch_size: int = 10_000
) -> BulkResult:
    """Post ``rows`` in batches of ``batch_size``, in order.

    Raises the first refusal of a batch (earlier batches stay posted); with an idempotency key,
    batch N uses ``f"{key}:{N}"`` so a re-run skips the batches already posted.
    Writes: moves, balances, cost layers, lots created on the fly.
    """
    if not 1 <= batch_size <= 100_000:
        raise InvalidInput("batch size must be between 1 and 100000", code="invalid_batch_size")
    with rare_collections():
        return _post_batches(db, ctx, rows, batch_size)


def _post_batches(
    db: Database, ctx: Context, rows: Iterable[BulkMove], batch_size: int
) -> BulkResult:
    started = time.perf_counter()
    posted = batches = 0
    # ids do not change between batches, so the caches live for the whole call
    resolver: _Resolver = _Resolver(None)  # type: ignore[arg-type]
    for number, batch in enumerate(_batches(rows, batch_size)):

        def work(
            uow: UnitOfWork,
            actor: Actor,
            now: datetime,
            batch: list[BulkMove] = batch,
            first: int = number * batch_size + 1,
        ) -> int:
            resolver.conn = uow.conn
            resolver.lots.clear()  # a retried or failed batch may have created them
            resolver.preload(batch)
            lines = _lines(resolver, batch, now, first)
            granted: set[tuple[int, int]] = set()  # each pair of warehouses is checked once
            for line in lines:
                pair = (line.source.warehouse_id, line.dest.warehouse_id)
                if pair not in granted:
                    require_in_warehouses(actor, STOCK_IMPORT, line)
                    granted.add(pair)
            ledger.post(uow.conn, lines, actor.user_id, now)
            return len(lines)

        key = f"{ctx.idempotency_key}:{number}" if ctx.idempotency_key else None
        batch_ctx = replace(ctx, idempotency_key=key)
        payload = {
            "batch": number,
            "size": len(batch),
            "first": repr(batch[0]),
            "last": repr(batch[-1]),
        }
        count, _ = run_write(db, batch_ctx, STOCK_IMPORT, payload, work)
        posted += int(count)
        batches += 1
    return BulkResult(posted, batches, time.perf_counter() - started)
