"""Request and response bodies of transfers (issue 14). A step answers the transfer as
``GET /documents/{number}`` shows it (with its destination warehouse and each line's resolved
and in-transit quantities), with what the step itself produced in ``result``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from cangku.api.numbers import NonNegativeIn, PositiveAmount
from cangku.api.openapi import one_of
from cangku.api.schemas_documents import (
    Code,
    Day,
    DocumentOut,
    LineNo,
    Note,
    OptionalCode,
    _In,
    _Out,
)
from cangku.domain.transfers import Outcome

Lot = Annotated[str | None, Field(max_length=100)]
Reference = Annotated[str | None, Field(max_length=100)]
#: line number -> base quantity
PerLine = Annotated[dict[LineNo, NonNegativeIn] | None, Field(max_length=5000)]


class TransferLineIn(_In):
    item: Code
    quantity: PositiveAmount = Field(description="in `unit` (default: the item's base unit)")
    unit: OptionalCode = None
    from_location: Code = Field(description="the bin the goods leave")
    lot: Lot = None
    to_location: OptionalCode = Field(
        None,
        description="the bin they go to: required within a warehouse; between warehouses the "
        "receiver may scan it on arrival",
    )


class TransferIn(_In):
    from_warehouse: Code
    to_warehouse: OptionalCode = Field(None, description="left out: within `from_warehouse`")
    lines: list[TransferLineIn] = Field(max_length=5000)
    reference: Reference = None
    due_on: Day = None
    note: Note = None
    assignee: OptionalCode = None
    submit: bool = Field(False, description="submit at once (approved at once within a warehouse)")


class TransferDispatchIn(_In):
    picked: PerLine = Field(
        None, description="base units dispatched per line number; a line left out goes in full"
    )
    note: Note = None


class TransferReceiveIn(_In):
    received: PerLine = Field(
        None,
        description="base units arrived in good order per line number; a line left out arrived "
        "in full less what `damaged` reports",
    )
    damaged: PerLine = Field(None, description="base units arrived damaged per line number")
    bins: dict[LineNo, Code] | None = Field(
        None, max_length=5000, description="the bin scanned per line number (else the line's)"
    )
    note: Note = None


class TransferResolutionIn(_In):
    line: LineNo
    outcome: str = Field(json_schema_extra=one_of([o.value for o in Outcome]))
    quantity: PositiveAmount
    location: OptionalCode = Field(None, description="found goods: the bin (else the line's)")


class TransferResolveIn(_In):
    resolutions: list[TransferResolutionIn] = Field(min_length=1, max_length=5000)
    note: Note = None


class TransferResultOut(BaseModel):
    move_ids: list[int] = Field(description="the moves this step wrote")
    replayed: bool
    missing: dict[str, Decimal] | None = Field(
        None, description="receive: base units still in transit per line number"
    )


class TransferStepOut(DocumentOut):
    result: TransferResultOut


class TransitLineOut(_Out):
    number: str
    state: str
    from_warehouse: str
    to_warehouse: str
    dispatched_at: datetime | None
    line_no: int
    item: str
    item_name: str
    base_unit: str
    lot: str | None
    from_location: str | None
    to_location: str | None
    dispatched: Decimal
    quantity: Decimal = Field(description="still in transit (base units)")
    value: Decimal | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="the item's stock value shared by quantity; absent without valuation.view "
        "in the warehouse it left",
    )


class TransitOut(BaseModel):
    items: list[TransitLineOut]
    total_value: Decimal | None = Field(None, exclude_if=lambda v: v is None)
