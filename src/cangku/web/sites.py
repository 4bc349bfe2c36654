"""Warehouse and location pages: the warehouse list with its create form, the location tree per
warehouse, one location's stock (with its sub-locations) and the new-location form."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from cangku.db.uow import Database
from cangku.domain.enums import STORAGE_KINDS, ItemType
from cangku.domain.errors import CangkuError
from cangku.queries.sites import (
    get_location,
    list_locations,
    list_warehouses,
    location_subtree,
    warehouse_tree,
)
from cangku.queries.stock import HistoryFilter, StockFilter, history, on_hand, totals
from cangku.services import warehouses as site_service
from cangku.services.warehouses import LocationInput, WarehouseInput
from cangku.web.forms import FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.render import (
    Flash,
    PageRoute,
    acting,
    db_of,
    gettext_for,
    language,
    pager,
    path_part,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute)

STORAGE = sorted(str(kind) for kind in STORAGE_KINDS)


def _lines_per_location(db: Database, warehouse: str) -> Counter[str]:
    """How many stock lines (item and lot) each location of the warehouse holds."""
    lines: Counter[str] = Counter()
    offset = 0
    with db.read() as conn:
        while True:
            page = on_hand(conn, StockFilter(warehouse=warehouse), limit=500, offset=offset)
            lines.update(row.location for row in page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return lines


# ------------------------------------------------------------------ warehouses


def _warehouses_page(request: Request, status: int = 200, **form: Any) -> Response:
    pages = pager(request)
    found = list_warehouses(
        db_of(request), request.query_params.get("q") or None, limit=pages.size, offset=pages.offset
    )
    form.setdefault("values", {})
    form.setdefault("error", None)
    return render(
        request,
        "warehouses.html",
        status=status,
        warehouses=found.items,
        pager=replace(pages, total=found.total),
        q=request.query_params.get("q", ""),
        **form,
    )


@router.get("/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request) -> Response:
    return _warehouses_page(request)


@router.post("/warehouses", response_class=HTMLResponse)
def create_warehouse(request: Request, fields: FormDep) -> Response:
    data = WarehouseInput(
        code=fields.text("code"),
        name=fields.raw("name") or "",
        address=fields.raw("address"),
        allow_negative_stock=fields.flag("allow_negative_stock"),
    )
    try:
        warehouse = site_service.create_warehouse(db_of(request), acting(request), data)
    except CangkuError as error:
        return _warehouses_page(
            request, 422, values=fields.values, error=error_message(error, language(request))
        )
    text = gettext_for(request)(N_("Warehouse %(code)s created.")) % {"code": warehouse.code}
    return redirect("/warehouses", Flash("success", text))


# ------------------------------------------------------------------ locations


@router.get("/locations", response_class=HTMLResponse)
def locations_page(request: Request) -> Response:
    """Every active warehouse's location tree, with the stock lines of each location."""
    db = db_of(request)
    show_virtual = request.query_params.get("virtual") == "1"
    trees = []
    for warehouse in list_warehouses(db, limit=500).items:
        nodes = warehouse_tree(db, warehouse.code, include_virtual=show_virtual)
        trees.append((warehouse, nodes, _lines_per_location(db, warehouse.code)))
    return render(request, "locations.html", trees=trees, show_virtual=show_virtual)


def _location_form(request: Request, status: int = 200, **form: Any) -> Response:
    db = db_of(request)
    form.setdefault("values", {"kind": "internal"})
    form.setdefault("chosen_types", [])
    form.setdefault("error", None)
    return render(
        request,
        "location_form.html",
        status=status,
        kinds=STORAGE,
        item_types=[str(t) for t in ItemType],
        warehouses=list_warehouses(db, active=True, limit=500).items,
        parents=list_locations(db, active=True, limit=500).items,
        **form,
    )


@router.get("/locations/new", response_class=HTMLResponse)
def new_location_page(request: Request) -> Response:
    values = {
        "kind": "internal",
        "parent": request.query_params.get("parent", ""),
        "warehouse": request.query_params.get("warehouse", ""),
    }
    return _location_form(request, values=values)


@router.post("/locations/new", response_class=HTMLResponse)
def create_location(request: Request, fields: FormDep) -> Response:
    data = LocationInput(
        code=fields.text("code"),
        name=fields.raw("name") or "",
        kind=fields.text("kind") or "internal",
        warehouse=fields.optional("warehouse") if not fields.optional("parent") else None,
        parent=fields.optional("parent"),
        level=fields.optional("level"),
        capacity=fields.optional("capacity"),
        allowed_item_types=fields.all("allowed_item_types") or None,
    )
    try:
        location = site_service.create_location(db_of(request), acting(request), data)
    except CangkuError as error:
        values = dict(fields.values)
        return _location_form(
            request,
            422,
            values=values,
            chosen_types=fields.all("allowed_item_types"),
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Location %(code)s created.")) % {"code": location.code}
    return redirect(f"/locations/{path_part(location.code)}", Flash("success", text))


@router.get("/locations/{code:path}", response_class=HTMLResponse)
def location_page(request: Request, code: str) -> Response:
    """The stock at a location and every location below it, and the moves there."""
    db = db_of(request)
    location = get_location(db, code)
    pages = pager(request)
    where = StockFilter(location=location.code, include_virtual=location.is_virtual)
    with db.read() as conn:
        stock = on_hand(conn, where, limit=pages.size, offset=pages.offset)
        total = totals(conn, where)
        moves = history(conn, HistoryFilter(location=location.code), limit=10)
    below = location_subtree(db, location.code, limit=500).items
    return render(
        request,
        "location_detail.html",
        location=location,
        stock=stock.items,
        pager=replace(pages, total=stock.total),
        totals=total,
        moves=moves.items,
        below=below,
    )
