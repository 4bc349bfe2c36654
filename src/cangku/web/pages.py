"""The web pages: ``mount(app)`` adds every page route and the static files to the app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cangku.queries.alerts import AlertFilter, list_alerts
from cangku.queries.attention import count_below_reorder, count_unusual_balances
from cangku.queries.cost_fields import cost_scope, shown_costs
from cangku.queries.documents import TaskCount, task_counts
from cangku.queries.items import list_items
from cangku.queries.lots import expiry_settings, list_lots
from cangku.queries.outbound import demand
from cangku.queries.sites import list_locations
from cangku.queries.stock import HistoryFilter, history
from cangku.queries.valuation import stock_value_page
from cangku.routing import SegmentRouter
from cangku.services.alerts import ALERT_VIEW
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.items import ITEM_VIEW
from cangku.services.lots import LOT_VIEW
from cangku.services.stock import STOCK_VIEW, VALUATION_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW
from cangku.web import (
    account,
    adjustments,
    alert_subscriptions,
    alerts,
    audit,
    channels,
    charts,
    company,
    count_plan,
    counts,
    data_import,
    deliveries,
    documents,
    imports,
    inbound,
    items,
    jobs,
    labels,
    lots,
    outbound,
    outbound_demand,
    outbound_returns,
    outbound_rules,
    partners,
    replenishment,
    replenishment_levels,
    reports,
    roles,
    signin,
    sites,
    stock,
    transfers,
    users,
)
from cangku.web.access import WebUser, public_page, signed_in_page
from cangku.web.i18n import LANGUAGES, supported
from cangku.web.render import (
    LANG_COOKIE,
    PageRoute,
    db_of,
    environment,
    error_page,
    render,
    safe_next,
)

STATIC = Path(__file__).parent / "static"

router = SegmentRouter(route_class=PageRoute)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: Annotated[WebUser, signed_in_page()]) -> Response:
    """What needs the user today, within what they may see: the stock's value and its last
    12 month ends, open alerts, items at or below their reorder point, expired and expiring
    lots, unusual balances (each linking to the list of exactly those rows), counts, the
    latest moves."""
    db = db_of(request)
    counts: dict[str, int] = {}
    needs: dict[str, int] = {}
    if user.may(ITEM_VIEW.code):
        counts["items"] = list_items(db, limit=1).total
    if user.may(WAREHOUSE_VIEW.code):
        counts["locations"] = list_locations(
            db, limit=1, warehouses=user.warehouses(WAREHOUSE_VIEW)
        ).total
    if user.may(LOT_VIEW.code):
        counts["lots"] = list_lots(db, limit=1).total
        for expiry in ("expired", "expiring_soon"):
            needs[expiry] = list_lots(db, expiry=expiry, limit=1).total
    total_value = None
    latest = []
    tasks: list[TaskCount] = []
    with db.read() as conn:
        if user.may(DOCUMENTS_VIEW.code):
            # the task inbox's counts per step (each card links to the inbox)
            today = expiry_settings(conn).today(utcnow())
            tasks = task_counts(conn, user.actor, today)
            # the planner's warning: items the next 14 days' requests lack (whoever sees
            # documents: the planner before approving, the receiving clerk to hurry a receipt)
            needs["demand_short"] = len(
                demand(conn, today, 14, user.warehouses(DOCUMENTS_VIEW), only_short=True)
            )
        if user.may(ALERT_VIEW.code):
            seen_alerts = user.warehouses(ALERT_VIEW)
            needs["alerts"] = list_alerts(conn, AlertFilter(), seen_alerts, limit=1).total
        if user.may(VALUATION_VIEW.code):
            scope = user.warehouses(VALUATION_VIEW)
            # the total only: one aggregate, not every item's valuation
            total_value = stock_value_page(conn, utcnow(), limit=1, warehouses=scope).total_value
        if user.may(STOCK_VIEW.code):
            seen = user.warehouses(STOCK_VIEW)
            if user.may(ITEM_VIEW.code):
                needs["below_reorder"] = count_below_reorder(conn, seen)
            needs["unusual_balances"] = count_unusual_balances(conn, seen)
            found = history(conn, HistoryFilter(), limit=10, warehouses=seen)
            latest = shown_costs(found.items, cost_scope(conn, user.warehouses(VALUATION_VIEW)))
    return render(
        request,
        "dashboard.html",
        user=user,
        counts=counts,
        needs=needs,
        total_value=total_value,
        moves=latest,
        tasks=tasks,
    )


@router.get("/lang/{code}")
def switch_language(
    request: Request,
    code: str,
    _visitor: Annotated[WebUser | None, public_page()],
    next: str | None = None,
) -> Response:
    """Remember the chosen language in a cookie and go back to the page it was chosen on."""
    response = RedirectResponse(safe_next(next), status_code=303)
    lang = supported(code)
    if lang is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def _favicon(_request: Request) -> Response:
    """``/favicon.ico``, asked for by browsers whatever the page says: the site's SVG icon."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def mount(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (the API is already there)."""
    for module_router in (
        signin.router,
        router,
        account.router,
        charts.router,  # before items: /items/{code}/on-hand.svg, not the item /items/{code}
        items.router,
        sites.router,
        lots.router,
        partners.router,
        stock.router,
        inbound.router,
        outbound.router,
        outbound_demand.router,
        transfers.router,
        outbound_returns.router,
        outbound_rules.router,
        adjustments.router,
        count_plan.router,  # before counts: /counts/plan, not a count
        counts.router,
        imports.router,
        data_import.router,
        users.router,
        roles.router,
        audit.router,
        alert_subscriptions.router,  # before alerts: /alerts/subscriptions, not an alert
        alerts.router,
        channels.router,
        deliveries.router,
        jobs.router,
        replenishment.router,
        replenishment_levels.router,
        labels.router,
        reports.router,
        company.router,
        documents.router,
    ):
        app.include_router(module_router, include_in_schema=False)
    for lang in LANGUAGES:
        documents.install(environment(lang), lang)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_route("/favicon.ico", _favicon, methods=["GET"], include_in_schema=False)
    app.state.html_error = error_page  # unknown pages get an HTML error page, not JSON
