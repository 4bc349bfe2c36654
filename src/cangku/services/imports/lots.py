"""Importing lots and serial numbers (upsert by item and code), with the rules of
``services.lots``: a lot of a lot-tracked item, a serial of a serial-tracked one; without an
expiry date, the manufacture date plus the item's shelf life gives one; a change of status is
noted in the lot's notes as ``set_lot_status`` notes it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import imports as bulk_store
from cangku.domain.enums import Tracking
from cangku.domain.errors import NotFound, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_date
from cangku.domain.lots import (
    check_code,
    check_dates,
    check_status,
    check_supplier_lot,
    check_tracking,
    default_expiry,
    status_note,
)
from cangku.domain.permissions import QUALITY_INSPECTOR, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.stock import ItemInfo
from cangku.services.imports.engine import Checks, Importer, Plan, Progress
from cangku.services.imports.upsert import Decided, cell, counted, keep_or, split
from cangku.services.lots import LOT_CREATE, LOT_STATUS, LOT_UPDATE

#: register and change lots from a file (also lot.create / lot.update / lot.status)
LOT_IMPORT = action("lot.import", roles={WAREHOUSE_MANAGER, QUALITY_INSPECTOR})

_FIELDS = ("manufactured_on", "expires_on", "supplier_lot", "status", "notes")


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _load(conn: Connection, table: Table) -> tuple[dict[str, ItemInfo], dict[Any, Any]]:
    codes = [r.values["item"] for r in table.rows if "item" in r.values]
    columns = [
        "id",
        "code",
        "item_type",
        "tracking",
        "costing_method",
        "base_unit",
        "active",
        "shelf_life_days",
    ]
    items = {}
    shelf: dict[int, int | None] = {}
    for r in bulk_store.rows_where_in(conn, columns, "items", "code", codes):
        items[r["code"]] = ItemInfo(
            int(r["id"]),
            r["code"],
            r["item_type"],
            Tracking(r["tracking"]),
            r["costing_method"],
            r["base_unit"],
            bool(r["active"]),
        )
        shelf[int(r["id"])] = r["shelf_life_days"]
    known = {
        (r["item_id"], r["code"]): {
            **r,
            "manufactured_on": _day(r["manufactured_on"]),
            "expires_on": _day(r["expires_on"]),
        }
        for r in bulk_store.rows_where_in(
            conn,
            ["id", "item_id", "code", *_FIELDS],
            "lots",
            "item_id",
            [i.id for i in items.values()],
        )
    }
    return items, {"lots": known, "shelf": shelf}


def plan(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    items, loaded = _load(conn, table)
    known, shelf = loaded["lots"], loaded["shelf"]
    checks = Checks(table, progress)
    decided: list[Decided] = []
    for check in checks.rows():
        row = check.row
        item = items.get(row.get("item") or "")
        if item is None:
            check.fail("item", NotFound("item", row.get("item")))
            continue
        code = row.get("code") or ""
        current = known.get((item.id, code))
        serial = item.tracking is Tracking.SERIAL
        check("code", check_code, code, "serial" if serial else "code")
        if current is None and not item.active:
            check.fail(
                "item",
                RuleViolation(
                    f"item {item.code} is inactive", code="item_inactive", item=item.code
                ),
            )
        check("item", check_tracking, item, serial)
        made = check(
            "manufactured_on",
            keep_or,
            table,
            row,
            "manufactured_on",
            current,
            lambda t: parse_date(t, "manufactured_on"),
        )
        expires = check(
            "expires_on",
            keep_or,
            table,
            row,
            "expires_on",
            current,
            lambda t: parse_date(t, "expires_on"),
        )
        check("expires_on", check_dates, made, expires)
        status = check("status", check_status, cell(table, row, "status", current) or "available")
        supplier_lot = check(
            "supplier_lot", check_supplier_lot, cell(table, row, "supplier_lot", current)
        )
        if not check.ok or status is None:
            continue
        if current is None or table.has("expires_on"):
            # an empty expiry cell means the default again (the same file imports unchanged)
            expires = default_expiry(made, expires, shelf.get(item.id))
        notes = cell(table, row, "notes", current)
        if current is not None and current["status"] != str(status):
            notes = status_note(notes, now, actor.username, current["status"], status, "import")
        values = {
            "manufactured_on": made,
            "expires_on": expires,
            "supplier_lot": supplier_lot,
            "status": str(status),
            "notes": notes,
        }
        decided.append(Decided(row.number, (item.id, code), current, values, {"serial": serial}))
    parts = split(decided)
    if parts.creates:
        actor.require(LOT_CREATE)
    if parts.updates:
        actor.require(LOT_UPDATE)
        if any(d.current and d.current["status"] != d.values["status"] for d in parts.updates):
            actor.require(LOT_STATUS)

    def write(conn: Connection, now: datetime) -> None:
        stamp = bulk_store.instant(conn, now)
        bulk_store.insert_many(
            conn,
            "lots",
            ("item_id", "code", "is_serial", *_FIELDS, "version", "created_at", "updated_at"),
            [
                (*d.key, d.extra["serial"], *(d.values[f] for f in _FIELDS), 1, stamp, stamp)
                for d in parts.creates
            ],
        )
        updates = [{**d.values, "id": d.current["id"]} for d in parts.updates if d.current]
        bulk_store.update_many(conn, "lots", _FIELDS, updates, now)

    return counted(Plan(errors=checks.errors, write=write), parts)


LOTS = Importer("lots", LOT_IMPORT, plan)
