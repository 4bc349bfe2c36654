"""Lot pages: the list (by item, status, expiry) and one lot with its stock and moves."""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.enums import LotStatus
from cangku.domain.errors import CangkuError
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope, shown_costs
from cangku.queries.documents import documents_of_lot
from cangku.queries.lots import EXPIRY_FILTERS, LotView, expiry_day, get_lot, list_lots
from cangku.queries.stock import HistoryFilter, StockFilter, history, on_hand, totals
from cangku.routing import SegmentRouter
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.lots import LOT_STATUS, LOT_VIEW, set_lot_status
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, parse_day
from cangku.web.i18n import N_, error_message, label
from cangku.web.listing import Column, Listing, exported
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    pager,
    path_part,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)
STATUSES = [str(s) for s in LotStatus]


#: the lot list as a file: what the page shows, with the expiry status as a column of its own
LOT_LIST = Listing(
    "lots",
    [
        Column(N_("Item"), attrgetter("item")),
        Column(N_("Lot"), attrgetter("code")),
        Column(N_("Kind"), lambda lot: "serial" if lot.is_serial else "lot", "label"),
        Column(N_("Manufactured"), attrgetter("manufactured_on"), "date"),
        Column(N_("Expires"), attrgetter("expires_on"), "date"),
        Column(N_("Expiry"), attrgetter("expiry_status"), "label"),
        Column(N_("Supplier lot"), attrgetter("supplier_lot")),
        Column(N_("Status"), attrgetter("status"), "label"),
    ],
)


@router.get("/lots", response_class=HTMLResponse)
def lots_page(request: Request, user: Annotated[WebUser, page(LOT_VIEW)]) -> Response:
    params = request.query_params
    names = ("item", "status", "expiring", "expiry", "q")
    filters = {name: params.get(name, "").strip() for name in names}
    pages = pager(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[LotView]:
        return list_lots(
            db_of(request),
            item=filters["item"] or None,
            status=filters["status"] or None,
            expiring_before=parse_day(filters["expiring"]),
            q=filters["q"] or None,
            limit=limit,
            offset=offset,
            expiry=filters["expiry"] or None,
            sort=pages.sort,
        )

    if (file := exported(request, LOT_LIST, fetch)) is not None:
        return file
    found = fetch(pages.size, pages.offset)
    return render(
        request,
        "lots.html",
        lots=found.items,
        pager=replace(pages, total=found.total),
        filters=filters,
        statuses=STATUSES,
        expiries=EXPIRY_FILTERS,
    )


def _lot_page(
    request: Request,
    user: WebUser,
    item: str,
    code: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    """A lot (master data) with its stock and moves in the warehouses the user sees."""
    db = db_of(request)
    lot = get_lot(db, item, code)
    where = StockFilter(item=lot.item, lot=lot.code)
    seen = user.warehouses(STOCK_VIEW)
    with db.read() as conn:
        stock = on_hand(conn, where, limit=500, warehouses=seen)
        total = totals(conn, where, warehouses=seen)
        moves = history(conn, HistoryFilter(item=lot.item, lot=lot.code), limit=50, warehouses=seen)
        costs = cost_scope(conn, user.warehouses(VALUATION_VIEW))
        origins = documents_of_lot(conn, lot.id, user.warehouses(DOCUMENTS_VIEW))
    return render(
        request,
        "lot_detail.html",
        origins=origins,
        status=status,
        lot=lot,
        stock=stock.items,
        totals=total,
        moves=shown_costs(moves.items, costs),
        statuses=STATUSES,
        error=error,
        expiry=expiry_day(db),
    )


@router.post("/lots/{item}/{code:path}/status", response_class=HTMLResponse)
def change_lot_status(
    request: Request,
    item: str,
    code: str,
    user: Annotated[WebUser, page(LOT_STATUS)],
    fields: FormDep,
) -> Response:
    try:
        lot = set_lot_status(
            db_of(request), acting(request), item, code, fields.text("status"), fields.raw("reason")
        )
    except CangkuError as error:
        return _lot_page(
            request, user, item, code, form_status(error), error_message(error, language(request))
        )
    text = gettext_for(request)(N_("Lot %(code)s is now: %(status)s.")) % {
        "code": lot.code,
        "status": label(lot.status, language(request)),
    }
    return redirect(f"/lots/{path_part(lot.item)}/{path_part(lot.code)}", Flash("success", text))


@router.get("/lots/{item}/{code:path}", response_class=HTMLResponse)
def lot_page(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_VIEW)]
) -> Response:
    return _lot_page(request, user, item, code)
