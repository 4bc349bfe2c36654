"""Outbound reads: the demand coming in the next days against free stock (the planner's view
before approving), a request's or shipment's outbound facts with its lines' reserved, picked,
shipped and backordered figures and its reservations, and a shipment's delivery note (PDF).

The documents themselves (header, lines, timeline, steps) are ``GET /documents/{number}``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from cangku.api.deps import DbDep, permit
from cangku.api.routers.labels import PROBLEM_RESPONSE
from cangku.domain.errors import NotFound
from cangku.domain.outbound import REQUEST_KINDS
from cangku.domain.permissions import Actor
from cangku.queries.lots import expiry_settings
from cangku.queries.outbound import demand, outbound_header, request_lines, reservations
from cangku.queries.sites import warehouse_codes
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.outbound.delivery_note import delivery_note_pdf

router = SegmentRouter(tags=["outbound"])

Viewer = Annotated[Actor, permit(DOCUMENTS_VIEW)]
Number = Annotated[str, Path(max_length=64, description="the document's number")]


class DemandOut(BaseModel):
    warehouse: str
    item: str
    item_name: str
    base_unit: str
    demand: Decimal = Field(description="what open requests due in the window still want")
    covered: Decimal = Field(description="of it, reserved or picked for them already")
    available: Decimal = Field(description="free stock now in the warehouse's storage locations")
    shortage: Decimal = Field(description="demand - covered - available, at least 0")
    first_due: date | None = Field(description="the earliest planned or requested date")
    requests: int


@router.get(
    "/outbound/demand",
    summary="Demand of open requests in the next days against free stock, shortages first",
    description=(
        "Per warehouse and item: what open sales orders and requisitions (submitted to partly "
        "shipped) planned or requested within `days` from today (undated and overdue ones "
        "included) still want, what of it is reserved, the free stock now and the shortage. "
        "Only the warehouses the caller sees."
    ),
    responses={
        404: {**PROBLEM_RESPONSE, "description": "`warehouse_not_found`"},
        422: {**PROBLEM_RESPONSE, "description": "request validation"},
    },
)
def outbound_demand(
    actor: Viewer,
    db: DbDep,
    days: Annotated[int, Query(ge=0, le=3650, description="the window, in days")] = 14,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    short: Annotated[bool, Query(description="only items that fall short")] = False,
) -> list[DemandOut]:
    if warehouse is not None and warehouse not in set(warehouse_codes(db).values()):
        raise NotFound("warehouse", warehouse)
    with db.read() as conn:
        rows = demand(
            conn, expiry_settings(conn).today(utcnow()), days,
            actor.warehouses(DOCUMENTS_VIEW), warehouse, short,
        )  # fmt: skip
    return [DemandOut(**vars(row), shortage=row.shortage) for row in rows]


class RequestLineOut(BaseModel):
    line_no: int
    item: str
    item_name: str
    base_unit: str
    ordered: Decimal
    reserved: Decimal = Field(description="reserved in bins, not picked yet")
    picked: Decimal = Field(description="picked, waiting at the shipping location")
    shipped: Decimal
    backorder: Decimal = Field(description="ordered - shipped - reserved - picked")


class ReservationOut(BaseModel):
    line_no: int | None
    item: str
    location: str
    lot: str | None
    quantity: Decimal
    pick_list: str | None


class OutboundOut(BaseModel):
    number: str
    doc_type: str
    ship_to: str | None
    department: str | None
    plan_reference: str | None
    planned_on: date | None
    carrier: str | None
    tracking_number: str | None
    packages: int | None
    origin: str | None = Field(description="the document it was made from (a shipment's order)")
    lines: list[RequestLineOut] = Field(description="a request's lines with their figures")
    reservations: list[ReservationOut]


@router.get(
    "/outbound/{number}",
    summary="A request's or shipment's outbound facts, line figures and reservations",
    responses={404: {**PROBLEM_RESPONSE, "description": "`document_not_found`"}},
)
def outbound_document(number: Number, actor: Viewer, db: DbDep) -> OutboundOut:
    with db.read() as conn:
        head = outbound_header(conn, number, actor.warehouses(DOCUMENTS_VIEW))
        is_request = head.doc_type in REQUEST_KINDS
        lines = request_lines(conn, number) if is_request else []
        held = reservations(conn, number) if is_request else []
    return OutboundOut(
        **vars(head),
        lines=[RequestLineOut(**vars(line), backorder=line.backorder) for line in lines],
        reservations=[ReservationOut(**vars(r)) for r in held],
    )


@router.get(
    "/shipments/{number}/delivery-note.pdf",
    response_class=Response,
    summary="A shipment's delivery note / packing list (PDF)",
    description="Costs are printed only for holders of `valuation.view` in its warehouse.",
    responses={
        200: {
            "description": "the delivery note as a PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {**PROBLEM_RESPONSE, "description": "`shipment_not_found`"},
    },
)
def delivery_note(
    number: Number,
    actor: Viewer,
    db: DbDep,
    lang: Annotated[str, Query(pattern="^(en|zh)$", description="en or zh")] = "en",
) -> Response:
    try:
        pdf, note = delivery_note_pdf(db, actor, number, lang)
    except NotFound:
        raise NotFound("shipment", number) from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{note.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )
