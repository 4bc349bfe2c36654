"""``cangku budgets``: purchasing budgets with what is committed and left; ``budgets set``
and ``budgets delete`` (ADR 0033)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.cli.documents import parse_day
from cangku.domain.errors import InvalidInput
from cangku.queries.budgets import budget_rows, find_budget
from cangku.services.replenishment import budgets as service
from cangku.services.replenishment.actions import REPLENISHMENT_VIEW

NAME = "budgets"
HELP = (
    "Purchasing budgets per period, warehouse or category.\n\n"
    "Without a command, lists the budgets with what is committed against them (purchase "
    "orders raised in the period, not cancelled) and what is left."
)
app = typer.Typer(invoke_without_command=True)

COLUMNS = [
    "id", "period_start", "period_end", "warehouse", "category", "amount", "committed", "left",
    "note",
]  # fmt: skip
DayOpt = Annotated[str, typer.Option(help="A date, YYYY-MM-DD.")]


@app.callback()
def listing(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Purchasing budgets per period, warehouse or category."""
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        seen = reader(REPLENISHMENT_VIEW).warehouses(REPLENISHMENT_VIEW)
        with database().read() as conn:
            found = budget_rows(conn, seen)

        def render(_: Any) -> None:
            table([{**vars(b), "left": b.left} for b in found], COLUMNS)

        emit([{**vars(b), "left": b.left} for b in found], as_json, render)


@app.command("set")
def set_budget(
    start: Annotated[str, typer.Option("--from", help="The period's first day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="The period's last day, YYYY-MM-DD.")],
    amount: Annotated[str, typer.Option(help="How much may be spent.")],
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
    category: Annotated[
        str | None, typer.Option(help="Only this category and those under it.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, or for what.")] = None,
    budget_id: Annotated[
        int | None, typer.Option("--id", help="Replace this budget instead of adding one.")
    ] = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a purchasing budget, or replace one (--id)."""
    with handled(as_json):
        reader(service.BUDGET_MANAGE)  # signed in and allowed, before the input
        data = service.BudgetInput(
            _day(start, "period_start"),
            _day(end, "period_end"),
            amount,
            warehouse,
            category,
            note,
        )
        db = database()
        saved = service.save_budget(db, context(idempotency_key), data, budget_id)
        with db.read() as conn:
            found = find_budget(conn, saved)
        assert found is not None
        emit({**vars(found), "left": found.left}, as_json)


def _day(text: str, field: str) -> date:
    day = parse_day(text, field)
    if day is None:
        raise InvalidInput(f"{field} is a date, YYYY-MM-DD", code="invalid_date", field=field)
    return day


@app.command()
def delete(
    budget_id: Annotated[int, typer.Argument(help="The budget's id.")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a purchasing budget."""
    with handled(as_json):
        reader(service.BUDGET_MANAGE)
        service.delete_budget(database(), context(idempotency_key), budget_id)
        emit({"deleted": budget_id}, as_json)
