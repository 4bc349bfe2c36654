"""``cangku demo``: fill an empty database with a believable small company and its history,
and print who can sign in (one demo user per role, with the demo passwords)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, table
from cangku.services.common import Context
from cangku.services.demo import DemoSummary, build_demo
from cangku.services.setup import initialize
from cangku.settings import get_settings

SeedOpt = Annotated[
    int, typer.Option("--seed", help="Random seed: the same seed, the same company.")
]
MonthsOpt = Annotated[
    int, typer.Option("--months", min=1, max=24, help="Months of history, ending yesterday.")
]
ActivityOpt = Annotated[
    float,
    typer.Option(
        "--activity", min=0.01, max=10.0, help="Scale of the daily business (1 = normal)."
    ),
]


def demo(
    seed: SeedOpt = 2024,
    months: MonthsOpt = 4,
    activity: ActivityOpt = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Build the demo company and print its sign-ins.

    Two warehouses, ~200 items, partners, months of moves and one user per role, in an empty
    database (CANGKU_DATABASE_URL); refuses a database that already holds items. An operator
    command: it needs no sign-in (it works on the database itself).
    """
    with handled(as_json):
        db = database()
        admin = get_settings().default_user
        initialize(db, admin_username=admin)
        if not as_json:
            typer.echo(f"Building the demo company ({months} months of history, seed {seed})...")
        ctx = Context(admin, origin="cli")
        summary = build_demo(db, ctx, seed=seed, months=months, activity=activity)
        emit(summary, as_json, _render)


def _render(summary: DemoSummary) -> None:
    rows: list[tuple[str, Any]] = [
        ("history", f"{summary.first_day} .. {summary.last_day} ({summary.months} months)"),
        ("closed through", summary.closed_through),
        ("warehouses", summary.warehouses),
        ("storage locations", summary.storage_locations),
        ("items", summary.items),
        *((f"  {kind}", n) for kind, n in summary.items_by_type.items()),
        ("lot-tracked items", summary.lot_tracked_items),
        ("serial-tracked items", summary.serial_tracked_items),
        ("lots / serials", f"{summary.lots} / {summary.serials}"),
        ("expired lots in stock", summary.expired_lots_in_stock),
        ("lots expiring in 30 days", summary.lots_expiring_within_30_days),
        ("partners", summary.partners),
        ("supplier items", summary.supplier_items),
        ("moves", summary.moves),
        *((f"  {op}", n) for op, n in summary.moves_by_operation.items()),
        ("items below reorder point", summary.items_below_reorder_point),
        ("total stock value (CNY)", f"{summary.total_stock_value:,.2f}"),
        ("built in", f"{summary.seconds} s"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        typer.echo(f"{label:<{width}}  {value}")
    typer.echo("")
    typer.echo("Demo sign-ins (web page, or `cangku login --username USER`):")
    table(
        [
            {
                "user": c.username,
                "password": c.password or "(unchanged: the administrator's own)",
                "role": c.role + (f" ({c.warehouse} only)" if c.warehouse else ""),
            }
            for c in summary.credentials
        ],
        ["user", "password", "role"],
    )
    typer.echo("These passwords are public: use this database for trying cangku only.")


def register(app: typer.Typer) -> None:
    """Add ``cangku demo`` to the top-level command."""
    app.command("demo")(demo)
