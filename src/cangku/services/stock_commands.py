"""What the stock operations take: one command dataclass per operation, shared by all faces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Reference:
    """Where a move comes from: a business document line, free text."""

    document_type: str | None = None
    document_id: str | None = None
    document_line: int | None = None


@dataclass(frozen=True)
class Receive:
    item: str
    quantity: Decimal | str
    to_location: str
    unit: str | None = None
    lot: str | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    #: cost per ``unit`` (or per base unit); default: the item's current average cost
    unit_cost: Decimal | str | None = None
    supplier: str | None = None
    effective_at: datetime | None = None
    note: str | None = None
    reference: Reference = Reference()
    #: where the goods come from: "supplier" (a purchase), "customer" (a return) or
    #: "production" (finished or semi-finished output)
    source: str = "supplier"


@dataclass(frozen=True)
class Issue:
    item: str
    quantity: Decimal | str
    from_location: str
    unit: str | None = None
    lot: str | None = None
    #: "customer" (sale) or "production" (material requisition)
    to: str = "customer"
    customer: str | None = None
    effective_at: datetime | None = None
    note: str | None = None
    reference: Reference = Reference()


@dataclass(frozen=True)
class Transfer:
    item: str
    quantity: Decimal | str
    from_location: str
    to_location: str
    unit: str | None = None
    lot: str | None = None
    effective_at: datetime | None = None
    note: str | None = None
    reference: Reference = Reference()


@dataclass(frozen=True)
class Adjust:
    """A signed correction: positive adds stock (gain), negative removes it (loss)."""

    item: str
    quantity: Decimal | str
    location: str
    reason_code: str
    unit: str | None = None
    lot: str | None = None
    unit_cost: Decimal | str | None = None
    expires_on: date | None = None
    effective_at: datetime | None = None
    note: str | None = None
    reference: Reference = Reference()


@dataclass(frozen=True)
class Scrap:
    item: str
    quantity: Decimal | str
    from_location: str
    reason_code: str = "damaged"
    unit: str | None = None
    lot: str | None = None
    effective_at: datetime | None = None
    note: str | None = None
    reference: Reference = Reference()


@dataclass(frozen=True)
class Reverse:
    move_id: int
    note: str | None = None
    effective_at: datetime | None = None


@dataclass(frozen=True)
class Reservation:
    item: str
    quantity: Decimal | str
    location: str
    unit: str | None = None
    lot: str | None = None
    reference: Reference = Reference()
