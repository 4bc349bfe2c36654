"""The analysis reports (``/api/v1/reports``, issue 15, ADR 0027): ``GET /reports`` lists them,
``GET /reports/{name}`` answers one, computed from the ledger when asked, as JSON or (with
``format=``) as a CSV, XLSX or PDF file.

One route per report, made here from the report's declaration (``queries.reports.REPORTS``),
so the OpenAPI document names each report's own options and the permission it needs. Every
report takes the same filters (warehouse, category, item type, item, supplier) and either an
``at`` day or a ``start`` and ``end`` day; a warehouse the caller may not see answers 404 as
one that does not exist, and without a warehouse filter the figures cover the warehouses the
caller sees.
"""

from __future__ import annotations

import inspect
import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from cangku.api.deps import DbDep, permit, signed_in
from cangku.api.openapi import one_of, problems
from cangku.domain.enums import ItemType
from cangku.domain.permissions import Actor, declared_actions
from cangku.queries.reports import EXTRAS, REPORTS, Report, Spec, read_query, run_report
from cangku.routing import SegmentRouter
from cangku.services.common import utcnow
from cangku.services.report_files import MEDIA_TYPES, file_name, report_file, report_text

router = SegmentRouter(tags=["reports"])


class OptionOut(BaseModel):
    name: str
    choices: list[str] = Field(description="the values it takes, the first the default")
    low: int | None = None
    high: int | None = None


class ReportInfoOut(BaseModel):
    name: str
    title: str
    description: str
    time: Literal["as_of", "period"]
    options: list[OptionOut]
    filters: list[str]
    formats: list[str]
    permission: str


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str = Field(
        description="text, label (a closed-vocabulary code), quantity, money, percent, days, "
        "date, count or number"
    )


class ReportOut(BaseModel):
    name: str
    title: str
    at: str | None = Field(description="the day the report is as of (null: now)")
    start: date | None
    end: date | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None
    definitions: list[str] = Field(description="what each figure means here")
    notes: list[str]


@router.get(
    "/reports",
    summary="The analysis reports and what each takes",
    dependencies=[signed_in()],
)
def list_reports() -> list[ReportInfoOut]:
    return [_info(spec) for spec in REPORTS.values()]


def _info(spec: Spec) -> ReportInfoOut:
    options = [
        OptionOut(
            name=o.name,
            choices=list(o.choices),
            low=None if o.choices else o.low,
            high=None if o.choices else o.high,
        )
        for o in spec.options
    ]
    return ReportInfoOut(
        name=spec.name, title=spec.title, description=spec.description, time=spec.time,
        options=options, filters=list(spec.filters), formats=["json", *spec.formats],
        permission=spec.permission,
    )  # fmt: skip


def _out(report: Report) -> ReportOut:
    keys = report.column_keys()
    q = report.query
    return ReportOut(
        name=report.name,
        title=report.title,
        at=q.at_day.isoformat() if q.at_day else None,
        start=q.start,
        end=q.end,
        columns=[ColumnOut(key=c.key, label=c.title(), kind=c.kind) for c in report.columns],
        rows=report.as_dicts(),
        totals=dict(zip(keys, report.totals, strict=True)) if report.totals else None,
        definitions=list(report.definitions),
        notes=[report_text(m, v, str) for m, v in report.notes],
    )


Text = Annotated[str | None, Query(max_length=100)]
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: the days a report may name: the day before and after each stays a date
DAYS = (date(1900, 1, 1), date(9998, 12, 31))


def _day(value: Any) -> Any:
    """A day written YYYY-MM-DD within ``DAYS`` (pydantic alone also takes a Unix time, 0 as
    1970-01-01, and a datetime at midnight)."""
    first, last = (d.isoformat() for d in DAYS)
    if (
        isinstance(value, date)
        or isinstance(value, str)
        and _DAY.match(value)
        and (first <= value <= last)
    ):
        return value
    raise PydanticCustomError(
        "invalid_day", "must be a day written YYYY-MM-DD from {first} to {last}",
        {"first": first, "last": last},
    )  # fmt: skip


Day = Annotated[date | None, BeforeValidator(_day)]


def _parameters(spec: Spec) -> list[inspect.Parameter]:
    """The query parameters of ``spec``'s route, as a signature FastAPI reads."""

    def param(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
        )

    found = [
        param("request", Request, inspect.Parameter.empty),
        param("db", DbDep, inspect.Parameter.empty),
        param("actor", Annotated[Actor, permit(declared_actions()[spec.permission])],
              inspect.Parameter.empty),
    ]  # fmt: skip
    described = {
        "warehouse": "a warehouse code",
        "category": "a category code (and the categories under it)",
        "type": "an item type",
        "item": "an item code or barcode",
        "supplier": "a supplier's code: the items it supplies",
    }
    for f in spec.filters:  # the item types are named in the schema (the report checks them)
        kinds = one_of(ItemType) if f == "type" else None
        text = Query(max_length=100, description=described[f], json_schema_extra=kinds)
        found.append(param(f, Annotated[str | None, text]))
    if spec.time == "as_of":
        found.append(param("at", Annotated[Day, Query(description="as of this day's end"
                                                      " (default: now)")]))  # fmt: skip
    else:
        found.append(param("start", Annotated[Day, Query(description="the first day")]))
        found.append(param("end", Annotated[Day, Query(description="the last day")]))
    for extra in spec.extras:
        if extra == "compare":  # a day (a length bound on it fails: 500)
            found.append(param(extra, Annotated[Day, Query(description=EXTRAS[extra])]))
        else:
            text = Query(max_length=100, description=EXTRAS[extra])
            found.append(param(extra, Annotated[str | None, text]))
    for option in spec.options:
        if option.choices:
            kind: Any = Literal[option.choices]
            found.append(param(option.name, Annotated[kind | None, Query()]))
        else:
            bounds = Query(ge=option.low, le=option.high)
            found.append(param(option.name, Annotated[int | None, bounds]))
    formats: Any = Literal[("json", *spec.formats)]
    found.append(param("format", formats, "json"))
    return found


def _route(spec: Spec) -> None:
    def answer(**kwargs: Any) -> ReportOut | Response:
        actor: Actor = kwargs.pop("actor")
        db = kwargs.pop("db")
        kwargs.pop("request")
        fmt = kwargs.pop("format")
        params = {
            k: v.isoformat() if isinstance(v, date) else str(v)
            for k, v in kwargs.items()
            if v is not None
        }
        with db.read() as conn:
            visible = actor.warehouses(declared_actions()[spec.permission])
            query = read_query(conn, spec, params, utcnow(), visible)
            report = run_report(conn, query)
        if fmt == "json":
            return _out(report)
        return Response(
            report_file(report, fmt),
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{file_name(report, fmt)}"'},
        )

    answer.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        _parameters(spec), return_annotation=ReportOut | Response
    )
    answer.__name__ = f"report_{spec.name.replace('-', '_')}"
    files = ", ".join(spec.formats).upper()
    router.get(
        f"/reports/{spec.name}",
        summary=f"{spec.title}: {spec.description}",
        response_model=ReportOut,
        responses={
            200: {
                "content": {MEDIA_TYPES[f]: {} for f in spec.formats},
                "description": f"the report (JSON, or a {files} file with ?format=)",
            },
            **problems(
                {
                    422: "`invalid_input` (a day not written YYYY-MM-DD or outside "
                    "1900-9998, an option not offered), `invalid_item_type`, "
                    "`period_reversed`, `period_too_long`, `too_many_intervals`, "
                    "`compare_not_before`, `invalid_buckets`"
                }
            ),
        },  # fmt: skip
    )(answer)


for _spec in REPORTS.values():
    _route(_spec)

__all__ = ["router"]
