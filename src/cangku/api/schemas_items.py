"""Request and response bodies of the catalogue and partner endpoints.

Requests forbid unknown fields. Decimals are accepted as strings or numbers and always answered
as strings (exact).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from cangku.api.numbers import Amount, NonNegativeIn, PositiveIn
from cangku.api.openapi import not_null, one_of
from cangku.domain.allocation import STRATEGIES
from cangku.domain.enums import CostingMethod, ItemType, Tracking

#: what ``inspection_required`` means on an item, a category and a supplier
INSPECTION = "received goods go through inspection (a quality location) before put-away"
#: what ``allocation_strategy`` means on an item
ALLOCATION = (
    "how outbound requests allocate the item: fifo (oldest receipt first) or fefo (earliest "
    "expiry first); null (or empty) is the default: fefo for a lot- or serial-tracked item with "
    "a shelf life, else fifo"
)
EFFECTIVE_ALLOCATION = "the strategy allocation uses: allocation_strategy, or the default when null"
TOLERANCE = (
    "percent (0 to 100, two decimals) a confirmed over-receipt may exceed the quantity ordered"
)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- items


class ItemUnitIn(Request):
    unit: str
    factor: PositiveIn


class ItemBarcodeIn(Request):
    barcode: str
    unit: str | None = None


class ItemCreate(Request):
    code: str
    name: str
    item_type: str = Field(json_schema_extra=one_of(ItemType))
    base_unit: str = "pcs"
    tracking: str = Field("none", json_schema_extra=one_of(Tracking))
    costing_method: str = Field("fifo", json_schema_extra=one_of(CostingMethod))
    category: str | None = None
    description: str | None = None
    shelf_life_days: int | None = None
    safety_stock: NonNegativeIn | None = None
    reorder_point: NonNegativeIn | None = None
    max_stock: NonNegativeIn | None = None
    lead_time_days: int | None = None
    default_location: str | None = None
    standard_cost: NonNegativeIn | None = None
    inspection_required: bool = Field(False, description=INSPECTION)
    allocation_strategy: str | None = Field(
        None, description=ALLOCATION, json_schema_extra=one_of(STRATEGIES, nullable=True)
    )
    units: list[ItemUnitIn] = []
    barcodes: list[ItemBarcodeIn] = []


class ItemPatch(Request):
    """Only the fields sent are changed; ``version`` (optional) guards against lost updates."""

    name: str | None = Field(None, json_schema_extra=not_null)
    description: str | None = None
    item_type: str | None = Field(None, json_schema_extra=one_of(ItemType))
    category: str | None = None
    base_unit: str | None = Field(None, json_schema_extra=not_null)
    tracking: str | None = Field(None, json_schema_extra=one_of(Tracking))
    costing_method: str | None = Field(None, json_schema_extra=one_of(CostingMethod))
    shelf_life_days: int | None = None
    safety_stock: NonNegativeIn | None = None
    reorder_point: NonNegativeIn | None = None
    max_stock: NonNegativeIn | None = None
    lead_time_days: int | None = None
    default_location: str | None = None
    standard_cost: NonNegativeIn | None = None
    inspection_required: bool | None = Field(
        None, description=INSPECTION, json_schema_extra=not_null
    )
    allocation_strategy: str | None = Field(
        None, description=ALLOCATION, json_schema_extra=one_of(STRATEGIES, nullable=True)
    )
    version: int | None = None


class ItemUnitsPut(Request):
    units: list[ItemUnitIn]
    version: int | None = None


class ItemBarcodesPut(Request):
    barcodes: list[ItemBarcodeIn]
    version: int | None = None


class VersionIn(Request):
    version: int | None = None


class ItemUnitOut(Response):
    unit: str
    factor: Decimal


class ItemBarcodeOut(Response):
    barcode: str
    unit: str | None


class ItemOut(Response):
    id: int
    code: str
    name: str
    description: str | None
    item_type: str
    category: str | None
    base_unit: str
    tracking: str
    costing_method: str
    shelf_life_days: int | None
    safety_stock: Decimal | None
    reorder_point: Decimal | None
    max_stock: Decimal | None
    lead_time_days: int | None
    default_location: str | None
    standard_cost: Decimal | None
    inspection_required: bool = Field(description=INSPECTION)
    allocation_strategy: str | None = Field(
        description=ALLOCATION, json_schema_extra=one_of(STRATEGIES, nullable=True)
    )
    effective_allocation_strategy: str = Field(
        description=EFFECTIVE_ALLOCATION, json_schema_extra=one_of(STRATEGIES)
    )
    units: list[ItemUnitOut]
    barcodes: list[ItemBarcodeOut]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ItemPage(Response):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


# ---------------------------------------------------------------- categories and units


class CategoryCreate(Request):
    code: str
    name: str
    parent: str | None = None
    inspection_required: bool = Field(False, description=f"{INSPECTION}; also below it")


class CategoryPatch(Request):
    """``parent``: a category code, or null to make it a root; omit to keep it."""

    name: str | None = None
    parent: str | None = None
    inspection_required: bool | None = Field(
        None, description=f"{INSPECTION}; also below it", json_schema_extra=not_null
    )


class CategoryOut(Response):
    id: int
    code: str
    name: str
    parent: str | None
    path: str
    depth: int
    active: bool
    inspection_required: bool = Field(description=f"{INSPECTION}; also below it")
    created_at: datetime
    updated_at: datetime


class CategoryPage(Response):
    items: list[CategoryOut]
    total: int
    limit: int
    offset: int


class CategoryNodeOut(Response):
    code: str
    name: str
    active: bool
    children: list[CategoryNodeOut]


class UnitCreate(Request):
    code: str
    name: str
    decimals: int = Field(json_schema_extra={"minimum": 0, "maximum": 6})


class UnitOut(Response):
    code: str
    name: str
    decimals: int


# ---------------------------------------------------------------- partners


class ContactIn(Request):
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class ContactPatch(Request):
    name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class ContactOut(Response):
    id: int
    name: str
    role: str | None
    email: str | None
    phone: str | None


class PartnerCreate(Request):
    code: str
    name: str
    is_supplier: bool = False
    is_customer: bool = False
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    tax_id: str | None = None
    notes: str | None = None
    contacts: list[ContactIn] = []
    inspection_required: bool = Field(False, description=f"a supplier's: {INSPECTION}")
    over_receipt_tolerance: Amount = Field("0", description=TOLERANCE)


class PartnerPatch(Request):
    name: str | None = Field(None, json_schema_extra=not_null)
    is_supplier: bool | None = None
    is_customer: bool | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    tax_id: str | None = None
    notes: str | None = None
    inspection_required: bool | None = Field(
        None, description=f"a supplier's: {INSPECTION}", json_schema_extra=not_null
    )
    over_receipt_tolerance: Amount | None = Field(
        None, description=TOLERANCE, json_schema_extra=not_null
    )
    version: int | None = None


class PartnerOut(Response):
    id: int
    code: str
    name: str
    is_supplier: bool
    is_customer: bool
    email: str | None
    phone: str | None
    address: str | None
    tax_id: str | None
    notes: str | None
    contacts: list[ContactOut]
    inspection_required: bool = Field(description=f"a supplier's: {INSPECTION}")
    over_receipt_tolerance: Decimal = Field(description=TOLERANCE)
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PartnerPage(Response):
    items: list[PartnerOut]
    total: int
    limit: int
    offset: int


class SupplierItemIn(Request):
    supplier_code: str | None = None
    price: NonNegativeIn | None = None
    currency: str | None = Field(
        None, description="ISO 4217 code", json_schema_extra={"pattern": "^[A-Z]{3}$"}
    )
    min_order_qty: NonNegativeIn | None = None
    lead_time_days: int | None = None
    pack_size: NonNegativeIn | None = Field(
        None, description="orders in whole packs of this many base units"
    )
    preferred: bool = Field(
        False, description="the supplier replenishment orders from (one per item)"
    )


class SupplierItemOut(Response):
    id: int
    partner: str
    partner_name: str
    item: str
    item_name: str
    supplier_code: str | None
    price: Decimal | None
    currency: str | None
    min_order_qty: Decimal | None
    lead_time_days: int | None
    pack_size: Decimal | None
    preferred: bool
