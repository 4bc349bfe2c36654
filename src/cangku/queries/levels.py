"""The levels in force per item and warehouse (ADR 0032): for each of safety stock, reorder point
and order-up-to (max), the manual override when one is set, else the computed level, else the
item's own level (``items.safety_stock``, ``items.reorder_point``, ``items.max_stock``, the same in
every warehouse).

Use: join ``replenishment_levels`` with :func:`join_levels` (an outer join, so items never
computed keep their own levels), then select :func:`in_force` (a ``COALESCE`` of the three) and
:func:`level_source` (which of the three it came from).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import and_, case, func

from cangku.db.tables import items, replenishment_levels

__all__ = ["LEVELS", "Level", "in_force", "join_levels", "level_source"]

Level = Literal["safety_stock", "reorder_point", "order_up_to"]
#: the three levels, in the order pages show them
LEVELS: tuple[Level, ...] = ("safety_stock", "reorder_point", "order_up_to")

_ITEM_LEVEL = {
    "safety_stock": items.c.safety_stock,
    "reorder_point": items.c.reorder_point,
    "order_up_to": items.c.max_stock,
}


def join_levels(from_clause: Any, item_id: Any, warehouse_id: Any) -> Any:
    """``from_clause`` outer-joined to the levels row of (``item_id``, ``warehouse_id``);
    ``from_clause`` must already hold ``items``."""
    return from_clause.outerjoin(
        replenishment_levels,
        and_(
            replenishment_levels.c.item_id == item_id,
            replenishment_levels.c.warehouse_id == warehouse_id,
        ),
    )


def in_force(level: Level) -> Any:
    """The scaled level in force (NULL: none is set anywhere)."""
    return func.coalesce(
        replenishment_levels.c[f"override_{level}"],
        replenishment_levels.c[level],
        _ITEM_LEVEL[level],
    )


def level_source(level: Level) -> Any:
    """Where the level in force came from: ``override``, ``computed``, ``item`` or NULL."""
    return case(
        (replenishment_levels.c[f"override_{level}"].is_not(None), "override"),
        (replenishment_levels.c[level].is_not(None), "computed"),
        (_ITEM_LEVEL[level].is_not(None), "item"),
        else_=None,
    )
