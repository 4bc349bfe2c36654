"""``cangku report [NAME]``: the analysis reports (issue 15), computed from the ledger when
asked; without a name, the list of reports and what each takes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, reader, table
from cangku.domain.errors import InvalidInput
from cangku.domain.permissions import declared_actions
from cangku.queries.reports import REPORTS, Option, Report, read_query, run_report, spec_of
from cangku.services.common import utcnow
from cangku.services.report_files import report_file, report_period, report_text

Text = Annotated[str | None, typer.Option(show_default=False)]


def _render(report: Report) -> None:
    typer.echo(f"{report.title} ({report_period(report)})")
    for message, values in report.notes:
        typer.echo(report_text(message, values, str))
    keys = report.column_keys()
    rows = report.as_dicts()
    if report.totals is not None:
        rows.append({k: ("total" if i == 0 else v) for i, (k, v) in
                     enumerate(zip(keys, report.totals, strict=True))})  # fmt: skip
    table(rows, keys)
    typer.echo("")
    for text in report.definitions:
        typer.echo(f"* {text}")


def _values(option: Option) -> str:
    """What an option takes: its choices, or its range of whole numbers."""
    return "|".join(option.choices) if option.choices else f"{option.low}-{option.high}"


def _list() -> None:
    rows = [
        {"name": s.name, "time": s.time, "options": " ".join(
            f"--{o.name} {_values(o)}" for o in s.options), "description": s.description}
        for s in REPORTS.values()
    ]  # fmt: skip
    table(rows, ["name", "time", "options", "description"])


def report(
    name: Annotated[
        str | None,
        typer.Argument(help="The report (without one: the list).", show_default=False),
    ] = None,
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category (and below).")] = None,
    item_type: Annotated[str | None, typer.Option("--type", help="Only this item type.")] = None,
    item: Annotated[str | None, typer.Option(help="Only this item (code or barcode).")] = None,
    supplier: Annotated[str | None, typer.Option(help="Only the items it supplies.")] = None,
    at: Annotated[str | None, typer.Option(help="As of this day's end (YYYY-MM-DD).")] = None,
    start: Annotated[str | None, typer.Option(help="A period's first day.")] = None,
    end: Annotated[str | None, typer.Option(help="A period's last day.")] = None,
    group: Annotated[str | None, typer.Option(help="Group by (see the list).")] = None,
    interval: Annotated[str | None, typer.Option(help="day, week or month.")] = None,
    kind: Annotated[str | None, typer.Option(help="purchase or sales (cycles).")] = None,
    compare: Annotated[str | None, typer.Option(help="Compared with this day.")] = None,
    buckets: Annotated[
        str | None, typer.Option(help="Age bands in days, e.g. 30,90,180,365.")
    ] = None,
    idle: Annotated[
        str | None, typer.Option(help="Slow after this many days without an issue.")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write it as CSV.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write it as XLSX.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write it as PDF.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Analysis reports: value, movement, structure, trends, turnover.

    Every figure is computed from the ledger when asked (exact as of any day). Filters:
    --warehouse, --category, --type, --item, --supplier; as-of reports take --at, period
    reports --start and --end (default: the last 365 days)."""
    with handled(as_json):
        actor = reader()  # signed in before anything else is said
        if name is None:
            emit([{"name": s.name, "title": s.title, "time": s.time,
                   "options": [{"name": o.name, "choices": list(o.choices),
                                "low": None if o.choices else o.low,
                                "high": None if o.choices else o.high}
                               for o in s.options],
                   "formats": list(s.formats), "description": s.description}
                  for s in REPORTS.values()], as_json, lambda _: _list())  # fmt: skip
            return
        spec = spec_of(name)
        files = [(p, f) for p, f in ((csv, "csv"), (xlsx, "xlsx"), (pdf, "pdf")) if p is not None]
        for _, fmt in files:
            if fmt not in spec.formats:
                raise InvalidInput(
                    f"{name} is not written as {fmt}", code="report_format_not_offered",
                    offered=list(spec.formats),
                )  # fmt: skip
        act = declared_actions()[spec.permission]
        actor.require(act)
        params = {
            "warehouse": warehouse, "category": category, "type": item_type, "item": item,
            "supplier": supplier, "at": at, "start": start, "end": end, "group": group,
            "interval": interval, "compare": compare, "buckets": buckets, "idle": idle,
            "kind": kind,
        }  # fmt: skip
        with database().read() as conn:
            query = read_query(
                conn, spec, {k: v for k, v in params.items() if v}, utcnow(),
                actor.warehouses(act),
            )  # fmt: skip
            found = run_report(conn, query)
        for path, fmt in files:
            path.write_bytes(report_file(found, fmt))
        data = {
            "name": found.name, "title": found.title, "period": report_period(found),
            "columns": [{"key": c.key, "label": c.title(), "kind": c.kind} for c in found.columns],
            "rows": found.as_dicts(),
            "totals": dict(zip(found.column_keys(), found.totals, strict=True))
            if found.totals else None,
            "definitions": list(found.definitions),
            "notes": [report_text(m, v, str) for m, v in found.notes],
            "files": [str(path) for path, _ in files],
        }  # fmt: skip
        emit(data, as_json, lambda _: _render(found))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
