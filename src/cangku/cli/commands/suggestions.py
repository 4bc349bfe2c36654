"""``cangku suggestions``: what to order or transfer now, in the warehouses I see, with what
was cut and why; ``suggestions order`` turns them into draft purchase orders and transfers
(ADR 0033)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.domain.errors import InvalidInput
from cangku.queries.cycle_counts import company_today
from cangku.queries.suggestions import Key, SuggestionFilter, suggestions
from cangku.services.replenishment import suggestions as service
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW

NAME = "suggestions"
HELP = (
    "Replenishment suggestions and draft orders from them.\n\n"
    "Without a command, lists the items at or below their reorder point in the warehouses you "
    "see, the most urgent first (ABC class, then days of cover): from the preferred supplier "
    "in packs and at least its minimum, or by transfer from a warehouse with excess; what the "
    "budgets and the free capacity cut is listed with its reason."
)
app = typer.Typer(invoke_without_command=True)

COLUMNS = [
    "item", "warehouse", "source", "supplier", "from_warehouse", "position", "reorder_point",
    "order_up_to", "wanted", "quantity", "rule", "value", "days_of_cover", "abc_class", "reason",
]  # fmt: skip
CodeOpt = Annotated[str | None, typer.Option(help="Only this code.")]


@app.callback()
def listing(
    ctx: typer.Context,
    warehouse: CodeOpt = None,
    item: CodeOpt = None,
    category: Annotated[
        str | None, typer.Option(help="Only this category and those under it.")
    ] = None,
    supplier: CodeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replenishment suggestions and draft orders from them."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        seen = reader(REPLENISHMENT_VIEW).warehouses(REPLENISHMENT_VIEW)
        shown = SuggestionFilter(warehouse, item, category, supplier)
        with database().read() as conn:
            found = suggestions(conn, company_today(conn), seen, shown)

        def render(_: Any) -> None:
            table(found.lines, COLUMNS)
            for budget in found.budgets:
                typer.echo(f"budget {budget.id}: {budget.left} left of {budget.amount}")
            for code, left in found.capacity.items():
                typer.echo(f"capacity {code}: {left} free")

        data = {"lines": found.lines, "budgets": found.budgets, "capacity": found.capacity}
        emit(data, as_json, render)


def parse_pick(text: str) -> Key:
    """``ITEM@WAREHOUSE`` (from the supplier) or ``ITEM@WAREHOUSE<SOURCE`` (a transfer from
    SOURCE). Raises InvalidInput ``invalid_pick``."""
    item, at, rest = text.rpartition("@")
    into, lt, source = rest.partition("<")
    if not at or not item or not into or (lt and not source):
        raise InvalidInput(
            f"a suggestion is ITEM@WAREHOUSE or ITEM@WAREHOUSE<SOURCE: {text!r}",
            code="invalid_pick",
            pick=text,
        )
    return (item, into, source or None)


@app.command()
def order(
    picks: Annotated[
        list[str] | None,
        typer.Argument(
            help="Suggestions to order: ITEM@WAREHOUSE (from the supplier) or "
            "ITEM@WAREHOUSE<SOURCE (a transfer from SOURCE).",
            show_default=False,
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every suggestion kept.")] = False,
    warehouse: Annotated[
        str | None, typer.Option(help="With --all: only those into this warehouse.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note on every document made.")] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft purchase orders and transfers from suggestions.

    One draft order per supplier and warehouse, one draft transfer per source and
    destination."""
    with handled(as_json):
        reader(service.REPLENISHMENT_ORDER)  # signed in and allowed, before the input
        if not picks and not every:
            raise InvalidInput("name the suggestions to order, or --all", code="choose_suggestions")
        picked = [parse_pick(p) for p in picks] if picks else None
        command = service.OrderSuggestions(picked, warehouse, note)
        made = service.order_suggestions(database(), context(idempotency_key), command)

        def render(_: Any) -> None:
            table(made.documents, ["kind", "number", "warehouse", "source", "lines"])
            if made.replayed:
                typer.echo("(replayed: nothing new was written)")

        emit(made, as_json, render)
