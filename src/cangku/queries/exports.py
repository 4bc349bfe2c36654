"""Master data and opening stock in exactly the columns of their imports (``domain.imports``),
so a file exported, edited and imported again round-trips: an untouched row is "unchanged".

Each function answers the rows (lists of plain values in column order) in a few set-based
reads, ordered by code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from cangku.db.tables import (
    categories,
    item_barcodes,
    item_units,
    items,
    locations,
    warehouses,
)
from cangku.domain.enums import VIRTUAL_KINDS
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled

__all__ = ["EXPORTERS", "export_rows"]

Row = list[Any]


def _number(value: int | None) -> Decimal | None:
    return None if value is None else from_scaled(value)


def _category_paths(conn: Connection) -> dict[int, str]:
    rows = list(conn.execute(select(categories.c.id, categories.c.code, categories.c.path)))
    codes = {r.id: r.code for r in rows}
    return {r.id: "/".join(codes[int(p)] for p in r.path.strip("/").split("/") if p) for r in rows}


def categories_rows(conn: Connection, _warehouses: Warehouses) -> list[Row]:
    parent = categories.alias("parent")
    stmt = (
        select(categories.c.code, categories.c.name, parent.c.code.label("parent_code"))
        .outerjoin(parent, parent.c.id == categories.c.parent_id)
        .order_by(categories.c.path)
    )
    return [[r.code, r.name, r.parent_code] for r in conn.execute(stmt)]


def items_rows(conn: Connection, _warehouses: Warehouses) -> list[Row]:
    paths = _category_paths(conn)
    conversions: dict[int, list[str]] = defaultdict(list)
    for u in conn.execute(select(item_units).order_by(item_units.c.item_id, item_units.c.unit)):
        conversions[u.item_id].append(f"{u.unit}={from_scaled(u.factor)}")
    codes: dict[int, list[str]] = defaultdict(list)
    stmt = select(item_barcodes).order_by(item_barcodes.c.item_id, item_barcodes.c.barcode)
    for b in conn.execute(stmt):
        codes[b.item_id].append(f"{b.barcode}={b.unit}" if b.unit else b.barcode)
    place = {r.id: r.code for r in conn.execute(select(locations.c.id, locations.c.code))}
    rows = []
    for r in conn.execute(select(items).order_by(items.c.code)):
        rows.append(
            [
                r.code, r.name, r.item_type,
                paths.get(r.category_id) if r.category_id is not None else None,
                r.base_unit, "; ".join(conversions[r.id]), "; ".join(codes[r.id]),
                r.tracking, r.costing_method, r.shelf_life_days,
                _number(r.safety_stock), _number(r.reorder_point), _number(r.max_stock),
                r.lead_time_days,
                place.get(r.default_location_id) if r.default_location_id else None,
                _number(r.standard_cost), r.description,
            ]
        )  # fmt: skip
    return rows


def warehouses_rows(conn: Connection, scope: Warehouses) -> list[Row]:
    stmt = select(warehouses).order_by(warehouses.c.code)
    if scope is not None:
        stmt = stmt.where(warehouses.c.id.in_(sorted(scope)))
    return [[r.code, r.name, r.address, r.allow_negative_stock] for r in conn.execute(stmt)]


def locations_rows(conn: Connection, scope: Warehouses) -> list[Row]:
    parent = locations.alias("parent")
    stmt = (
        select(locations, warehouses.c.code.label("wh"), parent.c.code.label("parent_code"))
        .join(warehouses, warehouses.c.id == locations.c.warehouse_id)
        .outerjoin(parent, parent.c.id == locations.c.parent_id)
        .where(locations.c.kind.not_in([str(k) for k in VIRTUAL_KINDS]))
        .order_by(warehouses.c.code, locations.c.path)
    )
    if scope is not None:
        stmt = stmt.where(locations.c.warehouse_id.in_(sorted(scope)))
    return [
        [
            r.code, r.name, r.wh, r.parent_code, r.kind, r.level, _number(r.capacity),
            "; ".join(t for t in (r.allowed_item_types or "").split(",") if t),
        ]
        for r in conn.execute(stmt)
    ]  # fmt: skip


Exporter = Callable[[Connection, Warehouses], list[Row]]

EXPORTERS: dict[str, Exporter] = {
    "categories": categories_rows,
    "items": items_rows,
    "warehouses": warehouses_rows,
    "locations": locations_rows,
}


def export_rows(conn: Connection, kind: str, scope: Warehouses = None) -> list[Row]:
    """The rows of ``kind`` (``scope``: the warehouses the caller may see, for the kinds that
    belong to a warehouse)."""
    return EXPORTERS[kind](conn, scope)
