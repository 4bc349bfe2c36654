"""What a scan names: one text from a barcode scanner (a keyboard wedge types it and presses
Enter) read the same way by every face: the operation pages (their ``scan`` field, with or
without JavaScript), ``GET /api/v1/stock/scan`` and ``cangku stock scan``.

In this order, a scan is:
1. a GS1 element string (GS1-128, GS1 DataMatrix; raw or ``(01)...(10)...``): its GTIN names
   the item through the item resolver (a box's GTIN selects the box), with lot or serial,
   expiry, production date and count (``domain/gs1.py``);
2. an item code, or one of an item's barcodes (with that barcode's unit);
3. a location code (in the warehouses the caller may use);
4. a lot or serial number (with its item when only one item has it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from cangku.db import lookups
from cangku.db.tables import items, lots
from cangku.db.uow import Database
from cangku.domain import gs1
from cangku.domain.enums import Tracking
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.services.common import utcnow

#: the longest scan read (GS1 DataMatrix holds at most about 2,300 characters)
MAX_SCAN = 2500


@dataclass(frozen=True)
class ScanResult:
    """What one scan fills in. ``kind``: ``gs1``, ``item``, ``location`` or ``lot``."""

    kind: str
    item: str | None = None
    item_name: str | None = None
    #: the unit of the scanned barcode or GTIN (None: a code, or a barcode with no unit)
    unit: str | None = None
    #: the lot or serial number
    lot: str | None = None
    expires_on: date | None = None
    manufactured_on: date | None = None
    #: a GS1 count (AI 30 or 37), in ``unit``
    quantity: int | None = None
    location: str | None = None
    #: GS1 elements as scanned: (AI, value)
    elements: tuple[tuple[str, str], ...] = ()


def interpret_scan(
    db: Database, text: str, *, warehouses: Warehouses = None, today: date | None = None
) -> ScanResult:
    """Read one scan (see the module docstring); ``warehouses`` limits the locations a scan
    may name (None: all).

    Raises InvalidInput (``scan_empty``, ``scan_too_long``, a malformed GS1 string:
    ``gs1_*``), NotFound ``item_not_found`` (a GS1 GTIN no item has), ``scan_not_found``
    (nothing has this code). Reads only."""
    scanned = text.strip(" \r\n\t")
    if not scanned:
        raise InvalidInput("the scan is empty", code="scan_empty", field="scan")
    if len(scanned) > MAX_SCAN:
        raise InvalidInput(
            f"a scan holds at most {MAX_SCAN} characters", code="scan_too_long", field="scan"
        )
    data = gs1.read(scanned, today=today or utcnow().date())
    with db.read() as conn:
        if data is not None:
            return _gs1_result(conn, data)
        try:
            item, unit = lookups.resolve_item(conn, scanned)
        except NotFound:
            pass
        else:
            return ScanResult("item", item=item.code, item_name=item.name, unit=unit)
        location = _location(conn, scanned, warehouses)
        if location is not None:
            return ScanResult("location", location=location)
        lot = _lot(conn, scanned)
        if lot is not None:
            return lot
    refusal = NotFound("scan", scanned[:100])
    refusal.message = f"nothing has the code {scanned[:100]}: no item, barcode, location or lot"
    raise refusal


def _gs1_result(conn: Connection, data: gs1.Gs1Data) -> ScanResult:
    item_code = item_name = unit = None
    serial_tracked = False
    if data.gtin is not None:
        for form in gs1.gtin_forms(data.gtin):
            try:
                item, unit = lookups.resolve_item(conn, form)
            except NotFound:
                continue
            item_code, item_name = item.code, item.name
            serial_tracked = item.tracking is Tracking.SERIAL
            break
        else:
            raise NotFound("item", data.gtin)
    # the form has one lot / serial number field: an item's serial, else its lot
    number = (data.serial or data.lot) if serial_tracked else (data.lot or data.serial)
    return ScanResult(
        "gs1",
        item=item_code,
        item_name=item_name,
        unit=unit,
        lot=number,
        expires_on=data.expires_on,
        manufactured_on=data.produced_on,
        quantity=data.count,
        elements=data.elements,
    )


def _location(conn: Connection, code: str, warehouses: Warehouses) -> str | None:
    try:
        location = lookups.location_by_code(conn, code)
    except NotFound:
        return None
    if warehouses is not None and location.warehouse_id not in warehouses:
        return None
    return location.code


def _lot(conn: Connection, code: str) -> ScanResult | None:
    rows = conn.execute(
        select(items.c.code, items.c.name, lots.c.expires_on)
        .join(items, items.c.id == lots.c.item_id)
        .where(lots.c.code == code)
        .order_by(items.c.code)
        .limit(2)
    ).all()
    if not rows:
        return None
    if len(rows) > 1:  # several items have this lot number: the scan names the lot only
        return ScanResult("lot", lot=code)
    item_code, item_name, expires_on = rows[0]
    return ScanResult("lot", item=item_code, item_name=item_name, lot=code, expires_on=expires_on)
