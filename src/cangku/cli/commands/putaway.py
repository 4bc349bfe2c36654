"""``cangku putaway ...``: put-aways: received (or accepted) goods stored in bins, each line
into the bin suggested or the bin scanned, all of it or part."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, handled
from cangku.cli.documents import (
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    list_of,
    machine_help,
    show_document,
    show_step,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.inbound import PUTAWAY
from cangku.services.inbound import putaways as service

MACHINE = PUTAWAY
STATES = machine_help(MACHINE)
NAME = "putaway"
HELP = f"Put-aways: received goods stored in bins.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str, typer.Argument(help="The put-away's number, e.g. PA-WH1-2026-00001.", show_default=False)
]


def parse_target(text: str) -> service.PutawayLineInput:
    """``1`` (line 1, all of it, the suggested bin), ``1=WH1-A`` (that bin), ``1=WH1-A:5``
    (5 of it there) or ``1=:5`` (5 into the suggested bin). Raises InvalidInput
    ``invalid_line``."""
    number, _, rest = text.partition("=")
    location, _, quantity = rest.partition(":")
    if not number.strip().isdigit():
        raise InvalidInput(
            f"a line is LINE, LINE=BIN or LINE=BIN:QTY, e.g. 1=WH1-A:5; not {text!r}",
            code="invalid_line",
            line=text,
        )
    return service.PutawayLineInput(int(number), location.strip() or None, quantity.strip() or None)


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Put-aways of this item.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open put-aways.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List put-aways, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, item=item,
            open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show a put-away: lines, suggested bins, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


@app.command(epilog=STATES)
def confirm(
    number: NumberArg,
    line: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            help="LINE=BIN or LINE=BIN:QTY (repeatable); without --line every waiting line "
            "goes to its suggested bin.",
        ),
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store goods in bins.

    The lines given, or without --line everything in its suggested bin."""
    with handled(as_json):
        ctx = context(idempotency_key)
        lines = [parse_target(text) for text in line or []] or None
        show_step(service.put_away(database(), ctx, number, lines, note), as_json)
