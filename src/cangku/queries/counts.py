"""A stock count as its counters and its reviewer see it (issue 14): each line's place, what
was counted, by whom and in which round; from review on, what moved there since the snapshot,
the books when it was counted, the difference and its value; the totals.

A blind count hides the expected figures from whoever may not approve it (they count what they
find, not what the books say); the value of a difference is shown only to a reader who may see
values in the count's warehouse (``queries.cost_fields``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from cangku.db import counts as count_store
from cangku.db.costs import current_unit_costs
from cangku.db.tables import count_sessions, documents
from cangku.db.tables import warehouses as warehouse_table
from cangku.domain.counts import CountLine, accuracy, variance
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_product
from cangku.queries.cost_fields import CostScope

__all__ = ["CountLineView", "CountTotals", "CountView", "MoveSinceView", "count_view"]

#: the states in which a count's differences are shown (counting is over)
REVIEWED = ("review", "approved", "posted")


@dataclass(frozen=True)
class MoveSinceView:
    move_id: int
    recorded_at: datetime
    operation: str
    #: base units: + into the place, - out of it
    quantity: Decimal


@dataclass(frozen=True)
class CountLineView:
    id: int
    item: str
    item_name: str
    location: str
    lot: str | None
    #: on hand at the snapshot; None when the count is blind to the reader
    expected: Decimal | None
    in_snapshot: bool
    counted: Decimal | None
    counted_by: str | None
    counted_at: datetime | None
    round: int
    #: from review on: the net of the moves since the snapshot, until the place was counted
    moved: Decimal | None = None
    #: expected + moved: the books when the place was counted
    book: Decimal | None = None
    difference: Decimal | None = None
    #: unit cost x difference, for a reader who may see values
    value: Decimal | None = None
    moves: tuple[MoveSinceView, ...] = ()


@dataclass(frozen=True)
class CountTotals:
    lines: int
    counted: int
    #: from review on: lines whose count matched the books
    right: int | None = None
    value_variance: Decimal | None = None
    absolute_variance: Decimal | None = None


@dataclass(frozen=True)
class CountView:
    number: str
    state: str
    warehouse: str
    blind: bool
    snapshot_at: datetime | None
    note: str | None
    lines: tuple[CountLineView, ...]
    totals: CountTotals


def count_view(
    conn: Connection,
    number: str,
    seen: Warehouses,
    blind_for: Callable[[int], bool],
    costs: CostScope = None,
) -> CountView:
    """The count ``number``: ``seen`` the warehouses the reader sees (else NotFound
    ``count_not_found``), ``blind_for(warehouse_id)`` whether a blind count hides its expected
    figures from the reader there, ``costs`` the warehouse codes whose values they see."""
    head = conn.execute(
        select(
            documents.c.id, documents.c.state, documents.c.warehouse_id, documents.c.note,
            warehouse_table.c.code, count_sessions.c.blind, count_sessions.c.snapshot_at,
        )
        .join_from(documents, count_sessions, count_sessions.c.document_id == documents.c.id)
        .join(warehouse_table, warehouse_table.c.id == documents.c.warehouse_id)
        .where(documents.c.number == number, documents.c.doc_type == "count")
    ).first()  # fmt: skip
    if head is None or (seen is not None and head.warehouse_id not in seen):
        raise NotFound("count", number)
    hidden = bool(head.blind) and blind_for(int(head.warehouse_id))
    valued = costs is None or head.code in costs
    # in the order a counter walks the shelves: by place, then item and lot
    named = count_store.named_lines(conn, int(head.id))
    rows = [r for r, _ in named]
    reviewed = head.state in REVIEWED
    book: dict[int, CountLine] = {}
    moves: dict[int, list[count_store.MoveSince]] = {}
    if reviewed:
        moves = count_store.moves_since(conn, int(head.id))
        now = current_unit_costs(conn, {r.item_id for r in rows})
        posted = head.state == "posted"  # what the posting found, kept on the line
        book = {
            r.id: CountLine(
                r.expected,
                # posted: NULL is no moves (only what changed was written)
                (r.moved or 0) if posted else sum(m.quantity for m in moves.get(r.id, ())),
                r.counted,
                r.unit_cost if posted and r.unit_cost is not None else now.get(r.item_id, 0),
            )
            for r in rows
        }
    quantity = _quantities()
    lines = tuple(
        _line(r, names, hidden, book.get(r.id), valued, moves.get(r.id, []), quantity)
        for r, names in named
    )
    return CountView(
        number, str(head.state), str(head.code), bool(head.blind), head.snapshot_at, head.note,
        lines, _totals(rows, book, valued),
    )  # fmt: skip


def _quantities() -> Callable[[int], Decimal]:
    """``from_scaled`` remembering its answers: a count's figures repeat (the same expected,
    counted, zero differences) and 300,000 conversions took a second at 50,000 lines."""
    seen: dict[int, Decimal] = {}

    def quantity(value: int) -> Decimal:
        found = seen.get(value)
        if found is None:
            found = seen[value] = from_scaled(value)
        return found

    return quantity


def _line(
    row: count_store.CountLineRow,
    names: count_store.LineNames,
    hidden: bool,
    line: CountLine | None,
    valued: bool,
    moves: list[count_store.MoveSince],
    quantity: Callable[[int], Decimal],
) -> CountLineView:
    item, item_name, location, lot, counter, counted_at = names
    expected = None if hidden else quantity(row.expected)
    counted = None if row.counted is None else quantity(row.counted)
    if line is None:
        return CountLineView(
            row.id, item, item_name, location, lot, expected, row.in_snapshot, counted, counter,
            counted_at, row.round,
        )  # fmt: skip
    difference = line.difference
    value = scaled_product(difference, line.unit_cost) if valued else None
    return CountLineView(
        row.id, item, item_name, location, lot, expected, row.in_snapshot, counted, counter,
        counted_at, row.round, quantity(line.moved), quantity(line.book), quantity(difference),
        None if value is None else quantity(value),
        tuple(
            MoveSinceView(m.move_id, m.recorded_at, m.operation, quantity(m.quantity))
            for m in moves
        )
        if moves
        else (),
    )  # fmt: skip


def _totals(
    rows: list[count_store.CountLineRow], book: dict[int, CountLine], valued: bool
) -> CountTotals:
    counted = sum(1 for r in rows if r.counted is not None)
    if not book:
        return CountTotals(len(rows), counted)
    right, _ = accuracy(list(book.values()))
    net, absolute = variance(book.values())
    return CountTotals(
        len(rows),
        counted,
        right,
        from_scaled(net) if valued else None,
        from_scaled(absolute) if valued else None,
    )
