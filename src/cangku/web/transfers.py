"""Transfer pages (issue 14): raise a transfer (between bins of a warehouse or to another
warehouse), receive one at its destination and resolve its discrepancy on scanner-first
screens, and the stock in transit.

As the outbound screens (``web/outbound.py``): they work without JavaScript (the form's rows
are numbered fields, "More lines" shows the form again with more rows; Enter sends a screen),
every form carries an idempotency key made when it is shown, and a refusal shows the form
again as typed with the message in the user's language, writing nothing. The other steps
(submit, approve, reject, revise, cancel, dispatch) are the document page's buttons
(``web/transfer_steps.py``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, NotFound
from cangku.domain.permissions import Action
from cangku.domain.transfers import Outcome
from cangku.queries.cost_fields import cost_scope_of
from cangku.queries.documents import DocumentView, LineView, get_document
from cangku.queries.items import list_items
from cangku.queries.sites import list_warehouses, warehouse_codes
from cangku.queries.transfers import in_transit
from cangku.routing import SegmentRouter
from cangku.services.documents import DOCUMENTS_VIEW, StepResult
from cangku.services.stock import VALUATION_VIEW
from cangku.services.transfers.movement import Resolution, receive_transfer, resolve_transfer
from cangku.services.transfers.requests import (
    TRANSFER_EDIT,
    TRANSFER_RECEIVE,
    TRANSFER_RESOLVE,
    NewTransfer,
    TransferLineInput,
    create_transfer,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_
from cangku.web.inbound import MAX_ROWS, MORE_ROWS, START_ROWS
from cangku.web.outbound import rows_of, values_of
from cangku.web.outbound_codes import (
    OUTCOMES,
    document_state_label,
    outcome_label,
    refusal,
    step_label,
)
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

TRANSFER_ROW = ("item", "quantity", "unit", "from_location", "lot", "to_location")


def _error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = refusal(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def plain(value: Decimal | None) -> str:
    """A quantity as a form field's value: no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ================================================================== raising a transfer
def _transfer_form(
    request: Request,
    user: WebUser,
    values: dict[str, str],
    rows: list[dict[str, str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    db = db_of(request)
    every = list_warehouses(db, active=True, limit=500).items
    mine = user.warehouses(TRANSFER_EDIT)
    return render(
        request,
        "transfer_form.html",
        status=status,
        values=values,
        rows=rows,
        error=error,
        sources=[w for w in every if mine is None or w.id in mine],
        destinations=every,
        items=list_items(db, active=True, limit=500).items,
    )


@router.get("/transfers/new", response_class=HTMLResponse)
def transfer_form(request: Request, user: Annotated[WebUser, page(TRANSFER_EDIT)]) -> Response:
    """A new transfer: the warehouse it leaves, the one it goes to (or within the first),
    lines of item, quantity, unit, the bin and lot it leaves and the bin it goes to."""
    params = request.query_params
    values = {
        "idempotency_key": new_key(),
        "from_warehouse": params.get("from", ""),
        "to_warehouse": params.get("to", ""),
    }
    rows = [dict.fromkeys(TRANSFER_ROW, "") for _ in range(START_ROWS)]
    if params.get("item"):
        rows[0]["item"] = params["item"]
    return _transfer_form(request, user, values, rows)


@router.post("/transfers/new", response_class=HTMLResponse)
def create_transfer_page(
    request: Request, user: Annotated[WebUser, page(TRANSFER_EDIT)], fields: FormDep
) -> Response:
    """Raise the transfer (submitted at once when asked) and go to its page."""
    values = values_of(fields)
    rows = rows_of(fields, TRANSFER_ROW)
    if fields.flag("more"):
        rows += [dict.fromkeys(TRANSFER_ROW, "") for _ in range(MORE_ROWS)]
        return _transfer_form(request, user, values, rows[:MAX_ROWS])
    try:
        lines = [
            TransferLineInput(
                item=row["item"],
                quantity=row["quantity"],
                from_location=row["from_location"],
                lot=row["lot"] or None,
                to_location=row["to_location"] or None,
                unit=row["unit"] or None,
            )
            for row in rows
            if any(row.values())
        ]
        command = NewTransfer(
            from_warehouse=fields.text("from_warehouse"),
            to_warehouse=fields.optional("to_warehouse"),
            lines=lines,
            reference=fields.optional("reference"),
            due_on=fields.day("due_on"),
            note=fields.raw("note"),
            submit=fields.flag("submit"),
        )
        ctx = acting(request, values["idempotency_key"])
        result = create_transfer(db_of(request), ctx, command)
    except CangkuError as error:
        message = refusal(error, language(request))
        return _transfer_form(request, user, values, rows, message, form_status(error))
    gettext_ = gettext_for(request)
    texts = {
        "draft": N_("%(number)s was raised as a draft."),
        "approved": N_("%(number)s was submitted and approved at once: it stays in one warehouse."),
    }
    text = texts.get(result.state, N_("%(number)s was submitted; it waits for approval."))
    return redirect(
        f"/documents/{path_part(result.number)}",
        Flash("success", gettext_(text) % {"number": result.number}),
    )


# ================================================================== receiving and resolving
def _transfer(request: Request, user: WebUser, number: str, act: Action) -> DocumentView:
    """The transfer, if the user may take ``act`` where it arrives (NotFound elsewhere: a
    transfer of warehouses one does not see does not exist for them)."""
    with db_of(request).read() as conn:
        doc = get_document(conn, number, user.warehouses(act))
    if doc.doc_type != "transfer":
        raise NotFound("document", number)
    destination = next(
        (i for i, c in warehouse_codes(db_of(request)).items() if c == doc.to_warehouse), None
    )
    user.actor.require(act, destination)
    return doc


def _step_done(request: Request, number: str, step: str, result: StepResult) -> Response:
    lang = language(request)
    text = gettext_for(request)(N_("%(number)s: %(step)s done; it is now %(state)s.")) % {
        "number": number,
        "step": step_label(step, lang, "transfer"),
        "state": document_state_label(result.state, lang),
    }
    level = "info" if result.replayed else "success"
    return redirect(f"/documents/{path_part(number)}", Flash(level, text, tuple(result.move_ids)))


def _receiving(doc: DocumentView) -> list[LineView]:
    return [line for line in doc.lines if line.done] if doc.state == "in_transit" else []


def _receive_page(
    request: Request,
    doc: DocumentView,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    lines = _receiving(doc)
    for line in lines:
        values.setdefault(f"received-{line.line_no}", plain(line.done))
        values.setdefault(f"bin-{line.line_no}", line.target_location or "")
    # the first field the receiver has to fill: a bin not known yet, else the first quantity
    empty = [line.line_no for line in lines if not values[f"bin-{line.line_no}"]]
    focus = f"bin-{empty[0]}" if empty else (f"received-{lines[0].line_no}" if lines else "")
    return render(
        request,
        "transfer_receive.html",
        status=status,
        doc=doc,
        lines=lines,
        values=values,
        error=error,
        focus=focus,
    )


@router.get("/transfers/{number}/receive", response_class=HTMLResponse)
def receive_screen(
    request: Request, number: str, user: Annotated[WebUser, page(TRANSFER_RECEIVE)]
) -> Response:
    """Each dispatched line: what was sent, what arrived in good order (what was sent unless
    changed), what arrived damaged, and the bin it goes to (the line's, else scanned)."""
    try:
        doc = _transfer(request, user, number, TRANSFER_RECEIVE)
    except CangkuError as error:
        return _error_page(request, error)
    return _receive_page(request, doc, {"idempotency_key": new_key()})


def _by_line(fields: Fields, name: str, lines: list[LineView]) -> dict[int, str]:
    """The filled ``{name}-{line}`` fields of the lines shown."""
    found = {line.line_no: fields.text(f"{name}-{line.line_no}") for line in lines}
    return {line_no: text for line_no, text in found.items() if text}


@router.post("/transfers/{number}/receive", response_class=HTMLResponse)
def receive_from_screen(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(TRANSFER_RECEIVE)],
    fields: FormDep,
) -> Response:
    """Receive: good goods to their bins; anything short or damaged stays in transit as the
    transfer's discrepancy."""
    try:
        doc = _transfer(request, user, number, TRANSFER_RECEIVE)
    except CangkuError as error:
        return _error_page(request, error)
    values = values_of(fields)
    lines = _receiving(doc)
    try:
        ctx = acting(request, values["idempotency_key"])
        result = receive_transfer(
            db_of(request), ctx, doc.number,
            received=_by_line(fields, "received", lines),
            damaged=_by_line(fields, "damaged", lines),
            bins=_by_line(fields, "bin", lines),
            note=fields.raw("note"),
        )  # fmt: skip
    except CangkuError as error:
        message = refusal(error, language(request))
        return _receive_page(request, doc, values, message, form_status(error))
    return _step_done(request, doc.number, "receive", result)


def _missing(doc: DocumentView) -> list[LineView]:
    if doc.state != "discrepancy":
        return []
    return [line for line in doc.lines if (line.in_transit or 0) > 0]


def _resolve_page(
    request: Request,
    doc: DocumentView,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    lines = _missing(doc)
    for line in lines:
        values.setdefault(f"quantity-{line.line_no}", plain(line.in_transit))
    lang = language(request)
    return render(
        request,
        "transfer_resolve.html",
        status=status,
        doc=doc,
        lines=lines,
        values=values,
        error=error,
        outcomes=[(code, outcome_label(code, lang)) for code in OUTCOMES],
    )


@router.get("/transfers/{number}/resolve", response_class=HTMLResponse)
def resolve_screen(
    request: Request, number: str, user: Annotated[WebUser, page(TRANSFER_RESOLVE)]
) -> Response:
    """Each line with goods still in transit: what became of them (lost, returned, found,
    scrapped), how much, and for found goods the bin they go to."""
    try:
        doc = _transfer(request, user, number, TRANSFER_RESOLVE)
    except CangkuError as error:
        return _error_page(request, error)
    return _resolve_page(request, doc, {"idempotency_key": new_key()})


def _resolutions(fields: Fields, lines: list[LineView]) -> list[Resolution]:
    """A resolution for each line whose outcome is chosen (the others stay in transit)."""
    out = []
    for line in lines:
        outcome = fields.text(f"outcome-{line.line_no}")
        if not outcome:
            continue
        location = fields.text(f"location-{line.line_no}") if outcome == Outcome.FOUND else ""
        out.append(
            Resolution(
                line.line_no,
                outcome,
                fields.text(f"quantity-{line.line_no}") or "0",
                location or None,
            )
        )
    return out


@router.post("/transfers/{number}/resolve", response_class=HTMLResponse)
def resolve_from_screen(
    request: Request,
    number: str,
    user: Annotated[WebUser, page(TRANSFER_RESOLVE)],
    fields: FormDep,
) -> Response:
    """Resolve the lines whose outcome is chosen; the transfer is received once nothing is
    in transit."""
    try:
        doc = _transfer(request, user, number, TRANSFER_RESOLVE)
    except CangkuError as error:
        return _error_page(request, error)
    values = values_of(fields)
    try:
        ctx = acting(request, values["idempotency_key"])
        resolutions = _resolutions(fields, _missing(doc))
        result = resolve_transfer(db_of(request), ctx, doc.number, resolutions, fields.raw("note"))
    except CangkuError as error:
        message = refusal(error, language(request))
        return _resolve_page(request, doc, values, message, form_status(error))
    return _step_done(request, doc.number, "resolve", result)


# ================================================================== stock in transit
@router.get("/transfers/in-transit", response_class=HTMLResponse)
def transit_page(request: Request, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]) -> Response:
    """Every transfer line with goods in transit, the oldest dispatch first, from or to the
    warehouses the user sees (``?warehouse=``: one of them), valued where the user sees
    values."""
    db = db_of(request)
    seen = user.warehouses(DOCUMENTS_VIEW)
    warehouse = request.query_params.get("warehouse", "").strip()[:64] or None
    if warehouse is not None and warehouse not in set(warehouse_codes(db).values()):
        return _error_page(request, NotFound("warehouse", warehouse))
    costs = cost_scope_of(db, user.warehouses(VALUATION_VIEW))
    with db.read() as conn:
        rows = in_transit(conn, seen, warehouse=warehouse, costs_seen=costs)
    total: Any = None
    if rows and all(r.value is not None for r in rows):
        total = sum((r.value for r in rows if r.value is not None), Decimal(0))
    return render(
        request,
        "transfer_transit.html",
        rows=rows,
        total=total,
        valued=any(r.value is not None for r in rows),
        warehouse=warehouse or "",
        warehouses=[
            w
            for w in list_warehouses(db, active=True, limit=500).items
            if seen is None or w.id in seen
        ],
    )
