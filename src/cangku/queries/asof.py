"""Exact stock "as of" any past time, without re-posting anything.

An anchor whose quantities are known exactly is combined with the moves between it and T:
- the current balances minus the moves effective after T, or
- the latest valid checkpoint at or before T plus the moves effective in (checkpoint, T].
Whichever anchor lies closer to T is used; both give the same answer (a test proves it).

``warehouses`` limits every read to those warehouses' locations (None: all; see
``queries.stock``): a filter naming another warehouse's location or the warehouse answers NotFound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Select, case, func, literal, select, union_all
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import (
    balances,
    checkpoint_balances,
    checkpoints,
    items,
    locations,
    lots,
    moves,
)
from cangku.db.tables import warehouses as warehouse_table
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.common import (
    Page,
    Sorting,
    check_paging,
    decode_cursor,
    keyset_page,
    sorted_page,
)
from cangku.queries.stock import (
    VALUED,
    StockFilter,
    item_id,
    location_subtree,
    lot_ids,
    warehouse_id,
)


@dataclass(frozen=True)
class Anchor:
    checkpoint_id: int | None
    as_of: datetime | None


@dataclass(frozen=True, slots=True)
class AsOfRow:
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    lot: str | None
    on_hand: Decimal


@dataclass(frozen=True, slots=True)
class ItemTotal:
    item: str
    item_name: str
    unit: str
    on_hand: Decimal


def choose_anchor(conn: Connection, at: datetime, now: datetime, use: str = "auto") -> Anchor:
    """The valid checkpoint at or before ``at`` if it is closer than now (or ``use`` forces it)."""
    if use == "balances":
        return Anchor(None, None)
    row = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.as_of <= at)
        .order_by(checkpoints.c.as_of.desc())
        .limit(1)
    ).first()
    if row is None:
        return Anchor(None, None)
    if use == "checkpoint" or (at - row.as_of) < (now - at):
        return Anchor(row.id, row.as_of)
    return Anchor(None, None)


def _filters(
    conn: Connection, f: StockFilter, warehouses: Warehouses = None
) -> tuple[int | None, Select[Any] | None, Select[Any] | None]:
    """(item id, location id subquery, lot id subquery) for the filter."""
    the_item = item_id(conn, f.item) if f.item else None
    conditions: list[ColumnElement[bool]] = []
    if f.location:
        conditions.append(locations.c.id.in_(location_subtree(conn, f.location, warehouses)))
    if f.warehouse:
        conditions.append(locations.c.warehouse_id == warehouse_id(conn, f.warehouse, warehouses))
    if warehouses is not None:
        conditions.append(locations.c.warehouse_id.in_(sorted(warehouses)))
    if not f.include_virtual:
        conditions.append(locations.c.kind.in_(VALUED))
    location_ids = select(locations.c.id).where(*conditions) if conditions else None
    lot_filter = lot_ids(conn, f.lot, the_item) if f.lot else None
    return the_item, location_ids, lot_filter


def quantities_select(
    conn: Connection,
    at: datetime,
    f: StockFilter,
    anchor: Anchor,
    *,
    warehouses: Warehouses = None,
    among: Select[Any] | None = None,
) -> Select[Any]:
    """SQL yielding (item_id, location_id, lot_key, on_hand) as of ``at``; zero rows dropped
    (``among``: only the items whose ids it selects)."""
    the_item, location_ids, lot_filter = _filters(conn, f, warehouses)
    lot_key = func.coalesce(moves.c.lot_id, 0)

    def restrict(stmt: Select[Any], item_col: Any, loc_col: Any, lot_col: Any) -> Select[Any]:
        if the_item is not None:
            stmt = stmt.where(item_col == the_item)
        if among is not None:
            stmt = stmt.where(item_col.in_(among))
            # a few items: their own index rows, not every location's (SQLite would take
            # the location index for the IN list; "+ 0" keeps it off that index)
            loc_col = loc_col + 0
        if location_ids is not None:
            stmt = stmt.where(loc_col.in_(location_ids))
        if lot_filter is not None:
            stmt = stmt.where(lot_col.in_(lot_filter))
        return stmt

    if anchor.checkpoint_id is None:
        base = restrict(
            select(
                balances.c.item_id,
                balances.c.location_id,
                balances.c.lot_key,
                balances.c.on_hand.label("q"),
            ),
            balances.c.item_id,
            balances.c.location_id,
            balances.c.lot_id,
        )
        window = moves.c.effective_at > at
        sign = -1
    else:
        base = restrict(
            select(
                checkpoint_balances.c.item_id,
                checkpoint_balances.c.location_id,
                checkpoint_balances.c.lot_key,
                checkpoint_balances.c.on_hand.label("q"),
            ).where(checkpoint_balances.c.checkpoint_id == anchor.checkpoint_id),
            checkpoint_balances.c.item_id,
            checkpoint_balances.c.location_id,
            checkpoint_balances.c.lot_key,
        )
        window = (moves.c.effective_at > anchor.as_of) & (moves.c.effective_at <= at)
        sign = 1
    into = restrict(
        select(
            moves.c.item_id,
            moves.c.to_location_id.label("location_id"),
            lot_key.label("lot_key"),
            (moves.c.quantity * literal(sign)).label("q"),
        ).where(window),
        moves.c.item_id,
        moves.c.to_location_id,
        moves.c.lot_id,
    )
    out = restrict(
        select(
            moves.c.item_id,
            moves.c.from_location_id.label("location_id"),
            lot_key.label("lot_key"),
            (moves.c.quantity * literal(-sign)).label("q"),
        ).where(window),
        moves.c.item_id,
        moves.c.from_location_id,
        moves.c.lot_id,
    )
    parts = union_all(base, into, out).subquery("parts")
    total = func.sum(parts.c.q)
    return (
        select(parts.c.item_id, parts.c.location_id, parts.c.lot_key, total.label("on_hand"))
        .group_by(parts.c.item_id, parts.c.location_id, parts.c.lot_key)
        .having(total != 0)
    )


def stock_as_of(
    conn: Connection,
    at: datetime,
    f: StockFilter,
    now: datetime,
    use: str = "auto",
    *,
    warehouses: Warehouses = None,
) -> list[AsOfRow]:
    """Stock by item, location and lot as it stood at ``at`` (moves effective at or before it),
    in ``warehouses`` (None: all)."""
    anchor = choose_anchor(conn, at, now, use)
    q = quantities_select(conn, at, f, anchor, warehouses=warehouses).subquery("asof")
    stmt = _as_of_rows(q).order_by(items.c.code, locations.c.code, lots.c.code)
    return _rows(conn.execute(stmt))


def _as_of_rows(q: Any) -> Select[Any]:
    """The rows of the as-of quantities ``q`` with their codes and names."""
    return (
        select(
            items.c.code.label("item"),
            items.c.name.label("item_name"),
            items.c.base_unit.label("unit"),
            warehouse_table.c.code.label("warehouse"),
            locations.c.code.label("location"),
            lots.c.code.label("lot"),
            q.c.on_hand,
        )
        .join(items, items.c.id == q.c.item_id)
        .join(locations, locations.c.id == q.c.location_id)
        .join(warehouse_table, warehouse_table.c.id == locations.c.warehouse_id)
        .outerjoin(lots, lots.c.id == q.c.lot_key)
    )


def _rows(found: Iterable[Any]) -> list[AsOfRow]:
    # a big snapshot repeats the same codes, names and amounts: share one object for each
    shared: dict[object, Any] = {}
    one = shared.setdefault
    amounts: dict[int, Decimal] = {}
    rows = []
    for r in found:
        amount = amounts.get(r.on_hand)
        if amount is None:
            amount = amounts[r.on_hand] = from_scaled(r.on_hand)
        rows.append(
            AsOfRow(one(r.item, r.item), one(r.item_name, r.item_name), one(r.unit, r.unit),
                    one(r.warehouse, r.warehouse), one(r.location, r.location), r.lot, amount)
        )  # fmt: skip
    return rows


def _item_flows(
    conn: Connection, at: datetime, f: StockFilter, anchor: Anchor, warehouses: Warehouses
) -> Select[Any] | CompoundSelect[Any]:
    """SQL yielding (item_id, q) rows whose sum per item is its on hand as of ``at`` in the
    filtered locations: the anchor's quantities, then each move in the window that crossed the
    filter's boundary (a move within it, or outside it, changes no item's total there)."""
    the_item, location_ids, lot_filter = _filters(conn, f, warehouses)
    if anchor.checkpoint_id is None:
        table, base_where, lot_col = balances, [], balances.c.lot_id
        window, sign = moves.c.effective_at > at, -1
    else:
        table, lot_col = checkpoint_balances, checkpoint_balances.c.lot_key
        base_where = [checkpoint_balances.c.checkpoint_id == anchor.checkpoint_id]
        window = (moves.c.effective_at > anchor.as_of) & (moves.c.effective_at <= at)
        sign = 1
    base = select(table.c.item_id, table.c.on_hand.label("q")).where(
        *base_where, table.c.on_hand != 0
    )
    if the_item is not None:
        base = base.where(table.c.item_id == the_item)
    if lot_filter is not None:
        base = base.where(lot_col.in_(lot_filter))
    if location_ids is None:  # every location: each move added as much as it took
        return base
    if f.location or f.warehouse or warehouses is not None:
        base = base.where(table.c.location_id.in_(location_ids))
    else:
        # storage kinds only match nearly every row: a scan beats SQLite's index walk
        base = base.where((table.c.location_id + 0).in_(location_ids))
    into = moves.c.to_location_id.in_(location_ids)
    out_of = moves.c.from_location_id.in_(location_ids)
    change = case((into, moves.c.quantity), else_=0) - case((out_of, moves.c.quantity), else_=0)
    # crossed the boundary; written as one comparison so that SQLite walks the time index
    # rather than a union of location index searches
    flows = select(moves.c.item_id, (change * literal(sign)).label("q")).where(
        window, into != out_of
    )
    if the_item is not None:
        flows = flows.where(moves.c.item_id == the_item)
    if lot_filter is not None:
        flows = flows.where(moves.c.lot_id.in_(lot_filter))
    return union_all(base, flows)


def totals_by_item_as_of(
    conn: Connection,
    at: datetime,
    now: datetime,
    f: StockFilter = StockFilter(),
    use: str = "auto",
    *,
    warehouses: Warehouses = None,
) -> list[ItemTotal]:
    """On hand per item over the filtered locations (in ``warehouses``, None: all) as of ``at``,
    summed in the database: one row per item whose stock there was not zero, by item code."""
    anchor = choose_anchor(conn, at, now, use)
    parts = _item_flows(conn, at, f, anchor, warehouses).subquery("parts")
    total = func.sum(parts.c.q)
    summed = (
        select(parts.c.item_id, total.label("on_hand"))
        .group_by(parts.c.item_id)
        .having(total != 0)
        .subquery("per_item")
    )
    stmt = (
        select(items.c.code, items.c.name, items.c.base_unit, summed.c.on_hand)
        .join(items, items.c.id == summed.c.item_id)
        .order_by(items.c.code)
    )
    return [ItemTotal(r[0], r[1], r[2], from_scaled(int(r[3]))) for r in conn.execute(stmt)]


def item_total_as_of(
    conn: Connection, item: str, at: datetime, now: datetime, *, warehouses: Warehouses = None
) -> Decimal:
    """One item's on hand over all storage locations (of ``warehouses``) as of ``at``."""
    anchor = choose_anchor(conn, at, now)
    q = quantities_select(
        conn, at, StockFilter(item=item), anchor, warehouses=warehouses
    ).subquery()
    total = conn.execute(select(func.coalesce(func.sum(q.c.on_hand), 0))).scalar_one()
    return from_scaled(int(total))


# ------------------------------------------------------------------ one page at a time
#: the as-of list's one order: item, location and lot codes (unique together, no tie-breaker)
AS_OF_SORTING = Sorting(
    {"item": (items.c.code, locations.c.code, func.coalesce(lots.c.code, ""))},
    default="item",
    tiebreak=[],
)
#: items read per step of a keyset page; a step that finds too few rows reads 4 times as many
_FIRST_ITEMS = 64
#: the as-of list's total stops here ("at least"), lower than the other lists' ``COUNT_CAP``
AS_OF_COUNT_CAP = 1_000


def stock_as_of_page(
    conn: Connection,
    at: datetime,
    f: StockFilter,
    now: datetime,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    *,
    warehouses: Warehouses = None,
) -> Page[AsOfRow]:
    """One page of ``stock_as_of`` (by item, location and lot): after ``cursor`` or from the
    start, as of ``at`` for a few items at a time (the next ones by code, each through its
    own balances and moves), so a page costs the same at any depth; with an ``offset``, the
    whole company as of ``at`` is summed and that many rows skipped (the slow way). The total
    is counted up to ``AS_OF_COUNT_CAP`` (each row is a sum over the ledger: counting 10,000
    of them would cost more than the page). Raises InvalidInput ``invalid_cursor``, NotFound as
    ``stock_as_of``."""
    check_paging(limit, offset)
    key = AS_OF_SORTING.default
    anchor = choose_anchor(conn, at, now)

    def quantities(among: Select[Any] | None) -> Select[Any]:
        return quantities_select(conn, at, f, anchor, warehouses=warehouses, among=among)

    def rows_among(among: Select[Any] | None) -> Select[Any]:
        return _as_of_rows(quantities(among).subquery("asof"))

    if offset and not cursor:
        found, page = sorted_page(conn, rows_among(None), AS_OF_SORTING, key, limit, offset)
        return _page(found, page, limit, offset)
    backward = False
    start = None
    if cursor:
        width = len(AS_OF_SORTING.keys(key))
        values, backward = decode_cursor(cursor, key, width, AS_OF_SORTING.keys(key))
        start = values[0]
    chunk = _FIRST_ITEMS
    while True:
        among = _items_from(start, backward, chunk)
        found, page = keyset_page(conn, rows_among(among), AS_OF_SORTING, key, limit, cursor,
                                  count=False)  # fmt: skip
        more = page.prev_cursor if backward else page.next_cursor
        read = conn.execute(select(func.count()).select_from(among.subquery())).scalar_one()
        if more is not None or read < chunk:
            break
        chunk *= 4
    total, exact = _count_as_of(conn, quantities)
    page = Page([], total, limit, 0, exact, page.next_cursor, page.prev_cursor)
    return _page(found, page, limit, 0)


def _items_from(start: str | None, backward: bool, chunk: int) -> Select[Any]:
    """Ids of the next ``chunk`` items by code from ``start`` (included; back: down from it)."""
    stmt = select(items.c.id)
    if start is not None:
        stmt = stmt.where(items.c.code <= start if backward else items.c.code >= start)
    order = items.c.code.desc() if backward else items.c.code
    return stmt.order_by(order).limit(chunk)


def _count_as_of(conn: Connection, quantities: Any) -> tuple[int, bool]:
    """Rows as of the time, counted a step of items at a time up to ``AS_OF_COUNT_CAP`` (each step
    sized from the rows per item seen so far, so the count reads little past the cap)."""
    counted, chunk, after, seen = 0, _FIRST_ITEMS, None, 0
    while True:
        ids = select(items.c.id, items.c.code).order_by(items.c.code).limit(chunk)
        if after is not None:
            ids = ids.where(items.c.code > after)
        step = [(r.id, r.code) for r in conn.execute(ids)]
        if not step:
            return counted, True
        among = select(items.c.id).where(items.c.id.in_([i for i, _ in step]))
        stmt = quantities(among).limit(AS_OF_COUNT_CAP + 1 - counted).subquery()
        counted += int(conn.execute(select(func.count()).select_from(stmt)).scalar_one())
        if counted > AS_OF_COUNT_CAP:
            return AS_OF_COUNT_CAP, False
        if len(step) < chunk:
            return counted, True
        seen += len(step)
        per_item = max(counted / seen, 1 / _FIRST_ITEMS)
        wanted = (AS_OF_COUNT_CAP + 1 - counted) / per_item
        after, chunk = step[-1][1], max(int(wanted * 1.2) + 1, 8)


def _page(found: list[Any], page: Page[None], limit: int, offset: int) -> Page[AsOfRow]:
    return Page(_rows(found), page.total, limit, offset, page.total_exact, page.next_cursor,
                page.prev_cursor)  # fmt: skip
