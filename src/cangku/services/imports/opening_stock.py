"""Opening stock: quantities per item, location and lot with their unit cost at a date, posted
as moves from the warehouse's ``adjustment`` virtual location with reason ``opening_balance``
(through ``services.bulk.post_bulk``, the same path and rules as ``cangku import moves``).

Keyed by (item, location, lot): a row whose opening balance is already posted with the same
quantity and value is unchanged (so an exported opening-stock file imports again with no
change); a different one is refused (``opening_stock_exists``: correct it with an adjustment).
Quantities may be in any unit the item converts; the unit cost is per that unit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection

from cangku.db import imports as bulk_store
from cangku.db.uow import Database
from cangku.domain.catalog import non_negative, scaled_base_quantity
from cangku.domain.enums import STORAGE_KINDS, Tracking
from cangku.domain.errors import InvalidInput, LotRequired, NotFound, RuleViolation
from cangku.domain.imports import Table
from cangku.domain.imports.columns import parse_date
from cangku.domain.quantities import (
    SCALE,
    SCALE_DIGITS,
    from_scaled,
    positive_quantity,
    scaled_product,
    scaled_ratio,
)
from cangku.domain.sites import virtual_code
from cangku.domain.stock import check_effective_time
from cangku.queries.exports import opening_balances
from cangku.services.bulk import STOCK_IMPORT, BulkMove, post_bulk
from cangku.services.common import Context, load_actor, utcnow
from cangku.services.imports.engine import Checks, ImportSummary, Plan, Progress, RowCheck

_STORAGE = {str(k) for k in STORAGE_KINDS}


def _load(conn: Connection, table: Table) -> dict[str, Any]:
    rows = table.rows
    items = {
        r["code"]: r
        for r in bulk_store.rows_where_in(
            conn,
            [
                "i.id",
                "i.code",
                "i.item_type",
                "i.tracking",
                "i.base_unit",
                "i.active",
                "u.decimals",
            ],
            "items i JOIN units u ON u.code = i.base_unit",
            "i.code",
            [r.values["item"] for r in rows if "item" in r.values],
        )
    }
    places = {
        r["code"]: r
        for r in bulk_store.rows_where_in(
            conn,
            ["l.id", "l.code", "l.kind", "l.active", "l.allowed_item_types", "w.code AS warehouse"],
            "locations l JOIN warehouses w ON w.id = l.warehouse_id",
            "l.code",
            [r.values["location"] for r in rows if "location" in r.values],
        )
    }
    factors = {
        (r["item_id"], r["unit"]): int(r["factor"])
        for r in bulk_store.rows_where_in(
            conn,
            ["item_id", "unit", "factor"],
            "item_units",
            "item_id",
            [i["id"] for i in items.values()],
        )
    }
    units = {
        r["code"]: int(r["decimals"])
        for r in bulk_store.all_rows(conn, ["code", "decimals"], "units")
    }
    closed = bulk_store.all_rows(conn, ["MAX(closed_through) AS closed"], "periods")[0]["closed"]
    return {
        "items": items,
        "locations": places,
        "factors": factors,
        "units": units,
        "closed": date.fromisoformat(closed) if isinstance(closed, str) else closed,
        "posted": opening_balances(conn, None),
    }


def _quantity(check: RowCheck, item: Any, known: dict[str, Any]) -> tuple[int, int] | None:
    """The row's quantity in scaled base units and the factor of its unit."""
    row = check.row
    unit = row.get("unit") or item["base_unit"]
    quantity = check("quantity", positive_quantity, row.get("quantity"))
    if unit == item["base_unit"]:
        factor = SCALE
    else:
        found = known["factors"].get((item["id"], unit))
        if unit not in known["units"]:
            check.fail("unit", NotFound("unit", unit))
            return None
        if found is None:
            check.fail(
                "unit",
                InvalidInput(
                    f"item {item['code']} has no conversion from {unit!r} to {item['base_unit']!r}",
                    code="unit_not_convertible",
                    item=item["code"],
                    unit=unit,
                ),
            )
            return None
        factor = found
    if quantity is None:
        return None
    base = check(
        "quantity",
        scaled_base_quantity,
        quantity,
        factor,
        unit,
        known["units"][unit],
        item["base_unit"],
        int(item["decimals"]),
    )
    return (base, factor) if base is not None else None


def _location(check: RowCheck, item: Any, known: dict[str, Any]) -> Any:
    code = check.row.get("location") or ""
    place = known["locations"].get(code)
    if place is None:
        check.fail("location", NotFound("location", code))
        return None
    if place["kind"] not in _STORAGE:
        check.fail(
            "location",
            InvalidInput(
                f"{code} is a {place['kind']} location; opening stock goes to storage locations",
                code="not_storage_location",
                location=code,
            ),
        )
    elif not place["active"]:
        check.fail(
            "location", RuleViolation(f"location {code} is deactivated", code="location_inactive")
        )
    allowed = [t for t in (place["allowed_item_types"] or "").split(",") if t]
    if allowed and item["item_type"] not in allowed:
        check.fail(
            "location",
            RuleViolation(
                f"location {code} does not take {item['item_type']} items",
                code="item_type_not_allowed",
                location=code,
                item_type=item["item_type"],
            ),
        )
    return place


def _lot(check: RowCheck, item: Any) -> None:
    tracking = Tracking(item["tracking"])
    lot = check.row.get("lot")
    if tracking is Tracking.NONE and lot:
        check.fail(
            "lot",
            InvalidInput(
                f"item {item['code']} is not lot- or serial-tracked; leave the lot out",
                code="lot_not_allowed",
                item=item["code"],
            ),
        )
    elif tracking is not Tracking.NONE and not lot:
        word = "serial number" if tracking is Tracking.SERIAL else "lot"
        check.fail(
            "lot",
            LotRequired(
                f"item {item['code']} is {tracking}-tracked: a {word} is required",
                code="lot_required" if tracking is Tracking.LOT else "serial_required",
                item=item["code"],
            ),
        )


def plan(
    conn: Connection, table: Table, now: datetime, progress: Progress | None
) -> tuple[Plan, list[BulkMove]]:
    known = _load(conn, table)
    checks = Checks(table, progress)
    moves: list[BulkMove] = []
    result = Plan(errors=checks.errors)
    for check in checks.rows():
        row = check.row
        item = known["items"].get(row.get("item") or "")
        if item is None:
            check.fail("item", NotFound("item", row.get("item")))
            continue
        if not item["active"]:
            check.fail(
                "item", RuleViolation(f"item {item['code']} is deactivated", code="item_inactive")
            )
        place = _location(check, item, known)
        _lot(check, item)
        sized = _quantity(check, item, known)
        cost = check(
            "unit_cost",
            non_negative,
            row.get("unit_cost") or "0",
            "unit_cost",
            SCALE_DIGITS,
            "money",
        )
        day = check("date", parse_date, row.get("date"), "date")
        expires = check("lot_expires_on", parse_date, row.get("lot_expires_on"), "lot_expires_on")
        when = datetime.combine(day, time(0), UTC) if day is not None else None
        if when is not None:
            check("date", check_effective_time, when, now, known["closed"])
        if (
            sized is not None
            and Tracking(item["tracking"]) is Tracking.SERIAL
            and sized[0] != SCALE
        ):
            check.fail(
                "quantity",
                InvalidInput(
                    "a serial number moves exactly one unit", code="serial_quantity_not_one"
                ),
            )
        if not check.ok or sized is None or cost is None or place is None:
            continue
        base, factor = sized
        base_cost = scaled_ratio(cost, factor)  # per unit of the row -> per base unit
        key = (item["code"], place["code"], row.get("lot"))
        posted = known["posted"].get(key)
        if posted is not None:
            if posted[0] == base and posted[1] == scaled_product(base, base_cost):
                result.unchanged += 1
            else:
                check.fail(
                    "quantity",
                    RuleViolation(
                        f"the opening balance of {item['code']} at {place['code']} is already "
                        "posted with another quantity or value; correct it with an adjustment",
                        code="opening_stock_exists",
                        item=item["code"],
                        location=place["code"],
                    ),
                )
            continue
        moves.append(
            BulkMove(
                item["code"],
                str(from_scaled(base)),
                virtual_code(place["warehouse"], "ADJUSTMENT"),
                place["code"],
                "import",
                row.get("lot"),
                expires,
                str(from_scaled(base_cost)),
                when,
                "opening_balance",
                note=f"opening stock, row {row.number}",
            )
        )
    result.created = len(moves)
    return result, moves


def import_opening_stock(
    db: Database, ctx: Context, table: Table, dry_run: bool, progress: Progress | None = None
) -> ImportSummary:
    """Check (dry run) or post the opening stock of ``table``: all or nothing.

    Raises PermissionDenied (``stock.import``, in each warehouse), ImportRejected with every
    row's problem (``item_not_found``, ``location_not_found``, ``not_storage_location``,
    ``lot_required``, ``serial_required``, ``lot_not_allowed``, ``unit_not_convertible``,
    ``too_many_decimals``, ``quantity_not_positive``, ``negative_value``, ``invalid_date``,
    ``effective_in_future``, ``period_closed``, ``opening_stock_exists``, ...), and what
    ``post_bulk`` raises. Writes: the moves, balances, cost layers and lots of ``post_bulk``.
    """
    from cangku.domain.imports import ImportRejected

    with db.read() as conn:
        load_actor(conn, ctx).require(STOCK_IMPORT)
        result, moves = plan(conn, table, utcnow(), progress)
    rows = len(table.rows)
    if not dry_run and result.errors:
        raise ImportRejected("opening_stock", result.errors, rows)
    posted = 0
    if not dry_run and moves:
        posted = post_bulk(db, ctx, moves).posted
    return ImportSummary(
        "opening_stock", rows, result.created, 0, result.unchanged, dry_run, result.errors, posted
    )
