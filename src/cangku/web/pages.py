"""The web pages: ``mount(app)`` adds every page route and the static files to the app."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cangku.queries.items import list_items
from cangku.queries.lots import list_lots
from cangku.queries.sites import list_locations
from cangku.queries.stock import HistoryFilter, history
from cangku.queries.valuation import stock_value
from cangku.services.common import utcnow
from cangku.web import imports, items, lots, partners, sites, stock
from cangku.web.i18n import supported
from cangku.web.render import LANG_COOKIE, PageRoute, db_of, error_page, render

STATIC = Path(__file__).parent / "static"

router = APIRouter(route_class=PageRoute)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    db = db_of(request)
    counts = {
        "items": list_items(db, limit=1).total,
        "locations": list_locations(db, limit=1).total,
        "lots": list_lots(db, limit=1).total,
    }
    now = utcnow()
    with db.read() as conn:
        total_value = stock_value(conn, now).total_value
        latest = history(conn, HistoryFilter(), limit=10).items
    return render(request, "dashboard.html", counts=counts, total_value=total_value, moves=latest)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no ``//host``) may be redirected to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    """Remember the chosen language in a cookie and go back to the page it was chosen on."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    lang = supported(code)
    if lang is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def mount(app: FastAPI) -> None:
    """Add the pages and ``/static`` to ``app`` (the API is already there)."""
    for module_router in (
        router,
        items.router,
        sites.router,
        lots.router,
        partners.router,
        stock.router,
        imports.router,
    ):
        app.include_router(module_router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.html_error = error_page  # unknown pages get an HTML error page, not JSON
