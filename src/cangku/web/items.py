"""Item pages: the list, the create and edit forms, the detail page and the history as of a time."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.enums import CostingMethod, ItemType, Tracking
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.domain.quantities import parse_decimal
from cangku.queries import asof, valuation
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope, shown_costs
from cangku.queries.documents import on_order_of
from cangku.queries.items import Item, get_item, list_categories, list_items, list_units
from cangku.queries.lots import expiry_dates, expiry_day, expiry_settings
from cangku.queries.series import SERIES_DAYS
from cangku.queries.sites import list_locations
from cangku.queries.stock import (
    HistoryFilter,
    MoveRecord,
    StockFilter,
    history,
    on_hand,
    totals,
)
from cangku.routing import SegmentRouter
from cangku.services import items as item_service
from cangku.services.common import utcnow
from cangku.services.items import (
    ITEM_CREATE,
    ITEM_DEACTIVATE,
    ITEM_UPDATE,
    ITEM_VIEW,
    ItemInput,
)
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW
from cangku.web.access import WebUser, acting, page
from cangku.web.display import display_of
from cangku.web.forms import Fields, FormDep, parse_moment
from cangku.web.i18n import N_, error_message
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
from cangku.web.stock import move_listing

router = SegmentRouter(route_class=PageRoute)

#: fields of the item form, in the order the form shows them
ITEM_FIELDS = (
    "code",
    "name",
    "item_type",
    "base_unit",
    "tracking",
    "costing_method",
    "category",
    "description",
    "shelf_life_days",
    "lead_time_days",
    "safety_stock",
    "reorder_point",
    "max_stock",
    "standard_cost",
    "default_location",
    "inspection_required",
    "allocation_strategy",
)

#: the item form's and page's words for each allocation strategy (empty: the default)
ALLOCATION_LABELS = {
    "": N_("Default (by tracking)"),
    "fifo": N_("FIFO (oldest receipt first)"),
    "fefo": N_("FEFO (earliest expiry first)"),
}


def _choices(request: Request, user: WebUser) -> dict[str, Any]:
    db = db_of(request)
    seen = user.warehouses(WAREHOUSE_VIEW)
    return {
        "item_types": [str(t) for t in ItemType],
        "trackings": [str(t) for t in Tracking],
        "costing_methods": [str(c) for c in CostingMethod],
        "units": list_units(db),
        "categories": list_categories(db, limit=500).items,
        "locations": list_locations(db, limit=500, warehouses=seen).items,
        "allocation_labels": ALLOCATION_LABELS,
    }


def _decimal(fields: Fields, name: str) -> Decimal | None:
    text = fields.text(name)
    return parse_decimal(text, name) if text else None


def _units(text: str) -> list[tuple[str, Decimal]]:
    """Lines ``unit = factor`` (base units in one of that unit)."""
    result = []
    for line in text.splitlines():
        if not line.strip():
            continue
        unit, _, factor = line.replace("=", " ").strip().partition(" ")
        if not factor.strip():
            raise InvalidInput(f"{line[:40]!r} needs a factor", code="invalid_factor", unit=unit)
        result.append((unit.strip(), parse_decimal(factor.strip(), "factor")))
    return result


def _barcodes(text: str) -> list[tuple[str, str | None]]:
    """Lines ``barcode [unit]``."""
    result: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if line.strip():
            barcode, _, unit = line.strip().partition(" ")
            result.append((barcode, unit.strip() or None))
    return result


def _item_values(fields: Fields) -> dict[str, Any]:
    """The item form's fields as ``ItemInput`` / ``update_item`` values."""
    return {
        "name": fields.raw("name") or "",
        "item_type": fields.text("item_type"),
        "base_unit": fields.text("base_unit") or "pcs",
        "tracking": fields.text("tracking") or "none",
        "costing_method": fields.text("costing_method") or "fifo",
        "category": fields.optional("category"),
        "description": fields.raw("description"),
        "shelf_life_days": fields.integer("shelf_life_days"),
        "lead_time_days": fields.integer("lead_time_days"),
        "safety_stock": _decimal(fields, "safety_stock"),
        "reorder_point": _decimal(fields, "reorder_point"),
        "max_stock": _decimal(fields, "max_stock"),
        "standard_cost": _decimal(fields, "standard_cost"),
        "default_location": fields.optional("default_location"),
        "inspection_required": fields.flag("inspection_required"),
        "allocation_strategy": fields.optional("allocation_strategy"),
    }


def _form_of(item: item_service.Item) -> dict[str, str]:
    values = {
        name: "" if getattr(item, name) is None else str(getattr(item, name))
        for name in ITEM_FIELDS
    }
    values["units"] = "\n".join(f"{u.unit} = {u.factor}" for u in item.units)
    values["barcodes"] = "\n".join(f"{b.barcode} {b.unit or ''}".strip() for b in item.barcodes)
    values["version"] = str(item.version)
    return values


# ------------------------------------------------------------------ list


#: the item list as a file: what the page shows, and the stock levels set on each item
ITEM_LIST = Listing(
    "items",
    [
        Column(N_("Code"), attrgetter("code")),
        Column(N_("Name"), attrgetter("name")),
        Column(N_("Type"), attrgetter("item_type"), "label"),
        Column(N_("Unit"), attrgetter("base_unit")),
        Column(N_("Tracking"), attrgetter("tracking"), "label"),
        Column(N_("Costing"), attrgetter("costing_method"), "label"),
        Column(N_("Category"), attrgetter("category")),
        Column(N_("Safety stock"), attrgetter("safety_stock"), "number"),
        Column(N_("Reorder point"), attrgetter("reorder_point"), "number"),
        Column(N_("Maximum stock"), attrgetter("max_stock"), "number"),
        Column(N_("Lead time (days)"), attrgetter("lead_time_days"), "number"),
        Column(N_("Barcodes"), lambda i: " ".join(b.barcode for b in i.barcodes)),
        Column(N_("Status"), lambda i: "active" if i.active else "inactive", "label"),
    ],
)


@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request, user: Annotated[WebUser, page(ITEM_VIEW)]) -> Response:
    params = request.query_params
    q = params.get("q", "")
    item_type = params.get("type") or None
    status = params.get("status", "")
    active = {"active": True, "inactive": False}.get(status)
    # at or below the reorder point: on hand in the warehouses whose stock the user sees
    stock = params.get("stock") or None
    if stock is not None:
        user.actor.require(STOCK_VIEW)
    pages = pager(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[Item]:
        return list_items(
            db_of(request),
            q,
            item_type=item_type,
            active=active,
            limit=limit,
            offset=offset,
            sort=pages.sort,
            stock=stock,
            warehouses=user.warehouses(STOCK_VIEW),
        )

    if (file := exported(request, ITEM_LIST, fetch)) is not None:
        return file
    found = fetch(pages.size, pages.offset)
    return render(
        request,
        "items.html",
        items=found.items,
        pager=replace(pages, total=found.total),
        q=q,
        item_type=item_type or "",
        status_filter=status,
        stock_filter=stock or "",
        item_types=[str(t) for t in ItemType],
    )


# ------------------------------------------------------------------ create


@router.get("/items/new", response_class=HTMLResponse)
def new_item_page(request: Request, user: Annotated[WebUser, page(ITEM_CREATE)]) -> Response:
    values = {"base_unit": "pcs", "tracking": "none", "costing_method": "fifo"}
    return render(
        request, "item_form.html", values=values, error=None, item=None, **_choices(request, user)
    )


@router.post("/items/new", response_class=HTMLResponse)
def create_item(
    request: Request, user: Annotated[WebUser, page(ITEM_CREATE)], fields: FormDep
) -> Response:
    try:
        data = ItemInput(
            code=fields.text("code"),
            **_item_values(fields),
            units=_units(fields.text("units")),
            barcodes=_barcodes(fields.text("barcodes")),
        )
        item = item_service.create_item(db_of(request), acting(request), data)
    except CangkuError as error:
        return render(
            request,
            "item_form.html",
            status=form_status(error),
            values=fields.values,
            item=None,
            error=error_message(error, language(request)),
            **_choices(request, user),
        )
    text = gettext_for(request)(N_("Item %(code)s created.")) % {"code": item.code}
    return redirect(f"/items/{path_part(item.code)}", Flash("success", text))


# ------------------------------------------------------------------ edit


@router.get("/items/{code:path}/edit", response_class=HTMLResponse)
def edit_item_page(
    request: Request, code: str, user: Annotated[WebUser, page(ITEM_UPDATE)]
) -> Response:
    item = get_item(db_of(request), code)
    return render(
        request,
        "item_form.html",
        values=_form_of(item),
        error=None,
        item=item,
        **_choices(request, user),
    )


@router.post("/items/{code:path}/edit", response_class=HTMLResponse)
def update_item(
    request: Request, code: str, user: Annotated[WebUser, page(ITEM_UPDATE)], fields: FormDep
) -> Response:
    db = db_of(request)
    item = get_item(db, code)
    try:
        changes = _item_values(fields)
        version = fields.integer("version")
        units = _units(fields.text("units"))
        barcodes = _barcodes(fields.text("barcodes"))
        item = item_service.update_item(  # one transaction: the whole form or nothing
            db,
            acting(request),
            item.code,
            changes,
            version,
            units=units if units != [(u.unit, u.factor) for u in item.units] else None,
            barcodes=barcodes if barcodes != [(b.barcode, b.unit) for b in item.barcodes] else None,
        )
    except CangkuError as error:
        return render(
            request,
            "item_form.html",
            status=form_status(error),
            values=fields.values,
            item=item,
            error=error_message(error, language(request)),
            **_choices(request, user),
        )
    text = gettext_for(request)(N_("Item %(code)s saved.")) % {"code": item.code}
    return redirect(f"/items/{path_part(item.code)}", Flash("success", text))


@router.post("/items/{code:path}/deactivate")
def deactivate_item(
    request: Request, code: str, user: Annotated[WebUser, page(ITEM_DEACTIVATE)]
) -> Response:
    item = item_service.deactivate_item(db_of(request), acting(request), code)
    text = gettext_for(request)(N_("Item %(code)s deactivated.")) % {"code": item.code}
    return redirect(f"/items/{path_part(item.code)}", Flash("success", text))


@router.post("/items/{code:path}/reactivate")
def reactivate_item(
    request: Request, code: str, user: Annotated[WebUser, page(ITEM_DEACTIVATE)]
) -> Response:
    item = item_service.reactivate_item(db_of(request), acting(request), code)
    text = gettext_for(request)(N_("Item %(code)s reactivated.")) % {"code": item.code}
    return redirect(f"/items/{path_part(item.code)}", Flash("success", text))


# ------------------------------------------------------------------ history as of a time


@router.get("/items/{code:path}/history", response_class=HTMLResponse)
def item_history_page(
    request: Request, code: str, user: Annotated[WebUser, page(STOCK_VIEW)]
) -> Response:
    db = db_of(request)
    item = get_item(db, code)
    now = utcnow()
    raw = request.query_params.get("as_of", "")
    # the on-hand chart's range (charts.on_hand_chart draws it): one of SERIES_DAYS
    chart: dict[str, Any] = {"chart_days": SERIES_DAYS, "chart_range": _chart_days(request)}
    try:
        at = parse_moment(raw, display_of(request).zone) or now
    except CangkuError as error:
        return render(
            request,
            "item_history.html",
            status=422,
            item=item,
            as_of=raw,
            error=error_message(error, language(request)),
            rows=[],
            moves=[],
            value=None,
            total=Decimal(0),
            pager=pager(request),
            at=None,
            **chart,
        )
    pages = pager(request)
    seen = user.warehouses(STOCK_VIEW)
    moves_of = HistoryFilter(item=item.code, until=at)
    with db.read() as conn:
        costs = cost_scope(conn, user.warehouses(VALUATION_VIEW))

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[MoveRecord]:
        with db.read() as conn:
            found = history(
                conn, moves_of, limit, offset, warehouses=seen, sort=pages.sort, cursor=cursor
            )
            return replace(found, items=shown_costs(found.items, costs))

    listing = move_listing(f"moves-{item.code}", with_value=costs is None or bool(costs))
    if (file := exported(request, listing, fetch)) is not None:
        return file
    with db.read() as conn:
        rows = asof.stock_as_of(conn, at, StockFilter(item=item.code), now, warehouses=seen)
        moves = history(
            conn, moves_of, pages.size, warehouses=seen, sort=pages.sort, cursor=pages.cursor
        )
        worth = valuation.stock_value(
            conn, now, at=at, item=item.code, warehouses=user.warehouses(VALUATION_VIEW)
        )
        # each lot as it stood then: expired or expiring on the day looked at
        expiry, expires = expiry_settings(conn).on(at), expiry_dates(conn, item.code)
    value = worth.items[0] if worth.items else None
    return render(
        request,
        "item_history.html",
        item=item,
        as_of=raw,
        at=at,
        error=None,
        rows=rows,
        total=sum((r.on_hand for r in rows), Decimal(0)),
        moves=shown_costs(moves.items, costs),
        pager=replace(
            pages,
            total=moves.total,
            total_exact=moves.total_exact,
            keyset=True,
            next_cursor=moves.next_cursor,
            prev_cursor=moves.prev_cursor,
        ),
        value=value,
        expiry=expiry,
        expires=expires,
        **chart,
    )


def _chart_days(request: Request) -> int:
    """The chart range asked for (``days=``), else 90 days."""
    asked = request.query_params.get("days", "")
    return int(asked) if asked in {str(days) for days in SERIES_DAYS} else 90


# ------------------------------------------------------------------ detail


@router.get("/items/{code:path}", response_class=HTMLResponse)
def item_page(request: Request, code: str, user: Annotated[WebUser, page(ITEM_VIEW)]) -> Response:
    db = db_of(request)
    item = get_item(db, code)
    where = StockFilter(item=item.code)
    # without stock.view (valuation.view) the scope is empty and so are the rows
    seen = user.warehouses(STOCK_VIEW)
    with db.read() as conn:
        stock = on_hand(conn, where, limit=500, warehouses=seen)
        total = totals(conn, where, warehouses=seen)
        moves = history(conn, HistoryFilter(item=item.code), limit=10, warehouses=seen)
        costs = cost_scope(conn, user.warehouses(VALUATION_VIEW))
        ordered = on_order_of(conn, item.code, seen)
        worth = valuation.stock_value(
            conn, utcnow(), item=item.code, warehouses=user.warehouses(VALUATION_VIEW)
        )
    return render(
        request,
        "item_detail.html",
        item=item,
        stock=stock.items,
        totals=total,
        on_order=ordered,
        moves=shown_costs(moves.items, costs),
        moves_total=moves.total,
        value=worth.items[0] if worth.items else None,
        expiry=expiry_day(db_of(request)),
        allocation_labels=ALLOCATION_LABELS,
    )
