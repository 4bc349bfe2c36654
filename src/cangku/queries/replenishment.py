"""The stored replenishment levels read back (issue 16, ADR 0032): the inputs a recompute reads
besides the demand (ABC classes, units), and the list and the detail pages' rows.

Each row carries the levels in force with their source (``queries.levels``: override, else
computed, else the item's own), the computed levels, the override with who/when/why, the
demand per day and the lead time with their deviations, the forecast method and its MASE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from cangku.db import catalog, lookups
from cangku.db.sites import warehouse_by_code
from cangku.db.tables import (
    abc_classes,
    abc_runs,
    items,
    replenishment_levels,
    units,
    users,
    warehouses,
)
from cangku.domain.errors import NotFound, PermissionDenied
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled
from cangku.queries.common import Page, check_paging
from cangku.queries.levels import LEVELS, in_force, level_source

#: the action that reads these rows (declared by ``services.replenishment.actions``)
REPLENISHMENT_VIEW_CODE = "replenishment.view"

__all__ = [
    "LevelFilter",
    "LevelRow",
    "abc_now",
    "find_level",
    "level_rows",
    "list_levels",
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


@dataclass(frozen=True)
class LevelFilter:
    """The list's filters, by code (None: any)."""

    warehouse: str | None = None
    item: str | None = None
    category: str | None = None
    only_with_override: bool = False


def _warehouse_id(conn: Connection, code: str, readable: Warehouses) -> int:
    """The id of warehouse ``code``. Raises NotFound, PermissionDenied (not readable)."""
    found = warehouse_by_code(conn, code).id
    if readable is not None and found not in readable:
        raise PermissionDenied.to_do(REPLENISHMENT_VIEW_CODE, warehouse=code)
    return found


def list_levels(
    conn: Connection, f: LevelFilter, readable: Warehouses, limit: int = 50, offset: int = 0
) -> Page[LevelRow]:
    """A page of the stored rows in the warehouses ``readable`` (see ``level_rows``). Raises
    NotFound (warehouse, item, category), PermissionDenied (a warehouse not readable),
    InvalidInput (paging)."""
    check_paging(limit, offset)
    warehouse_id = None if f.warehouse is None else _warehouse_id(conn, f.warehouse, readable)
    item_id = None if f.item is None else lookups.item_by_code(conn, f.item).id
    rows, total = level_rows(
        conn, readable=readable, warehouse_id=warehouse_id, item_id=item_id,
        category=f.category, only_with_override=f.only_with_override, offset=offset,
        limit=limit,
    )  # fmt: skip
    return Page(rows, total, limit, offset)


def _own(conn: Connection, item_id: int, warehouse_id: int) -> LevelRow:
    """An item never computed nor overridden in a warehouse: its own levels in force."""
    found = conn.execute(
        select(items.c.code, items.c.name, items.c.safety_stock, items.c.reorder_point,
               items.c.max_stock, warehouses.c.code.label("warehouse"))
        .select_from(items)
        .join(warehouses, warehouses.c.id == warehouse_id)
        .where(items.c.id == item_id)
    ).one()  # fmt: skip
    own = {"safety_stock": found.safety_stock, "reorder_point": found.reorder_point,
           "order_up_to": found.max_stock}  # fmt: skip
    given: dict[str, Any] = {
        "item_id": item_id, "item": found.code, "item_name": found.name,
        "warehouse_id": warehouse_id, "warehouse": found.warehouse,
        "in_force": {level: _decimal(v) for level, v in own.items()},
        "source": {level: "item" if v is not None else None for level, v in own.items()},
        "computed": dict.fromkeys(LEVELS), "override": dict.fromkeys(LEVELS),
    }  # fmt: skip
    rest: dict[str, Any] = {f.name: None for f in fields(LevelRow) if f.name not in given}
    return LevelRow(**given, **rest)


def find_level(
    conn: Connection, item: str, warehouse: str, readable: Warehouses, *, or_own: bool = False
) -> LevelRow:
    """The stored row of ``item`` in ``warehouse`` with its working; none stored: the item's
    own levels when ``or_own``. Raises NotFound (item, warehouse,
    ``replenishment_levels_not_found``: none stored and not ``or_own``), PermissionDenied."""
    warehouse_id = _warehouse_id(conn, warehouse, readable)
    item_id = lookups.item_by_code(conn, item).id
    found = one_level(conn, item_id, warehouse_id)
    if found is None:
        if or_own:
            return _own(conn, item_id, warehouse_id)
        raise NotFound("replenishment_levels", f"{item}@{warehouse}")
    return found
