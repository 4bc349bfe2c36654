"""Importing items with their unit conversions, barcodes, category paths and reorder fields.

Upsert by code. The rules are those of ``services.items`` (``domain.catalog``), so the error
codes are the same: ``invalid_code``, ``invalid_name``, ``invalid_item_type``, ``unit_not_found``,
``invalid_factor``, ``duplicate_unit``, ``base_unit_conversion``, ``invalid_barcode``,
``duplicate_barcode``, ``barcode_taken``, ``unit_not_convertible``, ``too_many_decimals``,
``negative_value``, ``invalid_stock_levels``, ``invalid_days``, ``invalid_allocation_strategy``,
``category_inactive``, ``location_not_found``, ``not_storage_location``, ``item_has_moves``; and
of the file:
``import_cell_required``, ``import_duplicate_row``, ``invalid_list``, ``category_path_mismatch``.

A column left out of the file leaves that field of existing items as it is; an empty cell
clears it (or, for base unit, tracking and costing method, means the default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import imports as bulk_store
from cangku.db.catalog import list_units
from cangku.domain.catalog import (
    check_allocation_strategy,
    check_barcode_once,
    check_choice,
    check_code,
    check_conversion,
    check_days,
    check_name,
    check_stock_levels,
    check_unit_allowed,
    non_negative,
)
from cangku.domain.enums import STORAGE_KINDS, CostingMethod, ItemType, Tracking
from cangku.domain.errors import CangkuError, Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_bool, parse_days, split_pairs
from cangku.domain.permissions import PURCHASER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import SCALE_DIGITS
from cangku.services.categories import CATEGORY_MANAGE
from cangku.services.imports.categories import CategoryPaths, load_categories
from cangku.services.imports.engine import Checks, Importer, Plan, Progress, RowCheck
from cangku.services.items import ITEM_CREATE, ITEM_UPDATE

#: create and change items from a file (creating also needs item.create, changing item.update)
ITEM_IMPORT = action("item.import", roles={WAREHOUSE_MANAGER, PURCHASER})

#: the ``items`` columns an import sets (besides the code)
FIELDS = (
    "name",
    "description",
    "item_type",
    "base_unit",
    "tracking",
    "costing_method",
    "category_id",
    "shelf_life_days",
    "safety_stock",
    "reorder_point",
    "max_stock",
    "lead_time_days",
    "default_location_id",
    "standard_cost",
    "inspection_required",
    "allocation_strategy",
)
_FIXED_BY_MOVES = ("base_unit", "tracking", "costing_method")
_LEVELS = ("safety_stock", "reorder_point", "max_stock")


@dataclass
class _Decided:
    number: int
    code: str
    values: dict[str, Any]
    category: str | None
    units: list[tuple[str, int]]
    barcodes: list[tuple[str, str | None]]
    current: Any = None
    current_units: list[tuple[str, int]] = field(default_factory=list)
    current_barcodes: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class _Known:
    """What exists, loaded once for the whole file."""

    items: dict[str, Any]
    units: dict[str, int]
    categories: CategoryPaths
    category_codes: dict[int, str]
    locations: dict[str, tuple[int, str]]
    conversions: dict[int, list[tuple[str, int]]]
    barcodes: dict[int, list[tuple[str, str | None]]]
    owners: dict[str, tuple[int, str]]


def _load(conn: Connection, table: Table) -> _Known:
    rows = table.rows
    codes = [r.values["code"] for r in rows if "code" in r.values]
    current = {
        r["code"]: r
        for r in bulk_store.rows_where_in(conn, ["id", "code", *FIELDS], "items", "code", codes)
    }
    conversions: dict[int, list[tuple[str, int]]] = defaultdict(list)
    barcodes: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    ids = [r["id"] for r in current.values()]
    for u in bulk_store.rows_where_in(
        conn, ["item_id", "unit", "factor"], "item_units", "item_id", ids
    ):
        conversions[u["item_id"]].append((u["unit"], int(u["factor"])))
    for b in bulk_store.rows_where_in(
        conn, ["item_id", "barcode", "unit"], "item_barcodes", "item_id", ids
    ):
        barcodes[b["item_id"]].append((b["barcode"], b["unit"]))
    wanted = [r.values["default_location"] for r in rows if "default_location" in r.values]
    places = {
        r["code"]: (int(r["id"]), r["kind"])
        for r in bulk_store.rows_where_in(conn, ["id", "code", "kind"], "locations", "code", wanted)
    }
    listed = [b for r in rows for b, _ in _pairs(r.values.get("barcodes"))]
    owners = {
        r["barcode"]: (int(r["id"]), r["code"])
        for r in bulk_store.rows_where_in(
            conn,
            ["b.barcode", "i.id", "i.code"],
            "item_barcodes b JOIN items i ON i.id = b.item_id",
            "b.barcode",
            listed,
        )
    }
    categories = load_categories(conn)
    return _Known(
        items=current,
        units={u.code: u.decimals for u in list_units(conn)},
        categories=CategoryPaths(categories),
        category_codes={c.id: code for code, c in categories.items() if c.id is not None},
        locations=places,
        conversions=conversions,
        barcodes=barcodes,
        owners=owners,
    )


def _pairs(text: str | None) -> list[tuple[str, str]]:
    try:
        return split_pairs(text, "barcodes", value_required=False)
    except InvalidInput:
        return []


def _pick(table: Table, check: RowCheck, name: str, current: Any, default: Any = None) -> Any:
    """The cell of ``name``; an existing item's value when the file has no such column."""
    if table.has(name):
        return check.row.get(name) or default
    return current[name] if current is not None else default


def _flag(check: RowCheck, table: Table, name: str, current: Any) -> bool:
    """A yes/no cell; an existing item's value when the file has no such column (new: no)."""
    if table.has(name):
        return bool(check(name, parse_bool, check.row.get(name), name))
    return bool(current[name]) if current is not None else False


def _strategy(check: RowCheck, table: Table, current: Any) -> str | None:
    """The allocation strategy cell (empty: the default); an existing item's when the file has
    no such column (new: the default)."""
    if not table.has("allocation_strategy"):
        return current["allocation_strategy"] if current is not None else None
    cell = check.row.get("allocation_strategy")
    return check("allocation_strategy", check_allocation_strategy, cell)


def _unit(known: _Known, unit: str) -> str:
    if unit not in known.units:
        raise NotFound("unit", unit)
    return unit


def _number(check: RowCheck, table: Table, name: str, current: Any, places: int, unit: str) -> Any:
    if not table.has(name):
        return current[name] if current is not None else None
    return check(name, non_negative, check.row.get(name), name, places, unit)


def _days(check: RowCheck, table: Table, name: str, current: Any) -> int | None:
    if not table.has(name):
        return current[name] if current is not None else None
    days = check(name, parse_days, check.row.get(name), name)
    return check(name, check_days, days, name) if days is not None else None


def _category(check: RowCheck, table: Table, known: _Known, current: Any) -> str | None:
    if not table.has("category"):
        return known.category_codes.get(current["category_id"]) if current is not None else None
    path = check.row.get("category")
    if path is None:
        return None
    leaf = check("category", known.categories.resolve, path)
    found = known.categories.known.get(leaf or "")
    unchanged = current is not None and known.category_codes.get(current["category_id"]) == leaf
    if found is not None and not found.active and not unchanged:
        check.fail(
            "category", RuleViolation(f"category {leaf} is deactivated", code="category_inactive")
        )
    return leaf


def _location(check: RowCheck, table: Table, known: _Known, current: Any) -> int | None:
    if not table.has("default_location"):
        return current["default_location_id"] if current is not None else None
    code = check.row.get("default_location")
    if code is None:
        return None
    found = known.locations.get(code)
    if found is None:
        check.fail("default_location", NotFound("location", code))
        return None
    if found[1] not in {str(k) for k in STORAGE_KINDS}:
        check.fail(
            "default_location",
            InvalidInput(
                f"{code} is a {found[1]} location; a default location must be a storage location",
                code="not_storage_location",
                location=code,
            ),
        )
    return found[0]


def _convertible(unit: str, allowed: set[str]) -> str:
    check_unit_allowed(unit, allowed)
    return unit


def _conversions(check: RowCheck, table: Table, known: _Known, base: str, current: Any) -> Any:
    if not table.has("units"):
        return known.conversions.get(current["id"], []) if current is not None else []
    pairs = check("units", split_pairs, check.row.get("units"), "units", value_required=True)
    seen: set[str] = set()
    result = []
    for unit, factor in pairs or []:
        if check("units", _unit, known, unit) is not None:
            scaled = check("units", check_conversion, unit, factor, base, seen)
            if scaled is not None:
                result.append((unit, scaled))
    return result


def _barcodes(check: RowCheck, table: Table, known: _Known, allowed: set[str], current: Any) -> Any:
    if not table.has("barcodes"):
        given = known.barcodes.get(current["id"], []) if current is not None else []
        for _, unit in given:
            if unit is not None:
                check("units", check_unit_allowed, unit, allowed)
        return given
    pairs = check(
        "barcodes", split_pairs, check.row.get("barcodes"), "barcodes", value_required=False
    )
    seen: set[str] = set()
    result: list[tuple[str, str | None]] = []
    for barcode, unit in pairs or []:
        if check("barcodes", check_barcode_once, barcode, seen) is None:
            continue
        if unit and (
            check("barcodes", _unit, known, unit) is None
            or check("barcodes", _convertible, unit, allowed) is None
        ):
            continue
        result.append((barcode, unit or None))
    return result


def _decide(check: RowCheck, table: Table, known: _Known) -> _Decided | None:
    row = check.row
    code = row.get("code") or ""
    current = known.items.get(code)
    check("code", check_code, code)
    name = check("name", check_name, row.get("name") or "")
    item_type = check("item_type", check_choice, row.get("item_type") or "", ItemType, "item_type")
    base = _pick(table, check, "base_unit", current, "pcs")
    tracking = _pick(table, check, "tracking", current, "none")
    costing = _pick(table, check, "costing_method", current, "fifo")
    check("tracking", check_choice, tracking, Tracking, "tracking")
    check("costing_method", check_choice, costing, CostingMethod, "costing_method")
    places = known.units.get(base)
    if check("base_unit", _unit, known, base) is None or places is None:
        return None
    levels = [_number(check, table, n, current, places, base) for n in _LEVELS]
    if all(isinstance(v, int) or v is None for v in levels):
        check("safety_stock", check_stock_levels, *levels)
    values = {
        "name": name,
        "description": _pick(table, check, "description", current),
        "item_type": item_type,
        "base_unit": base,
        "tracking": tracking,
        "costing_method": costing,
        "shelf_life_days": _days(check, table, "shelf_life_days", current),
        "safety_stock": levels[0],
        "reorder_point": levels[1],
        "max_stock": levels[2],
        "lead_time_days": _days(check, table, "lead_time_days", current),
        "default_location_id": _location(check, table, known, current),
        "standard_cost": _number(check, table, "standard_cost", current, SCALE_DIGITS, "money"),
        "inspection_required": _flag(check, table, "inspection_required", current),
        "allocation_strategy": _strategy(check, table, current),
    }
    category = _category(check, table, known, current)
    conversions = _conversions(check, table, known, base, current)
    allowed = {base} | {u for u, _ in conversions}
    barcodes = _barcodes(check, table, known, allowed, current)
    if not check.ok:
        return None
    decided = _Decided(row.number, code, values, category, conversions, barcodes, current)
    if current is not None:
        decided.current_units = known.conversions.get(current["id"], [])
        decided.current_barcodes = known.barcodes.get(current["id"], [])
    return decided


def _check_barcode_owners(checks: Checks, decided: list[_Decided], known: _Known) -> set[int]:
    """Rows whose barcodes another row or another item holds (a barcode that an item of the
    file gives up may go to another item of the file)."""
    bad: set[int] = set()
    by_code = {d.code: d for d in decided}
    claimed: dict[str, str] = {}
    for d in decided:
        for barcode, _ in d.barcodes:
            first = claimed.setdefault(barcode, d.code)
            owner = known.owners.get(barcode)
            problem: CangkuError | None = None
            if first != d.code:
                problem = InvalidInput(
                    f"barcode {barcode!r} is listed twice (also for {first})",
                    code="duplicate_barcode",
                    barcode=barcode,
                )
            elif owner is not None and owner[1] != d.code:
                keeper = by_code.get(owner[1])
                if keeper is None or barcode in {b for b, _ in keeper.barcodes}:
                    problem = Conflict(
                        f"barcode {barcode!r} already belongs to another item ({owner[1]})",
                        code="barcode_taken",
                        barcode=barcode,
                    )
            if problem is not None:
                checks.add(d.number, "barcodes", problem)
                bad.add(d.number)
    return bad


def _check_moves(checks: Checks, conn: Connection, decided: list[_Decided]) -> set[int]:
    changing = {
        d.current["id"]: d
        for d in decided
        if d.current is not None and any(d.values[f] != d.current[f] for f in _FIXED_BY_MOVES)
    }
    bad: set[int] = set()
    for item_id in bulk_store.items_with_moves(conn, changing):
        d = changing[item_id]
        fixed = [f for f in _FIXED_BY_MOVES if d.values[f] != d.current[f]]
        checks.add(
            d.number,
            fixed[0],
            RuleViolation(
                f"{', '.join(fixed)} cannot change: the item already has stock moves",
                code="item_has_moves",
                fields=fixed,
            ),
        )
        bad.add(d.number)
    return bad


def _same(d: _Decided, known: _Known) -> bool:
    current = d.current
    if any(d.values[f] != current[f] for f in d.values):
        return False
    if known.category_codes.get(current["category_id"]) != d.category:
        return False
    return sorted(d.units) == sorted(d.current_units) and _sorted(d.barcodes) == _sorted(
        d.current_barcodes
    )


def plan(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    known = _load(conn, table)
    checks = Checks(table, progress)
    decided = [d for check in checks.rows() if (d := _decide(check, table, known)) is not None]
    bad = _check_barcode_owners(checks, decided, known) | _check_moves(checks, conn, decided)
    good = [d for d in decided if d.number not in bad]
    creates = [d for d in good if d.current is None]
    updates = [d for d in good if d.current is not None and not _same(d, known)]
    result = Plan(
        created=len(creates),
        updated=len(updates),
        unchanged=len(good) - len(creates) - len(updates),
        errors=sorted(checks.errors, key=lambda e: e.row),
    )
    if creates:
        actor.require(ITEM_CREATE)
    if updates:
        actor.require(ITEM_UPDATE)
    if known.categories.planned:
        actor.require(CATEGORY_MANAGE)
    result.write = lambda conn, now: _write(conn, now, known, creates, updates)
    return result


_INSERT = ("code", *FIELDS, "active", "version", "created_at", "updated_at")


def _write(
    conn: Connection,
    now: datetime,
    known: _Known,
    creates: Sequence[_Decided],
    updates: Sequence[_Decided],
) -> None:
    category_ids = known.categories.create(conn, now)

    def columns(d: _Decided) -> dict[str, Any]:
        category = category_ids[d.category] if d.category is not None else None
        return {**d.values, "category_id": category}

    stamp = bulk_store.instant(conn, now)
    bulk_store.insert_many(
        conn,
        "items",
        _INSERT,
        [(d.code, *(columns(d)[f] for f in FIELDS), True, 1, stamp, stamp) for d in creates],
    )
    ids = bulk_store.ids_by_code(conn, "items", [d.code for d in creates])
    bulk_store.update_many(
        conn, "items", FIELDS, [{**columns(d), "id": d.current["id"]} for d in updates], now
    )
    for d in updates:
        ids[d.code] = d.current["id"]
    new_units = [d for d in creates if d.units] + [
        d for d in updates if sorted(d.units) != sorted(d.current_units)
    ]
    new_codes = [d for d in creates if d.barcodes] + [
        d for d in updates if _sorted(d.barcodes) != _sorted(d.current_barcodes)
    ]
    gone = [d.current["id"] for d in new_codes if d.current is not None]
    bulk_store.delete_where_in(conn, "item_barcodes", "item_id", gone)
    gone = [d.current["id"] for d in new_units if d.current is not None]
    bulk_store.delete_where_in(conn, "item_units", "item_id", gone)
    bulk_store.insert_many(
        conn,
        "item_units",
        ("item_id", "unit", "factor"),
        [(ids[d.code], u, f) for d in new_units for u, f in d.units],
    )
    bulk_store.insert_many(
        conn,
        "item_barcodes",
        ("item_id", "barcode", "unit"),
        [(ids[d.code], b, u) for d in new_codes for b, u in d.barcodes],
    )


def _sorted(barcodes: Sequence[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return sorted((b, u or "") for b, u in barcodes)


ITEMS = Importer("items", ITEM_IMPORT, plan)
