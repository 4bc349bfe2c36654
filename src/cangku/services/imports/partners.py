"""Importing partners (upsert by code), their contacts (by partner and name) and supplier-item
terms (by supplier and item), with the rules of ``services.partners``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import imports as bulk_store
from cangku.db.partners import clear_preferred_of
from cangku.domain.errors import CangkuError, InvalidInput, NotFound, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_bool, parse_days
from cangku.domain.permissions import PURCHASER, WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import from_scaled, parse_decimal
from cangku.services.imports.engine import Checks, Importer, Plan, Progress, RowCheck
from cangku.services.imports.upsert import Decided, cell, counted, keep_or, split
from cangku.services.partners import (
    PARTNER_CREATE,
    PARTNER_UPDATE,
    SUPPLIER_ITEM_MANAGE,
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    _contact_values,
    _partner_values,
    _supplier_item_values,
)

#: create and change partners and their contacts from a file (also partner.create / .update)
PARTNER_IMPORT = action("partner.import", roles={WAREHOUSE_MANAGER, PURCHASER})
#: set supplier-item terms from a file (also needs supplier_item.manage)
SUPPLIER_ITEM_IMPORT = action("supplier_item.import", roles={PURCHASER})

_PARTNER_FIELDS = (
    "name",
    "is_supplier",
    "is_customer",
    "email",
    "phone",
    "address",
    "tax_id",
    "notes",
    # a file without these columns keeps them (new partners: not inspected, no tolerance)
    "inspection_required",
    "over_receipt_tolerance",
)


def _partners(conn: Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    found = bulk_store.rows_where_in(
        conn, ["id", "code", *_PARTNER_FIELDS], "partners", "code", codes
    )
    return {
        r["code"]: {
            **r,
            "is_supplier": bool(r["is_supplier"]),
            "is_customer": bool(r["is_customer"]),
            "inspection_required": bool(r["inspection_required"]),
            "over_receipt_tolerance": int(r["over_receipt_tolerance"]),
        }
        for r in found
    }


#: the column of a refusal whose error names no ``field`` of the sheet
_CODE_COLUMNS = {
    "partner_needs_role": "is_supplier",
    "invalid_over_receipt_tolerance": "over_receipt_tolerance",
    "invalid_email": "email",
    "invalid_currency": "currency",
    "currency_required": "currency",
}


def _values(
    check: RowCheck,
    table: Table,
    fallback: str,
    make: Callable[..., dict[str, Any]],
    *args: Any,
) -> dict[str, Any] | None:
    """``make(*args)``; a refusal is recorded against the column it is about (the error's
    ``field``, else by its code), ``fallback`` when neither tells."""
    try:
        return make(*args)
    except CangkuError as exc:
        field = exc.data.get("field")
        names = {c.name for c in table.sheet.columns}
        column = field if field in names else _CODE_COLUMNS.get(exc.code, fallback)
        check.fail(str(column), exc)
        return None


def _flag(check: RowCheck, table: Table, name: str, current: Any) -> bool:
    value = check(name, keep_or, table, check.row, name, current, lambda t: parse_bool(t, name))
    return bool(value)


def _tolerance(table: Table, row: Any, current: Any) -> Any:
    """The tolerance cell as typed (empty: 0); the stored one when the file has no column."""
    if table.has("over_receipt_tolerance"):
        return row.get("over_receipt_tolerance") or "0"
    return from_scaled(current["over_receipt_tolerance"]) if current else 0


def plan_partners(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    known = _partners(conn, [r.values["code"] for r in table.rows if "code" in r.values])
    checks = Checks(table, progress)
    decided: list[Decided] = []
    for check in checks.rows():
        row = check.row
        code = row.get("code") or ""
        current = known.get(code)
        data = PartnerInput(
            code=code,
            name=row.get("name") or "",
            is_supplier=_flag(check, table, "is_supplier", current),
            is_customer=_flag(check, table, "is_customer", current),
            **{
                f: cell(table, row, f, current)
                for f in ("email", "phone", "address", "tax_id", "notes")
            },
            inspection_required=_flag(check, table, "inspection_required", current),
            over_receipt_tolerance=_tolerance(table, row, current),
        )
        if not check.ok:
            continue
        values = _values(check, table, "is_supplier", _partner_values, data)
        if check.ok and values is not None:
            del values["code"]
            decided.append(Decided(row.number, code, current, values))
    parts = split(decided)
    if parts.creates:
        actor.require(PARTNER_CREATE)
    if parts.updates:
        actor.require(PARTNER_UPDATE)

    def write(conn: Connection, now: datetime) -> None:
        stamp = bulk_store.instant(conn, now)
        bulk_store.insert_many(
            conn,
            "partners",
            ("code", *_PARTNER_FIELDS, "active", "version", "created_at", "updated_at"),
            [
                (d.key, *(d.values[f] for f in _PARTNER_FIELDS), True, 1, stamp, stamp)
                for d in parts.creates
            ],
        )
        updates = [{**d.values, "id": d.current["id"]} for d in parts.updates if d.current]
        bulk_store.update_many(conn, "partners", _PARTNER_FIELDS, updates, now)

    return counted(Plan(errors=checks.errors, write=write), parts)


def plan_contacts(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    partners = _partners(conn, [r.values["partner"] for r in table.rows if "partner" in r.values])
    ids = [p["id"] for p in partners.values()]
    known = {
        (r["partner_id"], r["name"]): r
        for r in bulk_store.rows_where_in(
            conn,
            ["id", "partner_id", "name", "role", "email", "phone"],
            "partner_contacts",
            "partner_id",
            ids,
        )
    }
    checks = Checks(table, progress)
    decided: list[Decided] = []
    for check in checks.rows():
        row = check.row
        partner = partners.get(row.get("partner") or "")
        if partner is None:
            check.fail("partner", NotFound("partner", row.get("partner")))
            continue
        current = known.get((partner["id"], row.get("name")))
        data = ContactInput(
            name=row.get("name") or "",
            **{f: cell(table, row, f, current) for f in ("role", "email", "phone")},
        )
        values = _values(check, table, "name", _contact_values, data)
        if check.ok and values is not None:
            decided.append(Decided(row.number, partner["id"], current, values))
    parts = split(decided)
    if parts.creates or parts.updates:
        actor.require(PARTNER_UPDATE)

    def write(conn: Connection, _now: datetime) -> None:
        columns = ("name", "role", "email", "phone")
        bulk_store.insert_many(
            conn,
            "partner_contacts",
            ("partner_id", *columns),
            [(d.key, *(d.values[c] for c in columns)) for d in parts.creates],
        )
        updates = [{**d.values, "id": d.current["id"]} for d in parts.updates if d.current]
        bulk_store.update_many(conn, "partner_contacts", columns, updates, versioned=False)

    return counted(Plan(errors=checks.errors, write=write), parts)


_TERMS = (
    "supplier_code", "price", "currency", "min_order_qty", "lead_time_days", "pack_size",
    "preferred",
)  # fmt: skip


def plan_supplier_items(
    conn: Connection, table: Table, actor: Actor, now: datetime, progress: Progress | None
) -> Plan:
    rows = table.rows
    partners = _partners(conn, [r.values["partner"] for r in rows if "partner" in r.values])
    items = {
        r["code"]: r
        for r in bulk_store.rows_where_in(
            conn,
            ["id", "code", "base_unit"],
            "items",
            "code",
            [r.values["item"] for r in rows if "item" in r.values],
        )
    }
    known = {
        (r["partner_id"], r["item_id"]): r
        for r in bulk_store.rows_where_in(
            conn,
            ["id", "partner_id", "item_id", *_TERMS],
            "supplier_items",
            "partner_id",
            [p["id"] for p in partners.values()],
        )
    }
    checks = Checks(table, progress)
    decided: list[Decided] = []
    preferred: set[int] = set()
    for check in checks.rows():
        row = check.row
        partner, item = partners.get(row.get("partner") or ""), items.get(row.get("item") or "")
        if partner is None:
            check.fail("partner", NotFound("partner", row.get("partner")))
        elif not partner["is_supplier"]:
            check.fail(
                "partner",
                RuleViolation(
                    f"partner {partner['code']} is not a supplier",
                    code="partner_not_supplier",
                    partner=partner["code"],
                ),
            )
        if item is None:
            check.fail("item", NotFound("item", row.get("item")))
        if not check.ok or partner is None or item is None:
            continue
        current = known.get((partner["id"], item["id"]))
        given = _terms(check, table, current)
        data = SupplierItemInput(partner["code"], item["code"], **given)
        if not check.ok:
            continue
        values = _values(
            check, table, "price", _supplier_item_values, conn, data, item["base_unit"]
        )
        if check.ok and values is not None and _one_preferred(check, preferred, values, item):
            decided.append(Decided(row.number, (partner["id"], item["id"]), current, values))
    parts = split(decided)
    if parts.creates or parts.updates:
        actor.require(SUPPLIER_ITEM_MANAGE)

    def write(conn: Connection, _now: datetime) -> None:
        # one preferred supplier per item: the file's marks replace the items' current ones
        clear_preferred_of(
            conn, [d.key[1] for d in parts.creates + parts.updates if d.values["preferred"]]
        )
        bulk_store.insert_many(
            conn,
            "supplier_items",
            ("partner_id", "item_id", *_TERMS),
            [(*d.key, *(d.values[t] for t in _TERMS)) for d in parts.creates],
        )
        updates = [{**d.values, "id": d.current["id"]} for d in parts.updates if d.current]
        bulk_store.update_many(conn, "supplier_items", _TERMS, updates, versioned=False)

    return counted(Plan(errors=checks.errors, write=write), parts)


def _one_preferred(check: RowCheck, preferred: set[int], values: dict[str, Any], item: Any) -> bool:
    """At most one row of a file marks an item's preferred supplier (``preferred_twice``)."""
    if not values["preferred"]:
        return True
    if item["id"] in preferred:
        check.fail(
            "preferred",
            InvalidInput(
                f"item {item['code']} has a preferred supplier earlier in the file",
                code="preferred_twice",
                item=item["code"],
            ),
        )
        return False
    preferred.add(item["id"])
    return True


def _terms(check: RowCheck, table: Table, current: Any) -> dict[str, Any]:
    """The terms as ``SupplierItemInput`` takes them (numbers as Decimals)."""

    def number(name: str) -> Decimal | None:
        if not table.has(name):
            value = (current or {}).get(name)
            return from_scaled(value) if value is not None else None
        return check(name, lambda t: parse_decimal(t, name) if t else None, check.row.get(name))

    def days() -> int | None:
        if not table.has("lead_time_days"):
            return (current or {}).get("lead_time_days")
        return check(
            "lead_time_days", parse_days, check.row.get("lead_time_days"), "lead_time_days"
        )

    return {
        "supplier_code": cell(table, check.row, "supplier_code", current),
        "price": number("price"),
        "currency": cell(table, check.row, "currency", current),
        "min_order_qty": number("min_order_qty"),
        "lead_time_days": days(),
        "pack_size": number("pack_size"),
        "preferred": _flag(check, table, "preferred", current),
    }


PARTNERS = Importer("partners", PARTNER_IMPORT, plan_partners)
CONTACTS = Importer("contacts", PARTNER_IMPORT, plan_contacts)
SUPPLIER_ITEMS = Importer("supplier_items", SUPPLIER_ITEM_IMPORT, plan_supplier_items)
