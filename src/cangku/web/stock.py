"""Stock pages: on hand with filters and totals, the manual stock operations (receive, issue,
transfer, adjust, scrap, reverse) and one move with its reverse button.

Each operation form carries an idempotency key made when the form is shown, so submitting it
twice (a double click, a resent request) posts once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cangku.db.uow import Database
from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.domain.permissions import Action
from cangku.domain.reasons import ADJUSTMENT_REASONS, SCRAP_REASONS
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope, shown_cost
from cangku.queries.items import list_items
from cangku.queries.lots import expiry_day
from cangku.queries.sites import list_locations
from cangku.queries.stock import (
    MoveRecord,
    StockFilter,
    StockRow,
    get_move,
    on_hand,
    unit_totals,
)
from cangku.routing import SegmentRouter
from cangku.services.common import Context
from cangku.services.scans import ScanResult, interpret_scan
from cangku.services.stock import (
    STOCK_ADJUST,
    STOCK_ISSUE,
    STOCK_RECEIVE,
    STOCK_REVERSE,
    STOCK_SCRAP,
    STOCK_TRANSFER,
    STOCK_VIEW,
    VALUATION_VIEW,
    PostingResult,
    ResolvedQuantity,
    adjust_stock,
    issue_stock,
    receive_stock,
    resolve_quantity,
    reverse_move,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Adjust, Issue, Receive, Reverse, Scrap, Transfer
from cangku.web.access import WebUser, acting, current_user, page, signed_in_page
from cangku.web.adjustments import reason_options
from cangku.web.forms import Fields, FormDep, new_key
from cangku.web.i18n import N_, error_message, format_number, label
from cangku.web.listing import Column, Listing, exported
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    environment,
    form_status,
    gettext_for,
    language,
    pager,
    redirect,
    render,
)
from cangku.web.scanning import STICKY_FIELDS, merge_scan, next_focus, sticky_query

router = SegmentRouter(route_class=PageRoute)

#: field name -> (label, input kind)
FIELDS: dict[str, tuple[str, str]] = {
    "item": (N_("Item"), "item"),
    "quantity": (N_("Quantity"), "decimal"),
    "unit": (N_("Unit (empty: base unit)"), "text"),
    "to_location": (N_("To location"), "location"),
    "from_location": (N_("From location"), "location"),
    "location": (N_("Location"), "location"),
    "lot": (N_("Lot / serial number"), "text"),
    "manufactured_on": (N_("Manufacture date"), "date"),
    "expires_on": (N_("Expiry date"), "date"),
    "unit_cost": (N_("Unit cost"), "decimal"),
    "supplier": (N_("Supplier"), "text"),
    "customer": (N_("Customer"), "text"),
    "to": (N_("Issue to"), "target"),
    "reason_code": (N_("Reason"), "reason"),
    "move_id": (N_("Move number"), "integer"),
    "effective_at": (N_("Effective time (your time zone; empty: now)"), "datetime"),
    "note": (N_("Note"), "note"),
}
REQUIRED = {"item", "quantity", "to_location", "from_location", "location", "move_id"}


@dataclass(frozen=True)
class Operation:
    title: str
    help: str
    #: what the user needs to see the form and post it (in the warehouses of the moves)
    action: Action
    fields: tuple[str, ...]
    post: Callable[[Database, Context, Fields], PostingResult]
    reasons: dict[str, str] | None = None


def _receive(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return receive_stock(
        db,
        ctx,
        Receive(
            item=f.text("item"),
            quantity=f.text("quantity"),
            to_location=f.text("to_location"),
            unit=f.optional("unit"),
            lot=f.optional("lot"),
            manufactured_on=f.day("manufactured_on"),
            expires_on=f.day("expires_on"),
            unit_cost=f.optional("unit_cost"),
            supplier=f.optional("supplier"),
            effective_at=f.moment("effective_at"),
            note=f.raw("note"),
        ),
    )


def _issue(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return issue_stock(
        db,
        ctx,
        Issue(
            item=f.text("item"),
            quantity=f.text("quantity"),
            from_location=f.text("from_location"),
            unit=f.optional("unit"),
            lot=f.optional("lot"),
            to=f.text("to") or "customer",
            customer=f.optional("customer"),
            effective_at=f.moment("effective_at"),
            note=f.raw("note"),
        ),
    )


def _transfer(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return transfer_stock(
        db,
        ctx,
        Transfer(
            item=f.text("item"),
            quantity=f.text("quantity"),
            from_location=f.text("from_location"),
            to_location=f.text("to_location"),
            unit=f.optional("unit"),
            lot=f.optional("lot"),
            effective_at=f.moment("effective_at"),
            note=f.raw("note"),
        ),
    )


def _adjust(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return adjust_stock(
        db,
        ctx,
        Adjust(
            item=f.text("item"),
            quantity=f.text("quantity"),
            location=f.text("location"),
            reason_code=f.text("reason_code"),
            unit=f.optional("unit"),
            lot=f.optional("lot"),
            unit_cost=f.optional("unit_cost"),
            expires_on=f.day("expires_on"),
            effective_at=f.moment("effective_at"),
            note=f.raw("note"),
        ),
    )


def _scrap(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return scrap_stock(
        db,
        ctx,
        Scrap(
            item=f.text("item"),
            quantity=f.text("quantity"),
            from_location=f.text("from_location"),
            reason_code=f.text("reason_code"),
            unit=f.optional("unit"),
            lot=f.optional("lot"),
            effective_at=f.moment("effective_at"),
            note=f.raw("note"),
        ),
    )


def _move_number(text: str) -> int:
    if not text.strip().lstrip("#").isdigit():
        raise InvalidInput("give the number of a move", code="invalid_number", field="move_id")
    return int(text.strip().lstrip("#"))


def _reverse(db: Database, ctx: Context, f: Fields) -> PostingResult:
    return reverse_move(
        db,
        ctx,
        Reverse(
            move_id=_move_number(f.text("move_id")),
            note=f.raw("note"),
            effective_at=f.moment("effective_at"),
        ),
    )


OPERATIONS: dict[str, Operation] = {
    "receive": Operation(
        N_("Receive goods"),
        N_("Goods arrive from a supplier into a storage location."),
        STOCK_RECEIVE,
        (
            "item",
            "quantity",
            "unit",
            "to_location",
            "lot",
            "manufactured_on",
            "expires_on",
            "unit_cost",
            "supplier",
            "effective_at",
            "note",
        ),
        _receive,
    ),
    "issue": Operation(
        N_("Issue goods"),
        N_("Goods leave a storage location to a customer or to production."),
        STOCK_ISSUE,
        (
            "item",
            "quantity",
            "unit",
            "from_location",
            "lot",
            "to",
            "customer",
            "effective_at",
            "note",
        ),
        _issue,
    ),
    "transfer": Operation(
        N_("Transfer"),
        N_("Goods move from one location to another."),
        STOCK_TRANSFER,
        ("item", "quantity", "unit", "from_location", "to_location", "lot", "effective_at", "note"),
        _transfer,
    ),
    "adjust": Operation(
        N_("Adjust stock"),
        N_(
            "Correct the stock at a location: a positive quantity is a gain, a negative one a loss."
        ),
        STOCK_ADJUST,
        (
            "item",
            "quantity",
            "unit",
            "location",
            "reason_code",
            "lot",
            "unit_cost",
            "expires_on",
            "effective_at",
            "note",
        ),
        _adjust,
        ADJUSTMENT_REASONS,
    ),
    "scrap": Operation(
        N_("Scrap"),
        N_("Damaged, expired or defective goods go to the scrap location."),
        STOCK_SCRAP,
        ("item", "quantity", "unit", "from_location", "reason_code", "lot", "effective_at", "note"),
        _scrap,
        SCRAP_REASONS,
    ),
    "reverse": Operation(
        N_("Reverse a move"),
        N_("A mistaken move is corrected by a move in the opposite direction."),
        STOCK_REVERSE,
        ("move_id", "effective_at", "note"),
        _reverse,
    ),
}


def _form(
    request: Request,
    user: WebUser,
    name: str,
    values: dict[str, str],
    status: int = 200,
    error: str | None = None,
    resolved: ResolvedQuantity | None = None,
    focus: str = "scan",
) -> Response:
    db = db_of(request)
    operation = OPERATIONS[name]
    return render(
        request,
        "operation.html",
        status=status,
        name=name,
        operation=operation,
        focus=focus,
        operations={key: op for key, op in OPERATIONS.items() if user.may(op.action.code)},
        fields=FIELDS,
        required=REQUIRED,
        values=values,
        error=error,
        resolved=resolved,
        # the company's active codes (``cangku reasons``), in its list order
        reasons=(
            [code for code, _ in reason_options(request, REASON_KINDS[name])]
            if name in REASON_KINDS
            else list(operation.reasons or ())
        ),
        targets=["customer", "production"],
        items=list_items(db, active=True, limit=500).items,
        # the locations of the warehouses where the user may do this
        locations=list_locations(
            db, active=True, limit=500, warehouses=user.warehouses(operation.action)
        ).items,
    )


def _posted_text(request: Request, result: PostingResult) -> str:
    gettext_ = gettext_for(request)
    if result.replayed:
        return gettext_(N_("This form was already submitted; nothing was posted again."))
    lang = language(request)
    parts = [
        gettext_(N_("%(operation)s %(quantity)s %(unit)s %(item)s: %(source)s → %(target)s"))
        % {
            "operation": label(m.operation, lang),
            "quantity": format_number(m.quantity, lang),
            "unit": m.unit,
            "item": m.item,
            "source": m.from_location,
            "target": m.to_location,
        }
        for m in result.moves
    ]
    if result.state == "submitted":
        return gettext_(
            N_(
                "Adjustment %(number)s waits for approval: it is worth more than the company's "
                "threshold, so no stock moved yet."
            )
        ) % {"number": result.document}
    text = gettext_(N_("Posted: %(moves)s.")) % {"moves": "; ".join(parts)}
    if result.document:
        text += " " + gettext_(N_("Adjustment %(number)s.")) % {"number": result.document}
    return text


#: the operations whose reasons are the company's list of a kind
REASON_KINDS = {"adjust": "adjustment", "scrap": "scrap"}


# ------------------------------------------------------------------ operations


@router.get("/stock/operations", response_class=HTMLResponse)
def operations_page(request: Request, user: Annotated[WebUser, signed_in_page()]) -> Response:
    """The operations the user may post (none: an empty page; the menu does not offer it)."""
    allowed = {key: op for key, op in OPERATIONS.items() if user.may(op.action.code)}
    return render(request, "operations.html", operations=allowed)


def _resolve(request: Request, fields: Fields) -> ResolvedQuantity | None:
    """What the item, quantity and unit fields would post (None while no item is given)."""
    if not fields.text("item"):
        return None
    return resolve_quantity(
        db_of(request), fields.text("item"), fields.optional("quantity"), fields.optional("unit")
    )


def _preview(
    request: Request, user: WebUser, name: str, values: dict[str, str], fields: Fields
) -> Response:
    """The form again with what it would post: the item a code or scanned barcode names, the
    unit (a barcode's own), the quantity in the base unit. Posts nothing."""
    focus = next_focus(OPERATIONS[name].fields, values)
    try:
        resolved = _resolve(request, fields)
    except CangkuError as error:
        message = error_message(error, language(request))
        return _form(request, user, name, values, form_status(error), message, focus=focus)
    return _form(request, user, name, values, resolved=resolved, focus=focus)


def _scanned(
    request: Request, operation: Operation, fields: Fields
) -> tuple[dict[str, str], ScanResult | None, CangkuError | None]:
    """The submitted form's values with its ``scan`` field read into the operation's fields
    (a location the user may not use here names nothing), what the scan named, and why the
    scan was refused (then the values are as submitted)."""
    values = dict(fields.values)
    values.pop("csrf_token", None)
    values.setdefault("idempotency_key", new_key())
    text = values.get("scan", "")
    if not text.strip() or "item" not in operation.fields:
        return values, None, None
    seen = current_user(request).warehouses(operation.action)
    try:
        found = interpret_scan(db_of(request), text, warehouses=seen)
    except CangkuError as error:
        return values, None, error
    return merge_scan(operation.fields, values, found), found, None


def _refused(request: Request, name: str, values: dict[str, str], error: CangkuError) -> Response:
    """The form again, as submitted, with the error in the user's language."""
    message = error_message(error, language(request))
    user = current_user(request)
    return _form(request, user, name, values, status=form_status(error), error=message)


def _resolved_html(request: Request, resolved: ResolvedQuantity | None) -> str:
    if resolved is None:
        return ""
    template = environment(language(request)).get_template("_resolved.html")
    return template.render(resolved=resolved)


def _operation_routes(name: str, operation: Operation) -> None:
    """The form of one operation and its posting, both declaring the operation's action."""

    def operation_form(request: Request) -> Response:
        user = current_user(request)  # signed in and allowed by the route's dependency
        kept = ("item", "move_id", *STICKY_FIELDS)
        values = {key: request.query_params.get(key, "") for key in kept}
        values = {key: value for key, value in values.items() if value}
        values["idempotency_key"] = new_key()
        return _form(request, user, name, values)

    def post_operation(request: Request, fields: FormDep) -> Response:
        values, found, refused = _scanned(request, operation, fields)
        if refused is not None:
            return _refused(request, name, values, refused)
        if found is not None:
            fields = Fields(list(values.items()))
        if values.pop("preview", None) and "item" in operation.fields:
            return _preview(request, current_user(request), name, values, fields)
        try:
            ctx = acting(request, values["idempotency_key"])
            result = operation.post(db_of(request), ctx, fields)
        except CangkuError as error:
            return _refused(request, name, values, error)
        level = "info" if result.replayed else "success"
        flash = Flash(level, _posted_text(request, result), tuple(m.id for m in result.moves))
        kept = sticky_query(operation.fields, values)
        return redirect(f"/stock/operations/{name}{kept}", flash)

    def scan_operation(request: Request, fields: FormDep) -> Response:
        """JSON for the page's script: the form's fields after its scan, where the cursor
        goes, and what the item, unit and quantity resolve to (the Check box). Posts nothing."""
        values, found, refused = _scanned(request, operation, fields)
        if refused is not None:
            message = error_message(refused, language(request))
            return JSONResponse({"ok": False, "error": message}, status_code=form_status(refused))
        answer: dict[str, Any] = {
            "ok": True,
            "kind": found.kind if found else None,
            "values": {key: values.get(key, "") for key in ("scan", *operation.fields)},
            "focus": next_focus(operation.fields, values),
            "error": None,
            "resolved": "",
        }
        try:
            resolved = _resolve(request, Fields(list(values.items())))
            answer["resolved"] = _resolved_html(request, resolved)
        except CangkuError as error:
            answer["error"] = error_message(error, language(request))
        return JSONResponse(answer)

    path = f"/stock/operations/{name}"
    for method, endpoint in (("GET", operation_form), ("POST", post_operation)):
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            response_class=HTMLResponse,
            dependencies=[page(operation.action)],
        )
    if "item" in operation.fields:
        router.add_api_route(
            f"{path}/scan",
            scan_operation,
            methods=["POST"],
            response_class=JSONResponse,
            dependencies=[page(operation.action)],
        )


for _name, _operation in OPERATIONS.items():
    _operation_routes(_name, _operation)


# ------------------------------------------------------------------ on hand


#: the stock list as a file: one row per item, location and lot, as on the page
STOCK_LIST = Listing(
    "stock",
    [
        Column(N_("Item"), attrgetter("item")),
        Column(N_("Name"), attrgetter("item_name")),
        Column(N_("Warehouse"), attrgetter("warehouse")),
        Column(N_("Location"), attrgetter("location")),
        Column(N_("Lot"), attrgetter("lot")),
        Column(N_("Expires"), attrgetter("expires_on"), "date"),
        Column(N_("On hand"), attrgetter("on_hand"), "number"),
        Column(N_("Reserved"), attrgetter("reserved"), "number"),
        Column(N_("Available"), attrgetter("available"), "number"),
        Column(N_("Unit"), attrgetter("unit")),
    ],
)


def move_listing(name: str, *, with_value: bool) -> Listing:
    """Moves as a file, as the moves table shows them; unit cost and value only for a reader
    who may see them (``valuation.view``; a move of another warehouse has them empty)."""
    costs = [
        Column(N_("Unit cost"), attrgetter("unit_cost"), "number"),
        Column(N_("Value"), attrgetter("value"), "money"),
    ]
    return Listing(
        name,
        [
            Column(N_("Move"), attrgetter("id"), "number"),
            Column(N_("Effective"), attrgetter("effective_at"), "time"),
            Column(N_("Operation"), attrgetter("operation"), "label"),
            Column(N_("Item"), attrgetter("item")),
            Column(N_("Lot"), attrgetter("lot")),
            Column(N_("From"), attrgetter("from_location")),
            Column(N_("To"), attrgetter("to_location")),
            Column(N_("Quantity"), attrgetter("quantity"), "number"),
            Column(N_("Unit"), attrgetter("unit")),
            Column(N_("Change"), attrgetter("stock_change"), "number"),
            *(costs if with_value else []),
            Column(N_("Reason"), attrgetter("reason_code")),
            Column(N_("User"), attrgetter("user")),
            Column(N_("Reverses"), attrgetter("reverses_move_id"), "number"),
            Column(N_("Note"), attrgetter("note")),
        ],
    )


@router.get("/stock", response_class=HTMLResponse)
def stock_page(request: Request, user: Annotated[WebUser, page(STOCK_VIEW)]) -> Response:
    params = request.query_params
    names = ("item", "location", "warehouse", "lot", "q", "balance")
    filters = {name: params.get(name, "").strip() for name in names}
    where = StockFilter(
        item=filters["item"] or None,
        location=filters["location"] or None,
        warehouse=filters["warehouse"] or None,
        lot=filters["lot"] or None,
        q=filters["q"] or None,
        balance=filters["balance"] or None,
    )
    pages = pager(request)
    error = None
    rows: list[Any] = []
    total = None
    seen = user.warehouses(STOCK_VIEW)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[StockRow]:
        with db_of(request).read() as conn:
            return on_hand(
                conn, where, limit, offset, warehouses=seen, sort=pages.sort, cursor=cursor
            )

    if (file := exported(request, STOCK_LIST, fetch)) is not None:
        return file
    try:
        with db_of(request).read() as conn:
            found = on_hand(
                conn, where, pages.size, warehouses=seen, sort=pages.sort, cursor=pages.cursor
            )
            rows, total = found.items, unit_totals(conn, where, warehouses=seen)
        pages = replace(
            pages,
            total=found.total,
            total_exact=found.total_exact,
            keyset=True,
            next_cursor=found.next_cursor,
            prev_cursor=found.prev_cursor,
        )
    except CangkuError as failure:
        error = error_message(failure, language(request))
    return render(
        request,
        "stock.html",
        rows=rows,
        totals=total,
        filters=filters,
        pager=pages,
        error=error,
        expiry=expiry_day(db_of(request)),
        status=422 if error else 200,
    )


# ------------------------------------------------------------------ moves


def _move(request: Request, user: WebUser, raw: str) -> MoveRecord:
    """The move, if it touched one of the warehouses whose stock the user sees (else 404)."""
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("move", raw)
    with db_of(request).read() as conn:
        move = get_move(conn, int(raw), warehouses=user.warehouses(STOCK_VIEW))
        return shown_cost(move, cost_scope(conn, user.warehouses(VALUATION_VIEW)))


@router.get("/moves/{move_id}", response_class=HTMLResponse)
def move_page(
    request: Request, move_id: str, user: Annotated[WebUser, page(STOCK_VIEW)]
) -> Response:
    move = _move(request, user, move_id)
    return render(request, "move_detail.html", move=move, idempotency_key=new_key())


@router.post("/moves/{move_id}/reverse")
def reverse_from_page(
    request: Request,
    move_id: str,
    user: Annotated[WebUser, page(STOCK_REVERSE)],
    fields: FormDep,
) -> Response:
    move = _move(request, user, move_id)
    ctx = acting(request, fields.optional("idempotency_key"))
    try:
        result = reverse_move(
            db_of(request), ctx, Reverse(move_id=move.id, note=fields.raw("note"))
        )
    except CangkuError as error:
        return redirect(
            f"/moves/{move.id}", Flash("error", error_message(error, language(request)))
        )
    flash = Flash(
        "info" if result.replayed else "success",
        _posted_text(request, result),
        tuple(m.id for m in result.moves),
    )
    return redirect(f"/moves/{result.moves[0].id}", flash)
