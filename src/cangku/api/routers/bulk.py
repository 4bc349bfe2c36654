"""Many moves in one request: ``POST /api/v1/moves/bulk`` (integrations, data migration).

The moves are checked by the single operations' rules and posted all or nothing
(``services.bulk.post_bulk``): a refused move names its position (``data.move_number``) and
nothing is posted. The same moves posted again are refused (409 ``import_already_posted``,
naming when and by whom) unless ``allow_repeat``; a repeat with the same ``Idempotency-Key``
answers 200 with ``replayed: true`` and ``posted: 0``. With ``chunked``, each batch commits on
its own and the same request again resumes after the last committed batch.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.numbers import Amount
from cangku.api.openapi import PROBLEM_RESPONSE
from cangku.api.routers.stock import mark_replay
from cangku.api.schemas_stock import Code, Note, When
from cangku.routing import SegmentRouter
from cangku.services.bulk import STOCK_IMPORT, BulkMove, post_bulk

router = SegmentRouter(prefix="/moves", tags=["ledger"])

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
    chunked: bool = Field(
        False, description="commit each batch on its own; the same request again resumes"
    )
    allow_repeat: bool = Field(False, description="post moves that were already imported again")


class BulkOut(BaseModel):
    import_id: int | None = Field(description="the import's record (None: no moves)")
    replayed: bool = Field(
        description="true: a repeat with the same Idempotency-Key, nothing posted"
    )
    posted: int = Field(description="moves posted by this request")
    batches: int
    total: int | None = Field(description="moves in the request")
    resumed_from: int = Field(description="moves an earlier run of this import had posted")
    previously_posted: int = Field(0, description="a replay: the moves the import posted then")
    posted_at: datetime | None = None
    posted_by: str | None = None


@router.post(
    "/bulk",
    status_code=201,
    response_model=BulkOut,
    summary="Post many moves, all or nothing",
    responses={
        403: {**PROBLEM_RESPONSE, "description": "`permission_denied`"},
        409: {
            **PROBLEM_RESPONSE,
            "description": (
                "`import_already_posted`, `import_unfinished`, `import_in_progress`, "
                "`import_interrupted`, `idempotency_key_reused` (nothing posted)"
            ),
        },
        413: {**PROBLEM_RESPONSE, "description": "`request_too_large` (CANGKU_MAX_UPLOAD_BYTES)"},
        422: {
            **PROBLEM_RESPONSE,
            "description": "a move refused by the rules (`data.move_number`); nothing posted",
        },
    },
    dependencies=[permit(STOCK_IMPORT)],
)
def post_many(body: BulkIn, db: DbDep, ctx: ContextDep, response: Response) -> BulkOut:
    rows = [BulkMove(**move.model_dump()) for move in body.moves]
    result = post_bulk(
        db,
        ctx,
        rows,
        body.batch_size,
        chunked=body.chunked,
        allow_repeat=body.allow_repeat,
        source="api",
    )
    mark_replay(response, result.replayed)
    return BulkOut(
        import_id=result.import_id,
        replayed=result.replayed,
        posted=result.posted,
        batches=result.batches,
        total=result.total,
        resumed_from=result.resumed_from,
        previously_posted=result.previously_posted,
        posted_at=result.posted_at,
        posted_by=result.posted_by,
    )
