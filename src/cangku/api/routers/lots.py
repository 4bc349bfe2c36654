"""Lots and serial numbers: ``/api/v1/lots`` and ``/api/v1/serials``.

A lot is addressed by its item and its code (``/lots/{item}/{code}``); lot codes may contain
``/``, item codes in this path may not (use the id route or the list filters then).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field

from cangku.api.deps import ContextDep, DbDep, actor_of, permit
from cangku.api.filters import LotSort, LotStatusFilter
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
from cangku.queries import lots as queries
from cangku.queries.common import Page
from cangku.queries.documents import documents_of_lot
from cangku.routing import SegmentRouter
from cangku.services import lots as service
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.lots import LOT_CREATE, LOT_STATUS, LOT_UPDATE, LOT_VIEW

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


@lot_router.get(
    "/{item}/{code:path}", response_model=LotOut, summary="One lot", dependencies=[permit(LOT_VIEW)]
)
def get_lot(item: str, code: str, db: DbDep) -> LotOut:
    return LotOut.model_validate(queries.get_lot(db, item, code))


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
