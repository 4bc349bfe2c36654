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

import html
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_currency, format_decimal
from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse

from cangku.domain.enums import ItemType
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.domain.permissions import declared_actions
from cangku.queries.items import list_categories
from cangku.queries.partners import list_partners
from cangku.queries.reports import REPORTS, Report, ReportQuery, Spec, read_query, run_report
from cangku.queries.sites import list_warehouses
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.report_files import MEDIA_TYPES, file_name, report_file, report_text
from cangku.web import display
from cangku.web.access import WebUser, page, signed_in_page
from cangku.web.charts import chart_size
from cangku.web.display import Shown, display_of
from cangku.web.i18n import N_, error_message, format_number, label, translations
from cangku.web.render import PageRoute, db_of, environment, form_status, language, render
from cangku.web.report_charts import report_svg

router = SegmentRouter(route_class=PageRoute)

#: where the shell of a report's page leaves room for its results (streamed after it)
RESULTS_MARK = "<!--report-results-->"
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
    "matrix": N_("ABC / XYZ matrix"),
    "lot": N_("Lot"),
    "supplier": N_("Supplier"),
    "line": N_("Order line"),
    "purchase": N_("Purchase"),
    "sales": N_("Sales"),
}
#: the query parameters every report page keeps (its filters, extras and options besides)
KEPT = ("at", "start", "end")
#: the message context of a report's column titles, option labels and day fields: a few short
#: words read differently in Chinese there ("Items" counts them, "From" is a day, "Show" picks
#: a view, where the form's button "Show" runs the query)
CONTEXT = "report"
IN_CONTEXT = frozenset({"Items", "From", "To", "Received", "Show", "Count"})
#: columns of machine keys (a stage's code): the downloads keep them for scripts, the page
#: shows the column beside them that names them
HIDDEN = frozenset({"stage", "kpi"})
#: the kinds of column that hold figures (aligned right)
FIGURES = frozenset({"quantity", "money", "percent", "days", "count", "number"})
#: the values in a report's notes the page says in its language (turnover's averaging points)
NOTE_VALUES = {
    "daily": N_("each day's end"),
    "monthly": N_("each month's end"),
}
#: the day fields of the filter form, as a refused day names them
DAY_FIELDS = {"at": N_("As of"), "start": "From", "end": "To", "compare": N_("Compared with")}

Translate = Callable[[str], str]


def translator(lang: str) -> Translate:
    """The report's message ids in ``lang``: its column titles in the report context."""
    catalogue = translations(lang)

    def translate(message: str) -> str:
        if message in IN_CONTEXT:
            return catalogue.pgettext(CONTEXT, message)
        return catalogue.gettext(message)

    return translate


def _noted(report: Report, lang: str, shown: Shown) -> Report:
    """``report`` with the values of its notes as the page says them: a known word in the
    page's language, a value as money, a quantity as the page writes numbers."""
    translate = translator(lang)

    def said(key: str, v: Any) -> Any:
        if isinstance(v, str) and v in NOTE_VALUES:
            return translate(NOTE_VALUES[v])
        if isinstance(v, Decimal):
            if key == "value":
                return format_currency(v, shown.currency, locale=lang)
            return format_number(v, lang)
        return v

    notes = tuple((m, {k: said(k, v) for k, v in values.items()}) for m, values in report.notes)
    return replace(report, notes=notes)


def _unit_at(report: Report | None) -> int | None:
    """Where a row names the unit of its ``number`` figures (a key figure: money, times, days,
    items, percent), if the report's rows do."""
    if report is None:
        return None
    kinds = {c.key: (k, c.kind) for k, c in enumerate(report.columns)}
    unit = kinds.get("unit")
    if unit is None or unit[1] != "label" or "number" not in {kind for _, kind in kinds.values()}:
        return None
    return unit[0]


def _headings(report: Report | None, lang: str) -> list[str]:
    """The column titles; a figure in the unit its row names is a value, not money ("Value" in
    the key figure context)."""
    if report is None:
        return []
    translate, unit_at = translator(lang), _unit_at(report)
    figure = translations(lang).pgettext("key figure", "Value")
    return [
        figure if unit_at is not None and c.kind == "number" else c.title(translate)
        for c in report.columns
    ]


def _shown(report: Report | None) -> list[int]:
    """The columns the page shows (the unit of a key figure goes with the figure)."""
    if report is None:
        return []
    unit_at = _unit_at(report)
    return [k for k, c in enumerate(report.columns) if c.key not in HIDDEN and k != unit_at]


def _fixed(lang: str) -> Callable[[Any, int], str]:
    """A figure to ``places`` decimals (a ratio, a share, days; a whole number as it is),
    grouped as ``lang`` groups."""

    def fixed(value: Any, places: int) -> str:
        whole = isinstance(value, int) or not places  # a count of days left stays whole
        pattern = "#,##0" if whole else "#,##0." + "0" * places
        return format_decimal(value, pattern, locale=lang)

    return fixed


def _message(error: CangkuError, spec: Spec, lang: str) -> str:
    """The error's message, naming the day field or the option as the form does."""
    translate = translator(lang)
    data: dict[str, Any] = dict(error.data)
    if error.code == "invalid_report_date" and data.get("field") in DAY_FIELDS:
        data["field"] = translate(DAY_FIELDS[data["field"]])
    if error.code == "invalid_report_option":
        option = next((o for o in spec.options if o.name == data.get("option")), None)
        if option is not None:
            data["option"] = translate(option.label)
        if isinstance(data.get("allowed"), list):
            data["allowed"] = [translate(CHOICE_LABELS.get(c, c)) for c in data["allowed"]]
    shown = CangkuError(error.message, code=error.code, **data)
    shown.status = error.status
    return error_message(shown, lang)


def _params(request: Request, spec: Spec) -> dict[str, str]:
    names = (*spec.filters, *KEPT, *spec.extras, *(o.name for o in spec.options))
    return {k: v for k in names if (v := request.query_params.get(k, "").strip())}


def _query(request: Request, user: WebUser, spec: Spec, params: dict[str, str]) -> ReportQuery:
    """The query ``params`` ask, refused (NotFound, InvalidInput) before anything is computed."""
    act = declared_actions()[spec.permission]
    with db_of(request).read() as conn:
        return read_query(conn, spec, params, utcnow(), user.warehouses(act))


def _compute(request: Request, user: WebUser, spec: Spec, params: dict[str, str]) -> Report:
    query = _query(request, user, spec, params)
    with db_of(request).read() as conn:
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


def _results(report: Report, lang: str) -> dict[str, Any]:
    """What the results part of the page shows of ``report``."""
    translate = translator(lang)
    return {
        "report": report,
        "notes": [report_text(m, v, translate) for m, v in report.notes],
        "headings": _headings(report, lang),
        "shown": _shown(report),
        "unit_at": _unit_at(report),
    }


def _page(
    request: Request, user: WebUser, spec: Spec, refused: CangkuError | None = None
) -> Response:
    """The report's page. Its query is read (and refused, with 404 or 422) first; the page is
    then sent at once down to its filters, and the results follow when they are computed, so
    it paints before a long report is done."""
    params = _params(request, spec)
    lang = language(request)
    query: ReportQuery | None = None
    if refused is None:
        try:
            query = _query(request, user, spec, params)
        except CangkuError as exc:
            refused = exc
    common: dict[str, Any] = {
        "spec": spec,
        "params": params,
        "query": urlencode(params),
        "tr": translator(lang),
        "titles": {name: s.title for name, s in REPORTS.items()},
        "figures": FIGURES,
        "fixed": _fixed(lang),
        "choice_labels": CHOICE_LABELS,
        "shown_rows": SHOWN_ROWS,
    }
    if refused is not None or query is None:
        status = 422
        if refused is not None:
            status = 404 if refused.status == 404 else form_status(refused)
        error = _message(refused, spec, lang) if refused is not None else None
        return render(request, "report.html", status, report=None, streaming=False, period=None,
                      error=error, **common, **_choices(request, user, spec))  # fmt: skip
    shell = render(request, "report.html", 200, report=None, streaming=True, period=query,
                   error=None, **common, **_choices(request, user, spec))  # fmt: skip
    head, _, tail = bytes(shell.body).decode().partition(RESULTS_MARK)
    shown, db, asked = display_of(request), db_of(request), query

    def results() -> str:
        # rendered whole between two yields: each step of the stream may run in another
        # thread's context, so the display settings are set and reset within one step
        with display.showing(shown):
            try:
                with db.read() as conn:
                    report = _noted(run_report(conn, asked), lang, shown)
                template = environment(lang).get_template("report_results.html")
                return template.render(**common, **_results(report, lang))
            except CangkuError as exc:  # refused after the page began: said in its place
                message = html.escape(_message(exc, spec, lang))
                return f'<div class="flash flash-error" role="alert">{message}</div>'

    def parts() -> Iterator[str]:
        yield head
        yield results()
        yield tail

    headers = {k: v for k, v in shell.headers.items() if k.lower() != "content-length"}
    return StreamingResponse(parts(), headers=headers, media_type="text/html; charset=utf-8")


def _export(request: Request, user: WebUser, spec: Spec, fmt: str) -> Response:
    if fmt not in spec.formats:
        refused = InvalidInput(
            f"{spec.name} is not written as {fmt}", code="report_format_not_offered",
            offered=list(spec.formats),
        )  # fmt: skip
        return _page(request, user, spec, refused)
    params = _params(request, spec)
    lang = language(request)
    translate = translator(lang)
    try:
        report = _noted(_compute(request, user, spec, params), lang, display_of(request))
    except CangkuError:
        return _page(request, user, spec)
    body = report_file(report, fmt, translate, lambda v: label(v, lang))
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
    body = report_svg(report, size, lang, display_of(request), translator(lang))
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
    return render(request, "reports.html", reports=readable, tr=translator(language(request)))


__all__ = ["router"]
