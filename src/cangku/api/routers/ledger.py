"""The ledger itself: moves and their history, reversal, valuation, verification, closed
periods and checkpoints (``/api/v1/moves``, ``/valuation``, ``/verify``, ``/periods``,
``/checkpoints``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from cangku.api.deps import ContextDep, DbDep
from cangku.api.routers.stock import WRITE_RESPONSES, mark_replay, posted, utc
from cangku.api.schemas_stock import (
    MAX_ID,
    CheckpointIn,
    CheckpointOut,
    MoveOut,
    MovePage,
    PeriodCloseIn,
    PeriodOut,
    PostingOut,
    ReverseIn,
    ValuationOut,
    VerifyOut,
)
from cangku.queries import stock as queries
from cangku.queries.common import MAX_LIMIT
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify as verify_ledger
from cangku.services import periods as period_service
from cangku.services import stock as service
from cangku.services.common import utcnow
from cangku.services.stock_commands import Reverse

router = APIRouter(tags=["ledger"])

MoveId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PeriodList(BaseModel):
    items: list[PeriodOut]
    total: int


@router.get("/moves", response_model=MovePage, summary="Move history, newest first")
def history(
    db: DbDep,
    item: str | None = None,
    location: Annotated[str | None, Query(description="includes its sub-locations")] = None,
    lot: str | None = None,
    document_type: str | None = None,
    document_id: str | None = None,
    operation: str | None = None,
    since: Annotated[datetime | None, Query(description="effective at or after")] = None,
    until: Annotated[datetime | None, Query(description="effective at or before")] = None,
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(le=MAX_ID)] = 0,
) -> MovePage:
    f = queries.HistoryFilter(
        item,
        location,
        lot,
        document_type,
        document_id,
        operation,
        utc(since),
        utc(until),
    )
    with db.read() as conn:
        page = queries.history(conn, f, limit, offset)
    return MovePage(
        items=[MoveOut.model_validate(m) for m in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/moves/{move_id}", response_model=MoveOut, summary="One move")
def get_move(move_id: MoveId, db: DbDep) -> MoveOut:
    with db.read() as conn:
        return MoveOut.model_validate(queries.get_move(conn, move_id))


@router.post(
    "/moves/{move_id}/reverse",
    status_code=201,
    response_model=PostingOut,
    responses=WRITE_RESPONSES,
    summary="Reverse a move with an opposite move",
)
def reverse(
    move_id: MoveId,
    db: DbDep,
    ctx: ContextDep,
    response: Response,
    body: ReverseIn | None = None,
) -> PostingOut:
    body = body or ReverseIn()
    command = Reverse(move_id, note=body.note, effective_at=body.effective_at)
    return posted(service.reverse_move(db, ctx, command), response)


@router.get("/valuation", response_model=ValuationOut, summary="Stock value per item")
def valuation(
    db: DbDep,
    at: Annotated[datetime | None, Query(description="as of this time (default: now)")] = None,
    item: str | None = None,
) -> ValuationOut:
    with db.read() as conn:
        return ValuationOut.model_validate(stock_value(conn, utcnow(), utc(at), item))


@router.get("/verify", response_model=VerifyOut, summary="Re-fold the ledger and compare")
def verify(db: DbDep) -> VerifyOut:
    """Always 200: ``ok`` says whether everything derived from the ledger agrees with it."""
    with db.read(snapshot=True) as conn:
        report = verify_ledger(conn)
    return VerifyOut(
        ok=report.ok,
        moves_checked=report.moves_checked,
        balances_checked=report.balances_checked,
        items_checked=report.items_checked,
        problems=report.problems,
        truncated=report.truncated,
    )


@router.post(
    "/periods/close",
    status_code=201,
    response_model=PeriodOut,
    summary="Close every day up to and including a date",
)
def close_period(body: PeriodCloseIn, db: DbDep, ctx: ContextDep) -> PeriodOut:
    return PeriodOut.model_validate(period_service.close_period(db, ctx, body.through, body.note))


@router.get("/periods", response_model=PeriodList, summary="Closed periods, latest first")
def list_periods(db: DbDep) -> PeriodList:
    found = [PeriodOut.model_validate(p) for p in period_service.list_periods(db)]
    return PeriodList(items=found, total=len(found))


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointOut,
    responses=WRITE_RESPONSES,
    summary="Record exact stock as of a time",
)
def take_checkpoint(
    db: DbDep, ctx: ContextDep, response: Response, body: CheckpointIn | None = None
) -> CheckpointOut:
    result = period_service.take_checkpoint(db, ctx, body.as_of if body else None)
    mark_replay(response, result.replayed)
    return CheckpointOut.model_validate(result)
