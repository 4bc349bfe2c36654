"""What needs someone's attention: items at or below their reorder point, unusual balances.

The dashboard counts these and links each count to the list that shows exactly those rows
(the items list's ``stock=below_reorder``, the stock list's ``balance=unusual``): the count and
the list read the same condition from here.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.sql import ColumnElement

from cangku.db.tables import balances, items, locations
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import Warehouses
from cangku.queries.stock import VALUED, StockFilter, count_on_hand

__all__ = [
    "STOCK_LEVEL_FILTERS",
    "below_reorder",
    "count_below_reorder",
    "count_unusual_balances",
    "stock_level_condition",
]

#: the item list's ``stock=`` filters
STOCK_LEVEL_FILTERS = ("below_reorder",)


def below_reorder(warehouses: Warehouses) -> ColumnElement[bool]:
    """An active item with a reorder point whose on hand, summed over the storage (valued)
    locations of ``warehouses`` (None: all), is at or below it."""
    held = select(func.coalesce(func.sum(balances.c.on_hand), 0)).where(
        balances.c.item_id == items.c.id,
        balances.c.location_id.in_(select(locations.c.id).where(locations.c.kind.in_(VALUED))),
    )
    if warehouses is not None:
        held = held.where(balances.c.warehouse_id.in_(sorted(warehouses)))
    return (
        items.c.active.is_(True)
        & items.c.reorder_point.is_not(None)
        & (held.scalar_subquery() <= items.c.reorder_point)
    )


def stock_level_condition(name: str, warehouses: Warehouses) -> ColumnElement[bool]:
    """The condition of the item list's ``stock=`` filter; InvalidInput
    ``invalid_stock_filter`` for another name."""
    if name not in STOCK_LEVEL_FILTERS:
        raise InvalidInput(
            f"stock must be one of {', '.join(STOCK_LEVEL_FILTERS)}",
            code="invalid_stock_filter",
            allowed=list(STOCK_LEVEL_FILTERS),
        )
    return below_reorder(warehouses)


def count_below_reorder(conn: Connection, warehouses: Warehouses) -> int:
    """How many items are at or below their reorder point in ``warehouses``."""
    stmt = select(func.count()).select_from(items).where(below_reorder(warehouses))
    return int(conn.execute(stmt).scalar_one())


def count_unusual_balances(conn: Connection, warehouses: Warehouses) -> int:
    """How many balances of ``warehouses`` are negative or reserved above on hand."""

    # counted as the negative ones plus the over-reserved ones, less those that are both:
    # each part is read from its own index (ix_balances_on_hand, the partial
    # ix_balances_reserved), where the one condition with OR has both engines read every
    # balance
    def count(f: StockFilter, *also: ColumnElement[bool]) -> int:
        return count_on_hand(conn, f, warehouses=warehouses, also=also)

    negative = count(StockFilter(balance="negative"))
    over = count(StockFilter(balance="over_reserved"))
    both = count(StockFilter(balance="negative"), balances.c.reserved != 0)
    return negative + over - both
