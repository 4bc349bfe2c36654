"""Request and response bodies of adjustments and the company's reason codes.

Requests forbid unknown fields; quantities and money are accepted as strings or numbers and
answered as strings (exact). An adjustment answers as ``GET /documents/{number}`` shows it, with
each line's direction in ``directions``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cangku.api.numbers import NonNegativeIn, PositiveAmount
from cangku.api.openapi import one_of
from cangku.api.schemas_documents import Code, Day, DocumentStepOut, Note, OptionalCode
from cangku.api.schemas_stock import PostingOut
from cangku.domain.adjustments import DIRECTIONS, REASON_KINDS

Label = Annotated[str, Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdjustmentLineIn(_In):
    item: Code
    location: Code = Field(description="the bin the goods are gained into or lost from")
    direction: str = Field(
        description="`gain` (from the adjustment location), `loss` (to it) or `scrap` "
        "(to the scrap location)",
        json_schema_extra=one_of(DIRECTIONS),
    )
    quantity: PositiveAmount = Field(description="in `unit` (default: the item's base unit)")
    reason: Code = Field(
        description="a code of the company's adjustment list (gain, loss) or scrap list (scrap)"
    )
    lot: OptionalCode = None
    unit: OptionalCode = None
    unit_cost: NonNegativeIn | None = Field(
        None, description="a gain's cost per `unit`; left out: the item's cost now"
    )
    expires_on: Day = Field(None, description="a gain's new lot's expiry date")
    note: Note = None


class AdjustmentIn(_In):
    lines: list[AdjustmentLineIn] = Field(min_length=1, max_length=5000)
    warehouse: OptionalCode = Field(None, description="left out: the lines' locations' warehouse")
    note: Note = None
    submit: bool = Field(False, description="submit at once (approved unless above threshold)")
    post: bool = Field(False, description="with `submit`: post too when no approval is needed")


class AdjustmentOut(DocumentStepOut):
    directions: dict[str, str] = Field(description="line number -> gain, loss or scrap")


class AdjustmentPostingOut(PostingOut):
    document: str = Field(description="the one-line adjustment document's number")
    state: str = Field(
        description="`posted`; `submitted` (answered 202, no moves) when it is worth more than "
        "the company's adjustment approval threshold and waits for approval"
    )


class ReasonCodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    code: str
    label: str | None = Field(description="a company code's label; built-in codes: null")
    label_zh: str | None
    active: bool
    builtin: bool
    position: int


class ReasonCodesOut(BaseModel):
    items: list[ReasonCodeOut]


class ReasonCodeIn(_In):
    kind: str = Field(json_schema_extra=one_of(REASON_KINDS))
    code: str = Field(
        max_length=200,
        description="1-64 of a-z, 0-9 and _ (`invalid_reason_code` otherwise)",
        json_schema_extra={"pattern": "^[a-z0-9_]{1,64}$"},
    )
    label: Label
    label_zh: Label | None = None
