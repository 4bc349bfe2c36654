"""Request and response bodies of the documents, the task inbox and the inbound workflow
(purchase orders, receipts, inspections, put-aways, supplier returns).

Requests forbid unknown fields; quantities and money are accepted as strings or numbers and
always answered as strings (exact). Every step answers the document as ``GET /documents/{number}``
shows it, with what the step itself produced in ``result``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cangku.api.numbers import NonNegativeIn, PositiveAmount
from cangku.api.openapi import one_of
from cangku.api.schemas_stock import MAX_ID, Paged
from cangku.domain.documents import machines
from cangku.domain.inbound import INSPECTION_REASONS, RETURN_REASONS

Code = Annotated[str, Field(min_length=1, max_length=200)]
OptionalCode = Annotated[str | None, Field(max_length=200)]
Note = Annotated[str | None, Field(max_length=2000)]
#: a document's line number
LineNo = Annotated[int, Field(ge=1, le=2**31 - 1)]
Day = Annotated[date | None, Field(description="a local day (ISO 8601)")]


def document_types() -> list[str]:
    return sorted(machines())


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


#: prices and values are what goods cost: shown only with valuation.view in the warehouse
_PRICE = "absent without valuation.view in the document's warehouse, or when not known"


# ---------------------------------------------------------------- requests
class NoteIn(_In):
    note: Note = None


class OrderLineIn(_In):
    item: Code
    quantity: PositiveAmount = Field(description="in `unit` (default: the item's base unit)")
    unit: OptionalCode = None
    unit_price: NonNegativeIn | None = Field(
        None, description="per `unit`; left out: the supplier's price for the item"
    )
    expected_on: Day = None


class PurchaseOrderIn(_In):
    supplier: Code
    warehouse: Code
    lines: list[OrderLineIn] = Field(min_length=1, max_length=5000)
    reference: OptionalCode = Field(None, description="the supplier's order or quotation number")
    note: Note = None
    due_on: Day = None
    assignee: OptionalCode = None


class ReceiptLineIn(_In):
    item: Code = Field(description="an item code or one of its barcodes")
    quantity: PositiveAmount
    unit: OptionalCode = None
    order_line: LineNo | None = Field(
        None, description="the order line received against (default: the item's first open one)"
    )
    lot: str | None = Field(None, max_length=100)
    serials: str | None = Field(
        None, max_length=20000, description="serial numbers: `SN100-SN149, SN160`"
    )
    manufactured_on: Day = None
    expires_on: Day = None
    supplier_lot: str | None = Field(None, max_length=100)
    unit_price: NonNegativeIn | None = Field(
        None, description="per `unit`, for a receipt without an order (an order line's wins)"
    )


class ReceiptIn(_In):
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=5000)
    order: OptionalCode = Field(None, description="the purchase order received against")
    warehouse: OptionalCode = Field(None, description="without an order: where")
    supplier: OptionalCode = Field(None, description="without an order: from whom")
    delivery_note: OptionalCode = None
    note: Note = None
    due_on: Day = None
    assignee: OptionalCode = None
    receive: bool = Field(True, description="post at once; false: a draft received later")
    confirm_over_receipt: bool = Field(
        False, description="accept receiving more than ordered (within the supplier's tolerance)"
    )


class ReceiptReceiveIn(_In):
    confirm_over_receipt: bool = False
    note: Note = None


class InspectionLineIn(_In):
    line: LineNo
    accepted: NonNegativeIn = Decimal(0)
    rejected: NonNegativeIn = Decimal(0)
    reason: str | None = Field(
        None,
        description="why goods are rejected (required with a rejection)",
        json_schema_extra=one_of(INSPECTION_REASONS, nullable=True),
    )
    sample_size: NonNegativeIn | None = None
    note: Note = None


class InspectionIn(_In):
    lines: list[InspectionLineIn] = Field(min_length=1, max_length=5000)
    note: Note = None


class PutawayLineIn(_In):
    line: LineNo
    location: OptionalCode = Field(None, description="the bin scanned; left out: the suggested")
    quantity: PositiveAmount | None = Field(
        None, description="base units; left out: all that waits on the line"
    )


class PutawayIn(_In):
    lines: list[PutawayLineIn] | None = Field(
        None, max_length=5000, description="left out: every waiting line in its suggested bin"
    )
    note: Note = None


class ReturnLineIn(_In):
    item: Code
    quantity: PositiveAmount
    location: Code = Field(description="where the goods are now (a bin, the rejection location)")
    lot: str | None = Field(None, max_length=100)
    unit: OptionalCode = None
    reason: str = Field("other", json_schema_extra=one_of(RETURN_REASONS))


class SupplierReturnIn(_In):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=5000)
    receipt: OptionalCode = Field(None, description="the receipt the goods came on")
    supplier: OptionalCode = None
    warehouse: OptionalCode = None
    note: Note = None
    ship: bool = Field(True, description="send at once; false: a draft shipped later")


class AssignIn(_In):
    user: OptionalCode = Field(
        description="the user to give the next step to; null: anyone who holds its role"
    )


class ReadIn(_In):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=5000, description="the notifications to mark read; null: all of them"
    )


# ---------------------------------------------------------------- answers
class LineOut(_Out):
    line_no: int
    item: str
    item_name: str
    base_unit: str
    quantity: Decimal = Field(description="base units")
    done: Decimal
    open: Decimal = Field(description="still to do (receive, inspect, store, return)")
    accepted: Decimal
    rejected: Decimal
    unit: str | None
    unit_quantity: Decimal | None
    unit_price: Decimal | None = Field(None, exclude_if=lambda v: v is None, description=_PRICE)
    base_price: Decimal | None = Field(None, exclude_if=lambda v: v is None, description=_PRICE)
    value: Decimal | None = Field(None, exclude_if=lambda v: v is None, description=_PRICE)
    expected_on: date | None
    lot: str | None
    location: str | None
    target_location: str | None
    reason_code: str | None
    sample_size: Decimal | None
    note: str | None
    resolved: Decimal | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="a transfer line: of what did not arrive, resolved by a manager",
    )
    in_transit: Decimal | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="a transfer line: dispatched - received (`accepted`) - resolved",
    )


class EventOut(_Out):
    at: datetime
    user: str
    step: str
    from_state: str | None
    to_state: str
    note: str | None
    data: dict[str, Any]


class ChildOut(BaseModel):
    number: str
    doc_type: str
    state: str


class StepOut(BaseModel):
    code: str
    permission: str
    ends: bool = Field(description="the step ends the document's life early (cancel, close)")


class DocumentSummaryOut(_Out):
    number: str
    doc_type: str
    state: str
    warehouse: str
    partner: str | None
    partner_name: str | None
    created_by: str
    assignee: str | None
    due_on: date | None
    reference: str | None
    total_value: Decimal | None = Field(None, exclude_if=lambda v: v is None, description=_PRICE)
    created_at: datetime
    updated_at: datetime
    origin: str | None = Field(description="the document this one was made from")
    next_step: str | None = Field(description="the step that waits on it (the task)")
    overdue: bool


class DocumentPage(Paged):
    items: list[DocumentSummaryOut]


class DocumentOut(DocumentSummaryOut):
    note: str | None
    approved_by: str | None
    closed_at: datetime | None
    lines: list[LineOut]
    events: list[EventOut]
    move_ids: list[int]
    children: list[ChildOut]
    steps: list[StepOut] = Field(description="the steps the caller may take on it now")
    # the outbound header, as GET /outbound/{number} shows it (null on other documents)
    ship_to: str | None = Field(None, description="a sales order's or shipment's address")
    department: str | None = Field(None, description="a requisition's requesting department")
    plan_reference: str | None = Field(
        None, description="the plan a request serves (sales or production order number)"
    )
    planned_on: date | None = Field(None, description="the plan's date")
    carrier: str | None = Field(None, description="a shipment's carrier")
    tracking_number: str | None = None
    packages: int | None = Field(None, description="a shipment's number of packages")
    to_warehouse: str | None = Field(
        None, description="a transfer's destination warehouse (null on other documents)"
    )


class StepResultOut(BaseModel):
    move_ids: list[int] = Field(description="the moves this step wrote")
    replayed: bool
    inspection: str | None = Field(None, description="the inspection the receipt opened")
    putaway: str | None = Field(None, description="the put-away the step opened")
    over_received_lines: list[int] = Field(
        default_factory=list, description="order lines received beyond their quantity"
    )
    receipt_registered: bool | None = Field(
        None, description="the receipt is registered: nothing of it is left to inspect or store"
    )


class DocumentStepOut(DocumentOut):
    result: StepResultOut


class TaskCountOut(_Out):
    doc_type: str
    step: str
    count: int
    overdue: int


class TaskCountsOut(BaseModel):
    items: list[TaskCountOut]
    total: int
    overdue: int


class NotificationOut(_Out):
    id: int
    created_at: datetime
    kind: str
    message: dict[str, Any]
    read: bool


class ReadOut(BaseModel):
    marked: int


class OnOrderOut(BaseModel):
    item: str
    item_name: str
    warehouse: str
    quantity: Decimal = Field(description="base units ordered and not received yet")
    unit: str = Field(description="the item's base unit")
