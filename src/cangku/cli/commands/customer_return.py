"""``cangku so return ...``: customer returns against a shipment, each line with a reason and
where the goods go (back to a bin, to inspection, or to scrap), at the cost they left with.

Not a group of its own: ``commands.outbound`` adds it to ``cangku so`` (a top-level
``customer-return`` would be longer than the 11 letters ``cangku --help`` leaves its names)."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, database, handled
from cangku.cli.documents import NoteOpt, acting, keyed, machine_help, parse_line, show_step
from cangku.cli.outbound import PER_LINE, Step, add_list_and_show, add_steps
from cangku.domain.outbound import CUSTOMER_RETURN, DISPOSITIONS, RETURN_REASONS
from cangku.services.outbound import returns

STATES = machine_help(CUSTOMER_RETURN)
REASONS = ", ".join(sorted(RETURN_REASONS))
app = typer.Typer(no_args_is_help=True)
add_list_and_show(app, CUSTOMER_RETURN, "customer return", partner="--customer")


@app.command("create", epilog=STATES)
def create_return(
    shipment: Annotated[str, typer.Option("--shipment", help="The shipment (SH) it came on.")],
    line: Annotated[
        list[str] | None, typer.Option("--line", help="ITEM=QTY or ITEM=QTY:UNIT (repeatable).")
    ] = None,
    lot: Annotated[list[str] | None, typer.Option("--lot", help=f"Lot: {PER_LINE}.")] = None,
    reason: Annotated[
        list[str] | None, typer.Option("--reason", help=f"Why ({REASONS}): {PER_LINE}.")
    ] = None,
    disposition: Annotated[
        list[str] | None,
        typer.Option(
            "--disposition", help=f"Where it goes ({', '.join(DISPOSITIONS)}): {PER_LINE}."
        ),
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--to", help=f"The bin it is restocked in: {PER_LINE}.")
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Register it, received later.")] = False,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take goods back against a shipment; received unless --draft.

    Each line comes back at the cost it left with: restocked in the bin given with --to (the
    default disposition), to inspection (the quality location) or to scrap. At most what was
    shipped and not returned before. The reason is other unless given."""
    with handled(as_json):
        ctx = acting(returns.CUSTOMER_RETURN_RECEIVE, idempotency_key)
        given = [parse_line(text) for text in line or []]
        items = [g.item for g in given]
        lots, reasons = keyed(lot, "--lot", items), keyed(reason, "--reason", items)
        where, bins = keyed(disposition, "--disposition", items), keyed(target, "--to", items)
        lines = [
            returns.CustomerReturnLineInput(
                g.item, g.quantity, lots.get(i), g.unit, reasons.get(i, "other"),
                where.get(i, "restock"), bins.get(i),
            )
            for i, g in enumerate(given)
        ]  # fmt: skip
        command = returns.NewCustomerReturn(shipment, lines, note, receive=not draft)
        show_step(returns.create_customer_return(database(), ctx, command), as_json)


add_steps(
    app,
    CUSTOMER_RETURN,
    "customer return",
    [
        Step("receive", returns.receive_customer_return, "Receive a registered customer return."),
        Step(
            "cancel",
            returns.cancel_customer_return,
            "Cancel a customer return that was not received.",
        ),
    ],
)
