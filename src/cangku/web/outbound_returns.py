"""Customer returns against a shipment (issue 13): what the shipment took out, per item and
lot, with the quantity coming back, why, and where it goes (back to a bin, to inspection, or
to scrap); received at once at the cost the goods left with, or registered to receive later.
As the supplier return screen (``web/inbound.py``): a refusal keeps the form as typed and
writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.queries.documents import DocumentView, get_document, list_documents
from cangku.routing import SegmentRouter
from cangku.services.outbound.returns import (
    CUSTOMER_RETURN_RECEIVE,
    CustomerReturnLineInput,
    NewCustomerReturn,
    create_customer_return,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep, new_key
from cangku.web.i18n import N_
from cangku.web.outbound import rows_of, values_of
from cangku.web.outbound_codes import (
    DISPOSITIONS,
    RETURN_REASONS,
    disposition_label,
    refusal,
    return_reason_label,
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

RETURN_ROW = ("item", "lot", "quantity", "reason", "disposition", "location")


@dataclass(frozen=True)
class Shipped:
    """What a shipment took out of one item and lot."""

    item: str
    item_name: str
    lot: str | None
    quantity: Decimal
    unit: str


def _error_page(request: Request, error: CangkuError) -> HTMLResponse:
    message = refusal(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def _shipment(request: Request, user: WebUser, number: str) -> DocumentView:
    if not number:
        raise InvalidInput("name the shipment", code="shipment_required")
    with db_of(request).read() as conn:
        doc = get_document(conn, number, user.warehouses(CUSTOMER_RETURN_RECEIVE))
    if doc.doc_type != "shipment":
        raise NotFound("document", number)
    return doc


def _shipped(doc: DocumentView) -> list[Shipped]:
    found: dict[tuple[str, str | None], Shipped] = {}
    for line in doc.lines:
        key = (line.item, line.lot)
        before = found.get(key)
        quantity = line.quantity + (before.quantity if before else 0)
        found[key] = Shipped(line.item, line.item_name, line.lot, quantity, line.base_unit)
    return list(found.values())


def _form(
    request: Request,
    user: WebUser,
    shipment: DocumentView | None,
    values: dict[str, str],
    rows: list[dict[str, str]],
    error: str | None = None,
    status: int = 200,
) -> Response:
    lang = language(request)
    recent = []
    if shipment is None:
        with db_of(request).read() as conn:
            recent = list_documents(
                conn, "shipment", warehouses_seen=user.warehouses(CUSTOMER_RETURN_RECEIVE),
                limit=20,
            ).items  # fmt: skip
    return render(
        request,
        "customer_return_form.html",
        status=status,
        shipment=shipment,
        shipped={(s.item, s.lot or ""): s for s in _shipped(shipment)} if shipment else {},
        recent=recent,
        values=values,
        rows=rows,
        error=error,
        reasons=[(code, return_reason_label(code, lang)) for code in RETURN_REASONS],
        dispositions=[(code, disposition_label(code, lang)) for code in DISPOSITIONS],
    )


@router.get("/customer-returns/new", response_class=HTMLResponse)
def customer_return_form(
    request: Request, user: Annotated[WebUser, page(CUSTOMER_RETURN_RECEIVE)]
) -> Response:
    """``?shipment=SH-...``: what the shipment took out, each with a quantity coming back, a
    reason, where it goes and the bin; no shipment: the latest ones to choose from."""
    number = request.query_params.get("shipment", "").strip()
    values = {"idempotency_key": new_key(), "shipment": number, "receive": "1"}
    if not number:
        return _form(request, user, None, values, [])
    try:
        shipment = _shipment(request, user, number)
    except CangkuError as error:
        return _error_page(request, error)
    rows = []
    for entry in _shipped(shipment):
        row = dict.fromkeys(RETURN_ROW, "")
        row.update(item=entry.item, lot=entry.lot or "", disposition="restock")
        rows.append(row)
    return _form(request, user, shipment, values, rows)


@router.post("/customer-returns/new", response_class=HTMLResponse)
def create_customer_return_page(
    request: Request, user: Annotated[WebUser, page(CUSTOMER_RETURN_RECEIVE)], fields: FormDep
) -> Response:
    """Register the return of the rows with a quantity; received at once when ticked."""
    values = values_of(fields)
    try:
        shipment = _shipment(request, user, fields.text("shipment"))
    except CangkuError as error:
        return _error_page(request, error)
    rows = rows_of(fields, RETURN_ROW)
    try:
        lines = [
            CustomerReturnLineInput(
                item=row["item"],
                quantity=row["quantity"],
                lot=row["lot"] or None,
                reason=row["reason"],
                disposition=row["disposition"],
                location=row["location"] or None,
            )
            for row in rows
            if row["quantity"]
        ]
        command = NewCustomerReturn(
            shipment=shipment.number,
            lines=lines,
            note=fields.raw("note"),
            receive=fields.flag("receive"),
        )
        ctx = acting(request, values["idempotency_key"])
        result = create_customer_return(db_of(request), ctx, command)
    except CangkuError as error:
        message = refusal(error, language(request))
        return _form(request, user, shipment, values, rows, message, form_status(error))
    gettext_ = gettext_for(request)
    if result.state == "received":
        template = N_("Customer return %(number)s was received.")
    else:
        template = N_("Customer return %(number)s was registered; receive it on its page.")
    text = gettext_(template) % {"number": result.number}
    return redirect(
        f"/documents/{path_part(result.number)}",
        Flash("success", text, tuple(result.move_ids[:10])),
    )
