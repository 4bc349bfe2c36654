"""Stock value per item (FIFO layers or moving average), now and as of a past time.

Values are as posted: each move carries the value it added to or took from stock, so the value
as of T is the current value minus what later moves changed (or a checkpoint plus what moves
since it changed). Nothing is re-costed after the fact (ADR 0004).

Costs are kept per item for the whole company (one average, one FIFO queue), so the value of
the stock in some warehouses only (``warehouses``, for a user granted those) is the item's
value in proportion to the quantity held there: the whole value when all of it is there.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, literal, or_, select, union_all

from cangku.db.tables import (
    balances,
    checkpoint_values,
    cost_layers,
    item_costs,
    items,
    locations,
    moves,
)
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_ratio, to_scaled
from cangku.queries.asof import Anchor, choose_anchor, totals_by_item_as_of
from cangku.queries.common import (
    Page,
    Sorting,
    check_paging,
    decode_cursor,
    driving_join,
    encode_cursor,
    sorted_page,
)
from cangku.queries.stock import VALUED, StockFilter, item_id


@dataclass(frozen=True)
class ItemValue:
    item: str
    item_name: str
    costing_method: str
    unit: str
    quantity: Decimal
    value: Decimal
    average_cost: Decimal


@dataclass(frozen=True)
class Valuation:
    at: datetime | None
    items: list[ItemValue]
    total_value: Decimal


def _signed(column: Any) -> Any:
    """+column for a move into valued stock, -column for one out of it, else 0."""
    src = locations.alias("src_v")
    dst = locations.alias("dst_v")
    into = (
        select(dst.c.kind).where(dst.c.id == moves.c.to_location_id).scalar_subquery().in_(VALUED)
    )
    out = (
        select(src.c.kind).where(src.c.id == moves.c.from_location_id).scalar_subquery().in_(VALUED)
    )
    return case((and_(into, ~out), column), (and_(out, ~into), -column), else_=0)


def value_select(
    conn: Connection, at: datetime | None, anchor: Anchor, item: int | None
) -> Select[Any]:
    """(item_id, quantity, value) in scaled integers, now (``at`` None) or as of ``at``."""
    fifo_value = (
        select(cost_layers.c.item_id, func.sum(cost_layers.c.remaining_value).label("v"))
        .where(cost_layers.c.remaining_qty > 0)
        .group_by(cost_layers.c.item_id)
        .subquery()
    )
    if anchor.checkpoint_id is None:
        base = select(
            item_costs.c.item_id, item_costs.c.quantity.label("q"), item_costs.c.value.label("v")
        )
        if at is not None:
            window = moves.c.effective_at > at
            sign = -1
        else:
            window = None
            sign = 1
    else:
        base = select(
            checkpoint_values.c.item_id,
            checkpoint_values.c.quantity.label("q"),
            checkpoint_values.c.value.label("v"),
        ).where(checkpoint_values.c.checkpoint_id == anchor.checkpoint_id)
        window = (moves.c.effective_at > anchor.as_of) & (moves.c.effective_at <= at)
        sign = 1
    if item is not None:
        base = base.where(base.selected_columns[0] == item)
    parts_list = [base]
    if window is not None:
        later = select(
            moves.c.item_id,
            (_signed(moves.c.quantity) * literal(sign)).label("q"),
            (_signed(moves.c.value) * literal(sign)).label("v"),
        ).where(window)
        if item is not None:
            later = later.where(moves.c.item_id == item)
        parts_list.append(later)
    parts = union_all(*parts_list).subquery("vparts")
    stmt = select(
        parts.c.item_id, func.sum(parts.c.q).label("quantity"), func.sum(parts.c.v).label("value")
    ).group_by(parts.c.item_id)
    if at is None and anchor.checkpoint_id is None:
        # now: FIFO items are valued from their open layers (the source of truth for FIFO);
        # below zero there are none, and the stock's value is what the moves left (ADR 0012)
        grouped = stmt.subquery("g")
        stmt = (
            select(
                grouped.c.item_id,
                grouped.c.quantity,
                case(
                    (
                        and_(items.c.costing_method == "fifo", grouped.c.quantity >= 0),
                        func.coalesce(fifo_value.c.v, 0),
                    ),
                    else_=grouped.c.value,
                ).label("value"),
            )
            .join(items, items.c.id == grouped.c.item_id)
            .outerjoin(fifo_value, fifo_value.c.item_id == grouped.c.item_id)
        )
    return stmt


def value_share(value: int, part: int, whole: int) -> int:
    """The value (scaled) of ``part`` of a stock of ``whole`` units worth ``value``:
    ``value * part / whole`` rounded half-even, exactly (integers). 0 when there is nothing to
    share (``whole`` not positive, or ``part`` 0).

    Costs are kept per item for the whole company, so the value of the units in some
    warehouses, in transit or of a series' point is the item's value in proportion to them."""
    if whole <= 0 or part == 0:
        return 0
    quotient, remainder = divmod(value * part, whole)
    twice = 2 * remainder
    if twice > whole or (twice == whole and quotient % 2 == 1):
        quotient += 1
    return quotient


def _scoped_quantities(
    conn: Connection,
    now: datetime,
    at: datetime | None,
    item: str | None,
    warehouses: frozenset[int],
) -> dict[str, int]:
    """Valued quantity (scaled) per item code held in ``warehouses``, now or as of ``at``."""
    if at is not None:
        rows = totals_by_item_as_of(conn, at, now, StockFilter(item=item), warehouses=warehouses)
        return {row.item: to_scaled(row.on_hand) for row in rows}
    stmt = (
        select(items.c.code, func.sum(balances.c.on_hand))
        .join(items, items.c.id == balances.c.item_id)
        .join(locations, locations.c.id == balances.c.location_id)
        .where(balances.c.warehouse_id.in_(sorted(warehouses)), locations.c.kind.in_(VALUED))
        .group_by(items.c.code)
    )
    if item:
        stmt = stmt.where(items.c.code == item)
    return {code: int(quantity or 0) for code, quantity in conn.execute(stmt)}


def stock_value(
    conn: Connection,
    now: datetime,
    at: datetime | None = None,
    item: str | None = None,
    *,
    warehouses: Warehouses = None,
) -> Valuation:
    """Quantity and value of valued stock per item (non-zero only), with the total, for the
    whole company or (``warehouses``) the stock held in those warehouses."""
    the_item = item_id(conn, item) if item else None
    scoped = _scoped_quantities(conn, now, at, item, warehouses) if warehouses is not None else None
    anchor = choose_anchor(conn, at, now) if at is not None else Anchor(None, None)
    values = value_select(conn, at, anchor, the_item).subquery("vals")
    stmt = (
        select(
            items.c.code,
            items.c.name,
            items.c.costing_method,
            items.c.base_unit,
            values.c.item_id,
            values.c.quantity,
            values.c.value,
        )
        .join(items, items.c.id == values.c.item_id)
        .order_by(items.c.code)
    )
    result: list[ItemValue] = []
    total = 0
    for row in conn.execute(stmt):
        qty = int(row.quantity or 0)
        value = int(row.value or 0)
        if scoped is not None:
            part = scoped.get(row.code, 0)
            qty, value = part, value_share(value, part, qty)
        if qty == 0 and value == 0:
            continue
        total += value
        result.append(
            ItemValue(
                row.code,
                row.name,
                row.costing_method,
                row.base_unit,
                from_scaled(qty),
                from_scaled(value),
                from_scaled(scaled_ratio(value, qty)) if qty > 0 else Decimal(0),
            )
        )
    return Valuation(at, result, from_scaled(total))


# ------------------------------------------------------------------ one page at a time
@dataclass(frozen=True)
class ValuationPage:
    """One page of the items' values; ``total_value`` is the whole stock's (every item)."""

    at: datetime | None
    items: list[ItemValue]
    total_value: Decimal
    page: Page[None]


#: the valuation's one order: by item code (unique)
VALUE_SORTING = Sorting({"item": items.c.code}, default="item", tiebreak=[])


def stock_value_page(
    conn: Connection,
    now: datetime,
    at: datetime | None = None,
    item: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    *,
    warehouses: Warehouses = None,
) -> ValuationPage:
    """One page (by item code, after ``cursor`` or ``offset`` items in) of ``stock_value``,
    with the exact total of every item's value (summed in the database, not over the page).
    Within ``warehouses`` each item's share is computed as ``stock_value`` does, over every
    item. Raises InvalidInput ``invalid_cursor``; NotFound for an unknown item."""
    check_paging(limit, offset)
    key = VALUE_SORTING.default
    if warehouses is not None:
        return _page_of(stock_value(conn, now, at, item, warehouses=warehouses), limit, offset,
                        cursor)  # fmt: skip
    the_item = item_id(conn, item) if item else None
    if at is None:
        return _page_now(conn, the_item, limit, offset, cursor)
    anchor = choose_anchor(conn, at, now)
    values = value_select(conn, at, anchor, the_item).subquery("vals")
    held = ~and_(func.coalesce(values.c.quantity, 0) == 0, func.coalesce(values.c.value, 0) == 0)
    stmt = (
        select(
            items.c.code,
            items.c.name,
            items.c.costing_method,
            items.c.base_unit,
            values.c.quantity,
            values.c.value,
        )
        .join(items, items.c.id == values.c.item_id)
        .where(held)
    )
    rows, page = sorted_page(conn, stmt, VALUE_SORTING, key, limit, offset, cursor)
    total = conn.execute(select(func.coalesce(func.sum(values.c.value), 0))).scalar_one()
    found = [
        _item_value(r.code, r.name, r.costing_method, r.base_unit, int(r.quantity or 0),
                    int(r.value or 0))
        for r in rows
    ]  # fmt: skip
    return ValuationPage(at, found, from_scaled(int(total)), page)


def _page_now(
    conn: Connection, the_item: int | None, limit: int, offset: int, cursor: str | None
) -> ValuationPage:
    """The current values, item by item in code order: each item's cost row and (FIFO) the sum
    of its open layers, read for the page's items only. The total and the filter read the cost
    rows alone: a FIFO item's stored value is the sum of its open layers, which ``verify``
    proves (``item_cost_mismatch``), so the sum of the stored values is the stock's value."""
    open_layers = cost_layers.c.remaining_qty > 0
    layers = (
        select(func.coalesce(func.sum(cost_layers.c.remaining_value), 0))
        .where(cost_layers.c.item_id == items.c.id, open_layers)
        .scalar_subquery()
    )
    # as value_select: a FIFO item is worth its open layers, unless below zero (ADR 0012)
    fifo = and_(items.c.costing_method == "fifo", item_costs.c.quantity >= 0)
    value = case((fifo, layers), else_=item_costs.c.value)
    costed = driving_join(items, item_costs, item_costs.c.item_id == items.c.id)
    only = [items.c.id == the_item] if the_item is not None else []
    stmt = (
        select(
            items.c.code,
            items.c.name,
            items.c.costing_method,
            items.c.base_unit,
            item_costs.c.quantity,
            value.label("value"),
        )
        .select_from(costed)
        .where(*only, or_(item_costs.c.quantity != 0, item_costs.c.value != 0))
    )
    key = VALUE_SORTING.default
    only_costs = [item_costs.c.item_id == the_item] if the_item is not None else []
    count = select(item_costs.c.item_id).where(
        *only_costs, or_(item_costs.c.quantity != 0, item_costs.c.value != 0)
    )
    rows, page = sorted_page(conn, stmt, VALUE_SORTING, key, limit, offset, cursor, count=count)
    total = conn.execute(
        select(func.coalesce(func.sum(item_costs.c.value), 0)).where(*only_costs)
    ).scalar_one()
    found = [
        _item_value(r.code, r.name, r.costing_method, r.base_unit, int(r.quantity),
                    int(r.value))
        for r in rows
    ]  # fmt: skip
    return ValuationPage(None, found, from_scaled(int(total)), page)


def _item_value(code: str, name: str, method: str, unit: str, qty: int, value: int) -> ItemValue:
    average = from_scaled(scaled_ratio(value, qty)) if qty > 0 else Decimal(0)
    return ItemValue(code, name, method, unit, from_scaled(qty), from_scaled(value), average)


def _page_of(whole: Valuation, limit: int, offset: int, cursor: str | None) -> ValuationPage:
    """A page of a valuation already read whole (by item code), with the same cursors."""
    key = VALUE_SORTING.default
    start, backward = offset, False
    if cursor:
        (code,), backward = decode_cursor(cursor, key, 1, VALUE_SORTING.keys(key))
        codes = [v.item for v in whole.items]
        start = bisect_left(codes, code) if backward else bisect_right(codes, code)
        if backward:
            start = max(0, start - limit)
    shown = whole.items[start : start + limit]
    after = start + limit < len(whole.items)
    next_cursor = encode_cursor(key, [shown[-1].item]) if shown and after else None
    prev_cursor = encode_cursor(key, [shown[0].item], backward=True) if shown and start else None
    page: Page[None] = Page([], len(whole.items), limit, 0 if cursor else offset, True,
                            next_cursor, prev_cursor)  # fmt: skip
    return ValuationPage(whole.at, shown, whole.total_value, page)
