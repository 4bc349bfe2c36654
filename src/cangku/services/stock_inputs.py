"""Turning what the faces send into ledger terms: quantities in base units, costs per base
unit, existing lots, notes, and the payload an idempotency key is checked against."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import Connection

from cangku.db import catalog, lookups
from cangku.domain.enums import Tracking
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.quantities import parse_decimal, positive_quantity, scaled_ratio, to_scaled
from cangku.domain.stock import ItemInfo, LotInfo

MAX_NOTE = 2000


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


def note_text(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters", code="note_too_long")
    return note or None


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
    if raw is None or raw == "":
        return None
    cost = parse_decimal(raw, "unit_cost")
    if cost < 0:
        raise InvalidInput("unit cost must not be negative", code="negative_cost")
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
