"""The analysis reports on the web (issue 15): ``/reports`` lists those the user may read;
``/reports/{name}`` shows one (filters, a chart, the table with its totals, the definitions
under it, downloads); ``/reports/{name}/export?format=`` answers the file in the page's
language; ``/charts/reports/{name}.svg`` draws its chart. One page route per report, made
from its declaration, so each checks the permission the report needs.

A bad filter shows the page again with the message in the user's language (422; 404 for a
code that names nothing), never an error page.

(No ``from __future__ import annotations`` here: the routes made in ``_routes`` annotate with
a local dependency, which FastAPI must see as an object, not as a name to look up.)
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from cangku.domain.enums import ItemType
from cangku.domain.errors import CangkuError
from cangku.domain.permissions import declared_actions
from cangku.queries.items import list_categories
from cangku.queries.partners import list_partners
from cangku.queries.reports import REPORTS, Report, Spec, read_query, run_report
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.report_files import MEDIA_TYPES, file_name, report_file, report_text
from cangku.web.access import WebUser, page, signed_in_page
from cangku.web.charts import chart_size
from cangku.web.display import display_of
from cangku.web.i18n import N_, error_message, label
from cangku.web.render import PageRoute, db_of, form_status, gettext_for, language, render
from cangku.web.report_charts import report_svg

router = SegmentRouter(route_class=PageRoute)

#: the most rows a page shows (the downloads hold every row)
SHOWN_ROWS = 500
#: how the options' choices read (message ids)
CHOICE_LABELS = {
    "item": N_("Item"),
    "category": N_("Category"),
    "type": N_("Item type"),
    "warehouse": N_("Warehouse"),
    "location": N_("Location"),
    "day": N_("Day"),
    "week": N_("Week"),
    "month": N_("Month"),
}
#: the query parameters a report page keeps (filters, time, options)
KEPT = ("warehouse", "category", "type", "item", "supplier", "at", "start", "end", "compare")


def _params(request: Request, spec: Spec) -> dict[str, str]:
    names = (*KEPT, *(o.name for o in spec.options))
    return {k: v for k in names if (v := request.query_params.get(k, "").strip())}


def _compute(request: Request, user: WebUser, spec: Spec, params: dict[str, str]) -> Report:
    act = declared_actions()[spec.permission]
    with db_of(request).read() as conn:
        query = read_query(conn, spec, params, utcnow(), user.warehouses(act))
        return run_report(conn, query)


def _choices(request: Request, user: WebUser, spec: Spec) -> dict[str, Any]:
    """What the filter form offers: the warehouses the user sees, categories, suppliers."""
    db = db_of(request)
    seen = user.warehouses(declared_actions()[spec.permission])
    warehouses = [
        w for w in list_warehouses(db, active=True, limit=500).items if seen is None or w.id in seen
    ]
    return {
        "warehouses": warehouses,
        "categories": list_categories(db, active=True, limit=500).items,
        "suppliers": list_partners(db, role="supplier", active=True, limit=500).items,
        "types": [str(t) for t in ItemType],
    }


def _page(request: Request, user: WebUser, spec: Spec) -> Response:
    params = _params(request, spec)
    lang = language(request)
    error, status, report = None, 200, None
    try:
        report = _compute(request, user, spec, params)
    except CangkuError as exc:
        error, status = error_message(exc, lang), form_status(exc)
        if exc.status == 404:
            status = 404
    t = gettext_for(request)
    query = urlencode(params)
    return render(
        request,
        "report.html",
        status,
        spec=spec,
        report=report,
        params=params,
        query=query,
        error=error,
        notes=[report_text(m, v, t) for m, v in report.notes] if report else [],
        choice_labels=CHOICE_LABELS,
        shown_rows=SHOWN_ROWS,
        **_choices(request, user, spec),
    )


def _export(request: Request, user: WebUser, spec: Spec, fmt: str) -> Response:
    if fmt not in spec.formats:
        return _page(request, user, spec)
    params = _params(request, spec)
    lang = language(request)
    try:
        report = _compute(request, user, spec, params)
    except CangkuError:
        return _page(request, user, spec)
    body = report_file(report, fmt, gettext_for(request), lambda v: label(v, lang))
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, fmt)}"'},
    )


def _chart(request: Request, user: WebUser, spec: Spec, size: str) -> Response:
    size = chart_size(size)
    params = _params(request, spec)
    report = _compute(request, user, spec, params)
    lang = language(request)
    body = report_svg(report, size, lang, display_of(request), gettext_for(request))
    return Response(
        body, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"}
    )


def _routes(spec: Spec) -> None:
    act = declared_actions()[spec.permission]
    User = Annotated[WebUser, page(act)]

    def show(request: Request, user: User) -> Response:
        return _page(request, user, spec)

    def export(
        request: Request,
        user: User,
        format: Annotated[str, Query(description="csv, xlsx or pdf")] = "csv",
    ) -> Response:
        return _export(request, user, spec, format)

    def chart(
        request: Request,
        user: User,
        size: Annotated[str, Query(description="wide or narrow")] = "wide",
    ) -> Response:
        return _chart(request, user, spec, size)

    slug = spec.name.replace("-", "_")
    for function, suffix in ((show, ""), (export, "_export"), (chart, "_chart")):
        function.__name__ = f"report_{slug}{suffix}"
    router.get(f"/reports/{spec.name}")(show)
    router.get(f"/reports/{spec.name}/export")(export)
    router.get(f"/charts/reports/{spec.name}.svg")(chart)


for _spec in REPORTS.values():
    _routes(_spec)


@router.get("/reports")
def reports_index(request: Request, user: Annotated[WebUser, signed_in_page()]) -> Response:
    """The reports the user may read."""
    readable = [s for s in REPORTS.values() if user.may(s.permission)]
    return render(request, "reports.html", reports=readable)


__all__ = ["router"]
