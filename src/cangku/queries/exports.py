"""Master data and opening stock in exactly the columns of their imports (``domain.imports``),
so a file exported, edited and imported again round-trips: an untouched row is "unchanged".

Each function answers the rows (lists of plain values in column order) in a few set-based
reads, ordered by code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from cangku.db.tables import (
    categories,
    item_barcodes,
    item_units,
    items,
    locations,
    lots,
    moves,
    partner_contacts,
    partners,
    supplier_items,
    warehouses,
)
from cangku.domain.enums import VIRTUAL_KINDS
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_ratio

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
        select(
            categories.c.code,
            categories.c.name,
            parent.c.code.label("parent_code"),
            categories.c.inspection_required,
        )
        .outerjoin(parent, parent.c.id == categories.c.parent_id)
        .order_by(categories.c.path)
    )
    return [
        [r.code, r.name, r.parent_code, bool(r.inspection_required)] for r in conn.execute(stmt)
    ]


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
                r.code,
                r.name,
                r.item_type,
                paths.get(r.category_id) if r.category_id is not None else None,
                r.base_unit,
                "; ".join(conversions[r.id]),
                "; ".join(codes[r.id]),
                r.tracking,
                r.costing_method,
                r.shelf_life_days,
                _number(r.safety_stock),
                _number(r.reorder_point),
                _number(r.max_stock),
                r.lead_time_days,
                place.get(r.default_location_id) if r.default_location_id else None,
                _number(r.standard_cost),
                r.description,
                bool(r.inspection_required),
                r.allocation_strategy,
            ]
        )
    return rows


def warehouses_rows(conn: Connection, scope: Warehouses) -> list[Row]:
    stmt = select(warehouses).order_by(warehouses.c.code)
    if scope is not None:
        stmt = stmt.where(warehouses.c.id.in_(sorted(scope)))
    return [
        [r.code, r.name, r.address, r.allow_negative_stock, r.allow_expired_issue]
        for r in conn.execute(stmt)
    ]


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
            r.code,
            r.name,
            r.wh,
            r.parent_code,
            r.kind,
            r.level,
            _number(r.capacity),
            "; ".join(t for t in (r.allowed_item_types or "").split(",") if t),
        ]
        for r in conn.execute(stmt)
    ]


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


def opening_balances(
    conn: Connection, scope: Warehouses
) -> dict[tuple[str, str, str | None], tuple[int, int, Any, Any]]:
    """The opening balances posted (moves from an ``adjustment`` location with reason
    ``opening_balance``) per (item, location, lot): scaled quantity, scaled value, the first
    effective time and the lot's expiry."""
    source, to, lot = locations.alias("source"), locations.alias("dest"), lots.alias("lot")
    stmt = (
        select(
            items.c.code.label("item"),
            to.c.code.label("location"),
            lot.c.code.label("lot"),
            lot.c.expires_on,
            func.sum(moves.c.quantity).label("quantity"),
            func.sum(moves.c.value).label("value"),
            func.min(moves.c.effective_at).label("effective_at"),
        )
        .join(items, items.c.id == moves.c.item_id)
        .join(source, source.c.id == moves.c.from_location_id)
        .join(to, to.c.id == moves.c.to_location_id)
        .outerjoin(lot, lot.c.id == moves.c.lot_id)
        .where(moves.c.reason_code == "opening_balance", source.c.kind == "adjustment")
        .group_by(items.c.code, to.c.code, lot.c.code, lot.c.expires_on)
    )
    if scope is not None:
        stmt = stmt.where(moves.c.warehouse_id.in_(sorted(scope)))
    return {
        (r.item, r.location, r.lot): (int(r.quantity), int(r.value), r.effective_at, r.expires_on)
        for r in conn.execute(stmt)
    }


def opening_stock_rows(conn: Connection, scope: Warehouses) -> list[Row]:
    base = {r.code: r.base_unit for r in conn.execute(select(items.c.code, items.c.base_unit))}
    rows = []
    for (item, location, lot), (quantity, value, when, expires) in sorted(
        opening_balances(conn, scope).items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
    ):
        day = when.date() if isinstance(when, datetime) else when
        cost = from_scaled(scaled_ratio(value, quantity))
        rows.append([item, location, lot, expires, from_scaled(quantity), base[item], cost, day])
    return rows


def partners_rows(conn: Connection, _scope: Warehouses) -> list[Row]:
    stmt = select(partners).order_by(partners.c.code)
    return [
        [
            r.code,
            r.name,
            r.is_supplier,
            r.is_customer,
            r.email,
            r.phone,
            r.address,
            r.tax_id,
            r.notes,
            bool(r.inspection_required),
            from_scaled(r.over_receipt_tolerance),
        ]
        for r in conn.execute(stmt)
    ]


def contacts_rows(conn: Connection, _scope: Warehouses) -> list[Row]:
    stmt = (
        select(partners.c.code, partner_contacts)
        .join(partners, partners.c.id == partner_contacts.c.partner_id)
        .order_by(partners.c.code, partner_contacts.c.id)
    )
    return [[r.code, r.name, r.role, r.email, r.phone] for r in conn.execute(stmt)]


def supplier_items_rows(conn: Connection, _scope: Warehouses) -> list[Row]:
    stmt = (
        select(partners.c.code.label("partner"), items.c.code.label("item"), supplier_items)
        .join(partners, partners.c.id == supplier_items.c.partner_id)
        .join(items, items.c.id == supplier_items.c.item_id)
        .order_by(partners.c.code, items.c.code)
    )
    return [
        [
            r.partner,
            r.item,
            r.supplier_code,
            _number(r.price),
            r.currency,
            _number(r.min_order_qty),
            r.lead_time_days,
            _number(r.pack_size),
            bool(r.preferred),
        ]
        for r in conn.execute(stmt)
    ]


def lots_rows(conn: Connection, _scope: Warehouses) -> list[Row]:
    stmt = (
        select(items.c.code.label("item"), lots)
        .join(items, items.c.id == lots.c.item_id)
        .order_by(items.c.code, lots.c.code)
    )
    return [
        [r.item, r.code, r.manufactured_on, r.expires_on, r.supplier_lot, r.status, r.notes]
        for r in conn.execute(stmt)
    ]


EXPORTERS.update(
    {
        "partners": partners_rows,
        "contacts": contacts_rows,
        "supplier_items": supplier_items_rows,
        "lots": lots_rows,
        "opening_stock": opening_stock_rows,
    }
)
