"""Request and response bodies of the outbound workflow: sales orders and material
requisitions, pick lists, shipments, customer returns and approval rules.

Like the inbound bodies (``schemas_documents``): requests forbid unknown fields; quantities and
money are accepted as strings or numbers and always answered as strings (exact). Every step
answers the document as ``GET /documents/{number}`` shows it, with what the step itself
produced in ``result``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cangku.api.numbers import NonNegativeIn, PositiveAmount
from cangku.api.openapi import one_of
from cangku.api.schemas_documents import (
    Code,
    Day,
    DocumentOut,
    LineNo,
    Note,
    OptionalCode,
)
from cangku.domain.outbound import DISPOSITIONS, REQUEST_KINDS, RETURN_REASONS, SHORT_PICK_REASONS
from cangku.domain.permissions import BUILTIN_ROLES

#: a request's kind: ``sales_order`` or ``requisition``
KIND_VALUES = sorted(REQUEST_KINDS)
Lot = Annotated[str | None, Field(max_length=100)]
#: the references a request carries (the service's limits)
Reference = Annotated[str | None, Field(max_length=100)]
_PRICE = "absent without valuation.view in the document's warehouse"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- requests
class RequestLineIn(_In):
    item: Code = Field(description="an item code or one of its barcodes")
    quantity: PositiveAmount = Field(description="in `unit` (default: the item's base unit)")
    unit: OptionalCode = None
    unit_price: NonNegativeIn | None = Field(
        None, description="a sales price per `unit`; left out: valued at the item's cost"
    )
    lot: Lot = Field(None, description="a chosen lot: allocation takes only from it")
    location: OptionalCode = Field(None, description="a chosen bin: allocation takes only from it")


class _RequestIn(_In):
    warehouse: Code
    lines: list[RequestLineIn] = Field(min_length=1, max_length=5000)
    plan_reference: Reference = Field(
        None, description="the plan served: a sales order or production order number"
    )
    planned_on: Day = None
    reference: Reference = None
    due_on: Day = Field(None, description="the requested date (a local day)")
    note: Note = None
    assignee: OptionalCode = None
    submit: bool = Field(
        False, description="submit at once (approved at once under every approval rule)"
    )


class SalesOrderIn(_RequestIn):
    customer: Code
    ship_to: str | None = Field(
        None, max_length=1000, description="left out: the customer's address"
    )
    reference: Reference = Field(None, description="the customer's order number")


class RequisitionIn(_RequestIn):
    department: Reference = Field(None, description="the requesting department")
    plan_reference: Reference = Field(
        None, description="the production order or cost centre served"
    )


class ShipIn(_In):
    carrier: Reference = None
    tracking_number: Reference = None
    packages: int | None = Field(None, ge=1, le=100000)
    note: Note = None


# ---------------------------------------------------------------- pick lists
class PickListIn(_In):
    requests: list[Code] = Field(
        min_length=1, max_length=5000, description="request numbers of one warehouse (a wave)"
    )
    kind: str = Field("sales_order", json_schema_extra=one_of(KIND_VALUES))
    assignee: OptionalCode = None
    note: Note = None


class PickLineIn(_In):
    line: LineNo
    quantity: NonNegativeIn | None = Field(
        None, description="base units picked; left out: all the line asks for"
    )
    location: OptionalCode = Field(None, description="the bin scanned (the line's, or refused)")
    lot: Lot = Field(None, description="the lot scanned (the allocated one, or refused)")
    reason: str | None = Field(
        None,
        description="why less was picked (required with a short pick)",
        json_schema_extra=one_of(SHORT_PICK_REASONS, nullable=True),
    )


class PickIn(_In):
    lines: list[PickLineIn] | None = Field(
        None, max_length=5000, description="left out: every open line in full"
    )
    note: Note = None


# ---------------------------------------------------------------- customer returns
class CustomerReturnLineIn(_In):
    item: Code
    quantity: PositiveAmount
    lot: Lot = None
    unit: OptionalCode = None
    reason: str = Field("other", json_schema_extra=one_of(RETURN_REASONS))
    disposition: str = Field(
        "restock",
        description="restock (to `location`), inspect (the quality location) or scrap",
        json_schema_extra=one_of(DISPOSITIONS),
    )
    location: OptionalCode = Field(None, description="the bin restocked goods go back to")


class CustomerReturnIn(_In):
    shipment: Code = Field(description="the shipment the goods left on")
    lines: list[CustomerReturnLineIn] = Field(min_length=1, max_length=5000)
    note: Note = None
    receive: bool = Field(True, description="receive at once; false: a draft received later")


# ---------------------------------------------------------------- approval rules
class ApprovalRuleIn(_In):
    """A value or a quantity threshold (or both: either reached makes a request wait)."""

    kind: str = Field(json_schema_extra=one_of(KIND_VALUES))
    min_value: NonNegativeIn | None = Field(None, description="the request's value reaching it")
    min_quantity: NonNegativeIn | None = Field(
        None, description="the request's quantity (base units, all lines) reaching it"
    )
    warehouse: OptionalCode = Field(None, description="left out: every warehouse")
    approver_role: str | None = Field(
        None,
        description="left out: anyone who may approve the kind",
        json_schema_extra=one_of(BUILTIN_ROLES, nullable=True),
    )


class ApprovalRuleOut(BaseModel):
    id: int
    kind: str
    warehouse: str | None = Field(description="null: every warehouse")
    min_value: Decimal | None
    min_quantity: Decimal | None
    approver_role: str | None


# ---------------------------------------------------------------- answers
class OutboundResultOut(BaseModel):
    move_ids: list[int] = Field(description="the moves this step wrote")
    replayed: bool
    allocated: dict[str, Decimal] | None = Field(
        None, description="allocate: base units reserved now, per line number"
    )
    short: dict[str, Decimal] | None = Field(
        None, description="allocate: base units that could not be reserved (the backorder)"
    )
    reallocated: dict[str, Decimal] | None = Field(
        None, description="pick: after a short pick, base units reserved again, per request"
    )
    shipment: str | None = Field(None, description="ship: the shipment document written")
    cost_of_goods: Decimal | None = Field(
        None, exclude_if=lambda v: v is None, description=f"ship: what the goods cost; {_PRICE}"
    )


class OutboundStepOut(DocumentOut):
    result: OutboundResultOut
