"""Resolve the codes users type (or scan) to the snapshots the domain rules need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from cangku.db import driver
from cangku.db.tables import item_units, lots
from cangku.domain.enums import LocationKind, LotStatus, Tracking
from cangku.domain.errors import NotFound
from cangku.domain.stock import ItemInfo, LocationInfo, LotInfo

# The posting path's look-ups run at driver level (db/driver.py, ADR 0009): fixed SQL text.
_ITEM_SQL = (
    "SELECT i.id, i.code, i.item_type, i.tracking, i.costing_method, i.base_unit, i.active,"
    " u.decimals, i.name FROM items i LEFT JOIN units u ON u.code = i.base_unit"
)
# What users type or scan: an item code first, else one of its barcodes with the barcode's unit
# (None: the barcode names no unit). One read through the primary keys (items.code is unique,
# item_barcodes.barcode is the key); the rank makes a code win over an equal barcode.
_ITEM_COLUMNS = _ITEM_SQL[len("SELECT ") : _ITEM_SQL.index(" FROM ")]
_RESOLVE_ITEM = (
    f"SELECT 0, {_ITEM_COLUMNS}, CAST(NULL AS VARCHAR(16)) FROM items i"  # noqa: S608
    " LEFT JOIN units u ON u.code = i.base_unit WHERE i.code = %s"
    f" UNION ALL SELECT 1, {_ITEM_COLUMNS}, b.unit FROM item_barcodes b"
    " JOIN items i ON i.id = b.item_id LEFT JOIN units u ON u.code = i.base_unit"
    " WHERE b.barcode = %s ORDER BY 1 LIMIT 1"
)


def _item_of(row: tuple[Any, ...]) -> ItemInfo:
    item_id, code, item_type, tracking, costing, base_unit, active, places, name = row
    return ItemInfo(
        int(item_id),
        code,
        item_type,
        Tracking(tracking),
        costing,
        base_unit,
        bool(active),
        int(places) if places is not None else None,
        name,
    )


def resolve_item(conn: Connection, text: str) -> tuple[ItemInfo, str | None]:
    """The item ``text`` names, by its code or else by one of its barcodes, and the unit of that
    barcode (None for a code, or for a barcode that names no unit). Every face and command that
    takes one item goes through here (bulk imports take codes: ``items_by_codes``).

    Raises NotFound ``item_not_found``. Reads only (one query)."""
    row = driver.first(conn, _RESOLVE_ITEM, (text, text))
    if row is None:
        raise NotFound("item", text)
    return _item_of(row[1:-1]), row[-1]


def item_by_code(conn: Connection, code: str) -> ItemInfo:
    """An item by its code, or else by one of its barcodes (``resolve_item`` without the
    barcode's unit: for look-ups that take no quantity)."""
    return resolve_item(conn, code)[0]


def item_by_id(conn: Connection, item_id: int) -> ItemInfo:
    row = driver.first(conn, _ITEM_SQL + " WHERE i.id = %s", (item_id,))
    if row is None:
        raise NotFound("item", item_id)
    return _item_of(row)


_LOCATION_SQL = (
    "SELECT l.id, l.code, l.kind, l.warehouse_id, w.allow_negative_stock, l.active,"
    " l.allowed_item_types, l.capacity, w.code, w.allow_expired_issue"
    " FROM locations l JOIN warehouses w ON w.id = l.warehouse_id"
)
_LOCATION_BY_CODE = _LOCATION_SQL + " WHERE l.code = %s"


def _location_of(row: tuple[Any, ...]) -> LocationInfo:
    location_id, code, kind, warehouse_id, allow_negative, active, allowed, capacity, wh = row[:9]
    return LocationInfo(
        int(location_id),
        code,
        LocationKind(kind),
        int(warehouse_id),
        bool(allow_negative),
        bool(active),
        frozenset(t for t in (allowed or "").split(",") if t),
        int(capacity) if capacity is not None else None,
        wh,
        bool(row[9]),
    )


def location_by_code(conn: Connection, code: str) -> LocationInfo:
    row = driver.first(conn, _LOCATION_BY_CODE, (code,))
    if row is None:
        raise NotFound("location", code)
    return _location_of(row)


def location_by_id(conn: Connection, location_id: int) -> LocationInfo:
    row = driver.first(conn, _LOCATION_SQL + " WHERE l.id = %s", (location_id,))
    if row is None:
        raise NotFound("location", location_id)
    return _location_of(row)


_WITH_VIRTUAL = (
    f"SELECT 0, {_LOCATION_SQL[len('SELECT ') :]} WHERE l.code = %s UNION ALL"  # noqa: S608
    f" SELECT 1, {_LOCATION_SQL[len('SELECT ') :]} WHERE l.id = (SELECT v.id FROM locations v"
    " JOIN locations d ON d.warehouse_id = v.warehouse_id WHERE d.code = %s AND v.kind = %s"
    " ORDER BY v.id LIMIT 1)"
)


def location_with_virtual(
    conn: Connection, code: str, kind: LocationKind
) -> tuple[LocationInfo, LocationInfo]:
    """The location ``code`` and its warehouse's virtual location of ``kind``, in one read
    (a receipt's supplier, an issue's customer, an adjustment's counterpart)."""
    found = {
        row[0]: _location_of(row[1:])
        for row in driver.rows(conn, _WITH_VIRTUAL, (code, code, str(kind)))
    }
    if 0 not in found:
        raise NotFound("location", code)
    if 1 not in found:
        raise NotFound("location", f"{kind} of warehouse {found[0].warehouse_id}")
    return found[0], found[1]


_TWO_LOCATIONS = _LOCATION_SQL + " WHERE l.code IN (%s, %s)"


def two_locations(conn: Connection, first: str, second: str) -> tuple[LocationInfo, LocationInfo]:
    """Two locations by code in one read (a transfer's ends)."""
    found = {
        row[1]: _location_of(row) for row in driver.rows(conn, _TWO_LOCATIONS, (first, second))
    }
    for code in (first, second):
        if code not in found:
            raise NotFound("location", code)
    return found[first], found[second]


_LOT_COLUMNS = (
    lots.c.id,
    lots.c.item_id,
    lots.c.code,
    lots.c.status,
    lots.c.is_serial,
    lots.c.expires_on,
)


def _lot(row: object) -> LotInfo:
    return LotInfo(
        id=row.id,  # type: ignore[attr-defined]
        item_id=row.item_id,  # type: ignore[attr-defined]
        code=row.code,  # type: ignore[attr-defined]
        status=LotStatus(row.status),  # type: ignore[attr-defined]
        is_serial=row.is_serial,  # type: ignore[attr-defined]
        expires_on=row.expires_on,  # type: ignore[attr-defined]
    )


def lot_columns() -> tuple[Any, ...]:
    return tuple(_LOT_COLUMNS)


def lot_info(row: object) -> LotInfo:
    return _lot(row)


def lot_by_code(conn: Connection, item_id: int, code: str) -> LotInfo | None:
    row = conn.execute(
        select(*_LOT_COLUMNS).where(lots.c.item_id == item_id, lots.c.code == code)
    ).first()
    return _lot(row) if row else None


def lot_by_id(conn: Connection, lot_id: int) -> LotInfo:
    row = conn.execute(select(*_LOT_COLUMNS).where(lots.c.id == lot_id)).first()
    if row is None:
        raise NotFound("lot", lot_id)
    return _lot(row)


def unit_decimals(conn: Connection, unit: str) -> int:
    row = driver.first(conn, "SELECT decimals FROM units WHERE code = %s", (unit,))
    if row is None:
        raise NotFound("unit", unit)
    return int(row[0])


def unit_factor(conn: Connection, item_id: int, unit: str) -> int | None:
    """Scaled base units in one ``unit`` of the item, or None when the item has no such unit."""
    value = conn.execute(
        select(item_units.c.factor).where(
            item_units.c.item_id == item_id, item_units.c.unit == unit
        )
    ).scalar()
    return int(value) if value is not None else None


def items_by_codes(conn: Connection, codes: list[str]) -> dict[str, ItemInfo]:
    """Many items by code in one query (codes that are not item codes are left out). Codes
    only, no barcodes: bulk imports take item codes (docs/workflows/import.md)."""
    found: dict[str, ItemInfo] = {}
    for chunk in _chunks(codes):
        sql = f"{_ITEM_SQL} WHERE i.code IN ({', '.join(['%s'] * len(chunk))})"
        found.update((item.code, item) for item in map(_item_of, driver.rows(conn, sql, chunk)))
    return found


def locations_by_codes(conn: Connection, codes: list[str]) -> dict[str, LocationInfo]:
    """Many locations by code in one query (unknown codes are left out)."""
    found: dict[str, LocationInfo] = {}
    for chunk in _chunks(codes):
        sql = f"{_LOCATION_SQL} WHERE l.code IN ({', '.join(['%s'] * len(chunk))})"
        found.update((loc.code, loc) for loc in map(_location_of, driver.rows(conn, sql, chunk)))
    return found


def locations_by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, LocationInfo]:
    """Many locations by id in one query per 5,000 (unknown ids are left out)."""
    wanted = sorted(set(ids))
    found: dict[int, LocationInfo] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        sql = f"{_LOCATION_SQL} WHERE l.id IN ({', '.join(['%s'] * len(chunk))})"
        found.update((loc.id, loc) for loc in map(_location_of, driver.rows(conn, sql, chunk)))
    return found


def _chunks(codes: list[str]) -> list[list[str]]:
    return [codes[start : start + 5000] for start in range(0, len(codes), 5000)]
