"""Request and response bodies of the stock ledger: operations, on hand, moves, valuation.

Quantities and money are accepted as JSON strings (exact) or numbers and always returned as
strings; text follows the one number grammar (``cangku.api.numbers``). Times are ISO 8601;
a time without a zone is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cangku.api.numbers import Amount, PositiveAmount
from cangku.api.openapi import one_of
from cangku.services import stock_commands as commands


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


When = Annotated[datetime | None, AfterValidator(_utc)]

#: the pydantic error type the problem handler answers as ``invalid_time``
INVALID_TIME = "invalid_time"
#: a time in a query (``at``, ``since``, ``until``): an ISO 8601 date (midnight) or date and
#: time, with ``Z`` or an offset (none: UTC); never a Unix time such as ``0.0`` or ``5567``
TIME_PATTERN = (
    r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-"
    r"(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)
_TIME = re.compile(TIME_PATTERN)


def _iso_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _TIME.match(value):
        raise PydanticCustomError(
            INVALID_TIME,
            "must be an ISO 8601 date or time (2026-01-31, 2026-01-31T08:00+08:00), not {text!r}",
            {"text": str(value)[:40]},
        )
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as error:  # a day the month does not have: 2026-02-30
        raise PydanticCustomError(
            INVALID_TIME, "{text!r} is not a calendar date", {"text": value}
        ) from error


#: ``at``, ``since`` and ``until`` of the reads (see ``TIME_PATTERN``)
Instant = Annotated[
    datetime,
    BeforeValidator(_iso_time),
    WithJsonSchema(
        {"type": "string", "pattern": TIME_PATTERN, "examples": ["2026-01-31T08:00:00+08:00"]}
    ),
]
Code = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str | None, Field(max_length=2000)]
#: largest id the database holds (BIGINT)
MAX_ID = 2**63 - 1
Line = Annotated[int | None, Field(ge=1, le=2**31 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReferenceIn(_In):
    document_type: str | None = Field(None, max_length=40, examples=["sales_order"])
    document_id: str | None = Field(None, max_length=64, examples=["SO-0042"])
    document_line: Line = None


class _Referenced(_In):
    """Accepts the document reference nested (``reference``) or flat (``document_*``)."""

    reference: ReferenceIn | None = None
    document_type: str | None = Field(None, max_length=40)
    document_id: str | None = Field(None, max_length=64)
    document_line: Line = None

    @model_validator(mode="after")
    def _one_reference(self) -> _Referenced:
        flat = (self.document_type, self.document_id, self.document_line)
        if self.reference is not None and any(v is not None for v in flat):
            raise ValueError("give the reference nested or flat, not both")
        return self

    def command_reference(self) -> commands.Reference:
        if self.reference is not None:
            return commands.Reference(**self.reference.model_dump())
        return commands.Reference(self.document_type, self.document_id, self.document_line)

    def fields(self) -> dict[str, Any]:
        """The command's keyword arguments (everything but the reference fields)."""
        skip = {"reference", "document_type", "document_id", "document_line"}
        values = {name: getattr(self, name) for name in type(self).model_fields if name not in skip}
        return {**values, "reference": self.command_reference()}


class ReceiveIn(_Referenced):
    item: Code
    quantity: PositiveAmount
    to_location: Code
    unit: str | None = None
    lot: str | None = Field(None, max_length=100)
    manufactured_on: date | None = None
    expires_on: date | None = None
    supplier_lot: str | None = None
    unit_cost: Amount | None = Field(None, description="cost per `unit` (default: average cost)")
    supplier: str | None = None
    effective_at: When = None
    note: Note = None
    source: str = Field(
        "supplier",
        description="'supplier' (a purchase), 'customer' (a return) or 'production'",
        json_schema_extra=one_of(["supplier", "customer", "production"]),
    )


class IssueIn(_Referenced):
    item: Code
    quantity: PositiveAmount
    from_location: Code
    unit: str | None = None
    lot: str | None = None
    to: str = Field(
        "customer",
        description="'customer' (a sale) or 'production'",
        json_schema_extra=one_of(["customer", "production"]),
    )
    customer: str | None = None
    effective_at: When = None
    note: Note = None


class TransferIn(_Referenced):
    item: Code
    quantity: PositiveAmount
    from_location: Code
    to_location: Code
    unit: str | None = None
    lot: str | None = None
    effective_at: When = None
    note: Note = None


class AdjustIn(_Referenced):
    item: Code
    quantity: Amount = Field(description="signed: positive is a gain, negative a loss")
    location: Code
    reason_code: Code
    unit: str | None = None
    lot: str | None = None
    unit_cost: Amount | None = None
    expires_on: date | None = None
    effective_at: When = None
    note: Note = None


class ScrapIn(_Referenced):
    item: Code
    quantity: PositiveAmount
    from_location: Code
    reason_code: str = "damaged"
    unit: str | None = None
    lot: str | None = None
    effective_at: When = None
    note: Note = None


class ReverseIn(_In):
    note: Note = None
    effective_at: When = None


class ReservationIn(_Referenced):
    item: Code
    quantity: PositiveAmount
    location: Code
    unit: str | None = None
    lot: str | None = None


class MoveOut(_Out):
    id: int
    warehouse: str
    seq: int
    operation: str
    item: str
    item_name: str
    unit: str
    lot: str | None
    quantity: Decimal
    from_location: str
    from_kind: str
    to_location: str
    to_kind: str
    unit_cost: Decimal | None = Field(
        None,
        exclude_if=lambda cost: cost is None,
        description="cost per base unit; only with valuation.view in the move's warehouse"
        " (absent otherwise)",
    )
    value: Decimal | None = Field(
        None,
        exclude_if=lambda cost: cost is None,
        description="quantity x unit cost; only with valuation.view in the move's warehouse"
        " (absent otherwise)",
    )
    effective_at: datetime
    recorded_at: datetime
    reason_code: str | None
    document_type: str | None
    document_id: str | None
    document_line: int | None
    user: str
    reverses_move_id: int | None
    reversed_by: int | None = Field(description="the move that reversed this one, if any")
    note: str | None
    hash: str
    stock_change: Decimal = Field(description="change to the company's own stock: +, - or 0")


class PostingOut(BaseModel):
    moves: list[MoveOut]
    replayed: bool


class ReservationOut(_Out):
    item: str
    location: str
    lot: str | None
    quantity: Decimal
    replayed: bool


TOTAL_EXACT = Field(
    True,
    description="false when `total` stopped counting at 10,000: there are at least that many",
)
NEXT_CURSOR = Field(
    None, description="pass as `cursor` for the page after this one (none on the last page)"
)
PREV_CURSOR = Field(
    None, description="pass as `cursor` for the page before this one (none on the first page)"
)


class Paged(BaseModel):
    """The paging facts of a list's answer (``queries.common.paging_fields``)."""

    total: int
    limit: int
    offset: int
    total_exact: bool = TOTAL_EXACT
    next_cursor: str | None = NEXT_CURSOR
    prev_cursor: str | None = PREV_CURSOR


class MovePage(Paged):
    items: list[MoveOut]
    currency: str = Field(
        "CNY", description="ISO 4217 code of unit_cost and value (the company currency); exact"
    )


class StockRowOut(_Out):
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    location_kind: str
    lot: str | None
    expires_on: date | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class StockTotalsOut(_Out):
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class UnitTotalsOut(StockTotalsOut):
    unit: str = Field(description="the base unit these sums are in")


class StockPage(Paged):
    items: list[StockRowOut]
    totals: StockTotalsOut = Field(
        description="sums of every row's base quantity: meaningful where the rows share one "
        "unit (filter by item); see unit_totals"
    )
    unit_totals: list[UnitTotalsOut] = Field(
        default_factory=list,
        description="the sums per base unit, by unit (pieces are never added to kilograms)",
    )


class AsOfRowOut(_Out):
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    lot: str | None
    on_hand: Decimal


class AsOfPage(Paged):
    """One page of the stock as it stood at ``at``, by item, location and lot."""

    at: datetime
    items: list[AsOfRowOut]


class ItemLocationOut(BaseModel):
    warehouse: str
    location: str
    lot: str | None
    on_hand: Decimal
    reserved: Decimal | None = Field(description="null for a past instant (not recorded)")
    available: Decimal | None


class ItemStockOut(BaseModel):
    item: str
    at: datetime | None = Field(description="null: now")
    on_hand: Decimal
    reserved: Decimal | None
    available: Decimal | None
    on_order: Decimal | None = Field(
        None,
        description="base units on confirmed purchase orders not yet received, in the warehouses"
        " the caller sees (null for an as-of read)",
    )
    locations: list[ItemLocationOut]


class ItemValueOut(_Out):
    item: str
    item_name: str
    costing_method: str
    unit: str
    quantity: Decimal
    value: Decimal
    average_cost: Decimal


class ValuationOut(_Out):
    at: datetime | None
    items: list[ItemValueOut]
    total_value: Decimal = Field(description="the value of every item's stock, not the page's")
    currency: str = Field(
        "CNY", description="ISO 4217 code of the values (the company currency); exact, unrounded"
    )
    total: int = Field(0, description="items with stock or value (all of them, not the page)")
    limit: int = 50
    offset: int = 0
    total_exact: bool = TOTAL_EXACT
    next_cursor: str | None = NEXT_CURSOR
    prev_cursor: str | None = PREV_CURSOR


class VerifyOut(BaseModel):
    ok: bool
    moves_checked: int
    balances_checked: int
    items_checked: int
    audit_entries_checked: int = 0
    problems: list[dict[str, Any]]
    truncated: bool


class PeriodCloseIn(_In):
    through: date = Field(description="the last day closed (inclusive)")
    note: Note = None


class PeriodOut(_Out):
    closed_through: date
    closed_at: datetime
    user: str
    note: str | None


class CheckpointIn(_In):
    as_of: When = None


class CheckpointOut(_Out):
    id: int
    as_of: datetime
    replayed: bool
