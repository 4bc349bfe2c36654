"""What a scan names: ``GET /api/v1/stock/scan?text=...``, read the way the operation pages
and ``cangku stock scan`` read it (``services/scans.py``): a GS1-128 / GS1 DataMatrix string
(raw, with the group separator ``%1D`` after variable values, or ``(01)...(10)...``), an item
code or barcode, a location code, a lot or serial number."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from cangku.api.deps import DbDep, permit
from cangku.api.openapi import problems
from cangku.domain.permissions import Actor
from cangku.routing import SegmentRouter
from cangku.services.scans import MAX_SCAN, interpret_scan
from cangku.services.stock import STOCK_VIEW

router = SegmentRouter(prefix="/stock", tags=["stock"])


class Gs1ElementOut(BaseModel):
    ai: str = Field(examples=["01"])
    value: str = Field(examples=["06901234567908"])


class ScanOut(BaseModel):
    """What the scan fills in; null where it says nothing."""

    kind: str = Field(description="gs1, item, location or lot", examples=["gs1"])
    item: str | None = Field(None, examples=["BOLT"])
    item_name: str | None = None
    unit: str | None = Field(
        None, description="the unit of the scanned barcode or GTIN (a box)", examples=["box"]
    )
    lot: str | None = Field(None, description="lot or serial number")
    expires_on: date | None = None
    manufactured_on: date | None = None
    quantity: int | None = Field(None, description="a GS1 count (AI 30 or 37), in unit")
    location: str | None = None
    elements: list[Gs1ElementOut] = Field(default_factory=list, description="GS1 elements")


@router.get(
    "/scan",
    response_model=ScanOut,
    summary="What a scanned code names",
    responses=problems(
        {
            404: "nothing has this code (scan_not_found), or no item has the GTIN (item_not_found)",
            422: "an empty or too long scan, or a GS1 string that does not read (gs1_malformed,"
            " gs1_unknown_ai, gs1_check_digit, gs1_invalid_date)",
        }
    ),
)
def read_scan(
    actor: Annotated[Actor, permit(STOCK_VIEW)],
    db: DbDep,
    text: Annotated[str, Query(min_length=1, max_length=MAX_SCAN, description="as scanned")],
) -> ScanOut:
    """A location is named only in the warehouses whose stock the caller sees."""
    found = interpret_scan(db, text, warehouses=actor.warehouses(STOCK_VIEW))
    elements = [Gs1ElementOut(ai=ai, value=value) for ai, value in found.elements]
    return ScanOut(**{**asdict(found), "elements": elements})
