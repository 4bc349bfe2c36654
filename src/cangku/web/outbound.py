"""Outbound data-entry screens (issue 13): raise a sales order or a material requisition, make
a pick list from allocated requests, and pick with a barcode scanner, line by line in walking
order (scan the bin, then the lot, then confirm or type the quantity; a short pick names its
reason).

As the inbound screens (``web/inbound.py``): they work without JavaScript (repeated lines are
numbered fields, "More lines" shows the form again with more rows), every form carries an
idempotency key made when it is shown, and a refusal shows the form again as typed with the
message in the user's language, writing nothing. Customer returns and the approval rules are
in ``outbound_returns.py``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.domain.permissions import Action
from cangku.queries.documents import DocumentView, LineView, get_document, list_documents
from cangku.queries.items import list_items
from cangku.queries.partners import list_partners
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.outbound.picking import (
    PICK_CONFIRM,
    PickLineInput,
    confirm_pick,
    create_pick_list,
)
from cangku.services.outbound.requests import (
    OUTBOUND_ALLOCATE,
    REQUISITION_EDIT,
    SO_EDIT,
    NewRequest,
    RequestLineInput,
    create_request,
)
from cangku.services.scans import interpret_scan
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_, format_number
from cangku.web.inbound import MAX_ROWS, MORE_ROWS, START_ROWS
from cangku.web.outbound_codes import SHORT_PICK_REASONS, refusal, short_pick_reason_label
from cangku.web.outbound_reads import outbound_facts, waiting_requests
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

router = SegmentRouter(route_class=PageRoute)

#: the request forms: kind -> (path, the action raising one needs)
REQUEST_FORMS: dict[str, tuple[str, Action]] = {
    "sales_order": ("/sales-orders/new", SO_EDIT),
    "requisition": ("/requisitions/new", REQUISITION_EDIT),
}
REQUEST_ROW = ("item", "quantity", "unit", "unit_price", "lot", "location")


def _error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = refusal(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def rows_of(fields: Fields, names: tuple[str, ...]) -> list[dict[str, str]]:
    """The numbered rows of a form (``item-0``, ``quantity-0``...), as many as ``rows`` says."""
    try:
        count = min(max(fields.integer("rows") or 0, 0), MAX_ROWS)
    except InvalidInput:
        count = 0
    return [
        {name: fields.values.get(f"{name}-{i}", "").strip() for name in names} for i in range(count)
    ]


def _number(text: str, lang: str) -> str:
    try:
        return format_number(Decimal(text), lang)
    except InvalidOperation:
        return text


def values_of(fields: Fields) -> dict[str, str]:
    values = dict(fields.values)
    values.pop("csrf_token", None)
    values.setdefault("idempotency_key", new_key())
    return values


# ================================================================== requests
def _request_form(
    request: Request,
    user: WebUser,
    kind: str,
    values: dict[str, str],
    rows: list[dict[str, str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    db = db_of(request)
    path, act = REQUEST_FORMS[kind]
    customers = (
        list_partners(db, role="customer", active=True, limit=500).items
        if kind == "sales_order"
        else []
    )
    return render(
        request,
        "outbound_request_form.html",
        status=status,
        kind=kind,
        action=path,
        values=values,
        rows=rows,
        error=error,
        customers=customers,
        warehouses=list_warehouses(
            db, active=True, limit=500, warehouses=user.warehouses(act)
        ).items,
        items=list_items(db, active=True, limit=500).items,
    )


def _new_request_form(request: Request, user: WebUser, kind: str) -> Response:
    params = request.query_params
    values = {"idempotency_key": new_key(), "customer": params.get("customer", ""),
              "warehouse": params.get("warehouse", "")}  # fmt: skip
    rows = [dict.fromkeys(REQUEST_ROW, "") for _ in range(START_ROWS)]
    if params.get("item"):
        rows[0]["item"] = params["item"]
    return _request_form(request, user, kind, values, rows)


def _raise_request(request: Request, user: WebUser, kind: str, fields: Fields) -> Response:
    values = values_of(fields)
    rows = rows_of(fields, REQUEST_ROW)
    if fields.flag("more"):
        rows += [dict.fromkeys(REQUEST_ROW, "") for _ in range(MORE_ROWS)]
        return _request_form(request, user, kind, values, rows[:MAX_ROWS])
    try:
        lines = [
            RequestLineInput(
                item=row["item"],
                quantity=row["quantity"],
                unit=row["unit"] or None,
                unit_price=(row["unit_price"] or None) if kind == "sales_order" else None,
                lot=row["lot"] or None,
                location=row["location"] or None,
            )
            for row in rows
            if row["item"] or row["quantity"]
        ]
        command = NewRequest(
            kind=kind,
            warehouse=fields.text("warehouse"),
            lines=lines,
            customer=fields.optional("customer") if kind == "sales_order" else None,
            ship_to=fields.raw("ship_to") if kind == "sales_order" else None,
            department=fields.optional("department") if kind == "requisition" else None,
            plan_reference=fields.optional("plan_reference"),
            planned_on=fields.day("planned_on"),
            reference=fields.optional("reference"),
            due_on=fields.day("due_on"),
            note=fields.raw("note"),
            submit=fields.flag("submit"),
        )
        result = create_request(db_of(request), acting(request, values["idempotency_key"]), command)
    except CangkuError as error:
        message = refusal(error, language(request))
        return _request_form(request, user, kind, values, rows, message, form_status(error))
    gettext_ = gettext_for(request)
    if result.state == "draft":
        text = gettext_(N_("%(number)s was raised as a draft.")) % {"number": result.number}
    elif result.state == "approved":
        text = gettext_(
            N_("%(number)s was submitted and approved at once: it is under every threshold.")
        ) % {"number": result.number}
    else:
        text = gettext_(N_("%(number)s was submitted; it waits for approval.")) % {
            "number": result.number
        }
    return redirect(f"/documents/{path_part(result.number)}", Flash("success", text))


@router.get("/sales-orders/new", response_class=HTMLResponse)
def sales_order_form(request: Request, user: Annotated[WebUser, page(SO_EDIT)]) -> Response:
    """A new sales order: customer, warehouse, lines (item, quantity, price, a chosen lot or
    bin), the customer's reference, plan, requested date, ship-to, submit now."""
    return _new_request_form(request, user, "sales_order")


@router.post("/sales-orders/new", response_class=HTMLResponse)
def create_sales_order_page(
    request: Request, user: Annotated[WebUser, page(SO_EDIT)], fields: FormDep
) -> Response:
    """Raise the sales order (submitted at once when asked) and go to its page."""
    return _raise_request(request, user, "sales_order", fields)


@router.get("/requisitions/new", response_class=HTMLResponse)
def requisition_form(
    request: Request, user: Annotated[WebUser, page(REQUISITION_EDIT)]
) -> Response:
    """A new material requisition: department, warehouse, lines, the production order or cost
    centre it serves, planned and requested dates, submit now."""
    return _new_request_form(request, user, "requisition")


@router.post("/requisitions/new", response_class=HTMLResponse)
def create_requisition_page(
    request: Request, user: Annotated[WebUser, page(REQUISITION_EDIT)], fields: FormDep
) -> Response:
    """Raise the requisition (submitted at once when asked) and go to its page."""
    return _raise_request(request, user, "requisition", fields)


# ================================================================== making pick lists
def _kind(request: Request, given: str | None = None) -> str:
    kind = given if given is not None else request.query_params.get("kind", "sales_order")
    if kind not in REQUEST_FORMS:
        raise InvalidInput(f"unknown request kind {kind!r}", code="unknown_request_kind")
    return kind


def _pick_list_form(
    request: Request,
    user: WebUser,
    kind: str,
    chosen: list[str],
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    with db_of(request).read() as conn:
        waiting = waiting_requests(conn, kind, user.warehouses(OUTBOUND_ALLOCATE))
    return render(
        request,
        "pick_list_form.html",
        status=status,
        kind=kind,
        waiting=waiting,
        chosen=set(chosen),
        values=values,
        error=error,
    )


@router.get("/pick-lists/new", response_class=HTMLResponse)
def pick_list_form(request: Request, user: Annotated[WebUser, page(OUTBOUND_ALLOCATE)]) -> Response:
    """The requests of a kind (``?kind=``) with stock reserved and on no pick list yet, each
    with a check box (``?request=`` ticks one); one pick list is made for those ticked."""
    try:
        kind = _kind(request)
    except InvalidInput as error:
        return _error_page(request, error)
    chosen = request.query_params.getlist("request")
    return _pick_list_form(request, user, kind, chosen, {"idempotency_key": new_key()})


@router.post("/pick-lists/new", response_class=HTMLResponse)
def create_pick_list_page(
    request: Request, user: Annotated[WebUser, page(OUTBOUND_ALLOCATE)], fields: FormDep
) -> Response:
    """Make the pick list of the ticked requests and open the picking screen."""
    values = values_of(fields)
    chosen = fields.all("request")
    try:
        kind = _kind(request, fields.text("kind") or "sales_order")
    except InvalidInput as error:
        return _error_page(request, error)
    try:
        if not chosen:
            raise InvalidInput("tick at least one request", code="no_requests_chosen")
        ctx = acting(request, values["idempotency_key"])
        result = create_pick_list(
            db_of(request), ctx, chosen, kind,
            assignee=fields.optional("assignee"), note=fields.raw("note"),
        )  # fmt: skip
    except CangkuError as error:
        message = refusal(error, language(request))
        return _pick_list_form(request, user, kind, chosen, values, message, form_status(error))
    text = gettext_for(request)(N_("Pick list %(number)s was made.")) % {"number": result.number}
    return redirect(f"/picking/{path_part(result.number)}", Flash("success", text))


# ================================================================== picking
def _pick_list(request: Request, user: WebUser, number: str) -> DocumentView:
    with db_of(request).read() as conn:
        doc = get_document(conn, number, user.warehouses(PICK_CONFIRM))
    if doc.doc_type != "pick_list":
        raise NotFound("document", number)
    return doc


def _picked(line: LineView) -> bool:
    return line.accepted + line.rejected > 0


def _picking_page(
    request: Request,
    doc: DocumentView,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
    focus: str | None = None,
) -> Response:
    waiting = [line for line in doc.lines if not _picked(line)] if doc.state == "open" else []
    wanted = values.get("line", "")
    current = next((line for line in waiting if str(line.line_no) == wanted), None)
    current = current or (waiting[0] if waiting else None)
    if current is not None:
        values["line"] = str(current.line_no)
        values.setdefault("quantity", str(current.quantity))
        if focus is None:
            focus = "location"
            if values.get("location"):
                focus = "lot" if current.lot and not values.get("lot") else "quantity"
    with db_of(request).read() as conn:
        facts = outbound_facts(conn, doc.number)
    lang = language(request)
    return render(
        request,
        "picking_screen.html",
        status=status,
        doc=doc,
        values=values,
        error=error,
        current=current,
        waiting=waiting,
        focus=focus,
        facts=facts,
        reasons=[(code, short_pick_reason_label(code, lang)) for code in SHORT_PICK_REASONS],
    )


@router.get("/picking", response_class=HTMLResponse)
def picking_chooser(request: Request, user: Annotated[WebUser, page(PICK_CONFIRM)]) -> Response:
    """The open pick lists in the warehouses where the user picks (mine first, then the
    oldest), each opening the picking screen; a scanned pick list number opens it too."""
    scanned = request.query_params.get("list", "").strip()
    if scanned:
        return redirect(f"/picking/{path_part(scanned[:64])}")
    with db_of(request).read() as conn:
        found = list_documents(
            conn, "pick_list", state="open", warehouses_seen=user.warehouses(PICK_CONFIRM),
            limit=100,
        ).items  # fmt: skip
    found.sort(key=lambda d: (d.assignee != user.username, d.created_at))
    return render(request, "picking_chooser.html", lists=found, user=user)


@router.get("/picking/{number}", response_class=HTMLResponse)
def picking_screen(
    request: Request, number: str, user: Annotated[WebUser, page(PICK_CONFIRM)]
) -> Response:
    """One line of the pick list at a time in walking order (``?line=`` picks another): the
    bin, the item, the lot and the quantity to pick; the picker scans the bin, the lot, and
    confirms or types the quantity."""
    try:
        doc = _pick_list(request, user, number)
    except CangkuError as error:
        return _error_page(request, error)
    values = {"idempotency_key": new_key(), "line": request.query_params.get("line", "")}
    return _picking_page(request, doc, values)


def _scanned_lot(request: Request, user: WebUser, text: str, expected: str | None) -> str:
    """The lot a scan names: as typed, or the lot of a GS1 code (``(10)``) scanned."""
    if not text or text == expected:
        return text
    try:
        found = interpret_scan(db_of(request), text, warehouses=user.warehouses(PICK_CONFIRM))
    except CangkuError:
        return text
    return found.lot or text


@router.post("/picking/{number}", response_class=HTMLResponse)
def confirm_pick_line(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(PICK_CONFIRM)],
    fields: FormDep,
) -> Response:
    """Confirm the line: the scanned bin (required) and lot (required when the line has one)
    must be the allocated ones; less than allocated needs a reason. Without the bin or lot the
    screen asks for it and writes nothing; the next line follows a confirmed one."""
    try:
        doc = _pick_list(request, user, number)
    except CangkuError as error:
        return _error_page(request, error)
    values = values_of(fields)
    line_no = fields.text("line")
    line = next((x for x in doc.lines if str(x.line_no) == line_no), None)
    lang = language(request)
    try:
        if line is None:
            raise InvalidInput("no line chosen", code="unknown_line", line=line_no[:20])
        location = fields.text("location")
        lot = _scanned_lot(request, user, fields.text("lot"), line.lot)
        values["lot"] = lot
        if not location:
            return _picking_page(request, doc, values, focus="location")
        if line.lot and not lot:
            return _picking_page(request, doc, values, focus="lot")
        given = PickLineInput(
            line.line_no,
            quantity=fields.text("quantity") or None,
            location=location,
            lot=lot or None,
            reason=fields.optional("reason"),
        )
        ctx = acting(request, values["idempotency_key"])
        result = confirm_pick(db_of(request), ctx, doc.number, [given], fields.raw("note"))
    except CangkuError as error:
        focus = {
            "short_pick_reason_required": "reason",
            "unknown_reason_code": "reason",
            "lot_not_allocated": "lot",
            "wrong_location": "location",
            "location_not_found": "location",
        }.get(error.code, "quantity")
        return _picking_page(request, doc, values, refusal(error, lang), form_status(error), focus)
    picked = _number(fields.text("quantity"), lang) if fields.text("quantity") else None
    gettext_ = gettext_for(request)
    text = gettext_(N_("Picked %(quantity)s %(unit)s of %(item)s from %(location)s.")) % {
        "quantity": picked or format_number(line.quantity, lang),
        "unit": line.base_unit,
        "item": line.item,
        "location": line.location or "",
    }
    again = result.data.get("reallocated") or {}
    if again:
        text += " " + gettext_(N_("Allocated again elsewhere: %(requests)s.")) % {
            "requests": ", ".join(f"{k} ({v})" for k, v in again.items())
        }
    return redirect(
        f"/picking/{path_part(doc.number)}", Flash("success", text, tuple(result.move_ids[:10]))
    )
