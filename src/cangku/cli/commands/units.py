"""``cangku units ...``: units of measure."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader, table
from cangku.queries import items as queries
from cangku.services import units as service
from cangku.services.items import ITEM_VIEW

NAME = "units"
HELP = "Units of measure."
app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List units of measure and the decimals each allows."""
    with handled(as_json):
        reader(ITEM_VIEW)
        found = queries.list_units(database())
        if as_json:
            emit(found, True)
        else:
            table(found, ["code", "name", "decimals"])


@app.command()
def create(
    code: str,
    name: str,
    decimals: Annotated[int, typer.Option(help="Decimal places allowed (0-6).")] = 0,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a custom unit of measure."""
    with handled(as_json):
        ctx = context(idempotency_key)
        emit(service.create_unit(database(), ctx, code, name, decimals), as_json)
