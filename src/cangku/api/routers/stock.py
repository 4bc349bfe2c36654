"""Stock operations and stock on hand: ``/api/v1/stock``.

Every write accepts an ``Idempotency-Key`` header: the first request answers 201 with the
posted moves; a repeat with the same body answers 200 with ``Idempotent-Replay: true`` and
writes nothing; the same key with another body is refused (409 ``idempotency_key_reused``).

Reads show the warehouses granted to the caller (``stock.view``) only; a filter naming another
warehouse or its location answers 404 as if it did not exist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection

from cangku.api.deps import ContextDep, DbDep, actor_of, database, permit
from cangku.api.filters import SORT_HELP, sort_values
from cangku.api.openapi import problems
from cangku.api.schemas_adjustments import AdjustmentPostingOut
from cangku.api.schemas_stock import (
    MAX_ID,
    AdjustIn,
    AsOfPage,
    AsOfRowOut,
    Instant,
    IssueIn,
    ItemLocationOut,
    ItemStockOut,
    MoveOut,
    PostingOut,
    ReceiveIn,
    ReservationIn,
    ReservationOut,
    ScrapIn,
    StockPage,
    StockRowOut,
    StockTotalsOut,
    TransferIn,
    UnitTotalsOut,
)
from cangku.db.uow import Database
from cangku.domain.permissions import Actor
from cangku.queries import asof
from cangku.queries import stock as queries
from cangku.queries.common import MAX_LIMIT, Page, paging_fields
from cangku.queries.cost_fields import cost_scope_of, shown_cost
from cangku.queries.documents import on_order_of
from cangku.queries.stock import MoveRecord
from cangku.routing import SegmentRouter
from cangku.services import stock as service
from cangku.services import stock_commands as commands
from cangku.services.common import utcnow
from cangku.services.reservations import STOCK_RESERVE
from cangku.services.stock import (
    STOCK_ADJUST,
    STOCK_ISSUE,
    STOCK_RECEIVE,
    STOCK_SCRAP,
    STOCK_TRANSFER,
    STOCK_VIEW,
    VALUATION_VIEW,
)

router = SegmentRouter(prefix="/stock", tags=["stock"])

REPLAY_HEADER = "Idempotent-Replay"
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a replay of an earlier request with the same Idempotency-Key"},
}


def utc(value: datetime | None) -> datetime | None:
    """Query-string times without a zone are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def mark_replay(response: Response, replayed: bool) -> None:
    if replayed:
        response.status_code = 200
        response.headers[REPLAY_HEADER] = "true"


def moves_out(request: Request, records: Iterable[MoveRecord]) -> list[MoveOut]:
    """Moves as the caller may see them: no unit cost or value without valuation.view in
    the move's warehouse (the keys are absent)."""
    granted = actor_of(request).warehouses(VALUATION_VIEW)
    scope = cost_scope_of(database(request), granted)
    return [MoveOut.model_validate(shown_cost(record, scope)) for record in records]


def posted(result: service.PostingResult, response: Response, request: Request) -> PostingOut:
    mark_replay(response, result.replayed)
    return PostingOut(moves=moves_out(request, result.moves), replayed=result.replayed)


# ------------------------------------------------------------------ writes
@router.post(
    "/receive",
    dependencies=[permit(STOCK_RECEIVE)],
    status_code=201,
    response_model=PostingOut,
    responses=WRITE_RESPONSES,
    summary="Receive goods into a location",
)
def receive(
    body: ReceiveIn, db: DbDep, ctx: ContextDep, response: Response, request: Request
) -> PostingOut:
    result = service.receive_stock(db, ctx, commands.Receive(**body.fields()))
    return posted(result, response, request)


@router.post(
    "/issue",
    dependencies=[permit(STOCK_ISSUE)],
    status_code=201,
    response_model=PostingOut,
    responses=WRITE_RESPONSES,
    summary="Issue goods to a customer or to production",
)
def issue(
    body: IssueIn, db: DbDep, ctx: ContextDep, response: Response, request: Request
) -> PostingOut:
    result = service.issue_stock(db, ctx, commands.Issue(**body.fields()))
    return posted(result, response, request)


@router.post(
    "/transfer",
    dependencies=[permit(STOCK_TRANSFER)],
    status_code=201,
    response_model=PostingOut,
    responses=WRITE_RESPONSES,
    summary="Move goods between two locations",
)
def transfer(
    body: TransferIn, db: DbDep, ctx: ContextDep, response: Response, request: Request
) -> PostingOut:
    result = service.transfer_stock(db, ctx, commands.Transfer(**body.fields()))
    return posted(result, response, request)


#: an adjustment or scrap is a one-line adjustment document; above the company's threshold
#: it waits for approval
ADJUSTMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    202: {
        "description": "worth more than the company's adjustment approval threshold: the "
        "adjustment (`document`) waits for approval (`state` `submitted`); no move yet"
    },
}


def adjusted(
    result: service.PostingResult, response: Response, request: Request
) -> AdjustmentPostingOut:
    mark_replay(response, result.replayed)
    if result.state == "submitted" and not result.replayed:
        response.status_code = 202
    return AdjustmentPostingOut(
        moves=moves_out(request, result.moves),
        replayed=result.replayed,
        document=result.document or "",
        state=result.state or "",
    )


@router.post(
    "/adjust",
    dependencies=[permit(STOCK_ADJUST)],
    status_code=201,
    response_model=AdjustmentPostingOut,
    responses=ADJUSTMENT_RESPONSES,
    summary="Correct stock with a reason (signed quantity): a one-line adjustment",
)
def adjust(
    body: AdjustIn, db: DbDep, ctx: ContextDep, response: Response, request: Request
) -> AdjustmentPostingOut:
    result = service.adjust_stock(db, ctx, commands.Adjust(**body.fields()))
    return adjusted(result, response, request)


@router.post(
    "/scrap",
    dependencies=[permit(STOCK_SCRAP)],
    status_code=201,
    response_model=AdjustmentPostingOut,
    responses=ADJUSTMENT_RESPONSES,
    summary="Scrap goods: a one-line adjustment",
)
def scrap(
    body: ScrapIn, db: DbDep, ctx: ContextDep, response: Response, request: Request
) -> AdjustmentPostingOut:
    result = service.scrap_stock(db, ctx, commands.Scrap(**body.fields()))
    return adjusted(result, response, request)


def _reserved(result: service.ReservationResult, response: Response) -> ReservationOut:
    mark_replay(response, result.replayed)
    return ReservationOut.model_validate(result)


@router.post(
    "/reserve",
    dependencies=[permit(STOCK_RESERVE)],
    status_code=201,
    response_model=ReservationOut,
    responses=WRITE_RESPONSES,
    summary="Reserve available stock",
)
def reserve(body: ReservationIn, db: DbDep, ctx: ContextDep, response: Response) -> ReservationOut:
    result = service.reserve_stock(db, ctx, commands.Reservation(**body.fields()))
    return _reserved(result, response)


@router.post(
    "/release",
    dependencies=[permit(STOCK_RESERVE)],
    status_code=201,
    response_model=ReservationOut,
    responses=WRITE_RESPONSES,
    summary="Release a reservation",
)
def release(body: ReservationIn, db: DbDep, ctx: ContextDep, response: Response) -> ReservationOut:
    result = service.release_stock(db, ctx, commands.Reservation(**body.fields()))
    return _reserved(result, response)


# ------------------------------------------------------------------ reads
Limit = Annotated[int, Query(description=f"1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(description="rows to skip", le=MAX_ID)]


Viewer = Annotated[Actor, permit(STOCK_VIEW)]
#: how every long list pages (stock, moves, valuation, as-of)
PAGING = (
    "Pages: `limit` rows, then either `cursor` (the fast way: pass the `next_cursor` or "
    "`prev_cursor` of the page before; any page costs the same as the first, through an index) "
    "or `offset` (any page by number; the further in, the slower: every row before it is read). "
    "With a cursor, `offset` is ignored. `total` is counted up to 10,000; `total_exact` is false "
    "beyond that."
)
PAGING_REFUSALS = problems(
    {
        422: "`invalid_sort` (`data.allowed` names the orders), `invalid_cursor` (a cursor this "
        "list did not hand out for this sort: start again without one), `invalid_limit`, "
        "`invalid_offset`, or `invalid_input` (every problem in `data.errors`)"
    }
)


def paged(page: Page[Any]) -> dict[str, Any]:
    """The paging fields of a list's answer, from the query's page."""
    return paging_fields(page)


Cursor = Annotated[
    str | None,
    Query(
        description="the `next_cursor` or `prev_cursor` of a page of this list (same sort)",
        max_length=4000,
    ),
]
StockSort = Annotated[
    str | None,
    Query(description=SORT_HELP, json_schema_extra=sort_values(queries.STOCK_SORTING)),
]


@router.get(
    "",
    response_model=StockPage,
    summary="Stock on hand, reserved and available",
    description=(
        f"By item, location and lot (or as `sort` says). {PAGING} Every order but `lot` and "
        "`expires_on` is read from an index; those two sort every matching row: narrow them "
        "with a filter on a big stock."
    ),
    responses=PAGING_REFUSALS,
)
def on_hand(
    actor: Viewer,
    db: DbDep,
    item: str | None = None,
    location: Annotated[str | None, Query(description="includes its sub-locations")] = None,
    warehouse: str | None = None,
    lot: str | None = None,
    q: Annotated[str | None, Query(description="search item code and name")] = None,
    include_virtual: bool = False,
    include_zero: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: StockSort = None,
    cursor: Cursor = None,
    balance: Annotated[
        str | None,
        Query(
            description="negative, over_reserved (reserved above on hand) or unusual (either)",
            json_schema_extra={"enum": [*queries.BALANCE_FILTERS, None]},
        ),
    ] = None,
) -> StockPage:
    f = queries.StockFilter(
        item, location, warehouse, lot, q, include_virtual, include_zero, balance=balance
    )
    seen = actor.warehouses(STOCK_VIEW)
    with db.read() as conn:
        page = queries.on_hand(conn, f, limit, offset, warehouses=seen, sort=sort, cursor=cursor)
        sums = queries.totals(conn, f, warehouses=seen)
        by_unit = queries.unit_totals(conn, f, warehouses=seen)
    return StockPage(
        items=[StockRowOut.model_validate(row) for row in page.items],
        **paged(page),
        totals=StockTotalsOut.model_validate(sums),
        unit_totals=[UnitTotalsOut.model_validate(t) for t in by_unit],
    )


@router.get(
    "/as-of",
    response_model=AsOfPage,
    summary="Stock as it stood at a past time",
    description=(
        f"By item, location and lot, one page at a time. {PAGING} Here `total` stops at 1,000 "
        "(each row is a sum over the ledger)."
    ),
    responses=PAGING_REFUSALS,
)
def as_of(
    actor: Viewer,
    db: DbDep,
    at: Annotated[Instant, Query(description="ISO 8601; without a zone: UTC")],
    item: str | None = None,
    location: Annotated[str | None, Query(description="includes its sub-locations")] = None,
    warehouse: str | None = None,
    lot: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> AsOfPage:
    f = queries.StockFilter(item=item, location=location, warehouse=warehouse, lot=lot)
    when = utc(at) or at
    with db.read() as conn:
        page = asof.stock_as_of_page(
            conn, when, f, utcnow(), limit, offset, cursor, warehouses=actor.warehouses(STOCK_VIEW)
        )
    return AsOfPage(
        at=when,
        items=[AsOfRowOut.model_validate(row) for row in page.items],
        **paged(page),
    )


@router.get("/items/{code}", response_model=ItemStockOut, summary="One item's stock by location")
def item_stock(
    actor: Viewer,
    code: str,
    db: DbDep,
    at: Annotated[Instant | None, Query(description="as of this time (default: now)")] = None,
) -> ItemStockOut:
    when = utc(at)
    seen = actor.warehouses(STOCK_VIEW)
    with db.read() as conn:
        # 404 for an unknown item, even without stock; a barcode answers as its item's code
        code = queries.item_code(conn, code)
        if when is not None:
            rows_then = asof.stock_as_of(conn, when, _only(code), utcnow(), warehouses=seen)
            return _item_as_of(code, when, rows_then)
        rows = _all_rows(conn, _only(code), seen)
        sums = queries.totals(conn, _only(code), warehouses=seen)
        ordered = on_order_of(conn, code, seen)
    return ItemStockOut(
        item=code,
        at=None,
        on_hand=sums.on_hand,
        reserved=sums.reserved,
        available=sums.available,
        on_order=ordered,
        locations=[
            ItemLocationOut(
                warehouse=r.warehouse,
                location=r.location,
                lot=r.lot,
                on_hand=r.on_hand,
                reserved=r.reserved,
                available=r.available,
            )
            for r in rows
        ],
    )


class CsvResponse(StreamingResponse):
    media_type = "text/csv"


#: rows read per step of a CSV export (one read transaction each)
EXPORT_STEP = MAX_LIMIT
#: a cell a spreadsheet would run as a formula is written as text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AS_OF_COLUMNS = ["item", "item_name", "unit", "warehouse", "location", "lot", "on_hand"]


@router.get(
    "/as-of.csv",
    response_class=CsvResponse,
    summary="Stock as it stood at a past time, every row, as CSV (streamed)",
    description=(
        "The whole of `/stock/as-of` for the filters, read from the database a page at a time "
        "and sent as it is read (UTF-8, a header line; quantities exact). Text a spreadsheet "
        "would run as a formula starts with an apostrophe."
    ),
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def as_of_csv(
    actor: Viewer,
    db: DbDep,
    at: Annotated[Instant, Query(description="ISO 8601; without a zone: UTC")],
    item: str | None = None,
    location: Annotated[str | None, Query(description="includes its sub-locations")] = None,
    warehouse: str | None = None,
    lot: str | None = None,
) -> CsvResponse:
    f = queries.StockFilter(item=item, location=location, warehouse=warehouse, lot=lot)
    when, seen = utc(at) or at, actor.warehouses(STOCK_VIEW)
    with db.read() as conn:  # a filter naming nothing answers 404 before anything is sent
        first = asof.stock_as_of_page(conn, when, f, utcnow(), EXPORT_STEP, warehouses=seen)
    return CsvResponse(_as_of_lines(db, first, when, f, seen))


def _as_of_lines(
    db: Database,
    page: Page[asof.AsOfRow],
    when: datetime,
    f: queries.StockFilter,
    seen: frozenset[int] | None,
) -> Iterator[str]:
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(AS_OF_COLUMNS)
    while True:
        for row in page.items:
            texts = [getattr(row, name) or "" for name in AS_OF_COLUMNS[:-1]]
            out.writerow([*(_plain_text(t) for t in texts), str(row.on_hand)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.next_cursor is None:
            return
        with db.read() as conn:
            page = asof.stock_as_of_page(
                conn, when, f, utcnow(), EXPORT_STEP, cursor=page.next_cursor, warehouses=seen
            )


def _plain_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _only(code: str) -> queries.StockFilter:
    return queries.StockFilter(item=code)


def _all_rows(
    conn: Connection, f: queries.StockFilter, seen: frozenset[int] | None
) -> list[queries.StockRow]:
    rows: list[queries.StockRow] = []
    while True:
        page = queries.on_hand(conn, f, MAX_LIMIT, len(rows), warehouses=seen)
        rows.extend(page.items)
        if not page.items or len(rows) >= page.total:
            return rows


def _item_as_of(code: str, when: datetime, rows: list[asof.AsOfRow]) -> ItemStockOut:
    return ItemStockOut(
        item=code,
        at=when,
        on_hand=sum((r.on_hand for r in rows), start=Decimal(0)),
        reserved=None,
        available=None,
        locations=[
            ItemLocationOut(
                warehouse=r.warehouse,
                location=r.location,
                lot=r.lot,
                on_hand=r.on_hand,
                reserved=None,
                available=None,
            )
            for r in rows
        ],
    )
