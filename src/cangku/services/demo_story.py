"""The demo's story (``services.demo``): ``_History`` posts the company's daily life through
the stock services with back-dated effective times and keeps its own book of the bins, so that
nothing is ever issued that is not there; a document step runs with the services' clock set to
the story's moment. With the purchase order on its way (``_Order``) and the story's lot, serial
number and price draws, which every part of the story uses.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from cangku.db.uow import Database
from cangku.services import common as service_clock
from cangku.services.common import Context
from cangku.services.demo_catalogue import DemoItem
from cangku.services.demo_outbound import OutboundBook
from cangku.services.stock import (
    adjust_stock,
    receive_stock,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Adjust, Receive, Reference, Reverse, Scrap, Transfer

T = TypeVar("T")

# ------------------------------------------------------------------ history
Key = tuple[str, str, str | None]  # location, item, lot


@contextmanager
def _services_clock(moment: datetime) -> Iterator[None]:
    """Run services as of ``moment``. The demo's history is back-dated: the stock operations
    take an effective time, but a document step takes its time from the services' clock
    (``services.common.utcnow``), so the story's steps run with that clock set to the story's
    moment (timeline, moves, due and expected dates of that day). Only ``build_demo`` does this,
    in its own process, on a database nobody uses yet."""
    real = service_clock.utcnow
    service_clock.utcnow = lambda: moment
    try:
        yield
    finally:
        service_clock.utcnow = real


@dataclass(frozen=True)
class _Line:
    """A purchase order line: ``count`` of ``unit`` (None: the base unit)."""

    item: DemoItem
    count: Decimal
    unit: tuple[str, int] | None


@dataclass(frozen=True)
class _Order:
    """A purchase order on its way."""

    number: str
    due: date
    lines: list[_Line]


#: what came in on a receipt line (one per lot or serial number): item, lot, base units
_Goods = tuple[DemoItem, str | None, Decimal]


@dataclass
class _History:
    """Posts the company's daily life through the stock services, tracking stock as it goes so
    that nothing is ever issued that is not there."""

    db: Database
    ctx: Context
    rng: random.Random
    catalogue: list[DemoItem]
    today: date
    activity: float
    stock: dict[Key, Decimal] = field(default_factory=dict)
    #: the lots held per (location, item): the keys of ``stock``, found without a scan
    lots_at: dict[tuple[str, str], dict[str | None, None]] = field(default_factory=dict)
    expiry: dict[tuple[str, str], date | None] = field(default_factory=dict)
    pending: dict[str, date] = field(default_factory=dict)
    clock: datetime = datetime.min.replace(tzinfo=UTC)
    numbers: dict[str, int] = field(default_factory=dict)
    #: the purchase orders on their way
    orders: list[_Order] = field(default_factory=list)
    #: goods rejected in inspection, to go back: (receipt, item, lot, quantity)
    rejected: list[tuple[str, str, str | None, Decimal]] = field(default_factory=list)
    #: the outbound story's memory (``services.demo_outbound``)
    outbound: OutboundBook = field(default_factory=OutboundBook)

    def step(self, call: Callable[[], T]) -> T:
        """Take a document step at the story's next moment."""
        with _services_clock(self.tick()):
            return call()

    # ---------------------------------------------------------- bookkeeping
    def start_day(self, day: date) -> None:
        self.clock = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)

    def tick(self) -> datetime:
        step = timedelta(minutes=self.rng.randint(1, 6), seconds=self.rng.randint(0, 59))
        if self.activity > 1:  # a busier day packs its postings closer (it still ends that day)
            step /= self.activity
        self.clock += step
        return self.clock

    def number(self, prefix: str) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}-{self.clock:%Y%m}-{self.numbers[prefix]:04d}"

    def change(self, key: Key, quantity: Decimal) -> None:
        left = self.stock.get(key, Decimal(0)) + quantity
        held = self.lots_at.setdefault(key[:2], {})
        if left:
            self.stock[key] = left
            held[key[2]] = None
        else:
            self.stock.pop(key, None)
            held.pop(key[2], None)

    def usable(self, location: str, item: str) -> list[tuple[str | None, Decimal]]:
        """(lot, quantity) at ``location`` that may still be issued, earliest expiry first."""
        found = [
            (lot, qty)
            for lot in self.lots_at.get((location, item), {})
            if (qty := self.stock[(location, item, lot)]) > 0 and self.fit(item, lot)
        ]
        return sorted(found, key=lambda x: (self.expiry.get((item, x[0] or "")) or date.max, x[0]))

    def fit(self, item: str, lot: str | None) -> bool:
        expires = self.expiry.get((item, lot or ""))
        return expires is None or expires >= self.today

    def on_hand(self, location: str, item: str) -> Decimal:
        return sum((q for _, q in self.usable(location, item)), Decimal(0))

    # ---------------------------------------------------------- postings
    def receive(
        self,
        item: DemoItem,
        quantity: Decimal,
        to: str,
        cost: Decimal,
        reference: Reference,
        *,
        unit: tuple[str, int] | None = None,
        lot: tuple[str, date, date] | None = None,
        supplier: str | None = None,
        source: str = "supplier",
    ) -> int:
        """Receive ``quantity`` (in ``unit``, default the base unit) at ``cost`` per that unit;
        ``lot`` is (code, manufactured on, expires on)."""
        result = receive_stock(
            self.db,
            self.ctx,
            Receive(
                item.code,
                str(quantity),
                to,
                unit=unit[0] if unit else None,
                lot=lot[0] if lot else None,
                manufactured_on=lot[1] if lot else None,
                expires_on=lot[2] if lot else None,
                unit_cost=str(cost),
                supplier=supplier,
                effective_at=self.tick(),
                reference=reference,
                source=source,
            ),
        )
        if lot is not None:
            self.expiry[(item.code, lot[0])] = lot[2]
        self.change((to, item.code, lot[0] if lot else None), quantity * (unit[1] if unit else 1))
        return result.moves[0].id

    def transfer(self, item: str, qty: Decimal, src: str, dst: str, lot: str | None) -> int:
        result = transfer_stock(
            self.db, self.ctx, Transfer(item, str(qty), src, dst, lot=lot, effective_at=self.tick())
        )
        self.change((src, item, lot), -qty)
        self.change((dst, item, lot), qty)
        return result.moves[0].id

    def adjust(
        self,
        item: DemoItem,
        qty: Decimal,
        location: str,
        lot: str | None,
        reason: str,
        cost: Decimal | None = None,
    ) -> None:
        adjust_stock(
            self.db,
            self.ctx,
            Adjust(
                item.code,
                str(qty),
                location,
                reason,
                lot=lot,
                unit_cost=None if cost is None else str(cost),
                expires_on=self.expiry.get((item.code, lot)) if lot else None,
                effective_at=self.tick(),
            ),
        )
        self.change((location, item.code, lot), qty)

    def scrap(self, item: str, qty: Decimal, location: str, lot: str | None, reason: str) -> None:
        scrap_stock(
            self.db,
            self.ctx,
            Scrap(item, str(qty), location, reason, lot=lot, effective_at=self.tick()),
        )
        self.change((location, item, lot), -qty)

    def reverse(self, move_id: int, note: str) -> None:
        """Reverse a move; the caller undoes its own bookkeeping of the original."""
        reverse_move(self.db, self.ctx, Reverse(move_id, note=note, effective_at=self.tick()))


# ------------------------------------------------------------------ draws
def _price(h: _History, cost: Decimal, spread: float = 0.04) -> Decimal:
    factor = Decimal(str(round(h.rng.uniform(1 - spread, 1 + spread), 3)))
    return (cost * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _new_lot(h: _History, item: DemoItem, day: date) -> tuple[str, date, date]:
    shelf = item.family.shelf_life or 365
    made = day - timedelta(days=h.rng.randint(5, shelf // 3))
    code = f"L{day:%y%m%d}-{h.number('lot:' + item.code)[-2:]}"
    return code, made, made + timedelta(days=shelf)


def _serial(h: _History, item: DemoItem) -> str:
    return f"SN-{item.code.removeprefix('FG-')}-{h.number('sn:' + item.code)[-4:]}"
