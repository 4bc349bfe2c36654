"""The replenishment levels pages (ADR 0032): ``/replenishment/levels`` (the stored levels in the
warehouses the user sees, filtered) and ``/replenishment/levels/{item}/{warehouse}`` (the working
as the formula with its numbers, the forecast method and why, the lead-time samples, and the
override form); recompute, override and clear POST with CSRF and redirect with a flash."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.queries import replenishment as queries
from cangku.queries.levels import LEVELS
from cangku.routing import SegmentRouter
from cangku.services.replenishment.actions import REPLENISHMENT_MANAGE, REPLENISHMENT_VIEW
from cangku.services.replenishment.levels import recompute_levels
from cangku.services.replenishment.overrides import OverrideInput, clear_override, set_override
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.render import Flash, PageRoute, db_of, gettext_for, language, redirect, render

__all__ = ["router"]

router = SegmentRouter(route_class=PageRoute)

#: the list shows at most this many rows; the API and the CLI page through the rest
SHOWN = 200
RECOMPUTED = N_("Levels recomputed: %(computed)s computed, %(cleared)s cleared.")
OVERRIDDEN = N_("Override saved.")
CLEARED = N_("Override cleared.")
SOURCES = {"override": N_("override"), "computed": N_("computed"), "item": N_("item")}
LEAD_SOURCES = {
    "receipts": N_("from receipts"),
    "supplier": N_("the supplier's"),
    "item": N_("the item's"),
    "default": N_("default"),
}


def _refusal(request: Request, error: CangkuError) -> HTMLResponse:
    message = error_message(error, language(request))
    return render(request, "error.html", status=error.status, message=message, code=error.code)


def _labels(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    return {
        "source_label": lambda code: gettext(SOURCES[code]) if code in SOURCES else "",
        "lead_label": lambda code: gettext(LEAD_SOURCES[code]) if code in LEAD_SOURCES else "",
    }


@router.get("/replenishment/levels", response_class=HTMLResponse)
def levels_page(request: Request, user: Annotated[WebUser, page(REPLENISHMENT_VIEW)]) -> Response:
    """The stored levels, filtered by warehouse, item, category, overridden only."""
    params = request.query_params
    f = queries.LevelFilter(
        params.get("warehouse", "").strip() or None,
        params.get("item", "").strip() or None,
        params.get("category", "").strip() or None,
        params.get("overridden", "") == "1",
    )
    try:
        with db_of(request).read() as conn:
            found = queries.list_levels(conn, f, user.warehouses(REPLENISHMENT_VIEW), SHOWN)
    except CangkuError as error:
        return _refusal(request, error)
    return render(
        request,
        "replenishment_levels.html",
        user=user,
        rows=found.items,
        total=found.total,
        f=f,
        levels=LEVELS,
        may_manage=user.may(REPLENISHMENT_MANAGE.code),
        **_labels(request),
    )


def _formula(row: queries.LevelRow) -> dict[str, Any]:
    """The figures of the formula as the detail page writes them out."""
    working = row.working or {}
    z, deviation = row.z or Decimal(0), Decimal(working.get("deviation", "0"))
    return {
        "variance": working.get("variance"),
        "deviation": working.get("deviation"),
        "raw_safety_stock": (z * deviation).quantize(Decimal("0.000001")),
        "lead_time_demand": working.get("lead_time_demand"),
        "review_period": working.get("review_period"),
    }


@router.get("/replenishment/levels/{item}/{warehouse}", response_class=HTMLResponse)
def level_page(
    request: Request, item: str, warehouse: str, user: Annotated[WebUser, page(REPLENISHMENT_VIEW)]
) -> Response:
    """One item's levels in one warehouse: the working, the method, the override."""
    try:
        with db_of(request).read() as conn:
            seen = user.warehouses(REPLENISHMENT_VIEW)
            row = queries.find_level(conn, item, warehouse, seen, or_own=True)
    except CangkuError as error:
        return _refusal(request, error)
    return render(
        request,
        "replenishment_level.html",
        user=user,
        row=row,
        working=row.working or {},
        formula=_formula(row),
        levels=LEVELS,
        may_manage=user.actor.may(REPLENISHMENT_MANAGE, row.warehouse_id),
        **_labels(request),
    )


def _back(item: str, warehouse: str) -> str:
    return f"/replenishment/levels/{quote(item, safe='')}/{quote(warehouse, safe='')}"


@router.post("/replenishment/levels/recompute", response_class=HTMLResponse)
def recompute(request: Request, user: Annotated[WebUser, page(REPLENISHMENT_MANAGE)]) -> Response:
    """Recompute every warehouse the user manages, then the list again."""
    try:
        done = recompute_levels(db_of(request), acting(request))
    except CangkuError as error:
        return _refusal(request, error)
    text = gettext_for(request)(RECOMPUTED) % {"computed": done.computed, "cleared": done.cleared}
    return redirect("/replenishment/levels", Flash("success", text))


@router.post("/replenishment/levels/{item}/{warehouse}/override", response_class=HTMLResponse)
def override(
    request: Request,
    item: str,
    warehouse: str,
    fields: FormDep,
    user: Annotated[WebUser, page(REPLENISHMENT_MANAGE)],
) -> Response:
    """Save the override typed in the form (an empty level is not overridden)."""
    command = OverrideInput(
        fields.text("reason"),
        fields.optional("safety_stock"),
        fields.optional("reorder_point"),
        fields.optional("order_up_to"),
    )
    try:
        set_override(db_of(request), acting(request), item, warehouse, command)
    except CangkuError as error:
        return _refusal(request, error)
    return redirect(_back(item, warehouse), Flash("success", gettext_for(request)(OVERRIDDEN)))


@router.post("/replenishment/levels/{item}/{warehouse}/clear", response_class=HTMLResponse)
def clear(
    request: Request,
    item: str,
    warehouse: str,
    user: Annotated[WebUser, page(REPLENISHMENT_MANAGE)],
) -> Response:
    """Clear the override, then the page again."""
    try:
        clear_override(db_of(request), acting(request), item, warehouse)
    except CangkuError as error:
        return _refusal(request, error)
    return redirect(_back(item, warehouse), Flash("success", gettext_for(request)(CLEARED)))
