"""Lots and serial numbers: ``/api/v1/lots`` and ``/api/v1/serials``.

A lot is addressed by its item and its code (``/lots/{item}/{code}``); lot codes may contain
``/``, item codes in this path may not (use the id route or the list filters then).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.filters import LotSort, LotStatusFilter
from cangku.api.openapi import problems
from cangku.api.schemas_sites import (
    ExpiryStatusName,
    LotCreate,
    LotOut,
    LotPage,
    LotStatusChange,
    LotUpdate,
    SerialCreate,
)
from cangku.db.uow import Database
from cangku.domain.permissions import Actor
from cangku.queries import lots as queries
from cangku.queries.common import Page
from cangku.queries.documents import documents_of_lot
from cangku.routing import SegmentRouter
from cangku.services import lots as service
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.lot_trace import MEDIA_TYPES, file_name, trace_file, trace_lot
from cangku.services.lots import LOT_CREATE, LOT_RECALL, LOT_STATUS, LOT_UPDATE, LOT_VIEW
from cangku.services.stock import STOCK_VIEW

router = SegmentRouter()
lot_router = SegmentRouter(prefix="/lots", tags=["lots"])
serial_router = SegmentRouter(prefix="/serials", tags=["serials"])

Limit = Annotated[int, Query(description="1 to 500")]
EXPIRY_HELP = (
    "expired, expiring_soon (within the company's expiring_soon_days), ok or no_expiry, on"
    " the company's day; sorted by expiry date"
)
Offset = Annotated[int, Query()]


def _out(db: Database, lot: queries.Lot) -> LotOut:
    """A lot a service answered with, with its expiry status today."""
    return LotOut.model_validate(queries.with_expiry(lot, queries.expiry_day(db)))


def _page(page: Page[queries.LotView]) -> LotPage:
    return LotPage(
        items=[LotOut.model_validate(lot) for lot in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@lot_router.get(
    "", response_model=LotPage, summary="List and search lots", dependencies=[permit(LOT_VIEW)]
)
def list_lots(
    db: DbDep,
    item: str | None = None,
    status: LotStatusFilter = None,
    expiring_before: Annotated[date | None, Query(description="expiry before this date")] = None,
    q: str | None = None,
    is_serial: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    expiry: Annotated[ExpiryStatusName | None, Query(description=EXPIRY_HELP)] = None,
    sort: LotSort = None,
) -> LotPage:
    page = queries.list_lots(
        db,
        item=item,
        status=status,
        expiring_before=expiring_before,
        q=q,
        is_serial=is_serial,
        limit=limit,
        offset=offset,
        expiry=expiry,
        sort=sort,
    )
    return _page(page)


@lot_router.post(
    "",
    status_code=201,
    response_model=LotOut,
    summary="Create a lot",
    dependencies=[permit(LOT_CREATE)],
)
def create_lot(body: LotCreate, db: DbDep, ctx: ContextDep) -> LotOut:
    return _out(db, service.create_lot(db, ctx, service.LotInput(**body.model_dump())))


@lot_router.get(
    "/{lot_id:int}", response_model=LotOut, summary="One lot by id", dependencies=[permit(LOT_VIEW)]
)
def get_lot_by_id(lot_id: int, db: DbDep) -> LotOut:
    return LotOut.model_validate(queries.get_lot_by_id(db, lot_id))


class LotDocumentOut(BaseModel):
    """A document line that names the lot: where it came from and what happened to it."""

    number: str
    doc_type: str
    state: str
    line_no: int
    quantity: Decimal
    at: datetime
    partner: str | None
    origin: str | None = Field(description="the document it was made from (a receipt's order)")
    reference: str | None = Field(description="the partner's reference (a delivery note)")


@lot_router.get(
    "/{lot_id:int}/documents",
    response_model=list[LotDocumentOut],
    summary="The documents of a lot (its receipt and order first)",
    dependencies=[permit(LOT_VIEW)],
)
def lot_documents(lot_id: int, request: Request, db: DbDep) -> list[LotDocumentOut]:
    lot = queries.get_lot_by_id(db, lot_id)
    seen = actor_of(request).warehouses(DOCUMENTS_VIEW)
    with db.read() as conn:
        found = documents_of_lot(conn, lot.id, seen)
    return [LotDocumentOut.model_validate(o, from_attributes=True) for o in found]


@lot_router.post(
    "/{item}/{code:path}/status",
    response_model=LotOut,
    summary="Change status",
    dependencies=[permit(LOT_STATUS)],
)
def set_lot_status(
    item: str, code: str, body: LotStatusChange, db: DbDep, ctx: ContextDep
) -> LotOut:
    return _out(db, service.set_lot_status(db, ctx, item, code, body.status, body.reason))


class LotEventOut(BaseModel):
    """One change of the lot's status."""

    at: datetime
    user: str
    from_status: str
    to_status: str
    reason: str | None
    document: str | None = Field(description="the receipt or inspection that changed it")
    doc_type: str | None


class LotDetailOut(LotOut):
    history: list[LotEventOut] = Field(description="status changes, oldest first")


class ReleasedOut(BaseModel):
    document: str
    quantity: Decimal
    state: str = Field(description="the request's state after (allocated -> approved)")


class LotChangedOut(LotDetailOut):
    released: list[ReleasedOut] = Field(
        description="reservations taken back (not yet on a pick list), per request"
    )


class LotReason(BaseModel):
    reason: str = Field(description="required: why (1 to 500 characters)")


def _detail(db: Database, lot: queries.LotView) -> dict[str, object]:
    with db.read() as conn:
        history = queries.lot_history(conn, lot.id)
    return {**LotOut.model_validate(lot).model_dump(), "history": history}


VERB_REFUSALS = {
    "hold": "`lot_already_held`, `lot_recalled`, `lot_rejected`",
    "quarantine": "`lot_already_quarantined`, `lot_recalled`, `lot_rejected`",
    "recall": "`lot_already_recalled`",
    "release": "`lot_not_held` (not on hold, in quarantine or recalled)",
}
VERB_SUMMARIES = {
    "hold": "Put a lot on hold (its unpicked reservations are released)",
    "quarantine": "Quarantine a lot (its unpicked reservations are released)",
    "recall": "Recall a lot (managers; its unpicked reservations are released)",
    "release": "Release a held, quarantined or recalled lot (a recall: managers)",
}


def _verb_route(verb: str) -> None:
    def change(item: str, code: str, body: LotReason, db: DbDep, ctx: ContextDep) -> LotChangedOut:
        changed = service.change_lot_status(db, ctx, item, code, verb, body.reason)
        lot = queries.with_expiry(changed.lot, queries.expiry_day(db))
        found = {**_detail(db, lot), "released": changed.released}
        return LotChangedOut.model_validate(found, from_attributes=True)

    change.__name__ = f"{verb}_lot"
    lot_router.post(
        f"/{{item}}/{{code:path}}/{verb}",
        response_model=LotChangedOut,
        summary=VERB_SUMMARIES[verb],
        dependencies=[permit(LOT_RECALL if verb == "recall" else LOT_STATUS)],
        responses=problems(
            {
                409: VERB_REFUSALS[verb],
                422: "`reason_required` (empty), `invalid_reason` (over 500 characters)",
            }
        ),
    )(change)


for _verb in ("hold", "quarantine", "recall", "release"):
    _verb_route(_verb)


class TraceMoveOut(BaseModel):
    move_id: int
    at: datetime
    category: str
    quantity: Decimal
    warehouse: str
    location: str = Field(description="our side: where the units came to or left from")
    counterpart: str = Field(description="the virtual location on the other side")
    document_type: str | None
    document: str | None
    shipment: str | None
    partner: str | None
    partner_name: str | None
    department: str | None
    reason_code: str | None
    note: str | None


class TracePlaceOut(BaseModel):
    warehouse: str
    location: str
    kind: str
    on_hand: Decimal
    reserved: Decimal


class LotTraceOut(BaseModel):
    item: str
    lot: str
    status: str
    came_from: list[TraceMoveOut]
    now_at: list[TracePlaceOut]
    went_to: list[TraceMoveOut]
    totals: dict[str, Decimal] = Field(
        description="per category, with total_in, total_out, on_hand and reserved"
    )
    balanced: bool = Field(description="total_in = on_hand + total_out")
    complete: bool = Field(description="every warehouse was seen (else the totals are partial)")


TraceFormat = Literal["json", "csv", "xlsx"]


@lot_router.get(
    "/{item}/{code:path}/trace",
    response_model=LotTraceOut,
    summary="Recall trace: where the lot came from, where it is, where it went",
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "description": "the trace (JSON, or a CSV or XLSX file with ?format=)",
        }
    },
)
def get_lot_trace(
    item: str,
    code: str,
    db: DbDep,
    actor: Annotated[Actor, permit(STOCK_VIEW)],
    format: TraceFormat = "json",
) -> LotTraceOut | Response:
    trace = trace_lot(db, item, code, actor.warehouses(STOCK_VIEW))
    if format == "json":
        return LotTraceOut.model_validate(
            {**vars(trace), "balanced": trace.balanced}, from_attributes=True
        )
    return Response(
        trace_file(trace, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{file_name(trace, format)}"'},
    )


@lot_router.get(
    "/{item}/{code:path}",
    response_model=LotDetailOut,
    summary="One lot, with its status history",
    dependencies=[permit(LOT_VIEW)],
)
def get_lot(item: str, code: str, db: DbDep) -> LotDetailOut:
    return LotDetailOut.model_validate(
        _detail(db, queries.get_lot(db, item, code)), from_attributes=True
    )


@lot_router.patch(
    "/{item}/{code:path}",
    response_model=LotOut,
    summary="Change dates or notes",
    dependencies=[permit(LOT_UPDATE)],
)
def update_lot(item: str, code: str, body: LotUpdate, db: DbDep, ctx: ContextDep) -> LotOut:
    changes = service.LotChanges(**{k: getattr(body, k) for k in body.model_fields_set})
    return _out(db, service.update_lot(db, ctx, item, code, changes))


@serial_router.get(
    "", response_model=LotPage, summary="List serial numbers", dependencies=[permit(LOT_VIEW)]
)
def list_serials(
    db: DbDep,
    item: str | None = None,
    status: LotStatusFilter = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LotPage:
    page = queries.list_serials(db, item=item, status=status, q=q, limit=limit, offset=offset)
    return _page(page)


@serial_router.post(
    "",
    status_code=201,
    response_model=LotOut,
    summary="Register a serial",
    dependencies=[permit(LOT_CREATE)],
)
def create_serial(body: SerialCreate, db: DbDep, ctx: ContextDep) -> LotOut:
    return _out(db, service.create_serial(db, ctx, service.SerialInput(**body.model_dump())))


router.include_router(lot_router)
router.include_router(serial_router)
