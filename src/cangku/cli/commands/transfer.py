"""``cangku transfer ...``: transfers between bins of a warehouse (one step) or between
warehouses through transit (request, approve, dispatch, receive, resolve), and the stock in
transit."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.cli.documents import (
    AssigneeOpt,
    DueOpt,
    NoteOpt,
    acting,
    keyed,
    machine_help,
    parse_day,
    parse_line,
    show_step,
)
from cangku.cli.outbound import PER_LINE, Step, add_list_and_show, add_steps
from cangku.domain.errors import InvalidInput
from cangku.domain.transfers import TRANSFER, Outcome
from cangku.queries.cost_fields import cost_scope
from cangku.queries.transfers import in_transit
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.stock import VALUATION_VIEW
from cangku.services.transfers import movement
from cangku.services.transfers import requests as service

NAME = "transfer"
STATES = machine_help(TRANSFER)
HELP = f"Transfers between bins and warehouses, through transit.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)
add_list_and_show(app, TRANSFER, "transfer")

TransferArg = Annotated[
    str, typer.Argument(help="The transfer's number, e.g. TR-WH1-2026-00001.", show_default=False)
]
PerLineOpt = Annotated[
    list[str] | None,
    typer.Option(help="LINE=QTY in base units (repeatable); a line not named: in full."),
]


def per_line(values: list[str] | None, option: str) -> dict[int, str]:
    """``LINE=VALUE`` options as line number -> value. Raises InvalidInput ``invalid_line``."""
    out: dict[int, str] = {}
    for text in values or []:
        number, sep, value = text.partition("=")
        if not sep or not number.strip().isdigit() or not value.strip():
            raise InvalidInput(
                f"{option} takes LINE=VALUE, e.g. 1=20; not {text!r}",
                code="invalid_line",
                line=text,
            )
        out[int(number)] = value.strip()
    return out


@app.command("create", epilog=STATES)
def create(
    from_warehouse: Annotated[str, typer.Option("--from", help="The warehouse it leaves.")],
    line: Annotated[
        list[str], typer.Option("--line", help="ITEM=QTY or ITEM=QTY:UNIT (repeatable).")
    ],
    source: Annotated[
        list[str] | None, typer.Option("--from-bin", help=f"The bin it leaves: {PER_LINE}.")
    ] = None,
    to_warehouse: Annotated[
        str | None, typer.Option("--to", help="The warehouse it goes to (else within --from).")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option("--to-bin", help=f"The bin it goes to (required within): {PER_LINE}."),
    ] = None,
    lot: Annotated[list[str] | None, typer.Option("--lot", help=f"Lot: {PER_LINE}.")] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="A reference.")] = None,
    due: DueOpt = None,
    assignee: AssigneeOpt = None,
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit at once (approved at once within).")
    ] = False,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a transfer within a warehouse or to another one.

    Each line leaves a bin (--from-bin) with its lot (--lot, for lot-tracked items) and goes
    to a bin (--to-bin): required within a warehouse, else the receiver scans it on arrival.
    The bin must have the quantity free (on hand less reserved)."""
    with handled(as_json):
        ctx = acting(service.TRANSFER_EDIT, idempotency_key)
        given = [parse_line(text) for text in line]
        items = [g.item for g in given]
        sources, targets = keyed(source, "--from-bin", items), keyed(target, "--to-bin", items)
        lots = keyed(lot, "--lot", items)
        lines = []
        for i, g in enumerate(given):
            if i not in sources:
                raise InvalidInput(
                    f"line {i + 1}: give the bin it leaves (--from-bin)",
                    code="from_location_required",
                    line=i + 1,
                )
            lines.append(
                service.TransferLineInput(
                    g.item, g.quantity, sources[i], lots.get(i), targets.get(i), g.unit
                )
            )
        command = service.NewTransfer(
            from_warehouse, to_warehouse, lines, reference, parse_day(due, "--due"), note,
            assignee, submit,
        )  # fmt: skip
        show_step(service.create_transfer(database(), ctx, command), as_json)


add_steps(
    app,
    TRANSFER,
    "transfer",
    [
        Step("submit", service.submit_transfer, "Submit a draft transfer."),
        Step(
            "approve",
            service.approve_transfer,
            "Approve a transfer someone else raised.",
            permission=service.TRANSFER_APPROVE,
        ),
        Step("revise", service.revise_transfer, "Take a rejected transfer back to draft."),
        Step("cancel", service.cancel_transfer, "Cancel a transfer not dispatched yet."),
    ],
)


@app.command("reject", epilog=STATES)
def reject(
    number: TransferArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (for the requester).")],
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a submitted transfer back to its requester."""
    with handled(as_json):
        ctx = acting(service.TRANSFER_APPROVE, idempotency_key)
        show_step(service.reject_transfer(database(), ctx, number, reason), as_json)


@app.command("dispatch", epilog=STATES)
def dispatch(
    number: TransferArg,
    picked: Annotated[
        list[str] | None,
        typer.Option("--line", help="LINE=QTY dispatched (repeatable); a line not named: all."),
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dispatch an approved transfer: its goods leave their bins.

    Between warehouses they go to the source warehouse's transit location (still ours, still
    valued); within a warehouse straight to their bins (the transfer is then received)."""
    with handled(as_json):
        ctx = acting(service.TRANSFER_DISPATCH, idempotency_key)
        result = movement.dispatch_transfer(
            database(), ctx, number, per_line(picked, "--line"), note
        )
        show_step(result, as_json)


@app.command("receive", epilog=STATES)
def receive(
    number: TransferArg,
    received: Annotated[
        list[str] | None,
        typer.Option("--line", help="LINE=QTY arrived in good order (repeatable)."),
    ] = None,
    damaged: Annotated[
        list[str] | None, typer.Option("--damaged", help="LINE=QTY arrived damaged.")
    ] = None,
    bins: Annotated[
        list[str] | None, typer.Option("--bin", help="LINE=BIN scanned (else the line's).")
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive a transfer at its destination.

    A line not named arrived in full, less what --damaged reports. What is short or damaged
    stays in transit as a discrepancy for a manager to resolve."""
    with handled(as_json):
        ctx = acting(service.TRANSFER_RECEIVE, idempotency_key)
        result = movement.receive_transfer(
            database(), ctx, number, per_line(received, "--line"),
            per_line(damaged, "--damaged"), per_line(bins, "--bin"), note,
        )  # fmt: skip
        show_step(result, as_json)


@app.command("resolve", epilog=STATES)
def resolve(
    number: TransferArg,
    resolution: Annotated[
        list[str],
        typer.Option(
            "--line",
            help="LINE=QTY:OUTCOME[@BIN] (repeatable); OUTCOME is "
            + ", ".join(o.value for o in Outcome)
            + "; found goods go to BIN or the line's bin.",
        ),
    ],
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve what of a transfer did not arrive.

    Each unit missing or damaged is lost (written off), returned (to the bin it left), found
    (to its bin) or scrapped."""
    with handled(as_json):
        ctx = acting(service.TRANSFER_RESOLVE, idempotency_key)
        parsed = []
        for line_no, text in per_line(resolution, "--line").items():
            rest, _, location = text.partition("@")
            quantity, sep, outcome = rest.partition(":")
            if not sep:
                raise InvalidInput(
                    f"--line takes LINE=QTY:OUTCOME[@BIN]; not {line_no}={text}",
                    code="invalid_line",
                )
            parsed.append(movement.Resolution(line_no, outcome, quantity, location or None))
        show_step(movement.resolve_transfer(database(), ctx, number, parsed, note), as_json)


@app.command("transit")
def transit(
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Only transfers from or to it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stock in transit, with its value.

    Transfer lines dispatched and not yet received or resolved, oldest dispatch first, with the
    value of what is on the way (the item's stock value shared by quantity) where you may see
    values."""
    with handled(as_json):
        actor = reader(DOCUMENTS_VIEW)
        with database().read() as conn:
            costs = cost_scope(conn, actor.warehouses(VALUATION_VIEW))
            rows = in_transit(
                conn, actor.warehouses(DOCUMENTS_VIEW), warehouse=warehouse, costs_seen=costs
            )
        emit(
            rows,
            as_json,
            lambda found: table(
                found,
                ["number", "from_warehouse", "to_warehouse", "line_no", "item", "lot",
                 "quantity", "base_unit", "value"],
                ["transfer", "from", "to", "line", "item", "lot", "in transit", "unit", "value"],
            ),
        )  # fmt: skip
