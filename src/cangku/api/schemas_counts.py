"""Request and response bodies of stock counts (issue 14). Every write answers the count as
``GET /counts/{number}`` shows it, with what the step itself produced in ``result``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from cangku.api.numbers import Amount
from cangku.api.schemas_documents import Code, Note, StepOut, _In, _Out

Codes = Annotated[list[Code], Field(max_length=1000)]
#: a count line's id, as ``GET /counts/{number}`` shows it
LineId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class CountIn(_In):
    warehouse: Code
    zones: Codes = Field(default_factory=list, description="locations counted with all under them")
    locations: Codes = Field(default_factory=list)
    items: Codes = Field(default_factory=list)
    categories: Codes = Field(default_factory=list, description="with the categories under them")
    blind: bool = Field(False, description="counters who may not approve see no expected figures")
    note: Note = None
    start: bool = Field(False, description="start at once: the snapshot is taken now")
    plan: bool = Field(
        False,
        description="count the places the cycle-count plan says are due today (within the "
        "other limits); refused with `nothing_due` when none is",
    )
    limit: int | None = Field(
        None, ge=1, le=100_000, description="with `plan`: the most overdue places only"
    )


class CountEntryIn(_In):
    location: Code
    item: Code
    lot: Annotated[str | None, Field(max_length=100)] = None
    quantity: Amount = Field(description="what was found, in base units (0: the place is empty)")


class EntriesIn(_In):
    entries: list[CountEntryIn] = Field(max_length=5000)


class CloseIn(_In):
    zero_uncounted: bool = Field(
        False, description="a place expected and not counted was found empty (else it is left)"
    )


class RecountIn(_In):
    lines: list[LineId] = Field(max_length=5000, description="the line ids counted again")
    note: Note = None


class MoveSinceOut(_Out):
    move_id: int
    recorded_at: datetime
    operation: str
    quantity: Decimal = Field(description="base units: + into the place, - out of it")


class CountLineOut(_Out):
    id: int
    item: str
    item_name: str
    location: str
    lot: str | None
    expected: Decimal | None = Field(description="on hand at the snapshot; null when blind to you")
    in_snapshot: bool
    counted: Decimal | None
    counted_by: str | None
    counted_at: datetime | None
    round: int
    moved: Decimal | None = Field(
        description="from review on: the moves' net since the snapshot, until it was counted"
    )
    book: Decimal | None = Field(description="expected + moved: the books when it was counted")
    difference: Decimal | None = Field(description="counted - book: the adjustment to post")
    value: Decimal | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="unit cost x difference; absent without valuation.view in the warehouse",
    )
    moves: list[MoveSinceOut] = Field(description="from review on: the moves behind `moved`")


class CountTotalsOut(_Out):
    lines: int
    counted: int
    right: int | None = Field(description="from review on: lines counted as the books say")
    value_variance: Decimal | None = Field(None, exclude_if=lambda v: v is None)
    absolute_variance: Decimal | None = Field(None, exclude_if=lambda v: v is None)


class CountOut(_Out):
    number: str
    state: str
    warehouse: str
    blind: bool
    snapshot_at: datetime | None
    note: str | None
    lines: list[CountLineOut]
    totals: CountTotalsOut
    steps: list[StepOut] = Field(description="the steps the caller may take on it now")


class CountResultOut(BaseModel):
    move_ids: list[int] = Field(description="the moves this step wrote (post)")
    replayed: bool
    snapshot_lines: int | None = Field(None, description="start: the lines the snapshot made")
    entered: int | None = Field(None, description="entries: the counts recorded")
    new_lines: int | None = Field(None, description="entries: places the snapshot did not expect")


class CountStepOut(CountOut):
    result: CountResultOut
