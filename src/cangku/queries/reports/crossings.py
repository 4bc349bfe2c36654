"""The moves that crossed into or out of stock over a window, per interval, read from the
checkpoints' flow rows for whole runs of checkpoints and from the moves only at the edges
(ADR 0027).

A checkpoint's flow rows sum the crossing moves since the checkpoint it was summed from
(``checkpoints.flows_from``); a valid checkpoint's chain back through those is valid too (a
back-dated move invalidates every checkpoint at or after it). An interval (lo, hi] that holds
such a chain from a checkpoint A (at or after lo) to a checkpoint B (at or before hi) reads
(A, B] from the rows of the chain's checkpoints after A, and only (lo, A] and (B, hi] from the
moves: each of those is one range of the moves' time index. With no checkpoints inside an
interval it is read from the moves, as before; the figures are the same either way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Subquery, literal, select, union_all

from cangku.db.checkpoints import crossing_moves
from cangku.db.tables import checkpoint_flows, checkpoints
from cangku.queries.reports.common import bucket

__all__ = ["Span", "crossings", "history", "item_in", "spans"]

#: past this many statements in one read, the edges are read as one range instead
MOST_PARTS = 300

#: a condition on an item id column (None: every item)
ItemFilter = Callable[[Any], Any]


def item_in(ids: Any) -> ItemFilter:
    """The filter keeping the item ids ``ids`` (a list, or a select of them)."""
    return lambda column: column.in_(ids)


@dataclass(frozen=True, slots=True)
class Span:
    """(``after``, ``through``] of interval ``k`` read from the flow rows of ``members``."""

    k: int
    after: datetime
    through: datetime
    members: tuple[int, ...]


def spans(
    conn: Connection, intervals: Sequence[tuple[int, datetime, datetime | None]]
) -> list[Span]:
    """For each interval (k, lo, hi or None: unbounded), the longest chain of checkpoints with
    flow rows inside it, if any."""
    rows = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of, checkpoints.c.flows_from)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.flows.is_(True))
        .order_by(checkpoints.c.as_of.desc(), checkpoints.c.id.desc())
    ).all()
    at = {int(r.id): r.as_of for r in rows}
    before = {int(r.id): (int(r.flows_from) if r.flows_from is not None else None) for r in rows}
    found: list[Span] = []
    for k, lo, hi in intervals:
        last = next((int(r.id) for r in rows if lo < r.as_of and (hi is None or r.as_of <= hi)),
                    None)  # fmt: skip
        if last is None:
            continue
        members: list[int] = []
        head = last
        while (previous := before.get(head)) is not None and previous in at and at[previous] >= lo:
            members.append(head)
            head = previous
        if members:
            found.append(Span(k, at[head], at[last], tuple(members)))
    return found


def history(conn: Connection, at: datetime) -> tuple[tuple[int, ...], datetime] | None:
    """The checkpoints whose flow rows together hold every crossing move up to the latest
    valid checkpoint at or before ``at`` (its chain back to one summed from the ledger's start),
    and that checkpoint's instant; None without such a chain."""
    rows = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of, checkpoints.c.flows_from)
        .where(
            checkpoints.c.valid.is_(True), checkpoints.c.flows.is_(True), checkpoints.c.as_of <= at
        )  # fmt: skip
        .order_by(checkpoints.c.as_of.desc(), checkpoints.c.id.desc())
    ).all()
    if not rows:
        return None
    before = {int(r.id): r.flows_from for r in rows}
    chain, head = [], int(rows[0].id)
    while True:
        chain.append(head)
        previous = before[head]
        if previous is None:
            return tuple(chain), rows[0].as_of
        if int(previous) not in before:
            return None
        head = int(previous)


def crossings(
    conn: Connection,
    after: datetime,
    bounds: Sequence[datetime],
    *,
    first: int = 0,
    through: datetime | None = None,
    items: ItemFilter | None = None,
    crossing: Callable[[Any, Any, Any, Any], Any] | None = None,
) -> Subquery:
    """The crossing moves effective in (``after``, ``through``] (None: unbounded), with the
    columns of ``db.checkpoints.FLOW_KEYS``, ``k`` (``bucket`` of their time over ``bounds``
    from ``first``), ``quantity`` and ``value``; not grouped (a run of months comes as the
    flow rows of its checkpoints). ``items`` restricts the item ids; ``crossing`` (from kind,
    to kind, from warehouse, to warehouse columns -> condition) the rows."""
    edges = [after, *(b for b in bounds if b > after and (through is None or b < through))]
    intervals: list[tuple[int, datetime, datetime | None]] = []
    for n, lo in enumerate(edges):
        hi = edges[n + 1] if n + 1 < len(edges) else through
        # a move in (lo, hi] lies after every bound up to lo and before the rest
        intervals.append((first + bisect_right(bounds, lo), lo, hi))
    read = spans(conn, intervals)
    gaps: list[tuple[datetime, datetime | None]] = []
    start = after
    for span in read:
        if span.after > start:
            gaps.append((start, span.after))
        start = span.through
    if through is None or start < through:
        gaps.append((start, through))
    if len(gaps) + len(read) > MOST_PARTS or not (gaps or read):
        gaps, read = [(after, through)], []
    parts: list[Select[Any]] = []
    for lo, hi in gaps:
        part = crossing_moves(lo, hi).subquery()
        parts.append(
            _restricted(
                select(
                    *_keys(part),
                    bucket(part.c.effective_at, bounds, first).label("k"),
                    part.c.quantity,
                    part.c.value,
                ),  # fmt: skip
                part,
                items,
                crossing,
            )
        )
    for span in read:
        rows = checkpoint_flows
        stmt = select(*_keys(rows), literal(span.k).label("k"), rows.c.quantity, rows.c.value)
        parts.append(
            _restricted(stmt.where(rows.c.checkpoint_id.in_(span.members)), rows, items, crossing)
        )
    if len(parts) == 1:
        return parts[0].subquery("crossings")
    return union_all(*parts).subquery("crossings")


def _keys(rows: Any) -> list[Any]:
    return [
        rows.c.item_id,
        rows.c.from_kind,
        rows.c.to_kind,
        rows.c.from_warehouse_id,
        rows.c.to_warehouse_id,
        rows.c.back,
    ]


def _restricted(
    stmt: Select[Any], rows: Any, items: ItemFilter | None, crossing: Callable[..., Any] | None
) -> Select[Any]:
    if items is not None:
        stmt = stmt.where(items(rows.c.item_id))
    if crossing is not None:
        stmt = stmt.where(
            crossing(
                rows.c.from_kind, rows.c.to_kind, rows.c.from_warehouse_id, rows.c.to_warehouse_id
            )
        )
    return stmt
