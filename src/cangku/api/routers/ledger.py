"""The ledger itself: moves and their history, reversal, valuation, verification, closed
periods and checkpoints (``/api/v1/moves``, ``/valuation``, ``/verify``, ``/periods``,
``/checkpoints``).

Moves and values are shown for the warehouses granted to the caller only (a move is seen in
both warehouses of a transfer); another warehouse's move answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.filters import SORT_HELP, sort_values
from cangku.api.routers.stock import (
    PAGING,
    PAGING_REFUSALS,
    WRITE_RESPONSES,
    Cursor,
    mark_replay,
    moves_out,
    paged,
    posted,
    utc,
)
from cangku.api.schemas_stock import (
    MAX_ID,
    CheckpointIn,
    CheckpointOut,
    Instant,
    ItemValueOut,
    MoveOut,
    MovePage,
    PeriodCloseIn,
    PeriodOut,
    PostingOut,
    ReverseIn,
    ValuationOut,
    VerifyOut,
)
from cangku.domain.permissions import Actor
from cangku.queries import stock as queries
from cangku.queries.common import MAX_LIMIT
from cangku.queries.company import company_settings
from cangku.queries.valuation import stock_value_page
from cangku.queries.verify import verify as verify_ledger
from cangku.routing import SegmentRouter
from cangku.services import periods as period_service
from cangku.services import stock as service
from cangku.services.common import utcnow
from cangku.services.periods import CHECKPOINT_TAKE, LEDGER_VERIFY, PERIOD_CLOSE, PERIOD_VIEW
from cangku.services.stock import STOCK_REVERSE, STOCK_VIEW, VALUATION_VIEW
from cangku.services.stock_commands import Reverse

router = SegmentRouter(tags=["ledger"])

MoveId = Annotated[int, Path(ge=1, le=MAX_ID)]
MoveSort = Annotated[
    str | None,
    Query(description=SORT_HELP, json_schema_extra=sort_values(queries.MOVE_SORTING)),
]


class PeriodList(BaseModel):
    items: list[PeriodOut]
    total: int


@router.get(
    "/moves",
    response_model=MovePage,
    summary="Move history, newest first",
    description=f"Newest first (by effective time, then id), or as `sort` says. {PAGING}",
    responses=PAGING_REFUSALS,
)
def history(
    actor: Annotated[Actor, permit(STOCK_VIEW)],
    db: DbDep,
    request: Request,
    item: str | None = None,
    location: Annotated[str | None, Query(description="includes its sub-locations")] = None,
    lot: str | None = None,
    document_type: str | None = None,
    document_id: str | None = None,
    operation: str | None = None,
    since: Annotated[Instant | None, Query(description="effective at or after")] = None,
    until: Annotated[Instant | None, Query(description="effective at or before")] = None,
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(le=MAX_ID)] = 0,
    sort: MoveSort = None,
    cursor: Cursor = None,
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
        seen = actor.warehouses(STOCK_VIEW)
        page = queries.history(conn, f, limit, offset, warehouses=seen, sort=sort, cursor=cursor)
        currency = company_settings(conn).currency
    return MovePage(
        items=moves_out(request, page.items),
        currency=currency,
        **paged(page),
    )


@router.get("/moves/{move_id}", response_model=MoveOut, summary="One move")
def get_move(
    actor: Annotated[Actor, permit(STOCK_VIEW)], move_id: MoveId, db: DbDep, request: Request
) -> MoveOut:
    with db.read() as conn:
        found = queries.get_move(conn, move_id, warehouses=actor.warehouses(STOCK_VIEW))
    return moves_out(request, [found])[0]


@router.post(
    "/moves/{move_id}/reverse",
    status_code=201,
    response_model=PostingOut,
    responses=WRITE_RESPONSES,
    summary="Reverse a move with an opposite move",
)
def reverse(
    actor: Annotated[Actor, permit(STOCK_REVERSE)],
    move_id: MoveId,
    db: DbDep,
    ctx: ContextDep,
    response: Response,
    request: Request,
    body: ReverseIn | None = None,
) -> PostingOut:
    with db.read() as conn:  # another warehouse's move is not found (before a 403 about it)
        queries.get_move(conn, move_id, warehouses=actor.warehouses(STOCK_VIEW))
    body = body or ReverseIn()
    command = Reverse(move_id, note=body.note, effective_at=body.effective_at)
    return posted(service.reverse_move(db, ctx, command), response, request)


@router.get(
    "/valuation",
    response_model=ValuationOut,
    summary="Stock value per item",
    description=(
        "The whole company's stock, or the share held in the caller's warehouses: items by "
        f"code, one page at a time; `total_value` is every item's, not the page's. {PAGING}"
    ),
    responses=PAGING_REFUSALS,
)
def valuation(
    actor: Annotated[Actor, permit(VALUATION_VIEW)],
    db: DbDep,
    at: Annotated[Instant | None, Query(description="as of this time (default: now)")] = None,
    item: str | None = None,
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 50,
    offset: Annotated[int, Query(le=MAX_ID)] = 0,
    cursor: Cursor = None,
) -> ValuationOut:
    seen = actor.warehouses(VALUATION_VIEW)
    with db.read() as conn:
        found = stock_value_page(
            conn, utcnow(), utc(at), item, limit, offset, cursor, warehouses=seen
        )
        currency = company_settings(conn).currency
    return ValuationOut(
        at=found.at,
        items=[ItemValueOut.model_validate(v) for v in found.items],
        total_value=found.total_value,
        currency=currency,
        **paged(found.page),
    )


@router.get(
    "/verify",
    response_model=VerifyOut,
    summary="Re-fold the ledger and re-hash the audit trail, and compare",
    dependencies=[permit(LEDGER_VERIFY)],
)
def verify(db: DbDep) -> VerifyOut:
    """Always 200: ``ok`` says whether everything derived from the ledger agrees with it."""
    with db.read(snapshot=True) as conn:
        report = verify_ledger(conn)
    return VerifyOut(
        ok=report.ok,
        moves_checked=report.moves_checked,
        balances_checked=report.balances_checked,
        items_checked=report.items_checked,
        audit_entries_checked=report.audit_entries_checked,
        problems=report.problems,
        truncated=report.truncated,
    )


@router.post(
    "/periods/close",
    status_code=201,
    response_model=PeriodOut,
    summary="Close every day up to and including a date",
    dependencies=[permit(PERIOD_CLOSE)],
)
def close_period(body: PeriodCloseIn, db: DbDep, ctx: ContextDep) -> PeriodOut:
    return PeriodOut.model_validate(period_service.close_period(db, ctx, body.through, body.note))


@router.get(
    "/periods",
    response_model=PeriodList,
    summary="Closed periods, latest first",
    dependencies=[permit(PERIOD_VIEW)],
)
def list_periods(db: DbDep) -> PeriodList:
    found = [PeriodOut.model_validate(p) for p in period_service.list_periods(db)]
    return PeriodList(items=found, total=len(found))


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointOut,
    responses=WRITE_RESPONSES,
    summary="Record exact stock as of a time",
    dependencies=[permit(CHECKPOINT_TAKE)],
)
def take_checkpoint(
    db: DbDep, ctx: ContextDep, response: Response, body: CheckpointIn | None = None
) -> CheckpointOut:
    result = period_service.take_checkpoint(db, ctx, body.as_of if body else None)
    mark_replay(response, result.replayed)
    return CheckpointOut.model_validate(result)
