"""Stock count pages (盘点, issue 14): raise a count (``/counts/new``) and count on a
scanner-first screen (``/counts/{number}/scan``). The count's own page is the document page
(``web/count_steps.py`` gives it its lines, totals and step buttons).

As the other scanner screens (``web/outbound.py``'s picking): they work without JavaScript.
On the scan screen each Enter of a keyboard-wedge scanner sends the form and the server asks
for what is still missing (the location, the item, its lot when it is lot-tracked, the
quantity); once everything is there it records one entry with ``enter_counts`` and shows the
screen again at the same location, ready for the next item. A scan is read as everywhere else
(``services.scans``): an item code or barcode, a GS1 string with its lot, a location's code
(scanned where the item is asked for, it moves to that location). Every form carries an
idempotency key made when it is shown; a refusal shows the form again as typed with the
message in the user's language and writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.db import lookups
from cangku.domain.enums import Tracking
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.queries.counts import CountLineView, CountView
from cangku.queries.items import get_item
from cangku.queries.sites import list_warehouses
from cangku.queries.stock import warehouse_id
from cangku.routing import SegmentRouter
from cangku.services.counts import COUNT_MANAGE, CountEntry, NewCount, create_count, enter_counts
from cangku.services.scans import interpret_scan
from cangku.web.access import WebUser, acting, page
from cangku.web.count_steps import read_count
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_, format_number
from cangku.web.outbound import values_of
from cangku.web.outbound_codes import refusal
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    path_part,
    redirect,
    render,
)

__all__ = ["router"]

router = SegmentRouter(route_class=PageRoute)

#: the most codes a scope field of the form takes (codes separated by commas or spaces)
MAX_CODES = 500
#: the entries the scan screen shows, the latest first
LAST_ENTRIES = 8


def _error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = refusal(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def codes_of(text: str) -> list[str]:
    """The codes of a scope field, in the order typed, each once."""
    found = [c for c in re.split(r"[\s,，、;；]+", text) if c][:MAX_CODES]
    return list(dict.fromkeys(found))


# ================================================================== raising a count
def _count_form(
    request: Request,
    user: WebUser,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    mine = user.warehouses(COUNT_MANAGE)
    every = list_warehouses(db_of(request), active=True, limit=500).items
    return render(
        request,
        "count_form.html",
        status=status,
        values=values,
        error=error,
        warehouses=[w for w in every if mine is None or w.id in mine],
    )


@router.get("/counts/new", response_class=HTMLResponse)
def count_form(request: Request, user: Annotated[WebUser, page(COUNT_MANAGE)]) -> Response:
    """A new count: the warehouse, what it covers (zones, locations, items, categories; none:
    the whole warehouse), blind or not, started at once or not, a note."""
    params = request.query_params
    values = {"idempotency_key": new_key(), "warehouse": params.get("warehouse", "")[:64]}
    return _count_form(request, user, values)


@router.post("/counts/new", response_class=HTMLResponse)
def create_count_page(
    request: Request, user: Annotated[WebUser, page(COUNT_MANAGE)], fields: FormDep
) -> Response:
    """Raise the count (started at once when asked) and go to its page."""
    values = values_of(fields)
    try:
        command = NewCount(
            warehouse=fields.text("warehouse"),
            zones=codes_of(fields.text("zones")),
            locations=codes_of(fields.text("locations")),
            items=codes_of(fields.text("items")),
            categories=codes_of(fields.text("categories")),
            blind=fields.flag("blind"),
            note=fields.raw("note"),
            start=fields.flag("start"),
        )
        ctx = acting(request, values["idempotency_key"])
        result = create_count(db_of(request), ctx, command)
    except CangkuError as error:
        message = refusal(error, language(request))
        return _count_form(request, user, values, message, form_status(error))
    gettext_ = gettext_for(request)
    if result.state == "counting":
        text = gettext_(N_("%(number)s was raised and started: %(lines)s places to count.")) % {
            "number": result.number,
            "lines": result.data.get("snapshot_lines", 0),
        }
    else:
        text = gettext_(N_("%(number)s was raised; start it when counting begins.")) % {
            "number": result.number
        }
    return redirect(f"/documents/{path_part(result.number)}", Flash("success", text))


# ================================================================== counting with a scanner
@dataclass
class Scanned:
    """What the scan form holds after reading it: the fields to show again and the one the
    cursor goes to; ``entry`` when everything is there to record."""

    values: dict[str, str]
    focus: str
    entry: CountEntry | None = None


class ScanRefused(Exception):
    """A scan that does not read, with the field it was scanned into (the cursor goes back)."""

    def __init__(self, error: CangkuError, field: str) -> None:
        super().__init__(error.message)
        self.error = error
        self.field = field


def _count(request: Request, user: WebUser, number: str) -> CountView:
    """The count, if the user may count in its warehouse (NotFound elsewhere)."""
    with db_of(request).read() as conn:
        return read_count(conn, user, number, COUNT_MANAGE)


def _last_entries(view: CountView) -> list[CountLineView]:
    counted = [line for line in view.lines if line.counted_at is not None]
    counted.sort(key=lambda line: (line.counted_at, line.id), reverse=True)
    return counted[:LAST_ENTRIES]


def _scan_page(
    request: Request,
    view: CountView,
    values: dict[str, str],
    focus: str,
    error: str | None = None,
    status: int = 200,
) -> Response:
    item = None
    if values.get("checked"):
        try:
            item = get_item(db_of(request), values["checked"])
        except CangkuError:
            item = None
    return render(
        request,
        "count_scan.html",
        status=status,
        count=view,
        values=values,
        focus=focus,
        error=error,
        item=item,
        lot_tracked=item is not None and item.tracking != Tracking.NONE,
        last=_last_entries(view),
    )


@router.get("/counts/{number}/scan", response_class=HTMLResponse)
def scan_screen(
    request: Request, number: str, user: Annotated[WebUser, page(COUNT_MANAGE)]
) -> Response:
    """The scan screen: scan the location, the item (its lot when lot-tracked), type the
    quantity; ``?location=`` keeps the place of the entry before."""
    try:
        view = _count(request, user, number)
    except CangkuError as error:
        return _error_page(request, error)
    location = request.query_params.get("location", "").strip()[:64]
    values = {"idempotency_key": new_key(), "location": location}
    return _scan_page(request, view, values, "item" if location else "location")


def _in_count(request: Request, location: str, warehouse: str) -> str:
    """``location`` if it lies in the count's warehouse, else ``location_not_in_warehouse``
    (said when it is scanned, not when the entry is refused as out of scope)."""
    with db_of(request).read() as conn:
        place = lookups.locations_by_codes(conn, [location]).get(location)
        if place is None or place.warehouse_id != warehouse_id(conn, warehouse):
            raise InvalidInput(
                f"{location} is not in {warehouse}",
                code="location_not_in_warehouse",
                location=location,
            )
    return location


def _read_location(request: Request, user: WebUser, text: str, warehouse: str) -> str:
    """The location a scan names (its code), in the count's warehouse; anything else is
    ``bin_scan_required``."""
    found = interpret_scan(db_of(request), text, warehouses=user.warehouses(COUNT_MANAGE))
    if found.kind != "location" or found.location is None:
        raise InvalidInput("scan the location first", code="bin_scan_required", field="location")
    return _in_count(request, found.location, warehouse)


def _read_lot(request: Request, text: str) -> str:
    """The lot a scan names: as typed, or the lot of a GS1 code (``(10)``). A lot nobody knows
    yet is counted as typed (an unexpected lot is created)."""
    try:
        found = interpret_scan(db_of(request), text)
    except CangkuError:
        return text
    return found.lot if found.kind == "gs1" and found.lot else text


def read_scan(request: Request, user: WebUser, fields: Fields, warehouse: str) -> Scanned:
    """Read the scan form: each field in turn, the first missing one asked for. Raises
    ScanRefused (a location or item scan that does not read)."""
    values = values_of(fields)
    values["location"] = fields.text("location")
    if not values["location"]:
        return Scanned(values, "location")
    try:
        values["location"] = _read_location(request, user, values["location"], warehouse)
    except CangkuError as error:
        raise ScanRefused(error, "location") from error
    text = fields.text("item")
    if not text:
        values["checked"] = ""
        return Scanned(values, "item")
    try:
        scan = interpret_scan(db_of(request), text, warehouses=user.warehouses(COUNT_MANAGE))
    except CangkuError as error:
        raise ScanRefused(error, "item") from error
    if scan.kind == "location" and scan.location is not None:  # on to another place
        try:
            place = _in_count(request, scan.location, warehouse)
        except CangkuError as error:
            raise ScanRefused(error, "item") from error
        return Scanned({**values, "location": place, "item": "", "checked": ""}, "item")
    if scan.item is None:
        missing = InvalidInput("scan the item", code="scan_not_found", key=text[:64])
        raise ScanRefused(missing, "item")
    values["item"] = scan.item
    if scan.lot:
        values["lot"] = scan.lot
    tracked = get_item(db_of(request), scan.item).tracking != Tracking.NONE
    if fields.text("checked") != scan.item:  # the item was just scanned: show it, ask on
        values["checked"] = scan.item
        focus = "lot" if tracked and not values.get("lot") else "quantity"
        return Scanned(values, focus)
    lot = _read_lot(request, fields.text("lot")) if tracked else ""
    values["lot"] = lot
    if tracked and not lot:
        return Scanned(values, "lot")
    quantity = fields.text("quantity")
    if not quantity:
        return Scanned(values, "quantity")
    entry = CountEntry(values["location"], scan.item, quantity, lot or None)
    return Scanned(values, "quantity", entry)


#: the field a refusal of the entry sends the cursor back to (else the quantity)
REFUSED_FOCUS = {
    "location_not_found": "location",
    "item_not_found": "item",
    "count_line_out_of_scope": "item",
    "recount_by_same_counter": "item",
    "lot_required": "lot",
}


def _scan_refused(
    request: Request, view: CountView, values: dict[str, str], error: CangkuError, focus: str
) -> Response:
    """The screen again as scanned, with the refusal; the cursor where it went wrong."""
    if focus in ("location", "item"):
        values["checked"] = ""
    message = refusal(error, language(request))
    return _scan_page(request, view, values, focus, message, form_status(error))


@router.post("/counts/{number}/scan", response_class=HTMLResponse)
def scan_entry(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(COUNT_MANAGE)],
    fields: FormDep,
) -> Response:
    """One Enter of the scanner: ask for what is missing, or record the entry and come back
    to the same location for the next item."""
    try:
        view = _count(request, user, number)
    except CangkuError as error:
        return _error_page(request, error)
    values = values_of(fields)
    try:
        scanned = read_scan(request, user, fields, view.warehouse)
        values = scanned.values
        if scanned.entry is None:
            return _scan_page(request, view, values, scanned.focus)
        ctx = acting(request, values["idempotency_key"])
        result = enter_counts(db_of(request), ctx, view.number, [scanned.entry])
    except ScanRefused as refused:
        return _scan_refused(request, view, values, refused.error, refused.field)
    except CangkuError as error:
        focus = REFUSED_FOCUS.get(error.code, "quantity")
        return _scan_refused(request, view, values, error, focus)
    entry = scanned.entry
    lang = language(request)
    text = gettext_for(request)(N_("Counted %(quantity)s of %(item)s at %(location)s.")) % {
        "quantity": _shown(entry.quantity, lang),
        "item": entry.item + (f" {entry.lot}" if entry.lot else ""),
        "location": entry.location,
    }
    level = "info" if result.get("replayed") else "success"
    where = urlencode({"location": entry.location})
    target = f"/counts/{path_part(view.number)}/scan?{where}"
    return redirect(target, Flash(level, text))


def _shown(quantity: object, lang: str) -> str:
    try:
        return format_number(Decimal(str(quantity)), lang)
    except InvalidOperation:
        return str(quantity)
