"""Many moves in one request: ``POST /api/v1/moves/bulk`` (integrations, data migration).

The moves are posted in order, a batch per transaction (``services.bulk.post_bulk``). A refused
move refuses its batch and names its position (``data.move_number``); earlier batches stay
posted, and repeating the request with the same ``Idempotency-Key`` skips them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.schemas_stock import Amount, Code, Note, When
from cangku.services.bulk import STOCK_IMPORT, BulkMove, post_bulk

router = APIRouter(prefix="/moves", tags=["ledger"])

Operation = Literal["import", "receive", "issue", "move", "adjust", "scrap"]


class BulkMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: Code
    quantity: Amount = Field(description="in the item's base unit")
    from_location: Code
    to_location: Code
    operation: Operation = "import"
    lot: str | None = Field(None, max_length=100)
    lot_expires_on: date | None = None
    unit_cost: Amount | None = Field(None, description="per base unit")
    effective_at: When = None
    reason_code: str | None = Field(None, max_length=64)
    document_type: str | None = Field(None, max_length=40)
    document_id: str | None = Field(None, max_length=64)
    note: Note = None


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    moves: list[BulkMoveIn] = Field(min_length=1, max_length=10_000)
    batch_size: int = Field(10_000, ge=1, le=100_000)


class BulkOut(BaseModel):
    posted: int
    batches: int


@router.post(
    "/bulk",
    status_code=201,
    response_model=BulkOut,
    summary="Post many moves in batches",
    dependencies=[permit(STOCK_IMPORT)],
)
def post_many(body: BulkIn, db: DbDep, ctx: ContextDep) -> BulkOut:
    rows = (BulkMove(**move.model_dump()) for move in body.moves)
    result = post_bulk(db, ctx, rows, body.batch_size)
    return BulkOut(posted=result.posted, batches=result.batches)
