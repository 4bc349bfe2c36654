"""Request and response bodies of warehouses, locations, lots and serials."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cangku.api.numbers import PositiveIn
from cangku.api.openapi import not_null, one_of
from cangku.domain.enums import STORAGE_KINDS, ItemType, LotStatus


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ------------------------------------------------------------------ warehouses

EXPIRED_ISSUE = (
    "expired lots may be issued and reserved here (ADR 0016); scrapping, adjusting and"
    " transferring an expired lot is always allowed"
)


RECEIVING = "code of the receiving location receipts land in; null: the first active one by code"
QUALITY = "code of the quality location goods to inspect wait in; null: the first active one"
REJECTION = "code of the quality location rejected goods go to; null: the quality location"


class WarehouseCreate(_In):
    code: str = Field(description="1-32 letters, digits, '-' or '_'", examples=["WH1"])
    name: str = Field(examples=["Main warehouse"])
    address: str | None = None
    allow_negative_stock: bool = False
    allow_expired_issue: bool = Field(False, description=EXPIRED_ISSUE)


class WarehouseUpdate(_In):
    name: str | None = Field(None, json_schema_extra=not_null)
    address: str | None = None
    allow_negative_stock: bool | None = Field(None, json_schema_extra=not_null)
    allow_expired_issue: bool | None = Field(
        None, description=EXPIRED_ISSUE, json_schema_extra=not_null
    )
    receiving_location: str | None = Field(None, description=RECEIVING)
    quality_location: str | None = Field(None, description=QUALITY)
    rejection_location: str | None = Field(None, description=REJECTION)
    version: int | None = Field(None, description="refuse the change unless this is current")


class WarehouseOut(_Out):
    id: int
    code: str
    name: str
    address: str | None
    allow_negative_stock: bool
    allow_expired_issue: bool = Field(description=EXPIRED_ISSUE)
    receiving_location: str | None = Field(None, description=RECEIVING)
    quality_location: str | None = Field(None, description=QUALITY)
    rejection_location: str | None = Field(None, description=REJECTION)
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WarehousePage(BaseModel):
    items: list[WarehouseOut]
    total: int
    limit: int
    offset: int


# ------------------------------------------------------------------- locations


class LocationCreate(_In):
    code: str = Field(description="globally unique, no spaces", examples=["WH1-A-01-03"])
    name: str
    kind: str = Field(
        "internal",
        description="internal, receiving, quality or shipping",
        json_schema_extra=one_of(sorted(STORAGE_KINDS)),
    )
    warehouse: str | None = Field(None, description="warehouse code (or give parent)")
    parent: str | None = Field(None, description="parent location code")
    level: str | None = Field(None, examples=["bin"])
    capacity: PositiveIn | None = Field(None, description="in base units; string or number")
    allowed_item_types: list[str] | None = None


class LocationUpdate(_In):
    name: str | None = Field(None, json_schema_extra=not_null)
    level: str | None = None
    capacity: PositiveIn | None = None
    allowed_item_types: list[str] | None = None
    parent: str | None = Field(None, description="new parent code; null moves it to the root")
    version: int | None = None


class LocationOut(_Out):
    id: int
    code: str
    name: str
    kind: str
    warehouse: str
    parent: str | None
    level: str | None
    path: str
    capacity: Decimal | None
    allowed_item_types: list[str]
    active: bool
    version: int
    is_virtual: bool


class LocationPage(BaseModel):
    items: list[LocationOut]
    total: int
    limit: int
    offset: int


class TreeNodeOut(BaseModel):
    depth: int
    location: LocationOut


# ------------------------------------------------------------------------ lots


class LotCreate(_In):
    item: str = Field(description="item code or barcode")
    code: str
    manufactured_on: date | None = None
    expires_on: date | None = Field(None, description="default: manufacture date + shelf life")
    supplier_lot: str | None = None
    status: str = Field("available", json_schema_extra=one_of(LotStatus))
    notes: str | None = None


class SerialCreate(_In):
    item: str = Field(description="item code or barcode")
    serial: str
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    status: str = Field("available", json_schema_extra=one_of(LotStatus))
    notes: str | None = None


class LotUpdate(_In):
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    notes: str | None = None
    version: int | None = None


class LotStatusChange(_In):
    status: str = Field(
        description="available, quarantine, hold, recalled or rejected",
        json_schema_extra=one_of(LotStatus),
    )
    reason: str | None = None


#: a lot's expiry status (``domain.lots.ExpiryStatus``)
ExpiryStatusName = Literal["expired", "expiring_soon", "ok", "no_expiry"]


class LotOut(_Out):
    id: int
    item: str
    code: str
    is_serial: bool
    manufactured_on: date | None
    expires_on: date | None
    supplier_lot: str | None
    status: str
    notes: str | None
    version: int
    expiry_status: ExpiryStatusName = Field(
        description="on the company's day (its time zone): expired = the expiry date has"
        " passed; expiring_soon = within the company's expiring_soon_days; computed, not stored"
    )


class LotPage(BaseModel):
    items: list[LotOut]
    total: int
    limit: int
    offset: int


# ------------------------------------------------------------------- put-away rules


class PutawayRuleCreate(_In):
    """Exactly one of ``item``, ``category`` (and the categories below it), ``item_type``."""

    location: str = Field(description="a storage (internal) location of the warehouse")
    item: str | None = None
    category: str | None = None
    item_type: str | None = Field(None, json_schema_extra=one_of(ItemType))
    priority: int = Field(100, description="0 to 1000000; lower is tried first")


class PutawayRuleOut(_Out):
    id: int
    warehouse: str
    location: str
    item: str | None
    category: str | None
    item_type: str | None
    priority: int
