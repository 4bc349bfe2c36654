"""``cangku adjustment ...``: adjustments as documents. Each line gains stock (from the
warehouse's adjustment location), loses it (to that location) or scraps it (to the scrap
location), with a reason code of the company's list (``cangku reasons list``); above the
company's adjustment approval threshold someone else approves it before it is posted."""

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
    parse_day,
    parse_line,
    show_document,
    show_step,
    step_command,
)
from cangku.domain.adjustments import ADJUSTMENT
from cangku.domain.errors import InvalidInput
from cangku.services import adjustments as service

MACHINE = ADJUSTMENT
STATES = machine_help(MACHINE)
NAME = "adjustment"
HELP = f"Adjustments: stock gained, lost or scrapped, with a reason.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str,
    typer.Argument(help="The adjustment's number, e.g. ADJ-WH1-2026-00001.", show_default=False),
]
PER_LINE = "ITEM=VALUE, #LINE=VALUE or VALUE for every line"


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Adjustments of this item.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only those still open.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List adjustments, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, item=item,
            open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show an adjustment: lines, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


@app.command(epilog=STATES)
def create(
    line: Annotated[
        list[str] | None, typer.Option("--line", help="ITEM=QTY or ITEM=QTY:UNIT (repeatable).")
    ] = None,
    location: Annotated[
        list[str] | None,
        typer.Option("--location", help=f"The bin of the line: {PER_LINE} (repeatable)."),
    ] = None,
    direction: Annotated[
        list[str] | None,
        typer.Option("--direction", help=f"gain, loss or scrap: {PER_LINE} (repeatable)."),
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option("--reason", help=f"A reason code: {PER_LINE} (repeatable)."),
    ] = None,
    lot: Annotated[
        list[str] | None, typer.Option("--lot", help=f"Lot or serial: {PER_LINE} (repeatable).")
    ] = None,
    unit_cost: Annotated[
        list[str] | None,
        typer.Option("--unit-cost", help=f"A gain's cost per unit: {PER_LINE} (repeatable)."),
    ] = None,
    expires_on: Annotated[
        list[str] | None,
        typer.Option("--expires-on", help=f"A gain's new lot: {PER_LINE} (repeatable)."),
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Default: the lines' warehouse.")
    ] = None,
    submit: Annotated[bool, typer.Option("--submit", help="Submit it at once.")] = False,
    post: Annotated[
        bool, typer.Option("--post", help="Submit and post it when it needs no approval.")
    ] = False,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise an adjustment (a draft, unless --submit or --post).

    Each line names its bin (--location), its direction (--direction gain, loss or scrap) and
    its reason (--reason); these options name their line by item (BOLT=WH1-A), by number
    (#2=loss) or apply to every line (a bare value)."""
    with handled(as_json):
        ctx = acting(service.ADJUSTMENT_EDIT, idempotency_key)
        given = [parse_line(text) for text in line or []]
        items = [g.item for g in given]
        places = keyed(location, "--location", items)
        ways = keyed(direction, "--direction", items)
        reasons = keyed(reason, "--reason", items)
        lots = keyed(lot, "--lot", items)
        costs = keyed(unit_cost, "--unit-cost", items)
        expiry = keyed(expires_on, "--expires-on", items)
        for index, g in enumerate(given):
            for name, values in (("--location", places), ("--direction", ways)):
                if index not in values:
                    raise InvalidInput(
                        f"line {index + 1} ({g.item}): give {name}",
                        code=f"{name[2:]}_required",
                        line=index + 1,
                    )
        lines = [
            service.AdjustmentLineInput(
                g.item,
                places[i],
                ways[i],
                g.quantity,
                reasons.get(i, ""),
                lots.get(i),
                g.unit,
                costs.get(i),
                parse_day(expiry.get(i), "expires_on"),
            )  # fmt: skip
            for i, g in enumerate(given)
        ]
        command = service.NewAdjustment(lines, warehouse, note, submit or post, post)
        show_step(service.create_adjustment(database(), ctx, command), as_json)


@app.command(epilog=STATES)
def submit(
    number: NumberArg, note: NoteOpt = None, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Submit a draft: approved at once unless above the threshold."""
    with handled(as_json):
        step_command(service.submit_adjustment, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def approve(
    number: NumberArg, note: NoteOpt = None, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Approve an adjustment someone else raised."""
    with handled(as_json):
        step_command(service.approve_adjustment, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def reject(
    number: NumberArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is rejected (required).")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject an adjustment someone else raised, with the reason."""
    with handled(as_json):
        step_command(service.reject_adjustment, number, idempotency_key, as_json, note=reason)


@app.command(epilog=STATES)
def post(
    number: NumberArg, note: NoteOpt = None, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Post an approved adjustment: its moves."""
    with handled(as_json):
        step_command(service.post_adjustment, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def cancel(
    number: NumberArg, note: NoteOpt = None, idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Cancel an adjustment not posted yet."""
    with handled(as_json):
        ctx = context(idempotency_key)
        show_step(service.cancel_adjustment(database(), ctx, number, note), as_json)
