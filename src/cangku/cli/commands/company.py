"""``cangku company show|set``: the company settings (currency, time zone, unit-cost places,
expiring-soon days, the purchase approval threshold). Only administrators change them
(``company.manage``).

The CLI prints amounts exactly and times in ISO 8601 UTC (with their ``+00:00`` offset)
whatever these settings say; they shape the web pages (ADR 0014).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import JsonOpt, context, database, emit, handled, reader
from cangku.services import company as service

NAME = "company"
HELP = "Company settings: currency, time zone, decimals, expiry."
app = typer.Typer(no_args_is_help=True)


@app.command()
def show(as_json: JsonOpt = False) -> None:
    """Show the company settings."""
    with handled(as_json):
        reader()
        emit(service.get_company(database()), as_json)


@app.command("set")
def set_(
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 currency code, e.g. CNY.", show_default=False)
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option("--time-zone", help="IANA time zone, e.g. Asia/Shanghai.", show_default=False),
    ] = None,
    unit_cost_places: Annotated[
        int | None,
        typer.Option(help="Decimals unit costs are shown with (0-6).", show_default=False),
    ] = None,
    expiring_soon_days: Annotated[
        int | None,
        typer.Option(
            help="A lot expiring within this many days counts as expiring soon (0-3650).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Company name.", show_default=False)] = None,
    po_approval_threshold: Annotated[
        str | None,
        typer.Option(
            "--po-approval-threshold",
            help="Purchase orders worth more than this need approval (money in the company "
            'currency); "" for none.',
            show_default=False,
        ),
    ] = None,
    adjustment_approval_threshold: Annotated[
        str | None,
        typer.Option(
            "--adjustment-approval-threshold",
            help="Adjustments worth more than this need approval by someone else (money in "
            'the company currency); "" for none.',
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(help="Refuse the change unless this is the current version.", min=1),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change company settings (options left out stay as they are)."""
    with handled(as_json):
        unset = service.UNSET
        changes = service.CompanyChanges(
            name=unset if name is None else name,
            currency=unset if currency is None else currency,
            time_zone=unset if time_zone is None else time_zone,
            unit_cost_places=unset if unit_cost_places is None else unit_cost_places,
            expiring_soon_days=unset if expiring_soon_days is None else expiring_soon_days,
            po_approval_threshold=unset if po_approval_threshold is None else po_approval_threshold,
            adjustment_approval_threshold=(
                unset if adjustment_approval_threshold is None else adjustment_approval_threshold
            ),
            version=version,
        )
        emit(service.update_company(database(), context(), changes), as_json)
