"""Label PDFs from the pages: ``/labels/items``, ``/labels/lots``, ``/labels/locations``.

The detail pages link here with one code (a small form: layout, copies); the lists send the
rows ticked (``scope=selected``: ``code``, or ``id`` for lots) or their current filter
(``scope=filter``, with the list's own filter names; nothing named is the filter too). A
refusal is the error page in the user's language; nothing is written either way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from cangku.domain.errors import InvalidInput
from cangku.domain.labels import DEFAULT_LAYOUT, Symbol
from cangku.queries import labels as queries
from cangku.queries.labels import Found
from cangku.routing import SegmentRouter
from cangku.services.items import ITEM_VIEW
from cangku.services.labels import Printed, PrintOptions, print_labels
from cangku.services.lots import LOT_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW
from cangku.web.access import WebUser, page
from cangku.web.forms import parse_day
from cangku.web.render import PAGE_HEADERS, PageRoute, db_of

router = SegmentRouter(route_class=PageRoute)


def _whole(params: QueryParams, name: str, default: int) -> int:
    """A whole number as typed; anything else is -1, which the option's own check refuses
    (``invalid_copies``, ``invalid_skip``, with their limits)."""
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return -1
    return int(text)


def _options(params: QueryParams) -> PrintOptions:
    return PrintOptions(
        layout=params.get("layout") or DEFAULT_LAYOUT,
        copies=_whole(params, "copies", 1),
        skip=_whole(params, "skip", 0),
        symbol=params.get("symbol") or Symbol.AUTO.value,
    )


def _chosen(params: QueryParams, name: str = "code") -> list[str]:
    """The rows named (``scope=selected``: at least one ticked); none for the list's filter
    (``scope=filter``, or nothing named: as the API, every row the filter finds)."""
    if params.get("scope") == "filter":
        return []
    chosen = [value for value in params.getlist(name) if value]
    if not chosen and params.get("scope") == "selected":
        raise InvalidInput("tick the rows to print first", code="no_labels")
    return chosen


def _pdf(printed: Printed, kind: str) -> Response:
    headers = {
        **PAGE_HEADERS,
        "Content-Disposition": f'inline; filename="labels-{kind}.pdf"',
        "Cache-Control": "no-store",
    }
    return Response(printed.pdf, media_type="application/pdf", headers=headers)


def _flag(text: str) -> bool | None:
    return {"active": True, "inactive": False}.get(text)


@router.get("/labels/items")
def item_labels(request: Request, user: Annotated[WebUser, page(ITEM_VIEW)]) -> Response:
    params = request.query_params
    options = _options(params)
    codes = _chosen(params)

    def select() -> Found:
        return queries.item_labels(
            db_of(request),
            codes,
            q=params.get("q") or None,
            item_type=params.get("type") or None,
            active=_flag(params.get("status", "")),
        )

    return _pdf(print_labels(options, select), "items")


@router.get("/labels/lots")
def lot_labels(request: Request, user: Annotated[WebUser, page(LOT_VIEW)]) -> Response:
    params = request.query_params
    options = _options(params)
    ids = [_lot_id(text) for text in _chosen(params, "id")]

    def select() -> Found:
        return queries.lot_labels(
            db_of(request),
            ids=ids,
            item=params.get("item") or None,
            status=params.get("status") or None,
            expiring_before=parse_day(params.get("expiring", "")),
            q=params.get("q") or None,
        )

    return _pdf(print_labels(options, select), "lots")


def _lot_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidInput("a lot is chosen by its id", code="invalid_input")
    return int(text)


@router.get("/labels/locations")
def location_labels(request: Request, user: Annotated[WebUser, page(WAREHOUSE_VIEW)]) -> Response:
    params = request.query_params
    options = _options(params)
    codes = _chosen(params)
    seen = user.warehouses(WAREHOUSE_VIEW)

    def select() -> Found:
        return queries.location_labels(db_of(request), codes, warehouses=seen)

    return _pdf(print_labels(options, select), "locations")
