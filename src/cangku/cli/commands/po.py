"""``cangku po ...``: purchase orders, from draft to confirmed (with approval above the
company's threshold by someone other than the buyer), closed or cancelled.

Receipts move an order on (``cangku receipt create --order PO-...``)."""

from __future__ import annotations

from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, handled
from cangku.cli.documents import (
    AssigneeOpt,
    DueOpt,
    LimitOpt,
    NoteOpt,
    OffsetOpt,
    keyed,
    list_of,
    machine_help,
    parse_day,
    parse_line,
    show_document,
    show_step,
    step_command,
)
from cangku.domain.inbound import PURCHASE_ORDER
from cangku.services.inbound import orders as service

MACHINE = PURCHASE_ORDER
STATES = machine_help(MACHINE)
NAME = "po"
HELP = f"Purchase orders: raise, confirm, approve, close.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str, typer.Argument(help="The order's number, e.g. PO-WH1-2026-00001.", show_default=False)
]


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only orders in this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier code.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Orders with this item.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search number and reference.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only orders still open.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List purchase orders, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, partner=supplier, item=item,
            q=q, open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show an order: lines, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


@app.command(epilog=STATES)
def create(
    supplier: Annotated[str, typer.Option("--supplier", help="Supplier code.")],
    warehouse: Annotated[str, typer.Option("--warehouse", help="The receiving warehouse.")],
    line: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            help="ITEM=QTY, ITEM=QTY:UNIT or ITEM=QTY:UNIT@PRICE (repeatable); the price is "
            "per that unit, by default the supplier's.",
        ),
    ] = None,
    expected: Annotated[
        list[str] | None,
        typer.Option(
            "--expected",
            help="ITEM=YYYY-MM-DD or #LINE=YYYY-MM-DD: when it is expected (default: today "
            "plus the lead time).",
        ),
    ] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="The supplier's quotation number.")
    ] = None,
    note: NoteOpt = None,
    due: DueOpt = None,
    assignee: AssigneeOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise a purchase order (a draft) for a supplier and a warehouse.

    Each line is an item and a quantity in a unit (the base unit by default); a price left out
    is the supplier's, an expected date left out is today plus the lead time."""
    with handled(as_json):
        ctx = context(idempotency_key)
        given = [parse_line(text, with_price=True) for text in line or []]
        dates = keyed(expected, "--expected", [g.item for g in given])
        lines = [
            service.OrderLineInput(
                g.item, g.quantity, g.unit, g.price, parse_day(dates.get(i), "expected")
            )
            for i, g in enumerate(given)
        ]
        command = service.NewPurchaseOrder(
            supplier, warehouse, lines, reference, note, parse_day(due, "due"), assignee
        )
        show_step(service.create_purchase_order(database(), ctx, command), as_json)


@app.command(epilog=STATES)
def confirm(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a draft order.

    Worth more than the approval threshold, it waits for approval."""
    with handled(as_json):
        step_command(service.confirm_order, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def approve(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve an order someone else raised: it is confirmed."""
    with handled(as_json):
        step_command(service.approve_order, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def reject(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send an order waiting for approval back to draft.

    Give the reason as its --note."""
    with handled(as_json):
        step_command(service.reject_order, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def cancel(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel an order nothing has been received against."""
    with handled(as_json):
        step_command(service.cancel_order, number, idempotency_key, as_json, note=note)


@app.command(epilog=STATES)
def close(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a partly received order: the rest is not expected any more."""
    with handled(as_json):
        step_command(service.close_order, number, idempotency_key, as_json, note=note)
