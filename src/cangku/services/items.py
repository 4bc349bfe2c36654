"""Use cases of the item catalogue: create and change items, their units and barcodes.

Categories and units of measure live in ``services.categories``-like functions at the end of
this module (they exist for items only).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import catalog
from cangku.db.catalog import Category, Item, Unit, to_base_quantity
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
    "UPDATABLE_FIELDS",
    "Category",
    "Item",
    "ItemInput",
    "Unit",
    "create_category",
    "create_item",
    "create_unit",
    "deactivate_category",
    "deactivate_item",
    "reactivate_category",
    "reactivate_item",
    "set_item_barcodes",
    "set_item_units",
    "to_base_quantity",
    "update_category",
    "update_item",
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
        if any(ch.isspace() for ch in barcode):
            raise InvalidInput("a barcode has no spaces", code="invalid_barcode", field="barcode")
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


def _category_id(conn: Connection, code: str | None, unchanged: bool = False) -> int | None:
    if code is None:
        return None
    category = catalog.category_by_code(conn, code)
    if not category.active and not unchanged:
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


def _item_columns(conn: Connection, data: ItemInput, current: Item | None = None) -> dict[str, Any]:
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
        "category_id": _category_id(
            conn, data.category, current is not None and current.category == data.category
        ),
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
        if catalog.code_taken(conn, data.code):
            raise Conflict(
                f"an item with code {data.code!r} already exists",
                code="item_code_taken",
                item=data.code,
            )
        conversions = _conversions(conn, data.base_unit, data.units)
        codes = _barcodes(conn, None, data.base_unit, conversions, data.barcodes)
        item_id = catalog.insert_item(conn, values, now)
        catalog.replace_units(conn, item_id, conversions)
        catalog.replace_barcodes(conn, item_id, codes)
        return item_id

    item_id, _ = run_write(db, ctx, "items.create", plain(data), work)
    return _read_item(db, int(item_id))


#: what ``update_item`` may change (the code never changes; units and barcodes have their own)
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "item_type",
        "category",
        "base_unit",
        "tracking",
        "costing_method",
        "shelf_life_days",
        "safety_stock",
        "reorder_point",
        "max_stock",
        "lead_time_days",
        "default_location",
        "standard_cost",
    }
)
#: changing these would reinterpret moves already in the ledger
_FIXED_BY_MOVES = ("base_unit", "tracking", "costing_method")


def _input_of(item: Item) -> ItemInput:
    kept = {
        f.name: getattr(item, f.name)
        for f in fields(ItemInput)
        if f.name not in ("units", "barcodes")
    }
    return ItemInput(
        **kept,
        units=[(u.unit, u.factor) for u in item.units],
        barcodes=[(b.barcode, b.unit) for b in item.barcodes],
    )


def _change_item(
    db: Database,
    ctx: Context,
    operation: str,
    payload: dict[str, Any],
    code: str,
    change: Callable[[Connection, Item, datetime], None],
) -> Item:
    """Load the item by code in a write transaction, apply ``change(conn, current, now)``."""

    def work(uow: UnitOfWork, _user_id: int, now: datetime) -> int:
        item_id = catalog.item_id_by_code(uow.conn, code)
        change(uow.conn, catalog.load_item(uow.conn, item_id), now)
        return item_id

    item_id, _ = run_write(db, ctx, operation, {"code": code, **payload}, work)
    return _read_item(db, int(item_id))


def update_item(
    db: Database, ctx: Context, code: str, changes: Mapping[str, Any], version: int | None = None
) -> Item:
    """Change fields of an item (any of ``UPDATABLE_FIELDS``) and bump its version.

    Raises everything ``create_item`` does for the new values, NotFound ``item_not_found``,
    InvalidInput ``unknown_field``, RuleViolation ``item_has_moves`` (base unit, tracking or
    costing method of an item already in the ledger), Conflict ``version_conflict``.
    Writes: the ``items`` row.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code="unknown_field",
            fields=unknown,
        )

    def change(conn: Connection, current: Item, now: datetime) -> None:
        data = replace(_input_of(current), **changes)
        fixed = [f for f in _FIXED_BY_MOVES if getattr(data, f) != getattr(current, f)]
        if fixed and catalog.has_moves(conn, current.id):
            raise RuleViolation(
                f"{', '.join(fixed)} cannot change: the item already has stock moves",
                code="item_has_moves",
                fields=fixed,
            )
        values = _item_columns(conn, data, current)
        del values["code"]
        conversions = _conversions(conn, data.base_unit, data.units)
        _barcodes(conn, current.id, data.base_unit, conversions, data.barcodes)
        catalog.update_item(conn, current.id, values, version, now)

    payload = {"changes": plain(dict(changes)), "version": version}
    return _change_item(db, ctx, "items.update", payload, code, change)


def set_item_units(
    db: Database,
    ctx: Context,
    code: str,
    units: Sequence[tuple[str, Decimal]],
    version: int | None = None,
) -> Item:
    """Replace the item's unit conversions (unit, base units per that unit).

    Raises NotFound ``item_not_found`` / ``unit_not_found``, InvalidInput ``invalid_factor``,
    ``duplicate_unit``, ``base_unit_conversion``, ``unit_not_convertible`` (a barcode still
    uses a unit being removed), Conflict ``version_conflict``.
    Writes: the item's ``item_units`` rows; bumps the item's version.
    """

    def change(conn: Connection, current: Item, now: datetime) -> None:
        conversions = _conversions(conn, current.base_unit, units)
        barcodes = [(b.barcode, b.unit) for b in current.barcodes]
        _barcodes(conn, current.id, current.base_unit, conversions, barcodes)
        catalog.update_item(conn, current.id, {}, version, now)
        catalog.replace_units(conn, current.id, conversions)

    payload = {"units": plain(list(units)), "version": version}
    return _change_item(db, ctx, "items.set_units", payload, code, change)


def set_item_barcodes(
    db: Database,
    ctx: Context,
    code: str,
    barcodes: Sequence[tuple[str, str | None]],
    version: int | None = None,
) -> Item:
    """Replace the item's barcodes (barcode, unit or None for the base unit).

    Raises NotFound ``item_not_found`` / ``unit_not_found``, InvalidInput ``invalid_barcode``,
    ``duplicate_barcode``, ``unit_not_convertible``, Conflict ``barcode_taken`` /
    ``version_conflict``. Writes: the item's ``item_barcodes`` rows; bumps the item's version.
    """

    def change(conn: Connection, current: Item, now: datetime) -> None:
        conversions = [(u.unit, 0) for u in current.units]
        checked = _barcodes(conn, current.id, current.base_unit, conversions, barcodes)
        catalog.update_item(conn, current.id, {}, version, now)
        catalog.replace_barcodes(conn, current.id, checked)

    payload = {"barcodes": plain(list(barcodes)), "version": version}
    return _change_item(db, ctx, "items.set_barcodes", payload, code, change)


def _set_item_active(
    db: Database, ctx: Context, code: str, active: bool, version: int | None
) -> Item:
    def change(conn: Connection, current: Item, now: datetime) -> None:
        catalog.update_item(conn, current.id, {"active": active}, version, now)

    operation = "items.reactivate" if active else "items.deactivate"
    return _change_item(db, ctx, operation, {"version": version}, code, change)


def deactivate_item(db: Database, ctx: Context, code: str, version: int | None = None) -> Item:
    """Mark an item inactive (it stays in the ledger and in reports; nothing is deleted).

    Raises NotFound ``item_not_found``, Conflict ``version_conflict``.
    Writes: the ``items`` row (active=false, version+1).
    """
    return _set_item_active(db, ctx, code, False, version)


def reactivate_item(db: Database, ctx: Context, code: str, version: int | None = None) -> Item:
    """Mark an inactive item active again.

    Raises NotFound ``item_not_found``, Conflict ``version_conflict``.
    Writes: the ``items`` row (active=true, version+1).
    """
    return _set_item_active(db, ctx, code, True, version)


# ---------------------------------------------------------------- categories


def _read_category(db: Database, code: str) -> Category:
    with db.read() as conn:
        return catalog.category_by_code(conn, code)


def _parent_id(conn: Connection, parent: str | None, moving: int | None = None) -> int | None:
    """The id of the parent category; refuses a parent inside the moving category's subtree."""
    if parent is None:
        return None
    found = catalog.category_by_code(conn, parent)
    if moving is not None:
        subtree = catalog.category_id_path(conn, moving)
        if catalog.category_id_path(conn, found.id).startswith(subtree):
            raise InvalidInput(
                f"category {parent} is inside the category being moved",
                code="category_cycle",
                parent=parent,
            )
    return found.id


def create_category(
    db: Database, ctx: Context, code: str, name: str, parent: str | None = None
) -> Category:
    """Create a category, at the root or under ``parent``.

    Raises InvalidInput ``invalid_code`` / ``invalid_name``, NotFound ``category_not_found``
    (parent), Conflict ``category_code_taken``. Writes: one ``categories`` row.
    """

    def work(uow: UnitOfWork, _user_id: int, now: datetime) -> str:
        check_code(code)
        check_name(name, 200)
        parent_id = _parent_id(uow.conn, parent)
        if catalog.category_code_taken(uow.conn, code):
            raise Conflict(
                f"a category with code {code!r} already exists",
                code="category_code_taken",
                category=code,
            )
        catalog.insert_category(uow.conn, code, name, parent_id, now)
        return code

    payload = {"code": code, "name": name, "parent": parent}
    run_write(db, ctx, "categories.create", payload, work)
    return _read_category(db, code)


def update_category(db: Database, ctx: Context, code: str, changes: Mapping[str, Any]) -> Category:
    """Rename a category (``name``) and/or move it under another parent (``parent``: a code,
    or None for the root); the paths of its whole subtree follow.

    Raises NotFound ``category_not_found``, InvalidInput ``invalid_name`` / ``category_cycle`` /
    ``unknown_field``. Writes: the category row and the ``path`` of its descendants.
    """
    unknown = sorted(set(changes) - {"name", "parent"})
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code="unknown_field",
            fields=unknown,
        )

    def work(uow: UnitOfWork, _user_id: int, now: datetime) -> str:
        current = catalog.category_by_code(uow.conn, code)
        if "name" in changes:
            catalog.update_category(
                uow.conn, current.id, {"name": check_name(changes["name"], 200)}, now
            )
        if "parent" in changes and changes["parent"] != current.parent:
            parent_id = _parent_id(uow.conn, changes["parent"], moving=current.id)
            catalog.move_category(uow.conn, current.id, parent_id, now)
        return code

    run_write(db, ctx, "categories.update", {"code": code, "changes": plain(dict(changes))}, work)
    return _read_category(db, code)


def _set_category_active(db: Database, ctx: Context, code: str, active: bool) -> Category:
    def work(uow: UnitOfWork, _user_id: int, now: datetime) -> str:
        current = catalog.category_by_code(uow.conn, code)
        catalog.update_category(uow.conn, current.id, {"active": active}, now)
        return code

    operation = "categories.reactivate" if active else "categories.deactivate"
    run_write(db, ctx, operation, {"code": code}, work)
    return _read_category(db, code)


def deactivate_category(db: Database, ctx: Context, code: str) -> Category:
    """Mark a category inactive: new items cannot be put in it; existing items keep it.

    Raises NotFound ``category_not_found``. Writes: the ``categories`` row.
    """
    return _set_category_active(db, ctx, code, False)


def reactivate_category(db: Database, ctx: Context, code: str) -> Category:
    """Mark a category active again. Raises NotFound ``category_not_found``.
    Writes: the ``categories`` row."""
    return _set_category_active(db, ctx, code, True)


# ---------------------------------------------------------------- units of measure


def create_unit(db: Database, ctx: Context, code: str, name: str, decimals: int) -> Unit:
    """Add a custom unit of measure allowing ``decimals`` (0..6) decimal places.

    Raises InvalidInput ``invalid_code`` / ``invalid_name`` / ``invalid_decimals``, Conflict
    ``unit_code_taken``. Writes: one ``units`` row.
    """

    def work(uow: UnitOfWork, _user_id: int, _now: datetime) -> str:
        check_code(code, max_length=16)
        check_name(name, 100)
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
            raise InvalidInput("decimals must be 0 to 6", code="invalid_decimals", field="decimals")
        if catalog.unit_exists(uow.conn, code):
            raise Conflict(f"unit {code!r} already exists", code="unit_code_taken", unit=code)
        catalog.insert_unit(uow.conn, code, name, decimals)
        return code

    payload = {"code": code, "name": name, "decimals": decimals}
    run_write(db, ctx, "units.create", payload, work)
    with db.read() as conn:
        return catalog.unit_by_code(conn, code)
