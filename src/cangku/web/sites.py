"""Warehouse and location pages: the warehouse list with its create form, the location tree per
warehouse, one location's stock (with its sub-locations) and the new-location form."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.db.uow import Database
from cangku.domain.enums import STORAGE_KINDS, ItemType
from cangku.domain.errors import CangkuError, InvalidInput, NotFound
from cangku.queries.common import Page
from cangku.queries.cost_fields import cost_scope, shown_costs
from cangku.queries.items import list_categories
from cangku.queries.lots import expiry_day
from cangku.queries.putaway_rules import list_putaway_rules
from cangku.queries.sites import (
    Location,
    Warehouse,
    get_location,
    get_warehouse,
    list_locations,
    list_warehouses,
    location_subtree,
    warehouse_tree,
)
from cangku.queries.stock import (
    HistoryFilter,
    StockFilter,
    UnitTotals,
    history,
    on_hand,
    unit_totals,
)
from cangku.routing import SegmentRouter
from cangku.services import putaway_rules as rule_service
from cangku.services import warehouses as site_service
from cangku.services.locations import LOCATION_MANAGE
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.services.warehouses import (
    WAREHOUSE_CREATE,
    WAREHOUSE_UPDATE,
    WAREHOUSE_VIEW,
    LocationInput,
    WarehouseChanges,
    WarehouseInput,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.codes import level_label, location_name
from cangku.web.forms import FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.listing import Column, Fetch, Listing, exported
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

STORAGE = sorted(str(kind) for kind in STORAGE_KINDS)


def _lines_per_location(db: Database, warehouse: str) -> Counter[str]:
    """How many stock lines (item and lot) each location of the warehouse holds."""
    lines: Counter[str] = Counter()
    offset = 0
    with db.read() as conn:
        while True:
            found = on_hand(conn, StockFilter(warehouse=warehouse), limit=500, offset=offset)
            lines.update(row.location for row in found.items)
            offset += len(found.items)
            if not found.items or offset >= found.total:
                return lines


# ------------------------------------------------------------------ warehouses


def warehouse_list(gettext: Callable[[str], str]) -> Listing:
    """The warehouse list as a file, in the reader's language: what the page shows."""

    def allowed(flag: bool) -> str:
        return gettext(N_("Allowed") if flag else N_("Not allowed"))

    def issued(flag: bool) -> str:
        return gettext(N_("May be issued") if flag else N_("Not issued"))

    return Listing(
        "warehouses",
        [
            Column(N_("Code"), attrgetter("code")),
            Column(N_("Name"), attrgetter("name")),
            Column(N_("Address"), attrgetter("address")),
            Column(N_("Negative stock"), lambda w: allowed(w.allow_negative_stock)),
            Column(N_("Expired lots"), lambda w: issued(w.allow_expired_issue)),
            Column(N_("Status"), lambda w: "active" if w.active else "inactive", "label"),
        ],
    )


def _warehouse_rows(request: Request, user: WebUser) -> Fetch:
    """Reads a page of the warehouse list as the URL filters and sorts it."""

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[Warehouse]:
        return list_warehouses(
            db_of(request),
            request.query_params.get("q") or None,
            limit=limit,
            offset=offset,
            warehouses=user.warehouses(WAREHOUSE_VIEW),
            sort=request.query_params.get("sort"),
        )

    return fetch


def _warehouses_page(request: Request, user: WebUser, status: int = 200, **form: Any) -> Response:
    pages = pager(request)
    found = _warehouse_rows(request, user)(pages.size, pages.offset, None)
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
def warehouses_page(request: Request, user: Annotated[WebUser, page(WAREHOUSE_VIEW)]) -> Response:
    listing = warehouse_list(gettext_for(request))
    if (file := exported(request, listing, _warehouse_rows(request, user))) is not None:
        return file
    return _warehouses_page(request, user)


@router.post("/warehouses", response_class=HTMLResponse)
def create_warehouse(
    request: Request, user: Annotated[WebUser, page(WAREHOUSE_CREATE)], fields: FormDep
) -> Response:
    data = WarehouseInput(
        code=fields.text("code"),
        name=fields.raw("name") or "",
        address=fields.raw("address"),
        allow_negative_stock=fields.flag("allow_negative_stock"),
        allow_expired_issue=fields.flag("allow_expired_issue"),
    )
    try:
        warehouse = site_service.create_warehouse(db_of(request), acting(request), data)
    except CangkuError as error:
        return _warehouses_page(
            request,
            user,
            form_status(error),
            values=fields.values,
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Warehouse %(code)s created.")) % {"code": warehouse.code}
    return redirect("/warehouses", Flash("success", text))


#: the warehouse form's inbound locations (a select each; empty: the default)
INBOUND_FIELDS = ("receiving_location", "quality_location", "rejection_location")


def _codes_of_kind(db: Database, warehouse: str, kind: str) -> list[str]:
    found = list_locations(db, warehouse=warehouse, kind=kind, active=True, limit=500)
    return [location.code for location in found.items]


def _warehouse_form(
    request: Request,
    user: WebUser,
    code: str,
    values: dict[str, Any] | None = None,
    status: int = 200,
    error: str | None = None,
    rule_values: dict[str, Any] | None = None,
    rule_error: str | None = None,
) -> Response:
    """A warehouse's name, address, policies (negative stock, issuing expired lots) and
    inbound locations; below, its put-away rules with the forms to add and remove them."""
    db = db_of(request)
    seen = user.warehouses(WAREHOUSE_VIEW)
    warehouse = get_warehouse(db, code, warehouses=seen)
    if values is None:
        values = {
            "name": warehouse.name,
            "address": warehouse.address or "",
            "allow_negative_stock": warehouse.allow_negative_stock,
            "allow_expired_issue": warehouse.allow_expired_issue,
            "version": str(warehouse.version),
            **{name: getattr(warehouse, name) or "" for name in INBOUND_FIELDS},
        }
    return render(
        request,
        "warehouse_form.html",
        status=status,
        warehouse=warehouse,
        values=values,
        error=error,
        receiving_codes=_codes_of_kind(db, warehouse.code, "receiving"),
        quality_codes=_codes_of_kind(db, warehouse.code, "quality"),
        storage_codes=_codes_of_kind(db, warehouse.code, "internal"),
        rules=list_putaway_rules(db, warehouse.code, warehouses=seen),
        categories=list_categories(db, active=True, limit=500).items,
        item_types=[str(t) for t in ItemType],
        rule_values=rule_values or {"priority": "100"},
        rule_error=rule_error,
    )


@router.get("/warehouses/{code:path}/edit", response_class=HTMLResponse)
def edit_warehouse_page(
    request: Request, code: str, user: Annotated[WebUser, page(WAREHOUSE_UPDATE)]
) -> Response:
    return _warehouse_form(request, user, code)


@router.post("/warehouses/{code:path}/edit", response_class=HTMLResponse)
def edit_warehouse(
    request: Request, code: str, user: Annotated[WebUser, page(WAREHOUSE_UPDATE)], fields: FormDep
) -> Response:
    try:
        changes = WarehouseChanges(
            name=fields.raw("name") or "",
            address=fields.raw("address"),
            allow_negative_stock=fields.flag("allow_negative_stock"),
            allow_expired_issue=fields.flag("allow_expired_issue"),
            version=fields.integer("version"),
            **{name: fields.optional(name) for name in INBOUND_FIELDS if name in fields.values},
        )
        warehouse = site_service.update_warehouse(db_of(request), acting(request), code, changes)
    except CangkuError as error:
        message = error_message(error, language(request))
        return _warehouse_form(request, user, code, fields.values, form_status(error), message)
    text = gettext_for(request)(N_("Warehouse %(code)s saved.")) % {"code": warehouse.code}
    return redirect("/warehouses", Flash("success", text))


# ------------------------------------------------------------------ put-away rules


@router.post("/warehouses/{code:path}/putaway-rules", response_class=HTMLResponse)
def add_putaway_rule(
    request: Request, code: str, user: Annotated[WebUser, page(LOCATION_MANAGE)], fields: FormDep
) -> Response:
    get_warehouse(db_of(request), code, warehouses=user.warehouses(WAREHOUSE_VIEW))
    try:
        rule = rule_service.add_putaway_rule(
            db_of(request),
            acting(request),
            code,
            fields.text("location"),
            item=fields.optional("item"),
            category=fields.optional("category"),
            item_type=fields.optional("item_type"),
            priority=_priority(fields.text("priority")),
        )
    except CangkuError as error:
        message = error_message(error, language(request))
        return _warehouse_form(
            request, user, code, None, form_status(error), rule_values=fields.values,
            rule_error=message,
        )  # fmt: skip
    text = gettext_for(request)(N_("Put-away rule to %(location)s added.")) % {
        "location": rule.location
    }
    return redirect(f"/warehouses/{path_part(code)}/edit", Flash("success", text))


def _priority(text: str) -> int:
    """The priority typed (100 when left empty); InvalidInput ``invalid_priority`` for text
    that is not a whole number (the service checks the range)."""
    if not text:
        return 100
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(
            "priority is a whole number", code="invalid_priority", field="priority"
        ) from None


@router.post("/warehouses/{code:path}/putaway-rules/remove", response_class=HTMLResponse)
def remove_putaway_rule(
    request: Request, code: str, user: Annotated[WebUser, page(LOCATION_MANAGE)], fields: FormDep
) -> Response:
    get_warehouse(db_of(request), code, warehouses=user.warehouses(WAREHOUSE_VIEW))
    try:
        rule_id = fields.integer("rule_id")
        if rule_id is None:
            raise NotFound("putaway_rule", fields.text("rule_id"))
        rule_service.remove_putaway_rule(db_of(request), acting(request), rule_id, warehouse=code)
    except CangkuError as error:
        message = error_message(error, language(request))
        return _warehouse_form(request, user, code, None, form_status(error), rule_error=message)
    text = gettext_for(request)(N_("Put-away rule removed."))
    return redirect(f"/warehouses/{path_part(code)}/edit", Flash("success", text))


# ------------------------------------------------------------------ locations


def location_list(lang: str) -> Listing:
    """The location list as a file, in the reader's language: each location with its
    warehouse and parent (the tree's shape, flattened)."""
    return Listing(
        "locations",
        [
            Column(N_("Location"), attrgetter("code")),
            Column(N_("Name"), lambda loc: location_name(loc.name, lang)),
            Column(N_("Warehouse"), attrgetter("warehouse")),
            Column(N_("Kind"), attrgetter("kind"), "label"),
            Column(N_("Level"), lambda loc: level_label(loc.level, lang) if loc.level else None),
            Column(N_("Parent"), attrgetter("parent")),
            Column(N_("Status"), lambda loc: "active" if loc.active else "inactive", "label"),
        ],
    )


@router.get("/locations", response_class=HTMLResponse)
def locations_page(request: Request, user: Annotated[WebUser, page(WAREHOUSE_VIEW)]) -> Response:
    """The location tree of every warehouse the user sees, with the stock lines of each
    location (where the user sees the stock); sorted by a column (``?sort=``), one flat list
    of the locations, a page at a time. Either way ``?export=`` gives the flat list."""
    db = db_of(request)
    show_virtual = request.query_params.get("virtual") == "1"
    pages = pager(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[Location]:
        return list_locations(
            db,
            include_virtual=show_virtual,
            limit=limit,
            offset=offset,
            warehouses=user.warehouses(WAREHOUSE_VIEW),
            sort=pages.sort,
        )

    if (file := exported(request, location_list(language(request)), fetch)) is not None:
        return file
    if pages.sort:
        found = fetch(pages.size, pages.offset)
        return render(
            request,
            "locations.html",
            trees=[],
            flat=found.items,
            pager=replace(pages, total=found.total),
            show_virtual=show_virtual,
        )
    trees = []
    for warehouse in list_warehouses(
        db, limit=500, warehouses=user.warehouses(WAREHOUSE_VIEW)
    ).items:
        nodes = warehouse_tree(db, warehouse.code, include_virtual=show_virtual)
        lines = (
            _lines_per_location(db, warehouse.code)
            if user.actor.may(STOCK_VIEW, warehouse.id)
            else Counter[str]()
        )
        trees.append((warehouse, nodes, lines))
    return render(
        request, "locations.html", trees=trees, flat=None, pager=pages, show_virtual=show_virtual
    )


def _location_form(request: Request, user: WebUser, status: int = 200, **form: Any) -> Response:
    db = db_of(request)
    allowed = user.warehouses(LOCATION_MANAGE)
    form.setdefault("values", {"kind": "internal"})
    form.setdefault("chosen_types", [])
    form.setdefault("error", None)
    return render(
        request,
        "location_form.html",
        status=status,
        kinds=STORAGE,
        item_types=[str(t) for t in ItemType],
        warehouses=list_warehouses(db, active=True, limit=500, warehouses=allowed).items,
        parents=list_locations(db, active=True, limit=500, warehouses=allowed).items,
        **form,
    )


@router.get("/locations/new", response_class=HTMLResponse)
def new_location_page(
    request: Request, user: Annotated[WebUser, page(LOCATION_MANAGE)]
) -> Response:
    values = {
        "kind": "internal",
        "parent": request.query_params.get("parent", ""),
        "warehouse": request.query_params.get("warehouse", ""),
    }
    return _location_form(request, user, values=values)


@router.post("/locations/new", response_class=HTMLResponse)
def create_location(
    request: Request, user: Annotated[WebUser, page(LOCATION_MANAGE)], fields: FormDep
) -> Response:
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
            user,
            form_status(error),
            values=values,
            chosen_types=fields.all("allowed_item_types"),
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Location %(code)s created.")) % {"code": location.code}
    return redirect(f"/locations/{path_part(location.code)}", Flash("success", text))


@router.get("/locations/{code:path}", response_class=HTMLResponse)
def location_page(
    request: Request, code: str, user: Annotated[WebUser, page(WAREHOUSE_VIEW)]
) -> Response:
    """The stock at a location and every location below it, and the moves there (another
    warehouse's location: 404, as if it did not exist)."""
    db = db_of(request)
    location = get_location(db, code, warehouses=user.warehouses(WAREHOUSE_VIEW))
    pages = pager(request)
    where = StockFilter(location=location.code, include_virtual=location.is_virtual)
    shows_stock = user.actor.may(STOCK_VIEW, location.warehouse_id)
    stock: list[Any] = []
    total: list[UnitTotals] = []
    moves: list[Any] = []
    if shows_stock:
        seen = user.warehouses(STOCK_VIEW)
        with db.read() as conn:
            found = on_hand(conn, where, limit=pages.size, offset=pages.offset, warehouses=seen)
            stock, pages = found.items, replace(pages, total=found.total)
            total = unit_totals(conn, where, warehouses=seen)
            recent = history(conn, HistoryFilter(location=location.code), limit=10, warehouses=seen)
            moves = shown_costs(recent.items, cost_scope(conn, user.warehouses(VALUATION_VIEW)))
    below = location_subtree(
        db, location.code, limit=500, warehouses=user.warehouses(WAREHOUSE_VIEW)
    ).items
    return render(
        request,
        "location_detail.html",
        location=location,
        shows_stock=shows_stock,
        stock=stock,
        pager=pages,
        totals=total,
        moves=moves,
        below=below,
        expiry=expiry_day(db_of(request)),
    )
