"""``cangku returns ...``: returns to a supplier, from stock or from the rejection
location, each line with a reason; goods leave at the cost they came in with.

The group is ``returns``, not ``supplier-return``: ``cangku --help`` lists its commands in
columns that fit the longest name beside the longest summary (tests/cli/test_help_texts_cli.py),
and a name longer than 11 letters would cut the summaries listed today."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, handled
from cangku.cli.documents import (
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    acting,
    keyed,
    list_of,
    machine_help,
    parse_line,
    show_document,
    show_step,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.inbound import RETURN_REASONS, SUPPLIER_RETURN
from cangku.services.inbound import returns as service

MACHINE = SUPPLIER_RETURN
STATES = machine_help(MACHINE)
REASONS = ", ".join(sorted(RETURN_REASONS))
NAME = "returns"
HELP = f"Returns of goods to their supplier.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str, typer.Argument(help="The return's number, e.g. RS-WH1-2026-00001.", show_default=False)
]
PerLine = "ITEM=VALUE, #LINE=VALUE or VALUE for every line"


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier code.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Returns of this item.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only returns still open.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List returns to suppliers, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, partner=supplier, item=item,
            open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show a return: lines, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


@app.command(epilog=STATES)
def create(
    receipt: Annotated[
        str | None, typer.Option("--receipt", help="The receipt the goods came on.")
    ] = None,
    supplier: Annotated[
        str | None, typer.Option("--supplier", help="Without a receipt: the supplier.")
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Without a receipt: the warehouse.")
    ] = None,
    line: Annotated[
        list[str] | None, typer.Option("--line", help="ITEM=QTY or ITEM=QTY:UNIT (repeatable).")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--from", help=f"Where the goods are now: {PerLine} (repeatable)."),
    ] = None,
    lot: Annotated[
        list[str] | None, typer.Option("--lot", help=f"Lot or serial: {PerLine} (repeatable).")
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help=f"Why ({REASONS}): {PerLine} (repeatable)."),
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Record a draft, shipped later.")] = False,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a return to a supplier and ship it, unless --draft.

    From --receipt (its supplier and warehouse), or with --supplier and --warehouse. Each line
    names where its goods are (--from), its lot and its reason (default: other); these options
    name their line by item (FLOUR=WH1-QC), by number (#2=WH1-B) or apply to every line (a
    bare value)."""
    with handled(as_json):
        ctx = acting(service.RETURN_CREATE, idempotency_key)
        given = [parse_line(text) for text in line or []]
        items = [g.item for g in given]
        places = keyed(source, "--from", items)
        lots = keyed(lot, "--lot", items)
        reasons = keyed(reason, "--reason", items)
        for index, g in enumerate(given):
            if index not in places:
                raise InvalidInput(
                    f"line {index + 1} ({g.item}): give the location with --from",
                    code="location_required",
                    line=index + 1,
                )
        lines = [
            service.ReturnLineInput(
                g.item, g.quantity, places[i], lots.get(i), g.unit, reasons.get(i, "other")
            )
            for i, g in enumerate(given)
        ]
        command = service.NewSupplierReturn(
            lines, receipt, supplier, warehouse, note, ship=not draft
        )
        show_step(service.create_supplier_return(database(), ctx, command), as_json)


@app.command(epilog=STATES)
def ship(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a draft return's goods back to the supplier."""
    with handled(as_json):
        ctx = context(idempotency_key)
        show_step(service.ship_supplier_return(database(), ctx, number, note), as_json)


@app.command(epilog=STATES)
def cancel(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a draft return (nothing was sent)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        show_step(service.cancel_supplier_return(database(), ctx, number, note), as_json)
