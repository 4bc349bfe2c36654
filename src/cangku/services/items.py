"""Use cases of the item catalogue: create and change items, their units and barcodes.

Categories and units of measure live in ``services.categories``-like functions at the end of
this module (they exist for items only).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import catalog
from cangku.db.catalog import Item, to_base_quantity
from cangku.db.lookups import location_by_code, unit_decimals
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.enums import STORAGE_KINDS, CostingMethod, ItemType, Tracking
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.quantities import (
    SCALE_DIGITS,
    check_places,
    decimal_places,
    parse_decimal,
    to_scaled,
)
from cangku.services.common import Context, run_write

__all__ = [
    "Item",
    "ItemInput",
    "create_item",
    "to_base_quantity",
]


@dataclass
class ItemInput:
    """Everything a new item may be given; ``units`` are (unit, base units per that unit)."""

    code: str
    name: str
    item_type: str
    base_unit: str = "pcs"
    tracking: str = "none"
    costing_method: str = "fifo"
    category: str | None = None
    description: str | None = None
    shelf_life_days: int | None = None
    safety_stock: Decimal | None = None
    reorder_point: Decimal | None = None
    max_stock: Decimal | None = None
    lead_time_days: int | None = None
    default_location: str | None = None
    standard_cost: Decimal | None = None
    units: Sequence[tuple[str, Decimal]] = field(default_factory=list)
    barcodes: Sequence[tuple[str, str | None]] = field(default_factory=list)


# ---------------------------------------------------------------- validation (pure)


def check_code(code: str, field_name: str = "code", max_length: int = 64) -> str:
    """A code: 1..max_length characters, no spaces at the ends, no control characters."""
    if (
        not isinstance(code, str)
        or not 1 <= len(code) <= max_length
        or code != code.strip()
        or any(unicodedata.category(ch).startswith("C") for ch in code)
    ):
        raise InvalidInput(
            f"{field_name} must have 1 to {max_length} characters, no control characters and no "
            "spaces at either end",
            code=f"invalid_{field_name}",
            field=field_name,
        )
    return code


def check_name(name: str, max_length: int = 300) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > max_length:
        raise InvalidInput(
            f"name must have 1 to {max_length} characters", code="invalid_name", field="name"
        )
    return name


def _choice(value: str, allowed: type[Any], field_name: str) -> str:
    options = [str(v) for v in allowed]
    if value not in options:
        raise InvalidInput(
            f"{field_name} must be one of {', '.join(options)}",
            code=f"invalid_{field_name}",
            field=field_name,
            allowed=options,
        )
    return value


def check_days(value: int | None, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36500:
        raise InvalidInput(
            f"{field_name} must be a whole number of days from 0 to 36500",
            code="invalid_days",
            field=field_name,
        )
    return value


def non_negative(value: object, field_name: str, places: int, unit: str) -> int | None:
    """A quantity or amount >= 0 as a scaled integer (None stays None)."""
    if value is None:
        return None
    number = parse_decimal(value, field_name)
    if number < 0:
        raise InvalidInput(
            f"{field_name} must not be negative", code="negative_value", field=field_name
        )
    check_places(number, places, field_name, unit)
    return to_scaled(number)


def check_stock_levels(safety: int | None, reorder: int | None, maximum: int | None) -> None:
    """Safety stock <= reorder point <= max stock, wherever both sides are given."""
    floor = safety
    for ceiling in (reorder, maximum):
        if ceiling is None:
            continue
        if floor is not None and ceiling < floor:
            raise InvalidInput(
                "stock levels must satisfy safety stock <= reorder point <= max stock",
                code="invalid_stock_levels",
            )
        floor = ceiling


def check_factor(value: object, unit: str) -> int:
    number = parse_decimal(value, "factor")
    if number <= 0 or decimal_places(number) > SCALE_DIGITS:
        raise InvalidInput(
            f"the factor of {unit!r} must be > 0 with at most {SCALE_DIGITS} decimals",
            code="invalid_factor",
            unit=unit,
        )
    return to_scaled(number)


def plain(value: Any) -> Any:
    """A JSON-able copy of an input (dataclasses as dicts, Decimals as strings) for hashing."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    return value


# ---------------------------------------------------------------- resolution (reads)


def _conversions(
    conn: Connection, base_unit: str, given: Sequence[tuple[str, Decimal]]
) -> list[tuple[str, int]]:
    seen: set[str] = set()
    result = []
    for unit, factor in given:
        unit_decimals(conn, unit)  # NotFound for an unknown unit
        if unit == base_unit:
            raise InvalidInput(
                f"{unit!r} is the base unit; it needs no conversion",
                code="base_unit_conversion",
                unit=unit,
            )
        if unit in seen:
            raise InvalidInput(f"unit {unit!r} is listed twice", code="duplicate_unit", unit=unit)
        seen.add(unit)
        result.append((unit, check_factor(factor, unit)))
    return result


def _barcodes(
    conn: Connection,
    item_id: int | None,
    base_unit: str,
    conversions: Sequence[tuple[str, int]],
    given: Sequence[tuple[str, str | None]],
) -> list[tuple[str, str | None]]:
    allowed = {base_unit} | {u for u, _ in conversions}
    seen: set[str] = set()
    result = []
    for barcode, unit in given:
        check_code(barcode, "barcode")
        if barcode in seen:
            raise InvalidInput(
                f"barcode {barcode!r} is listed twice", code="duplicate_barcode", barcode=barcode
            )
        seen.add(barcode)
        if unit is not None:
            unit_decimals(conn, unit)
            if unit not in allowed:
                raise InvalidInput(
                    f"the item has no conversion for unit {unit!r}",
                    code="unit_not_convertible",
                    unit=unit,
                )
        owner = catalog.barcode_owner(conn, barcode)
        if owner is not None and owner != item_id:
            raise Conflict(
                f"barcode {barcode!r} already belongs to another item",
                code="barcode_taken",
                barcode=barcode,
            )
        result.append((barcode, unit))
    return result


def _category_id(conn: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    category = catalog.category_by_code(conn, code)
    if not category.active:
        raise RuleViolation(f"category {code} is deactivated", code="category_inactive")
    return category.id


def _location_id(conn: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    location = location_by_code(conn, code)
    if location.kind not in STORAGE_KINDS:
        raise InvalidInput(
            f"{code} is a {location.kind} location; a default location must be a storage location",
            code="not_storage_location",
            location=code,
        )
    return location.id


def _item_columns(conn: Connection, data: ItemInput) -> dict[str, Any]:
    """Validated column values of ``data`` (everything but units and barcodes)."""
    check_code(data.code)
    check_name(data.name)
    _choice(data.item_type, ItemType, "item_type")
    _choice(data.tracking, Tracking, "tracking")
    _choice(data.costing_method, CostingMethod, "costing_method")
    places = unit_decimals(conn, data.base_unit)
    levels = [
        non_negative(getattr(data, f), f, places, data.base_unit)
        for f in ("safety_stock", "reorder_point", "max_stock")
    ]
    check_stock_levels(*levels)
    return {
        "code": data.code,
        "name": data.name,
        "description": data.description,
        "item_type": data.item_type,
        "base_unit": data.base_unit,
        "tracking": data.tracking,
        "costing_method": data.costing_method,
        "category_id": _category_id(conn, data.category),
        "shelf_life_days": check_days(data.shelf_life_days, "shelf_life_days"),
        "safety_stock": levels[0],
        "reorder_point": levels[1],
        "max_stock": levels[2],
        "lead_time_days": check_days(data.lead_time_days, "lead_time_days"),
        "default_location_id": _location_id(conn, data.default_location),
        "standard_cost": non_negative(data.standard_cost, "standard_cost", SCALE_DIGITS, "money"),
    }


def _read_item(db: Database, item_id: int) -> Item:
    with db.read() as conn:
        return catalog.load_item(conn, item_id)


# ---------------------------------------------------------------- item use cases


def create_item(db: Database, ctx: Context, data: ItemInput) -> Item:
    """Create an item with its unit conversions and barcodes.

    Raises InvalidInput (``invalid_code``, ``invalid_name``, ``invalid_item_type``,
    ``invalid_tracking``, ``invalid_costing_method``, ``invalid_factor``, ``too_many_decimals``,
    ``invalid_stock_levels``, ...), NotFound (``unit_not_found``, ``category_not_found``,
    ``location_not_found``), Conflict ``item_code_taken`` / ``barcode_taken``.
    Writes: one ``items`` row, its ``item_units`` and ``item_barcodes`` rows.
    """

    def work(uow: UnitOfWork, _user_id: int, now: datetime) -> int:
        conn = uow.conn
        values = _item_columns(conn, data)
        conversions = _conversions(conn, data.base_unit, data.units)
        codes = _barcodes(conn, None, data.base_unit, conversions, data.barcodes)
        if catalog.code_taken(conn, data.code):
            raise Conflict(
                f"an item with code {data.code!r} already exists",
                code="item_code_taken",
                item=data.code,
            )
        item_id = catalog.insert_item(conn, values, now)
        catalog.replace_units(conn, item_id, conversions)
        catalog.replace_barcodes(conn, item_id, codes)
        return item_id

    item_id, _ = run_write(db, ctx, "items.create", plain(data), work)
    return _read_item(db, int(item_id))
