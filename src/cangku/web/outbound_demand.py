"""The planner's view (issue 13): demand of open sales orders and requisitions due or planned
in the next days against free stock, shortages first; and a shipment's delivery note (PDF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import InvalidInput
from cangku.queries.lots import expiry_settings
from cangku.queries.outbound import demand
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.outbound.delivery_note import delivery_note_pdf
from cangku.web.access import WebUser, page
from cangku.web.render import PageRoute, db_of, language, render

router = SegmentRouter(route_class=PageRoute)

#: the windows the page offers, in days
WINDOWS = (7, 14, 30, 90)


@router.get("/outbound/demand", response_class=HTMLResponse)
def demand_page(request: Request, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]) -> Response:
    """Per warehouse and item: what open requests in the window still want, what is reserved
    for them, the free stock and the shortage."""
    params = request.query_params
    given = params.get("days", "14")
    if not given.isdigit() or not 0 <= int(given) <= 3650:
        raise InvalidInput("days is a whole number from 0 to 3650", code="invalid_days")
    days = int(given)
    short = params.get("short") in ("1", "true", "on")
    warehouse = params.get("warehouse") or None
    db = db_of(request)
    seen = user.warehouses(DOCUMENTS_VIEW)
    with db.read() as conn:
        today = expiry_settings(conn).today(utcnow())
        rows = demand(conn, today, days, seen, warehouse, short)
    return render(
        request,
        "outbound_demand.html",
        rows=rows,
        days=days,
        windows=WINDOWS,
        short=short,
        warehouse=warehouse or "",
        warehouses=[
            w
            for w in list_warehouses(db, active=True, limit=500).items
            if seen is None or w.id in seen
        ],  # fmt: skip
        today=today,
    )


@router.get("/shipments/{number}/delivery-note.pdf")
def delivery_note(
    request: Request, number: str, user: Annotated[WebUser, page(DOCUMENTS_VIEW)]
) -> Response:
    """The shipment's delivery note in the page's language."""
    lang = "zh" if language(request).startswith("zh") else "en"
    pdf, note = delivery_note_pdf(db_of(request), user.actor, number, lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{note.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )
