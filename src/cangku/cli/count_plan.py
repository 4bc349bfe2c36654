"""``cangku count due|abc|frequency|accuracy``: the cycle-count plan (循环盘点) beside the counts
themselves (``cangku count create --plan`` counts what is due). Registered on the ``count``
group by ``cangku.cli.commands.count``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, reader, table
from cangku.cli.documents import LimitOpt, OffsetOpt, acting, parse_day
from cangku.domain.errors import InvalidInput, NotFound
from cangku.queries import cycle_counts as plan
from cangku.services import cycle_counts as service
from cangku.services.counts import COUNT_APPROVE
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.stock import VALUATION_VIEW

WarehouseOpt = Annotated[str, typer.Option("--warehouse", help="The warehouse.")]
DUE_COLUMNS = ["item", "location", "abc_class", "days", "source", "last_counted", "due_on"]


def _visible(warehouse: str, act: Any = DOCUMENTS_VIEW) -> tuple[Any, int]:
    """The reader and the warehouse's id; NotFound for one they may not see."""
    actor = reader(act)
    with database().read() as conn:
        found = plan.warehouse_id_of(conn, warehouse)
    if not actor.may(act, found):
        raise NotFound("warehouse", warehouse)
    return actor, found


def due(
    warehouse: WarehouseOpt,
    on: Annotated[
        str | None, typer.Option("--on", help="The day asked about (YYYY-MM-DD; default today).")
    ] = None,
    every_place: Annotated[
        bool, typer.Option("--all", help="Every place holding stock, not only the due.")
    ] = False,
    limit: LimitOpt = 500,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """The places due for counting, most overdue first.

    A place (item, location) is due when it was never counted in a posted count, or when its
    last count is as old as its frequency: its location's (the nearest location above it
    that sets one), else its item's ABC class's. With --all: every place holding stock, with
    its last count and the day it falls due."""
    with handled(as_json):
        _visible(warehouse)
        day = parse_day(on, "on")
        with database().read() as conn:
            found = plan.due_list(
                conn,
                warehouse,
                day or plan.company_today(conn),
                every_place=every_place,
                limit=limit,
                offset=offset,
            )
        emit(found, as_json, _show_due)


def _show_due(found: plan.DueList) -> None:
    typer.echo(
        f"{found.warehouse} on {found.today}: {found.due} of {found.places} places due"
        + ("" if found.abc_run_id else " (no ABC classes computed: every item is C)")
    )
    table(found.rows, [*DUE_COLUMNS, "due"] if any(not r.due for r in found.rows) else DUE_COLUMNS)


def abc(
    warehouse: WarehouseOpt,
    recompute: Annotated[
        bool, typer.Option("--recompute", help="Compute the classes anew first and keep them.")
    ] = False,
    months: Annotated[
        str, typer.Option("--months", help="With --recompute: the months of consumption ranked.")
    ] = "12",
    limit: LimitOpt = 100,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """The warehouse's ABC classes, largest consumption first.

    A: the items making the first 80 % of the consumption value (issues to customers and
    production, less returns) over the last months; B: the next 15 %; C: the rest."""
    with handled(as_json):
        if recompute:
            ctx = acting(COUNT_APPROVE)
            service.recompute_abc(database(), ctx, warehouse, months=whole_number(months, "months"))
        _visible(warehouse)
        with database().read() as conn:
            found = plan.abc_view(conn, warehouse, limit=limit, offset=offset)
        if found is None:
            raise NotFound("abc_run", warehouse)
        emit(found, as_json, _show_abc)


def _show_abc(found: plan.AbcView) -> None:
    typer.echo(
        f"{found.warehouse}: run {found.run_id}, {found.period_start} to {found.period_end},"
        f" by {found.computed_by}; consumption {found.total}"
    )
    table(found.classes, ["abc_class", "items", "consumption", "share"])
    if found.matrix:
        typer.echo(f"\nABC x XYZ over {found.weeks} weeks (items / consumption):")
        table(found.matrix, ["abc_class", "xyz_class", "items", "consumption"])
    typer.echo("")
    table(found.items, ["item", "item_name", "abc_class", "consumption", "xyz_class", "demand_cv"])


def whole_number(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(
            f"{field} is a whole number, not {text!r}", code=f"invalid_{field}", field=field
        ) from None


def _frequency_pairs(values: list[str] | None, option: str) -> dict[str, int | None]:
    """``KEY=DAYS`` (``KEY=`` removes it). Raises InvalidInput ``invalid_frequency``."""
    out: dict[str, int | None] = {}
    for text in values or []:
        key, sep, days = text.partition("=")
        if not sep or not key.strip() or not (days.strip().isdigit() or days.strip() == ""):
            raise InvalidInput(
                f"{option} takes KEY=DAYS (KEY= to remove), e.g. A=30; not {text!r}",
                code="invalid_frequency",
                field=option,
            )
        out[key.strip()] = int(days) if days.strip() else None
    return out


def frequency(
    abc_class: Annotated[
        list[str] | None,
        typer.Option("--class", help="CLASS=DAYS, e.g. A=30 (CLASS= back to the default)."),
    ] = None,
    location: Annotated[
        list[str] | None,
        typer.Option("--location", help="LOCATION=DAYS: it and all under it (LOCATION= removes)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """How often places are counted (days): shown, or set.

    A location's frequency (the nearest location above a place that sets one) wins over its
    item's class. The defaults: A 30, B 91, C 365."""
    with handled(as_json):
        if abc_class or location:
            ctx = acting(COUNT_APPROVE)
            service.set_frequencies(
                database(),
                ctx,
                classes=_frequency_pairs(abc_class, "--class"),
                locations=_frequency_pairs(location, "--location"),
            )
        reader(DOCUMENTS_VIEW)
        with database().read() as conn:
            found = plan.frequencies_view(conn)
        emit(found, as_json, _show_frequencies)


def _show_frequencies(found: plan.Frequencies) -> None:
    for cls, days in found.classes.items():
        typer.echo(f"{cls}  {days} days" + ("" if cls in found.set_classes else " (default)"))
    for code, days in found.locations:
        typer.echo(f"{code}  {days} days")


def accuracy(
    warehouse: WarehouseOpt, limit: LimitOpt = 12, offset: OffsetOpt = 0, as_json: JsonOpt = False
) -> None:
    """The last posted counts' accuracy: lines right, value variance.

    A line is right when its count matched the books when it was counted (the snapshot plus
    the moves since). The value is shown only with valuation.view in the warehouse."""
    with handled(as_json):
        actor, found = _visible(warehouse)
        with database().read() as conn:
            rows = plan.accuracy_history(
                conn,
                warehouse,
                limit=limit,
                offset=offset,
                show_value=actor.may(VALUATION_VIEW, found),
            )
        emit(
            rows,
            as_json,
            lambda shown: table(
                shown,
                ["number", "posted_at", "lines_counted", "lines_right", "accuracy",
                 "net_variance", "absolute_variance"],
                ["count", "posted", "counted", "right", "accuracy %", "net value", "abs value"],
            ),
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("due")(due)
    app.command("abc")(abc)
    app.command("frequency")(frequency)
    app.command("accuracy")(accuracy)
