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
from sqlalchemy.orm import aliased

from cangku.db import counts as count_store
from cangku.db.costs import current_unit_costs
from cangku.db.tables import count_lines, count_sessions, documents, items, locations, lots, users
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


_counter = aliased(users, name="counter")
#: a line's item code and name, location code, lot code, counter's username, when counted
_Names = tuple[str, str, str, str | None, str | None, datetime | None]


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
    rows = count_store.lines_of(conn, int(head.id))
    names = _names(conn, int(head.id))
    reviewed = head.state in REVIEWED
    book: dict[int, CountLine] = {}
    moves: dict[int, list[count_store.MoveSince]] = {}
    if reviewed:
        moved = count_store.moved_since(conn, int(head.id))
        moves = count_store.moves_since(conn, int(head.id))
        now = current_unit_costs(conn, {r.item_id for r in rows})
        posted = head.state == "posted"  # what the posting found, kept on the line
        book = {
            r.id: CountLine(
                r.expected,
                r.moved if posted and r.moved is not None else moved.get(r.id, 0),
                r.counted,
                r.unit_cost if posted and r.unit_cost is not None else now.get(r.item_id, 0),
            )
            for r in rows
        }
    # in the order a counter walks the shelves: by place, then item and lot
    ordered = sorted(rows, key=lambda r: (names[r.id][2], names[r.id][0], names[r.id][3] or ""))
    lines = tuple(
        _line(r, names[r.id], hidden, book.get(r.id), valued, moves.get(r.id, [])) for r in ordered
    )
    return CountView(
        number, str(head.state), str(head.code), bool(head.blind), head.snapshot_at, head.note,
        lines, _totals(rows, book, valued),
    )  # fmt: skip


def _names(conn: Connection, document_id: int) -> dict[int, _Names]:
    rows = conn.execute(
        select(
            count_lines.c.id, items.c.code, items.c.name, locations.c.code, lots.c.code,
            _counter.c.username, count_lines.c.counted_at,
        )
        .join_from(count_lines, items, items.c.id == count_lines.c.item_id)
        .join(locations, locations.c.id == count_lines.c.location_id)
        .outerjoin(lots, lots.c.id == count_lines.c.lot_id)
        .outerjoin(_counter, _counter.c.id == count_lines.c.counted_by)
        .where(count_lines.c.document_id == document_id)
    )  # fmt: skip
    return {int(r[0]): (r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}


def _quantity(value: int | None) -> Decimal | None:
    return None if value is None else from_scaled(value)


def _line(
    row: count_store.CountLineRow,
    names: _Names,
    hidden: bool,
    line: CountLine | None,
    valued: bool,
    moves: list[count_store.MoveSince],
) -> CountLineView:
    item, item_name, location, lot, counter, counted_at = names
    base = CountLineView(
        row.id, item, item_name, location, lot, None if hidden else from_scaled(row.expected),
        row.in_snapshot, _quantity(row.counted), counter, counted_at, row.round,
    )  # fmt: skip
    if line is None:
        return base
    value = scaled_product(line.difference, line.unit_cost) if valued else None
    return CountLineView(
        **{
            **vars(base),
            "moved": from_scaled(line.moved),
            "book": from_scaled(line.book),
            "difference": from_scaled(line.difference),
            "value": _quantity(value),
            "moves": tuple(
                MoveSinceView(m.move_id, m.recorded_at, m.operation, from_scaled(m.quantity))
                for m in moves
            ),
        }
    )


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
