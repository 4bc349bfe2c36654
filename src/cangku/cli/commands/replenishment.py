"""``cangku replenish`` (also ``cangku replenishment``): the stored replenishment levels
(ADR 0032): ``levels`` (the list), ``show ITEM WAREHOUSE`` (one with its working),
``recompute``, ``override`` and ``clear``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.cli.documents import LimitOpt, OffsetOpt
from cangku.queries import replenishment as queries
from cangku.queries.common import paging_fields
from cangku.queries.levels import LEVELS
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW
from cangku.services.replenishment.levels import DEFAULT_WEEKS, recompute_levels
from cangku.services.replenishment.overrides import OverrideInput, clear_override, set_override

NAME = "replenish"
HELP = (
    "Replenishment levels per item and warehouse.\n\n"
    "Safety stock, reorder point and max, computed from the demand, the lead times of the "
    "receipts and the ABC class, with a manual override kept beside them."
)
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["item", "warehouse", *LEVELS, "source", "method", "mase", "demand", "lead_time"]
ItemArg = Annotated[str, typer.Argument(help="The item's code.", show_default=False)]
WarehouseArg = Annotated[str, typer.Argument(help="The warehouse's code.", show_default=False)]


def _line(row: queries.LevelRow) -> dict[str, Any]:
    """A row of the table: the levels in force and where each came from."""
    sources = [row.source[level] or "-" for level in LEVELS]
    return {
        "item": row.item,
        "warehouse": row.warehouse,
        **row.in_force,
        "source": "/".join(sources),
        "method": row.method,
        "mase": row.mase,
        "demand": row.demand,
        "lead_time": row.lead_time,
    }


@app.command()
def levels(
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only this warehouse (its code).")
    ] = None,
    item: Annotated[str | None, typer.Option("--item", help="Only this item (its code).")] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only this category and those under it.")
    ] = None,
    overridden: Annotated[
        bool, typer.Option("--overridden", help="Only rows with a manual override.")
    ] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """The stored levels in the warehouses you see.

    Each row: the levels in force and where each came from, the forecast method, its MASE,
    the demand per day and the lead time."""
    with handled(as_json):
        actor = reader(REPLENISHMENT_VIEW)
        f = queries.LevelFilter(warehouse, item, category, overridden)
        with database().read() as conn:
            page = queries.list_levels(conn, f, actor.warehouses(REPLENISHMENT_VIEW), limit, offset)

        def render(_: Any) -> None:
            table([_line(row) for row in page.items], COLUMNS)
            typer.echo(f"({len(page.items)} of {page.total})")

        emit({"items": page.items, **paging_fields(page)}, as_json, render)


@app.command()
def show(item: ItemArg, warehouse: WarehouseArg, as_json: JsonOpt = False) -> None:
    """One item's levels in one warehouse with the whole working."""
    with handled(as_json):
        actor = reader(REPLENISHMENT_VIEW)
        with database().read() as conn:
            row = queries.find_level(conn, item, warehouse, actor.warehouses(REPLENISHMENT_VIEW))

        def render(_: Any) -> None:
            for level in LEVELS:
                typer.echo(
                    f"{level}: {row.in_force[level]} ({row.source[level] or '-'}; computed "
                    f"{row.computed[level]}, override {row.override[level]})"
                )
            typer.echo(f"demand per day: {row.demand} (sd {row.demand_sd}), method {row.method}")
            typer.echo(
                f"lead time: {row.lead_time} days (sd {row.lead_time_sd}), "
                f"{row.lead_time_source}, {row.lead_time_samples} samples"
            )
            typer.echo(
                f"service level {row.service_level} (class {row.abc_class or '-'}), z {row.z}"
            )
            if row.override_by:
                typer.echo(
                    f"override by {row.override_by} at {row.override_at}: {row.override_reason}"
                )

        emit(row, as_json, render)


@app.command()
def recompute(
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only this warehouse (default: all yours).")
    ] = None,
    item: Annotated[str | None, typer.Option("--item", help="Only this item.")] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", help="Weeks of demand history to read (17-156).")
    ] = DEFAULT_WEEKS,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the levels from demand, receipts and ABC classes."""
    with handled(as_json):
        done = recompute_levels(database(), context(), warehouse=warehouse, item=item, weeks=weeks)
        emit(
            {
                "computed": done.computed,
                "cleared": done.cleared,
                "methods": done.methods,
                "start": done.start,
                "end": done.end,
            },
            as_json,
        )


@app.command()
def override(
    item: ItemArg,
    warehouse: WarehouseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    safety_stock: Annotated[
        str | None, typer.Option("--safety-stock", help="The safety stock to hold.")
    ] = None,
    reorder_point: Annotated[
        str | None, typer.Option("--reorder-point", help="The reorder point to hold.")
    ] = None,
    order_up_to: Annotated[
        str | None, typer.Option("--max", help="The order-up-to level (max) to hold.")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hold levels by hand instead of the computed ones.

    A level not given is not overridden; the reason is required."""
    with handled(as_json):
        command = OverrideInput(reason, safety_stock, reorder_point, order_up_to)
        after = set_override(database(), context(idempotency_key), item, warehouse, command)
        emit(after, as_json)


@app.command()
def clear(
    item: ItemArg,
    warehouse: WarehouseArg,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Clear the override: the computed levels apply again.

    An item never computed falls back to its own levels."""
    with handled(as_json):
        clear_override(database(), context(idempotency_key), item, warehouse)
        emit({"cleared": True, "item": item, "warehouse": warehouse}, as_json)
