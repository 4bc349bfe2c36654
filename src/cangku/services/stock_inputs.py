"""Turning what the faces send into ledger terms: quantities in base units, costs per base
unit, existing lots, notes, and the payload an idempotency key is checked against."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection

from cangku.db import catalog, lookups
from cangku.db import lots as lot_store
from cangku.domain.enums import Tracking
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.operations import MAX_NOTE, check_note, unit_cost_value
from cangku.domain.quantities import positive_quantity, scaled_ratio, to_scaled
from cangku.domain.stock import ItemInfo, LotInfo

__all__ = [
    "MAX_NOTE",
    "base_quantity",
    "existing_lot",
    "item_and_unit",
    "lot_for",
    "note_text",
    "payload",
    "unit_cost_per_base",
]


def payload(command: object) -> dict[str, object]:
    """The command as flat text fields (``reference.document_id``...): what an idempotency key
    is checked against. Shallow on purpose (every posting builds it): commands hold plain values
    and at most one level of nested dataclass."""
    out: dict[str, object] = {}
    for field in dataclasses.fields(command):  # type: ignore[arg-type]
        value = getattr(command, field.name)
        if dataclasses.is_dataclass(value):
            for inner in dataclasses.fields(value):
                nested = getattr(value, inner.name)
                out[f"{field.name}.{inner.name}"] = str(nested) if nested is not None else None
        else:
            out[field.name] = str(value) if value is not None else None
    return out


def item_and_unit(conn: Connection, text: str, unit: str | None) -> tuple[ItemInfo, str | None]:
    """The item ``text`` names (its code, or one of its barcodes) and the unit its quantity is
    in: the unit given, else the scanned barcode's unit, else None (the base unit).

    Raises NotFound (item), InvalidInput ``unit_conflicts_with_barcode`` when ``unit`` is given
    and differs from the unit the barcode belongs to. Reads only."""
    item, barcode_unit = lookups.resolve_item(conn, text)
    if barcode_unit is None:
        return item, unit
    if unit is not None and unit != barcode_unit:
        raise InvalidInput(
            f"barcode {text} is one {barcode_unit} of {item.code}; leave the unit out or give"
            f" {barcode_unit}",
            code="unit_conflicts_with_barcode",
            item=item.code,
            barcode=text,
            barcode_unit=barcode_unit,
            unit=unit,
        )
    return item, barcode_unit


def note_text(note: str | None) -> str | None:
    return check_note(note)


def base_quantity(conn: Connection, item: ItemInfo, raw: Decimal | str, unit: str | None) -> int:
    return catalog.to_base_quantity(conn, item, positive_quantity(raw), unit)


def unit_cost_per_base(
    conn: Connection,
    item: ItemInfo,
    raw: Decimal | str | None,
    unit: str | None,
    base_qty: int,
    quantity: Decimal | str,
) -> int | None:
    """Cost per base unit (scaled) from a cost per ``unit``."""
    cost = unit_cost_value(raw)
    if cost is None:
        return None
    total = to_scaled(cost * positive_quantity(quantity))
    return scaled_ratio(total, base_qty)


def existing_lot(conn: Connection, item: ItemInfo, code: str | None) -> LotInfo | None:
    if code is None or code == "" or item.tracking is Tracking.NONE:
        if code and item.tracking is Tracking.NONE:
            raise InvalidInput(
                f"item {item.code} is not lot- or serial-tracked; leave the lot out",
                code="lot_not_allowed",
                item=item.code,
            )
        return None
    lot = lookups.lot_by_code(conn, item.id, code)
    if lot is None:
        raise NotFound("lot", f"{item.code}/{code}")
    return lot


def lot_for(
    conn: Connection,
    item: ItemInfo,
    code: str | None,
    now: datetime,
    *,
    create: bool,
    expires_on: date | None = None,
    manufactured_on: date | None = None,
) -> LotInfo | None:
    """The lot (or serial) a move names: created on the fly when ``create`` allows it
    (``domain.operations.may_create_lot``) and the item is tracked, else one that exists.
    Raises InvalidInput (``lot_not_allowed``: the item is not tracked), NotFound (the lot)."""
    if create and code and item.tracking is not Tracking.NONE:
        return lot_store.get_or_create(
            conn,
            item,
            code,
            now,
            expires_on=expires_on,
            manufactured_on=manufactured_on,
            is_serial=item.tracking is Tracking.SERIAL,
        )
    return existing_lot(conn, item, code)
