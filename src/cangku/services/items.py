"""Use cases of the item catalogue: create and change items, their units and barcodes.

Categories live in ``services.categories``, units of measure in ``services.units`` and the pure
rules (codes, names, stock levels, conversions) in ``domain.catalog``; all are re-exported here
for older callers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import catalog
from cangku.db.catalog import Category, Item, Unit, to_base_quantity
from cangku.db.lookups import location_by_code, unit_decimals
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import (
    changed_fields,
    check_allocation_strategy,
    check_barcode_once,
    check_bool,
    check_code,
    check_conversion,
    check_days,
    check_factor,
    check_item_kinds,
    check_name,
    check_stock_levels,
    check_unit_allowed,
    non_negative,
    plain,
    refuse_unknown_fields,
    stock_levels,
)
from cangku.domain.enums import STORAGE_KINDS
from cangku.domain.errors import Conflict, InvalidInput, RuleViolation
from cangku.domain.permissions import EVERYONE, PURCHASER, WAREHOUSE_MANAGER, Action, Actor, action
from cangku.domain.quantities import SCALE_DIGITS
from cangku.queries.snapshots import item_fields
from cangku.services.categories import (
    create_category,
    deactivate_category,
    reactivate_category,
    update_category,
)
from cangku.services.common import Context, Subject, run_write
from cangku.services.units import create_unit

__all__ = [
    "UPDATABLE_FIELDS",
    "Category",
    "Item",
    "ItemInput",
    "Unit",
    "check_code",
    "check_days",
    "check_factor",
    "check_name",
    "check_stock_levels",
    "create_category",
    "create_item",
    "create_unit",
    "deactivate_category",
    "deactivate_item",
    "non_negative",
    "plain",
    "reactivate_category",
    "reactivate_item",
    "set_item_barcodes",
    "set_item_units",
    "to_base_quantity",
    "update_category",
    "update_item",
]

#: see items, their units, barcodes and suppliers
ITEM_VIEW = action("item.view", roles=EVERYONE)
ITEM_CREATE = action("item.create", roles={WAREHOUSE_MANAGER, PURCHASER})
#: change an item's fields, units and barcodes
ITEM_UPDATE = action("item.update", roles={WAREHOUSE_MANAGER, PURCHASER})
#: deactivate and reactivate items
ITEM_DEACTIVATE = action("item.deactivate", roles={WAREHOUSE_MANAGER})


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
    inspection_required: bool = False
    #: "fifo", "fefo", or None / "" for the default (FEFO when lot- or serial-tracked with a
    #: shelf life, else FIFO)
    allocation_strategy: str | None = None
    units: Sequence[tuple[str, Decimal]] = field(default_factory=list)
    barcodes: Sequence[tuple[str, str | None]] = field(default_factory=list)


# ---------------------------------------------------------------- resolution (reads)


def _conversions(
    conn: Connection, base_unit: str, given: Sequence[tuple[str, Decimal]]
) -> list[tuple[str, int]]:
    seen: set[str] = set()
    result = []
    for unit, factor in given:
        unit_decimals(conn, unit)  # NotFound for an unknown unit
        result.append((unit, check_conversion(unit, factor, base_unit, seen)))
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
        check_barcode_once(barcode, seen)
        if unit is not None:
            unit_decimals(conn, unit)
            check_unit_allowed(unit, allowed)
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
    check_item_kinds(data.item_type, data.tracking, data.costing_method)
    levels = stock_levels(vars(data), unit_decimals(conn, data.base_unit), data.base_unit)
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
        "inspection_required": check_bool(data.inspection_required, "inspection_required"),
        "allocation_strategy": check_allocation_strategy(data.allocation_strategy),
    }


def _subject(code: str) -> Subject:
    """The item ``code`` as the audit trail sees it (its fields before and after)."""
    return Subject("item", code, lambda conn: item_fields(conn, code))


def _read_item(db: Database, item_id: int) -> Item:
    with db.read() as conn:
        return catalog.load_item(conn, item_id)


# ---------------------------------------------------------------- item use cases


def create_item(db: Database, ctx: Context, data: ItemInput) -> Item:
    """Create an item with its unit conversions and barcodes.

    Raises InvalidInput (``invalid_code``, ``invalid_name``, ``invalid_item_type``,
    ``invalid_tracking``, ``invalid_costing_method``, ``invalid_factor``, ``too_many_decimals``,
    ``invalid_stock_levels``, ``invalid_flag`` (``inspection_required`` not true or false),
    ``invalid_allocation_strategy`` (not fifo, fefo or empty; ``data.allowed``), ...),
    NotFound (``unit_not_found``, ``category_not_found``, ``location_not_found``),
    Conflict ``item_code_taken`` / ``barcode_taken``.
    Writes: one ``items`` row, its ``item_units`` and ``item_barcodes`` rows.
    """

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> int:
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
        catalog.add_units(conn, item_id, conversions)
        catalog.add_barcodes(conn, item_id, codes)
        return item_id

    # the audit trail reads the item as created, in the transaction: the answer is that item
    kept: list[Item] = []
    subject = Subject("item", data.code, lambda conn: item_fields(conn, data.code, kept.append))
    item_id, replayed = run_write(db, ctx, ITEM_CREATE, plain(data), work, subject=subject)
    return kept[-1] if kept and not replayed else _read_item(db, int(item_id))


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
        "inspection_required",
        "allocation_strategy",
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
    operation: Action,
    payload: dict[str, Any],
    code: str,
    change: Callable[[Connection, Item, datetime], None],
) -> Item:
    """Load the item by code in a write transaction, apply ``change(conn, current, now)``."""

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> int:
        item_id = catalog.item_id_by_code(uow.conn, code)
        change(uow.conn, catalog.load_item(uow.conn, item_id), now)
        return item_id

    item_id, _ = run_write(
        db, ctx, operation, {"code": code, **payload}, work, subject=_subject(code)
    )
    return _read_item(db, int(item_id))


def update_item(
    db: Database,
    ctx: Context,
    code: str,
    changes: Mapping[str, Any],
    version: int | None = None,
    *,
    units: Sequence[tuple[str, Decimal]] | None = None,
    barcodes: Sequence[tuple[str, str | None]] | None = None,
) -> Item:
    """Change fields of an item (any of ``UPDATABLE_FIELDS``) and bump its version; with
    ``units`` / ``barcodes``, replace those too, in the same transaction (the item form saves
    all three at once: all or nothing).

    Raises everything ``create_item`` does for the new values, NotFound ``item_not_found``,
    InvalidInput ``unknown_field``, RuleViolation ``item_has_moves`` (base unit, tracking or
    costing method of an item already in the ledger), Conflict ``version_conflict``, and what
    ``set_item_units`` / ``set_item_barcodes`` raise.
    Writes: the ``items`` row; the item's ``item_units`` / ``item_barcodes`` rows when given.
    """
    refuse_unknown_fields(changes, UPDATABLE_FIELDS)

    def change(conn: Connection, current: Item, now: datetime) -> None:
        data = replace(_input_of(current), **changes)
        if units is not None:
            data = replace(data, units=list(units))
        if barcodes is not None:
            data = replace(data, barcodes=list(barcodes))
        fixed = changed_fields(current, data, _FIXED_BY_MOVES)
        if fixed and catalog.has_moves(conn, current.id):
            raise RuleViolation(
                f"{', '.join(fixed)} cannot change: the item already has stock moves",
                code="item_has_moves",
                fields=fixed,
            )
        values = _item_columns(conn, data, current)
        del values["code"]
        conversions = _conversions(conn, data.base_unit, data.units)
        checked = _barcodes(conn, current.id, data.base_unit, conversions, data.barcodes)
        catalog.update_item(conn, current.id, values, version, now)
        if units is not None:
            catalog.replace_units(conn, current.id, conversions)
        if barcodes is not None:
            catalog.replace_barcodes(conn, current.id, checked)

    payload: dict[str, Any] = {"changes": plain(dict(changes)), "version": version}
    if units is not None:
        payload["units"] = plain(list(units))
    if barcodes is not None:
        payload["barcodes"] = plain(list(barcodes))
    return _change_item(db, ctx, ITEM_UPDATE, payload, code, change)


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
    return _change_item(db, ctx, ITEM_UPDATE, payload, code, change)


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
    return _change_item(db, ctx, ITEM_UPDATE, payload, code, change)


def _set_item_active(
    db: Database, ctx: Context, code: str, active: bool, version: int | None
) -> Item:
    def change(conn: Connection, current: Item, now: datetime) -> None:
        catalog.update_item(conn, current.id, {"active": active}, version, now)

    payload = {"version": version, "active": active}
    return _change_item(db, ctx, ITEM_DEACTIVATE, payload, code, change)


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
