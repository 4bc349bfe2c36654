"""Inbound data-entry screens: raise a purchase order, receive goods with a barcode scanner
(against an order or standalone), record an inspection, put goods away bin by bin, return goods
to a supplier.

The screens work without JavaScript: a scan is read on the server (``services.scans``, ADR
0018) when the form comes back, repeated lines are numbered fields (``item-0``, ``item-1``...)
and "More lines" shows the form again with more rows. Every form carries an idempotency key
made when it is shown; a refusal shows the form again as typed with the message in the user's
language, and writes nothing (the services raise before they write).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput, NeedsConfirmation, NotFound
from cangku.domain.inbound import (
    INSPECTION_REASONS,
    PURCHASE_ORDER,
    RETURN_REASONS,
    parse_serials,
)
from cangku.domain.permissions import Action
from cangku.queries.documents import DocumentView, LineView, get_document, list_documents
from cangku.queries.items import get_item, list_items
from cangku.queries.partners import list_partners
from cangku.queries.sites import list_warehouses
from cangku.queries.stock import StockFilter, StockRow, on_hand
from cangku.routing import SegmentRouter
from cangku.services.inbound.inspections import (
    INSPECTION_RECORD,
    InspectionLineInput,
    record_inspection,
)
from cangku.services.inbound.orders import (
    PO_EDIT,
    NewPurchaseOrder,
    OrderLineInput,
    create_purchase_order,
)
from cangku.services.inbound.putaways import PUTAWAY_CONFIRM, PutawayLineInput, put_away
from cangku.services.inbound.receipts import (
    RECEIPT_RECEIVE,
    NewReceipt,
    ReceiptLineInput,
    create_receipt,
)
from cangku.services.inbound.returns import (
    RETURN_CREATE,
    RETURN_SHIP,
    NewSupplierReturn,
    ReturnLineInput,
    create_supplier_return,
)
from cangku.services.scans import ScanResult, interpret_scan
from cangku.web import codes
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep, new_key, parse_day
from cangku.web.i18n import N_, format_number, translations
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)

#: the rows a new form starts with, and how many "More lines" adds
START_ROWS = 3
MORE_ROWS = 3
#: no form grows beyond this many rows
MAX_ROWS = 200

#: messages of the inbound refusals that neither ``i18n.ERRORS`` nor ``codes.DOCUMENT_ERRORS``
#: has (over-receipt: the receiving screen's own words, naming its check box)
MESSAGES: dict[str, str] = {
    "over_receipt": N_(
        "%(document)s: line %(lines)s would be received over the quantity ordered. Tick "
        "“Confirm over-receipt” and receive again to accept it."
    ),
    "over_receipt_beyond_tolerance": N_(
        "%(document)s line %(line)s (%(item)s): %(ordered)s ordered, %(received)s received; at "
        "most %(most)s more may be received within the supplier's tolerance."
    ),
    "serial_count_mismatch": N_(
        "%(serials)s serial numbers for a quantity of %(quantity)s of %(item)s: give one serial "
        "number per unit."
    ),
    "duplicate_serial": N_("Serial number %(serial)s is given twice."),
    "invalid_serial_range": N_(
        "%(range)s is not a serial range: the same prefix and width on both ends, the first "
        "not after the last (SN100-SN149)."
    ),
    "inspect_more_than_received": N_(
        "%(document)s line %(line)s: only %(pending)s wait for inspection."
    ),
    "invalid_sample_size": N_("Line %(line)s: the sample size must be greater than zero."),
    "putaway_location_not_storage": N_(
        "Location %(location)s is not a storage bin: scan a storage location."
    ),
    "putaway_more_than_waiting": N_("Line %(line)s: only %(waiting)s wait to be stored."),
    "location_required": N_("Line %(line)s has no suggested bin: scan the bin to store it in."),
    "location_not_in_warehouse": N_("Location %(location)s is not in this warehouse."),
    "unknown_line": N_("There is no line %(line)s."),
    "no_lines": N_("Fill in at least one line."),
    "below_minimum_order": N_("The supplier's minimum order of %(item)s is %(minimum)s."),
    "warehouse_required": N_("Choose the warehouse."),
    "supplier_required": N_("Choose the supplier."),
    "not_a_supplier": N_("%(partner)s is not a supplier."),
    "scan_not_an_item": N_("%(key)s is not an item: scan the item's barcode."),
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def message_of(error: CangkuError, lang: str) -> str:
    """The refusal in ``lang``: the screens' own messages first, then the documents' and the
    shared catalogue's (``codes.document_refusal``)."""
    template = MESSAGES.get(error.code)
    if template is None:
        return codes.document_refusal(error, lang)
    data = _Lenient()
    for key, value in error.data.items():
        data[key] = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
    if "state" in data:
        data["state"] = codes.document_state_label(str(data["state"]), lang)
    try:
        return translations(lang).gettext(template) % data
    except (TypeError, ValueError):
        return error.message


def _error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = message_of(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def _document(
    request: Request, user: WebUser, number: str, doc_type: str, act: Action
) -> DocumentView:
    """The document ``number`` of ``doc_type`` in a warehouse where the user may do ``act``
    (NotFound ``document_not_found`` otherwise, also for another type)."""
    with db_of(request).read() as conn:
        doc = get_document(conn, number, user.warehouses(act))
    if doc.doc_type != doc_type:
        raise NotFound("document", number)
    return doc


def _number(value: str, lang: str) -> str:
    try:
        return format_number(Decimal(value), lang)
    except InvalidOperation:
        return value


def _rows(fields: Fields, names: tuple[str, ...]) -> list[dict[str, str]]:
    """The numbered rows of a form (``item-0``, ``quantity-0``...), as many as ``rows`` says."""
    count = min(fields.integer("rows") or 0, MAX_ROWS)
    return [
        {name: fields.values.get(f"{name}-{i}", "").strip() for name in names} for i in range(count)
    ]


def _values(fields: Fields) -> dict[str, str]:
    values = dict(fields.values)
    values.pop("csrf_token", None)
    values.setdefault("idempotency_key", new_key())
    return values


def _labels(request: Request) -> dict[str, Callable[[str], str]]:
    """Label functions for the templates: document states and inspection reasons."""
    lang = language(request)
    return {
        "state_label": lambda code: codes.document_state_label(code, lang),
        "reason_label": lambda code: codes.inspection_reason_label(code, lang),
    }


def _reason_options(
    vocabulary: dict[str, str], label: Callable[[str, str], str], lang: str
) -> list[tuple[str, str]]:
    return [(code, label(code, lang)) for code in vocabulary]


# ================================================================== purchase orders
PO_ROW = ("item", "quantity", "unit", "unit_price", "expected_on")


def _po_form(
    request: Request,
    user: WebUser,
    values: dict[str, str],
    rows: list[dict[str, str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    db = db_of(request)
    return render(
        request,
        "po_form.html",
        status=status,
        values=values,
        rows=rows,
        error=error,
        suppliers=list_partners(db, role="supplier", active=True, limit=500).items,
        warehouses=list_warehouses(
            db, active=True, limit=500, warehouses=user.warehouses(PO_EDIT)
        ).items,
        items=list_items(db, active=True, limit=500).items,
    )


@router.get("/purchase-orders/new", response_class=HTMLResponse)
def purchase_order_form(request: Request, user: Annotated[WebUser, page(PO_EDIT)]) -> Response:
    """A new purchase order: supplier, warehouse, a few lines, reference, due date, note."""
    params = request.query_params
    values = {"idempotency_key": new_key(), "supplier": params.get("supplier", ""),
              "warehouse": params.get("warehouse", "")}  # fmt: skip
    rows = [dict.fromkeys(PO_ROW, "") for _ in range(START_ROWS)]
    if params.get("item"):
        rows[0]["item"] = params["item"]
    return _po_form(request, user, values, rows)


@router.post("/purchase-orders/new", response_class=HTMLResponse)
def create_purchase_order_page(
    request: Request, user: Annotated[WebUser, page(PO_EDIT)], fields: FormDep
) -> Response:
    """Raise the order (a draft) and go to its page; "More lines" shows the form with more
    rows; a refusal shows the form as typed."""
    values = _values(fields)
    rows = _rows(fields, PO_ROW)
    if fields.flag("more"):
        rows += [dict.fromkeys(PO_ROW, "") for _ in range(MORE_ROWS)]
        return _po_form(request, user, values, rows[:MAX_ROWS])
    try:
        lines = [
            OrderLineInput(
                item=row["item"],
                quantity=row["quantity"],
                unit=row["unit"] or None,
                unit_price=row["unit_price"] or None,
                expected_on=parse_day(row["expected_on"]),
            )
            for row in rows
            if row["item"] or row["quantity"]
        ]
        command = NewPurchaseOrder(
            supplier=fields.text("supplier"),
            warehouse=fields.text("warehouse"),
            lines=lines,
            reference=fields.optional("reference"),
            note=fields.raw("note"),
            due_on=fields.day("due_on"),
        )
        result = create_purchase_order(
            db_of(request), acting(request, values["idempotency_key"]), command
        )
    except CangkuError as error:
        message = message_of(error, language(request))
        return _po_form(request, user, values, rows, message, form_status(error))
    text = gettext_for(request)(N_("Purchase order %(number)s was raised as a draft.")) % {
        "number": result.number
    }
    return redirect(f"/documents/{result.number}", Flash("success", text))


# ================================================================== receiving
RECEIPT_ROW = (
    "item",
    "line",
    "quantity",
    "unit",
    "lot",
    "serials",
    "manufactured_on",
    "expires_on",
)


@dataclass
class _Receiving:
    """What the receiving screen shows: the order (or the standalone warehouse and supplier),
    the rows as typed, and what the last scan did."""

    order: DocumentView | None
    values: dict[str, str]
    rows: list[dict[str, str]]
    #: order line number -> the line (ordered, received, open)
    lines: dict[int, LineView]
    focus: str = "scan"
    scanned: str = ""
    over_receipt: bool = False


def _open_orders(request: Request, user: WebUser) -> list[Any]:
    """The orders goods may be received against (the newest 50 of each state), newest first."""
    seen = user.warehouses(RECEIPT_RECEIVE)
    found: list[Any] = []
    with db_of(request).read() as conn:
        for state in ("confirmed", "partially_received"):
            page_ = list_documents(
                conn, PURCHASE_ORDER.doc_type, state=state, warehouses_seen=seen, limit=50
            )
            found.extend(page_.items)
    return sorted(found, key=lambda d: d.created_at, reverse=True)


def _receiving_page(
    request: Request,
    user: WebUser,
    screen: _Receiving | None,
    error: str | None = None,
    status: int = 200,
    done: DocumentView | None = None,
) -> Response:
    db = db_of(request)
    choose = screen is None
    return render(
        request,
        "receiving.html",
        status=status,
        screen=screen,
        error=error,
        done=done,
        orders=_open_orders(request, user) if choose else [],
        suppliers=list_partners(db, role="supplier", active=True, limit=500).items,
        warehouses=list_warehouses(
            db, active=True, limit=500, warehouses=user.warehouses(RECEIPT_RECEIVE)
        ).items,
        items=list_items(db, active=True, limit=500).items if screen and not screen.order else [],
        **_labels(request),
    )


def _order_rows(order: DocumentView) -> list[dict[str, str]]:
    rows = []
    for line in order.lines:
        if line.open > 0:
            row = dict.fromkeys(RECEIPT_ROW, "")
            row.update(item=line.item, line=str(line.line_no))
            rows.append(row)
    return rows


def _receiving_of(request: Request, user: WebUser, order_number: str | None) -> DocumentView | None:
    if not order_number:
        return None
    order = _document(request, user, order_number, PURCHASE_ORDER.doc_type, RECEIPT_RECEIVE)
    PURCHASE_ORDER.check(order.state, "receive", order.number)
    return order


@router.get("/receiving", response_class=HTMLResponse)
def receiving_page(request: Request, user: Annotated[WebUser, page(RECEIPT_RECEIVE)]) -> Response:
    """The receiving screen: ``?order=PO-...`` lists the order's open lines to receive;
    ``?warehouse=&supplier=`` receives without an order; neither: choose. ``?received=GR-...``
    shows the receipt just posted with the documents that follow it."""
    params = request.query_params
    done = None
    try:
        if params.get("received"):
            with db_of(request).read() as conn:
                done = get_document(conn, params["received"], user.warehouses(RECEIPT_RECEIVE))
        order = _receiving_of(request, user, params.get("order", "").strip())
    except NotFound as error:
        return _error_page(request, error)
    except CangkuError as error:
        return _receiving_page(request, user, None, message_of(error, language(request)), 200, done)
    warehouse, supplier = params.get("warehouse", "").strip(), params.get("supplier", "").strip()
    if order is None and not (warehouse and supplier):
        return _receiving_page(request, user, None, done=done)
    values = {"idempotency_key": new_key(), "order": order.number if order else "",
              "warehouse": warehouse, "supplier": supplier}  # fmt: skip
    rows = (
        _order_rows(order) if order else [dict.fromkeys(RECEIPT_ROW, "") for _ in range(START_ROWS)]
    )
    lines = {line.line_no: line for line in order.lines} if order else {}
    return _receiving_page(request, user, _Receiving(order, values, rows, lines), done=done)


def _scan_into(request: Request, user: WebUser, screen: _Receiving, text: str) -> None:
    """Put what ``text`` names into the screen's rows: the row of the scanned item (a new row
    for another lot of an order line), its lot or serial, dates, GS1 count and barcode unit.
    Raises the scan's refusals and ``item_not_on_order``."""
    found = interpret_scan(db_of(request), text, warehouses=user.warehouses(RECEIPT_RECEIVE))
    if found.item is None:
        raise InvalidInput("scan an item", code="scan_not_an_item", key=text.strip()[:64])
    index = _row_for(screen, found)
    row = screen.rows[index]
    serial = get_item(db_of(request), found.item).tracking == "serial"
    if found.unit is not None:
        row["unit"] = found.unit
    if found.lot and serial:
        serials = [s for s in row["serials"].replace(",", " ").split() if s]
        if found.lot not in serials:
            serials.append(found.lot)
        row["serials"] = ", ".join(serials)
        row["quantity"] = str(len(serials))
    elif found.lot:
        row["lot"] = found.lot
    if found.expires_on:
        row["expires_on"] = found.expires_on.isoformat()
    if found.manufactured_on:
        row["manufactured_on"] = found.manufactured_on.isoformat()
    if found.quantity is not None and not serial:
        row["quantity"] = str(found.quantity)
    screen.focus = "scan" if row["quantity"] else f"quantity-{index}"
    parts = [found.item, found.item_name or "", found.lot or "",
             found.expires_on.isoformat() if found.expires_on else ""]  # fmt: skip
    screen.scanned = " · ".join(p for p in parts if p)


def _row_for(screen: _Receiving, found: ScanResult) -> int:
    """The row a scanned item fills: its row with the same or no lot; else a new row (another
    lot of an order line, or a new item of a standalone receipt)."""
    mine = [i for i, row in enumerate(screen.rows) if row["item"] == found.item]
    for i in mine:
        if not found.lot or screen.rows[i]["lot"] in ("", found.lot):
            return i
    fresh = dict.fromkeys(RECEIPT_ROW, "")
    fresh["item"] = found.item or ""
    if screen.order is not None:
        if not mine:
            raise InvalidInput(
                f"item {found.item} is not on {screen.order.number}",
                code="item_not_on_order",
                item=found.item,
                document=screen.order.number,
            )
        fresh["line"] = screen.rows[mine[0]]["line"]
        screen.rows.insert(mine[-1] + 1, fresh)
        return mine[-1] + 1
    for i, row in enumerate(screen.rows):
        if not row["item"] and not row["quantity"]:
            row["item"] = found.item or ""
            return i
    screen.rows.append(fresh)
    return len(screen.rows) - 1


def _receipt_command(screen: _Receiving, fields: Fields) -> NewReceipt:
    lines = []
    for row in screen.rows:
        if not row["quantity"] and not row["serials"]:
            continue
        lines.append(
            ReceiptLineInput(
                item=row["item"],
                # serial numbers without a quantity: one each
                quantity=row["quantity"] or str(len(parse_serials(row["serials"]))),
                unit=row["unit"] or None,
                order_line=int(row["line"]) if row["line"].isdigit() else None,
                lot=row["lot"] or None,
                serials=row["serials"] or None,
                manufactured_on=parse_day(row["manufactured_on"]),
                expires_on=parse_day(row["expires_on"]),
            )
        )
    order = screen.order
    return NewReceipt(
        lines=lines,
        order=order.number if order else None,
        warehouse=None if order else fields.text("warehouse"),
        supplier=None if order else fields.text("supplier"),
        delivery_note=fields.optional("delivery_note"),
        note=fields.raw("note"),
        confirm_over_receipt=fields.flag("confirm_over_receipt"),
    )


@router.post("/receiving", response_class=HTMLResponse)
def receive_page(
    request: Request, user: Annotated[WebUser, page(RECEIPT_RECEIVE)], fields: FormDep
) -> Response:
    """A scan (the scan field, Enter) fills a row and shows the screen again; "Receive" posts
    the receipt of every row with a quantity and shows its number and what follows."""
    values = _values(fields)
    try:
        order = _receiving_of(request, user, fields.text("order"))
    except NotFound as error:
        return _error_page(request, error)
    except CangkuError as error:
        return _receiving_page(request, user, None, message_of(error, language(request)), 409)
    lines = {line.line_no: line for line in order.lines} if order else {}
    screen = _Receiving(order, values, _rows(fields, RECEIPT_ROW), lines)
    screen.over_receipt = fields.flag("confirm_over_receipt")
    if fields.flag("more"):
        screen.rows += [dict.fromkeys(RECEIPT_ROW, "") for _ in range(MORE_ROWS)]
        screen.rows = screen.rows[:MAX_ROWS]
        return _receiving_page(request, user, screen)
    lang = language(request)
    text = fields.text("scan")
    if text:
        try:
            _scan_into(request, user, screen, text)
        except CangkuError as error:
            return _receiving_page(
                request, user, screen, message_of(error, lang), form_status(error)
            )
        values["scan"] = ""
    if not fields.flag("receive"):
        return _receiving_page(request, user, screen)
    try:
        command = _receipt_command(screen, fields)
        result = create_receipt(db_of(request), acting(request, values["idempotency_key"]), command)
    except NeedsConfirmation as error:
        screen.over_receipt = True
        return _receiving_page(request, user, screen, message_of(error, lang), 409)
    except CangkuError as error:
        return _receiving_page(request, user, screen, message_of(error, lang), form_status(error))
    text = gettext_for(request)(N_("Receipt %(number)s was received.")) % {"number": result.number}
    target = f"/receiving?received={result.number}"
    if order is not None:
        target += f"&order={order.number}"
    elif command.warehouse and command.supplier:
        target += f"&warehouse={command.warehouse}&supplier={command.supplier}"
    return redirect(target, Flash("success", text, tuple(result.move_ids[:10])))


# ================================================================== inspection
@router.get("/inspections/{number}/record", response_class=HTMLResponse)
def inspection_form(
    request: Request, number: str, user: Annotated[WebUser, page(INSPECTION_RECORD)]
) -> Response:
    """The lines still waiting for inspection: accepted (all, to start with), rejected, the
    reason, the sample size and a note per line."""
    try:
        doc = _document(request, user, number, "inspection", INSPECTION_RECORD)
    except CangkuError as error:
        return _error_page(request, error)
    values: dict[str, str] = {"idempotency_key": new_key()}
    for line in doc.lines:
        if line.open > 0:
            values[f"accepted-{line.line_no}"] = str(line.open)
            values[f"rejected-{line.line_no}"] = "0"
    return _inspection_page(request, doc, values)


def _inspection_page(
    request: Request,
    doc: DocumentView,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    lang = language(request)
    children: list[tuple[str, str, str]] = []
    if doc.origin:
        with db_of(request).read() as conn:
            receipt = get_document(conn, doc.origin)
        children = [c for c in receipt.children if c[1] == "putaway"]
    return render(
        request,
        "inspection_form.html",
        status=status,
        doc=doc,
        values=values,
        error=error,
        putaways=children,
        reasons=_reason_options(INSPECTION_REASONS, codes.inspection_reason_label, lang),
        **_labels(request),
    )


@router.post("/inspections/{number}/record", response_class=HTMLResponse)
def record_inspection_page(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(INSPECTION_RECORD)],
    fields: FormDep,
) -> Response:
    """Record the lines with something accepted or rejected; the rest wait."""
    try:
        doc = _document(request, user, number, "inspection", INSPECTION_RECORD)
    except CangkuError as error:
        return _error_page(request, error)
    values = _values(fields)
    lines = []
    for line in doc.lines:
        n = line.line_no
        accepted, rejected = fields.text(f"accepted-{n}"), fields.text(f"rejected-{n}")
        if _is_zero(accepted) and _is_zero(rejected):
            continue
        lines.append(
            InspectionLineInput(
                n,
                accepted=accepted or "0",
                rejected=rejected or "0",
                reason=fields.optional(f"reason-{n}"),
                sample_size=fields.optional(f"sample_size-{n}"),
                note=fields.raw(f"note-{n}"),
            )
        )
    try:
        ctx = acting(request, values["idempotency_key"])
        result = record_inspection(db_of(request), ctx, doc.number, lines, fields.raw("note"))
    except CangkuError as error:
        message = message_of(error, language(request))
        return _inspection_page(request, doc, values, message, form_status(error))
    gettext_ = gettext_for(request)
    text = gettext_(N_("The inspection results of %(number)s were recorded.")) % {
        "number": doc.number
    }
    if result.data.get("putaway"):
        text += " " + gettext_(N_("Put-away %(number)s was opened.")) % {
            "number": result.data["putaway"]
        }
    return redirect(
        f"/inspections/{doc.number}/record", Flash("success", text, tuple(result.move_ids[:10]))
    )


def _is_zero(text: str) -> bool:
    try:
        return Decimal(text or "0") == 0
    except InvalidOperation:
        return False


# ================================================================== put-away
def _putaway_page(
    request: Request,
    doc: DocumentView,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    waiting = [line for line in doc.lines if line.open > 0]
    wanted = values.get("line", "")
    current = next((line for line in waiting if str(line.line_no) == wanted), None)
    current = current or (waiting[0] if waiting else None)
    if current is not None:
        values.setdefault("quantity", str(current.open))
    return render(
        request,
        "putaway_screen.html",
        status=status,
        doc=doc,
        values=values,
        error=error,
        current=current,
        waiting=waiting,
    )


@router.get("/putaways/{number}", response_class=HTMLResponse)
def putaway_screen(
    request: Request, number: str, user: Annotated[WebUser, page(PUTAWAY_CONFIRM)]
) -> Response:
    """One waiting line at a time (``?line=`` picks another): item, lot, quantity waiting,
    the suggested bin; the operator scans the bin and confirms the quantity."""
    try:
        doc = _document(request, user, number, "putaway", PUTAWAY_CONFIRM)
    except CangkuError as error:
        return _error_page(request, error)
    values = {"idempotency_key": new_key(), "line": request.query_params.get("line", "")}
    return _putaway_page(request, doc, values)


@router.post("/putaways/{number}", response_class=HTMLResponse)
def store_putaway_line(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(PUTAWAY_CONFIRM)],
    fields: FormDep,
) -> Response:
    """Store the line's quantity (empty: all waiting) in the scanned bin (empty: the
    suggested one); the next waiting line follows."""
    try:
        doc = _document(request, user, number, "putaway", PUTAWAY_CONFIRM)
    except CangkuError as error:
        return _error_page(request, error)
    values = _values(fields)
    line_no = fields.text("line")
    location = fields.text("location")
    try:
        if not line_no.isdigit():
            raise InvalidInput("no line chosen", code="unknown_line", line=line_no[:20])
        given = PutawayLineInput(int(line_no), location or None, fields.optional("quantity"))
        ctx = acting(request, values["idempotency_key"])
        result = put_away(db_of(request), ctx, doc.number, [given], fields.raw("note"))
    except CangkuError as error:
        return _putaway_page(
            request, doc, values, message_of(error, language(request)), form_status(error)
        )
    line = next(x for x in doc.lines if x.line_no == int(line_no))
    lang = language(request)
    stored = fields.text("quantity") or str(line.open)
    text = gettext_for(request)(N_("Stored %(quantity)s %(unit)s of %(item)s in %(location)s.")) % {
        "quantity": _number(stored, lang),
        "unit": line.base_unit,
        "item": line.item,
        "location": location or line.target_location or "",
    }
    return redirect(f"/putaways/{doc.number}", Flash("success", text, tuple(result.move_ids[:10])))


# ================================================================== supplier returns
RETURN_ROW = ("item", "lot", "location", "quantity", "unit", "reason")


def _return_candidates(request: Request, user: WebUser, receipt: DocumentView) -> list[StockRow]:
    """The stock of what the receipt brought in, where it lies now in its warehouse."""
    seen: set[tuple[str, str | None]] = set()
    found: list[StockRow] = []
    with db_of(request).read() as conn:
        for line in receipt.lines:
            if (line.item, line.lot) in seen:
                continue
            seen.add((line.item, line.lot))
            where = StockFilter(item=line.item, lot=line.lot, warehouse=receipt.warehouse)
            rows = on_hand(conn, where, 100, warehouses=user.warehouses(RETURN_CREATE)).items
            found.extend(r for r in rows if r.on_hand > 0 and (line.lot or r.lot is None))
    return found


def _return_page(
    request: Request,
    user: WebUser,
    receipt: DocumentView | None,
    values: dict[str, str],
    rows: list[dict[str, str]],
    stock: list[StockRow],
    error: str | None = None,
    status: int = 200,
) -> Response:
    lang = language(request)
    return render(
        request,
        "supplier_return_form.html",
        status=status,
        receipt=receipt,
        values=values,
        rows=rows,
        stock=stock,
        error=error,
        may_ship=user.may(RETURN_SHIP.code),
        reasons=_reason_options(RETURN_REASONS, codes.return_reason_label, lang),
    )


def _return_rows(stock: list[StockRow]) -> list[dict[str, str]]:
    rows = []
    for entry in stock:
        row = dict.fromkeys(RETURN_ROW, "")
        reason = "rejected_in_inspection" if entry.location_kind == "quality" else ""
        row.update(item=entry.item, lot=entry.lot or "", location=entry.location, reason=reason)
        rows.append(row)
    return rows


@router.get("/supplier-returns/new", response_class=HTMLResponse)
def supplier_return_form(
    request: Request, user: Annotated[WebUser, page(RETURN_CREATE)]
) -> Response:
    """``?receipt=GR-...``: what the receipt brought in, where it lies now (stock or the
    rejection location), with a quantity and a reason to return each; no receipt: ask."""
    number = request.query_params.get("receipt", "").strip()
    values = {"idempotency_key": new_key(), "receipt": number, "ship": "1"}
    if not number:
        return _return_page(request, user, None, values, [], [])
    try:
        receipt = _document(request, user, number, "receipt", RETURN_CREATE)
    except CangkuError as error:
        return _error_page(request, error)
    stock = _return_candidates(request, user, receipt)
    return _return_page(request, user, receipt, values, _return_rows(stock), stock)


@router.post("/supplier-returns/new", response_class=HTMLResponse)
def create_supplier_return_page(
    request: Request, user: Annotated[WebUser, page(RETURN_CREATE)], fields: FormDep
) -> Response:
    """Raise the return of the rows with a quantity (and send it, when asked and allowed)."""
    values = _values(fields)
    try:
        receipt = _document(request, user, fields.text("receipt"), "receipt", RETURN_CREATE)
    except CangkuError as error:
        return _error_page(request, error)
    stock = _return_candidates(request, user, receipt)
    rows = _rows(fields, RETURN_ROW)
    try:
        lines = [
            ReturnLineInput(
                item=row["item"],
                quantity=row["quantity"],
                location=row["location"],
                lot=row["lot"] or None,
                unit=row["unit"] or None,
                reason=row["reason"],
            )
            for row in rows
            if row["quantity"]
        ]
        command = NewSupplierReturn(
            lines=lines,
            receipt=receipt.number,
            note=fields.raw("note"),
            ship=fields.flag("ship") and user.may(RETURN_SHIP.code),
        )
        ctx = acting(request, values["idempotency_key"])
        result = create_supplier_return(db_of(request), ctx, command)
    except CangkuError as error:
        message = message_of(error, language(request))
        return _return_page(
            request, user, receipt, values, rows, stock, message, form_status(error)
        )
    gettext_ = gettext_for(request)
    if result.state == "returned":
        text = gettext_(N_("Return %(number)s was sent to the supplier.")) % {
            "number": result.number
        }
    else:
        text = gettext_(N_("Return %(number)s was raised as a draft.")) % {"number": result.number}
    return redirect(
        f"/documents/{result.number}", Flash("success", text, tuple(result.move_ids[:10]))
    )
