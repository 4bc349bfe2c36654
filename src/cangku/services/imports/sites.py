"""Importing warehouses (with their ledger head and virtual locations, as ``create_warehouse``)
and their location trees (as ``create_location`` / ``update_location``), upsert by code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import imports as bulk_store
from cangku.db import sites as store
from cangku.domain.enums import LocationKind
from cangku.domain.errors import CangkuError, InvalidInput, NotFound, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_bool, split_list
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.domain.sites import (
    check_capacity,
    check_item_types,
    check_level,
    check_location_code,
    check_name,
    check_storage_kind,
    check_warehouse_code,
)
from cangku.services.imports.engine import Checks, Importer, Plan, Progress
from cangku.services.imports.upsert import Decided, cell, counted, keep_or, split
from cangku.services.locations import LOCATION_MANAGE
from cangku.services.warehouses import WAREHOUSE_CREATE, WAREHOUSE_UPDATE

#: create and change warehouses from a file (also needs warehouse.create / warehouse.update)
WAREHOUSE_IMPORT = action("warehouse.import", roles={WAREHOUSE_MANAGER})
#: create and change locations from a file (also needs location.manage in each warehouse)
LOCATION_IMPORT = action("location.import", roles={WAREHOUSE_MANAGER})

_FLAGS = ["allow_negative_stock", "allow_expired_issue"]
_WAREHOUSE_COLUMNS = ["id", "code", "name", "address", *_FLAGS, "active"]


def _warehouses(conn: Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    found = bulk_store.rows_where_in(conn, _WAREHOUSE_COLUMNS, "warehouses", "code", codes)
    return {r["code"]: {**r, **{flag: bool(r[flag]) for flag in _FLAGS}} for r in found}


def _all_warehouses(conn: Connection) -> dict[str, dict[str, Any]]:
    found = bulk_store.all_rows(conn, _WAREHOUSE_COLUMNS, "warehouses")
    return {r["code"]: r for r in found}


def plan_warehouses(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    rows = table.rows
    known = _warehouses(conn, [r.values["code"] for r in rows if "code" in r.values])
    checks = Checks(table, progress)
    decided: list[Decided] = []
    for check in checks.rows():
        row = check.row
        code = row.get("code") or ""
        current = known.get(code)
        check("code", check_warehouse_code, code)
        name = check("name", check_name, row.get("name") or "")
        flags = {
            flag: check(
                flag,
                keep_or,
                table,
                row,
                flag,
                current,
                lambda text, flag=flag: parse_bool(text, flag),
            )
            for flag in _FLAGS
        }
        if check.ok:
            values = {
                "name": name,
                "address": cell(table, row, "address", current),
                **{flag: bool(value) for flag, value in flags.items()},
            }
            decided.append(Decided(row.number, code, current, values))
    parts = split(decided)
    if parts.creates:
        actor.require(WAREHOUSE_CREATE)
    for d in parts.updates:
        assert d.current is not None
        actor.require(WAREHOUSE_UPDATE, d.current["id"])

    def write(conn: Connection, now: datetime) -> None:
        for d in parts.creates:
            store.insert_warehouse(conn, code=d.key, now=now, **d.values)
        updates = [{**d.values, "id": d.current["id"]} for d in parts.updates if d.current]
        bulk_store.update_many(conn, "warehouses", ["name", "address", *_FLAGS], updates, now)

    result = Plan(errors=checks.errors, write=write)
    return counted(result, parts)


_LOCATION_COLUMNS = [
    "l.id",
    "l.code",
    "l.name",
    "l.kind",
    "l.level",
    "l.capacity",
    "l.allowed_item_types",
    "l.path",
    "l.warehouse_id",
    "l.active",
    "w.code AS warehouse",
    "p.code AS parent",
]
_LOCATION_SOURCE = (
    "locations l JOIN warehouses w ON w.id = l.warehouse_id "
    "LEFT JOIN locations p ON p.id = l.parent_id"
)


def _location_values(check: Any, table: Table, row: Any, current: Any) -> dict[str, Any]:
    kind = check("kind", check_storage_kind, cell(table, row, "kind", current) or "internal")
    capacity_text = cell(table, row, "capacity", None) if table.has("capacity") else None
    types = split_list(row.get("allowed_item_types")) if table.has("allowed_item_types") else None
    return {
        "name": check("name", check_name, row.get("name") or ""),
        "kind": str(kind) if kind is not None else None,
        "level": check("level", check_level, cell(table, row, "level", current)),
        "capacity": check("capacity", check_capacity, capacity_text)
        if table.has("capacity")
        else (current or {}).get("capacity"),
        "allowed_item_types": check("allowed_item_types", check_item_types, types)
        if types is not None
        else (current or {}).get("allowed_item_types"),
    }


def plan_locations(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    rows = table.rows
    named = {r.values[c] for r in rows for c in ("code", "parent") if c in r.values}
    known = {
        r["code"]: r
        for r in bulk_store.rows_where_in(
            conn, _LOCATION_COLUMNS, _LOCATION_SOURCE, "l.code", named
        )
    }
    homes = _all_warehouses(conn)
    checks = Checks(table, progress)
    wanted: dict[str, tuple[int, str, str | None, dict[str, Any]]] = {}
    for check in checks.rows():
        row = check.row
        code = row.get("code") or ""
        current = known.get(code)
        check("code", check_location_code, code)
        values = _location_values(check, table, row, current)
        warehouse = cell(table, row, "warehouse", current)
        parent = cell(table, row, "parent", current)
        if check.ok:
            wanted[code] = (row.number, warehouse or "", parent, values)
    decided: list[Decided] = []
    for code, (number, warehouse, parent, values) in wanted.items():
        problem = _home_problem(code, warehouse, parent, known, homes, wanted)
        if problem is not None:
            checks.add(number, problem[0], problem[1])
            continue
        home = warehouse or _warehouse_of(parent, known, wanted)
        current = known.get(code)
        if current is not None and (current["warehouse"] != home):
            checks.add(
                number,
                "warehouse",
                RuleViolation(
                    f"{code} cannot move to another warehouse ({home})", code="cross_warehouse_move"
                ),
            )
            continue
        if current is not None and current["kind"] not in {
            "internal",
            "receiving",
            "quality",
            "shipping",
        }:
            checks.add(
                number,
                "code",
                RuleViolation(f"{code} is a virtual location", code="virtual_location_fixed"),
            )
            continue
        full = {**values, "parent": parent}
        decided.append(Decided(number, code, current, full, {"warehouse": home}))
    parts = split(decided)
    for home in {d.extra["warehouse"] for d in parts.creates + parts.updates}:
        actor.require(LOCATION_MANAGE, homes[home]["id"])

    def write(conn: Connection, now: datetime) -> None:
        _write_locations(conn, now, parts.creates, parts.updates, wanted)

    return counted(Plan(errors=sorted(checks.errors, key=lambda e: e.row), write=write), parts)


def _warehouse_of(parent: str | None, known: dict[str, Any], wanted: dict[str, Any]) -> str:
    seen: set[str] = set()
    while parent is not None and parent not in seen:
        seen.add(parent)
        if parent in known:
            return str(known[parent]["warehouse"])
        _, warehouse, grand, _ = wanted[parent]
        if warehouse:
            return str(warehouse)
        parent = grand
    return ""


def _home_problem(
    code: str,
    warehouse: str,
    parent: str | None,
    known: dict[str, Any],
    homes: dict[str, Any],
    wanted: dict[str, Any],
) -> tuple[str, CangkuError] | None:
    if parent is None and not warehouse:
        return "warehouse", InvalidInput(
            "give the warehouse or the parent location", code="warehouse_required"
        )
    if warehouse and warehouse not in homes:
        return "warehouse", NotFound("warehouse", warehouse)
    if warehouse and not homes[warehouse]["active"]:
        return "warehouse", RuleViolation(
            f"warehouse {warehouse} is inactive", code="warehouse_inactive"
        )
    if parent is None:
        return None
    if parent not in known and parent not in wanted:
        return "parent", NotFound("location", parent)
    chain: str | None = parent
    seen = {code}
    while chain is not None:
        if chain in seen:
            return "parent", RuleViolation(
                f"{parent} is {code} itself or below it", code="location_cycle"
            )
        seen.add(chain)
        chain = (
            wanted[chain][2]
            if chain in wanted
            else (known[chain]["parent"] if chain in known else None)
        )
    if parent in known and known[parent]["kind"] not in {
        "internal",
        "receiving",
        "quality",
        "shipping",
    }:
        return "parent", RuleViolation(
            f"{parent} is a virtual location and cannot have children", code="virtual_parent"
        )
    home = _warehouse_of(parent, known, wanted)
    if warehouse and home and home != warehouse:
        return "warehouse", InvalidInput(
            f"parent {parent} belongs to warehouse {home}, not {warehouse}",
            code="warehouse_mismatch",
        )
    return None


def _write_locations(
    conn: Connection,
    now: datetime,
    creates: list[Decided],
    updates: list[Decided],
    wanted: dict[str, Any],
) -> None:
    """Create parents before children, then change and move the existing ones."""
    created: set[str] = set()
    pending = {d.key: d for d in creates}

    def create(code: str) -> None:
        d = pending[code]
        parent = d.values["parent"]
        if parent in pending and parent not in created:
            create(parent)
        home = store.warehouse_by_code(conn, d.extra["warehouse"])
        parent_row = store.location_by_code(conn, parent) if parent else None
        values = {k: v for k, v in d.values.items() if k != "parent"}
        values["kind"] = LocationKind(values["kind"])
        store.insert_location(
            conn, warehouse_id=home.id, parent=parent_row, code=code, now=now, **values
        )
        created.add(code)

    for code in pending:
        if code not in created:
            create(code)
    for d in updates:
        assert d.current is not None
        values = {k: v for k, v in d.values.items() if k != "parent"}
        if d.values["parent"] != d.current["parent"]:
            location = store.location_by_code(conn, d.key)
            parent_row = (
                store.location_by_code(conn, d.values["parent"]) if d.values["parent"] else None
            )
            new_path = f"{parent_row.path if parent_row else '/'}{location.id}/"
            store.move_subtree(conn, location.path, new_path)
            values["parent_id"] = parent_row.id if parent_row else None
        store.update_location(conn, d.current["id"], None, values, now)


WAREHOUSES = Importer("warehouses", WAREHOUSE_IMPORT, plan_warehouses)
LOCATIONS = Importer("locations", LOCATION_IMPORT, plan_locations)
