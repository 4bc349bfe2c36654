"""Labels to scan: ``GET /api/v1/labels/items``, ``/labels/lots``, ``/labels/locations`` answer
a PDF (``application/pdf``).

Name what to print with repeated ``code`` (lots: ``id``, or ``code`` with ``item``), or give
the list's filters instead: then every row the list would show is printed (at most
``MAX_LABELS`` labels, copies included). Whoever may view an item, lot or location may print
its labels; locations only in the warehouses the caller sees.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import Response

from cangku.api.deps import DbDep, permit
from cangku.api.filters import LocationKindFilter
from cangku.domain.labels import DEFAULT_LAYOUT, LAYOUTS, MAX_COPIES, MAX_LABELS, Symbol
from cangku.domain.permissions import Actor
from cangku.queries import labels as queries
from cangku.routing import SegmentRouter
from cangku.services.items import ITEM_VIEW
from cangku.services.labels import Printed, PrintOptions, print_labels
from cangku.services.lots import LOT_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW

router = SegmentRouter(prefix="/labels", tags=["labels"])

LayoutQ = Annotated[
    str,
    Query(
        description="; ".join(f"`{n}`: {layout.description}" for n, layout in LAYOUTS.items()),
        json_schema_extra={"enum": list(LAYOUTS)},
    ),
]
CopiesQ = Annotated[
    int,
    Query(
        description="copies of each label, one after the other",
        json_schema_extra={"minimum": 1, "maximum": MAX_COPIES},
    ),
]
SkipQ = Annotated[
    int,
    Query(
        description="positions to leave empty on the first sheet (one already partly used)",
        json_schema_extra={"minimum": 0},
    ),
]
SymbolQ = Annotated[
    str,
    Query(
        description=(
            "the 2-D symbol: `auto` a GS1 DataMatrix (GTIN, expiry, lot) where the item has a "
            "GTIN, else a QR code of the code; `qr`; `datamatrix`"
        ),
        json_schema_extra={"enum": [s.value for s in Symbol]},
    ),
]
Codes = Annotated[
    list[str],
    Query(description="what to print, in this order", json_schema_extra={"maxItems": MAX_LABELS}),
]

#: a problem answer (RFC 9457, ``cangku.api.errors``): the schema every router's problems share
PROBLEM_RESPONSE: dict[str, Any] = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}}
}
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the labels as a PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    },
    404: {**PROBLEM_RESPONSE, "description": "`item_not_found`, `lot_not_found`, ..."},
    422: {
        **PROBLEM_RESPONSE,
        "description": (
            "`invalid_layout`, `invalid_copies`, `invalid_skip`, `invalid_symbol`, "
            "`lot_ambiguous`, `no_labels` (nothing selected), `too_many_labels` "
            f"(over {MAX_LABELS}; `data.limit`, `data.requested`)"
        ),
    },
}


def _options(
    layout: LayoutQ = DEFAULT_LAYOUT, copies: CopiesQ = 1, skip: SkipQ = 0, symbol: SymbolQ = "auto"
) -> PrintOptions:
    return PrintOptions(layout, copies, skip, symbol)


Options = Annotated[PrintOptions, Depends(_options)]


def _pdf(printed: Printed, kind: str) -> Response:
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="labels-{kind}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/items",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Labels of items (PDF)",
    dependencies=[permit(ITEM_VIEW)],
)
def item_labels(
    db: DbDep,
    options: Options,
    code: Codes = [],  # noqa: B006 - FastAPI copies the default
    q: str | None = None,
    item_type: str | None = None,
    category: str | None = None,
    tracking: str | None = None,
    active: bool | None = None,
) -> Response:
    """Items by code (or barcode), or else the items the filters find (as ``GET /items``)."""
    printed = print_labels(
        options,
        lambda: queries.item_labels(
            db, code, q=q, item_type=item_type, category=category, tracking=tracking, active=active
        ),
    )
    return _pdf(printed, "items")


@router.get(
    "/lots",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Labels of lots and serials (PDF)",
    dependencies=[permit(LOT_VIEW)],
)
def lot_labels(
    db: DbDep,
    options: Options,
    id: Annotated[
        list[int], Query(description="lot ids", json_schema_extra={"maxItems": MAX_LABELS})
    ] = [],  # noqa: B006
    code: Codes = [],  # noqa: B006
    item: str | None = None,
    status: str | None = None,
    expiring_before: Annotated[date | None, Query(description="expiry before this date")] = None,
    q: str | None = None,
) -> Response:
    """Lots by id, or by code (of ``item``; a code several items use needs ``item``), or else
    the lots the filters find (as ``GET /lots``)."""
    printed = print_labels(
        options,
        lambda: queries.lot_labels(
            db,
            ids=id,
            codes=code,
            item=item,
            status=status,
            expiring_before=expiring_before,
            q=q,
        ),
    )
    return _pdf(printed, "lots")


@router.get(
    "/locations",
    response_class=Response,
    responses=PDF_RESPONSES,
    summary="Labels of locations (PDF)",
)
def location_labels(
    actor: Annotated[Actor, permit(WAREHOUSE_VIEW)],
    db: DbDep,
    options: Options,
    code: Codes = [],  # noqa: B006
    q: str | None = None,
    warehouse: str | None = None,
    kind: LocationKindFilter = None,
    active: bool | None = None,
) -> Response:
    """Locations by code, or else the storage locations the filters find (as
    ``GET /locations``), in the warehouses the caller sees."""
    printed = print_labels(
        options,
        lambda: queries.location_labels(
            db,
            code,
            q=q,
            warehouse=warehouse,
            kind=kind,
            active=active,
            warehouses=actor.warehouses(WAREHOUSE_VIEW),
        ),
    )
    return _pdf(printed, "locations")
