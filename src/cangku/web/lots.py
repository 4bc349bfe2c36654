"""Lot pages: the list (by item, status, expiry), one lot with its stock, moves and status
history (hold, quarantine, recall, release), and its recall trace (with files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter, itemgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.enums import LotStatus
from cangku.domain.errors import CangkuError
from cangku.domain.lot_status import allowed_verbs
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope, shown_costs
from cangku.queries.documents import documents_of_lot
from cangku.queries.lot_trace import TRACE_HEADERS, trace_rows
from cangku.queries.lots import (
    EXPIRY_FILTERS,
    LotView,
    expiry_day,
    get_lot,
    list_lots,
    lot_history,
)
from cangku.queries.stock import HistoryFilter, StockFilter, history, on_hand, totals
from cangku.routing import SegmentRouter
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.lot_trace import trace_lot
from cangku.services.lots import LOT_RECALL, LOT_STATUS, LOT_VIEW, set_lot_status
from cangku.services.lots import change_lot_status as change_status
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, parse_day
from cangku.web.i18n import N_, error_message, label
from cangku.web.listing import Column, Listing, export_format, export_response, exported
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
        events = lot_history(conn, lot.id)
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
        history=events,
        verbs=[str(v) for v in allowed_verbs(LotStatus(lot.status))],
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


#: what the verbs say once done (the flash)
DONE = {
    "hold": N_("Lot %(code)s is on hold."),
    "quarantine": N_("Lot %(code)s is in quarantine."),
    "recall": N_("Lot %(code)s is recalled."),
    "release": N_("Lot %(code)s is released: available again."),
}
RELEASED = N_("Reservations released: %(what)s (allocate those requests again).")


def _change(
    request: Request, user: WebUser, item: str, code: str, verb: str, fields: FormDep
) -> Response:
    """Hold, quarantine, recall or release the lot with the form's reason."""
    reason = fields.raw("reason")
    try:
        changed = change_status(db_of(request), acting(request), item, code, verb, reason)
    except CangkuError as error:
        return _lot_page(
            request, user, item, code, form_status(error), error_message(error, language(request))
        )
    gettext = gettext_for(request)
    text = gettext(DONE[verb]) % {"code": changed.lot.code}
    if changed.released:
        what = ", ".join(f"{r.document} ({r.quantity})" for r in changed.released)
        text += " " + gettext(RELEASED) % {"what": what}
    lot = changed.lot
    return redirect(f"/lots/{path_part(lot.item)}/{path_part(lot.code)}", Flash("success", text))


@router.post("/lots/{item}/{code:path}/hold", response_class=HTMLResponse)
def hold_lot_form(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_STATUS)],
    fields: FormDep,
) -> Response:  # fmt: skip
    return _change(request, user, item, code, "hold", fields)


@router.post("/lots/{item}/{code:path}/quarantine", response_class=HTMLResponse)
def quarantine_lot_form(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_STATUS)],
    fields: FormDep,
) -> Response:  # fmt: skip
    return _change(request, user, item, code, "quarantine", fields)


@router.post("/lots/{item}/{code:path}/recall", response_class=HTMLResponse)
def recall_lot_form(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_RECALL)],
    fields: FormDep,
) -> Response:  # fmt: skip
    return _change(request, user, item, code, "recall", fields)


@router.post("/lots/{item}/{code:path}/release", response_class=HTMLResponse)
def release_lot_form(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_STATUS)],
    fields: FormDep,
) -> Response:  # fmt: skip
    return _change(request, user, item, code, "release", fields)


#: the trace's sections and what each move in or out was, as the page and its files show them
TRACE_LABELS = {
    "came_from": N_("Came from"),
    "now_at": N_("Now at"),
    "went_to": N_("Went to"),
    "total": N_("Total"),
    "received": N_("Received from suppliers"),
    "returned_by_customers": N_("Returned by customers"),
    "adjusted_in": N_("Adjusted in (found)"),
    "from_production": N_("From production"),
    "recovered_from_scrap": N_("Recovered from scrap"),
    "shipped": N_("Shipped to customers"),
    "issued_to_production": N_("Issued to production"),
    "scrapped": N_("Scrapped"),
    "adjusted_out": N_("Adjusted out (lost)"),
    "returned_to_suppliers": N_("Returned to suppliers"),
    "total_in": N_("Total in"),
    "total_out": N_("Total out"),
    "on_hand": N_("On hand"),
    "reserved": N_("Reserved"),
}


def _labelled(index: int, name: Callable[[str], str]) -> Callable[[list[Any]], str]:
    def value(row: list[Any]) -> str:
        return name(row[index])

    return value


def _trace_listing(name: str, trace_label: Callable[[str], str]) -> Listing:
    """The trace as a file: its rows (``trace_rows``), codes in the page's language."""
    kinds = ["text", "text", "time", "text", "text", "number", "number", "label"] + ["text"] * 7
    columns = [
        Column(title, _labelled(index, trace_label) if index < 2 else itemgetter(index), kind)
        for index, (title, kind) in enumerate(zip(TRACE_HEADERS, kinds, strict=True))
    ]
    return Listing(name, columns)


@router.get("/lots/{item}/{code:path}/trace", response_class=HTMLResponse)
def lot_trace_page(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(STOCK_VIEW)]
) -> Response:
    fmt = export_format(request)
    trace = trace_lot(db_of(request), item, code, user.warehouses(STOCK_VIEW))
    gettext, lang = gettext_for(request), language(request)

    def trace_label(value: str) -> str:
        known = TRACE_LABELS.get(value)
        return gettext(known) if known else label(value, lang)

    if fmt is not None:
        listing = _trace_listing(f"trace-{trace.item}-{trace.lot}", trace_label)
        rows = iter(trace_rows(trace))
        return export_response(request, fmt, listing, rows, gettext, lang)
    return render(request, "lot_trace.html", trace=trace, trace_label=trace_label)


@router.get("/lots/{item}/{code:path}", response_class=HTMLResponse)
def lot_page(
    request: Request, item: str, code: str, user: Annotated[WebUser, page(LOT_VIEW)]
) -> Response:
    return _lot_page(request, user, item, code)
