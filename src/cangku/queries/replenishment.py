"""The stored replenishment levels read back (issue 16, ADR 0032): the inputs a recompute reads
besides the demand (ABC classes, units), and the list and the detail pages' rows.

Each row carries the levels in force with their source (``queries.levels``: override, else
computed, else the item's own), the computed levels, the override with who/when/why, the
demand per day and the lead time with their deviations, the forecast method and its MASE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from cangku.db import catalog
from cangku.db.tables import (
    abc_classes,
    abc_runs,
    items,
    replenishment_levels,
    units,
    users,
    warehouses,
)
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.levels import LEVELS, in_force, level_source

__all__ = [
    "LevelRow",
    "abc_now",
    "level_rows",
    "one_level",
    "unit_decimals",
]


def abc_now(conn: Connection, warehouse_ids: Iterable[int] | None) -> dict[tuple[int, int], str]:
    """The ABC class of each (item, warehouse) in the latest ABC run of each warehouse."""
    latest = select(abc_runs.c.warehouse_id, func.max(abc_runs.c.id).label("run_id")).group_by(
        abc_runs.c.warehouse_id
    )
    if warehouse_ids is not None:
        latest = latest.where(abc_runs.c.warehouse_id.in_(sorted(warehouse_ids)))
    runs = latest.subquery("latest")
    stmt = select(abc_classes.c.item_id, runs.c.warehouse_id, abc_classes.c.abc_class).join(
        runs, runs.c.run_id == abc_classes.c.run_id
    )
    return {(int(i), int(w)): str(c) for i, w, c in conn.execute(stmt)}


def unit_decimals(conn: Connection, item_ids: Iterable[int] | None = None) -> dict[int, int]:
    """The decimals of each active item's base unit."""
    stmt = (
        select(items.c.id, units.c.decimals)
        .join(units, units.c.code == items.c.base_unit)
        .where(items.c.active.is_(True))
    )
    if item_ids is not None:
        stmt = stmt.where(items.c.id.in_(sorted(set(item_ids))))
    return {int(i): int(d) for i, d in conn.execute(stmt)}


@dataclass(frozen=True)
class LevelRow:
    """One item in one warehouse: the levels in force and where each came from, what was
    computed and how, and the override."""

    item_id: int
    item: str
    item_name: str
    warehouse_id: int
    warehouse: str
    in_force: dict[str, Decimal | None]
    source: dict[str, str | None]
    computed: dict[str, Decimal | None]
    override: dict[str, Decimal | None]
    override_reason: str | None
    override_by: str | None
    override_at: datetime | None
    computed_at: datetime | None
    method: str | None
    mae: Decimal | None
    mase: Decimal | None
    demand: Decimal | None
    demand_sd: Decimal | None
    lead_time: Decimal | None
    lead_time_sd: Decimal | None
    lead_time_source: str | None
    lead_time_samples: int | None
    abc_class: str | None
    service_level: Decimal | None
    z: Decimal | None
    working: dict[str, Any] | None


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else from_scaled(int(value))


def _select() -> Any:
    lv = replenishment_levels.c
    return select(
        lv.item_id,
        items.c.code.label("item"),
        items.c.name.label("item_name"),
        lv.warehouse_id,
        warehouses.c.code.label("warehouse"),
        *(in_force(level).label(f"force_{level}") for level in LEVELS),
        *(level_source(level).label(f"source_{level}") for level in LEVELS),
        replenishment_levels,
        users.c.username.label("override_username"),
    ).select_from(  # fmt: skip
        replenishment_levels.join(items, items.c.id == lv.item_id)
        .join(warehouses, warehouses.c.id == lv.warehouse_id)
        .outerjoin(users, users.c.id == lv.override_by)
    )


def _row(r: Any, with_working: bool) -> LevelRow:
    m = r._mapping
    return LevelRow(
        int(r.item_id), r.item, r.item_name, int(r.warehouse_id), r.warehouse,
        {level: _decimal(m[f"force_{level}"]) for level in LEVELS},
        {level: m[f"source_{level}"] for level in LEVELS},
        {level: _decimal(m[level]) for level in LEVELS},
        {level: _decimal(m[f"override_{level}"]) for level in LEVELS},
        r.override_reason, r.override_username, r.override_at, r.computed_at, r.method,
        _decimal(r.mae), _decimal(r.mase), _decimal(r.demand), _decimal(r.demand_sd),
        _decimal(r.lead_time), _decimal(r.lead_time_sd), r.lead_time_source,
        r.lead_time_samples, r.abc_class, _decimal(r.service_level), _decimal(r.z),
        json.loads(r.working) if with_working and r.working else None,
    )  # fmt: skip


def level_rows(
    conn: Connection,
    *,
    readable: Warehouses,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    category: str | None = None,
    only_with_override: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[LevelRow], int]:
    """The stored rows in the warehouses ``readable`` (None: all), by item code then warehouse
    code (``category``: its items and those of the categories under it), a page of them and
    how many there are in all."""
    lv = replenishment_levels.c
    stmt = _select()
    if readable is not None:
        stmt = stmt.where(lv.warehouse_id.in_(sorted(readable)))
    if warehouse_id is not None:
        stmt = stmt.where(lv.warehouse_id == warehouse_id)
    if item_id is not None:
        stmt = stmt.where(lv.item_id == item_id)
    if category is not None:
        found = catalog.category_by_code(conn, category)
        stmt = stmt.where(items.c.category_id.in_(catalog.subtree_ids(conn, found.id)))
    if only_with_override:
        stmt = stmt.where(lv.override_at.is_not(None))
    total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = stmt.order_by(items.c.code, warehouses.c.code).offset(offset).limit(limit)
    return [_row(r, False) for r in conn.execute(page)], int(total)


def one_level(conn: Connection, item_id: int, warehouse_id: int) -> LevelRow | None:
    """The stored row of one item in one warehouse with its working, or None."""
    stmt = _select().where(
        and_(
            replenishment_levels.c.item_id == item_id,
            replenishment_levels.c.warehouse_id == warehouse_id,
        )
    )
    found = conn.execute(stmt).first()
    return None if found is None else _row(found, True)
