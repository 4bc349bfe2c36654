"""``cangku receipt ...``: receipts (goods received notes), against a purchase order or
standalone, with lots, serial ranges and dates; received goods wait in the receiving (or
quality) location for their inspection and put-away."""

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
)
from cangku.domain.inbound import RECEIPT
from cangku.services.inbound import receipts as service

MACHINE = RECEIPT
STATES = machine_help(MACHINE)
NAME = "receipt"
HELP = f"Receipts of goods, against an order or standalone.\n\n{STATES}"
app = typer.Typer(no_args_is_help=True)

NumberArg = Annotated[
    str, typer.Argument(help="The receipt's number, e.g. GR-WH1-2026-00001.", show_default=False)
]
ConfirmOverOpt = Annotated[
    bool,
    typer.Option(
        "--confirm-over-receipt",
        help="Receive more than ordered (within the supplier's tolerance).",
    ),
]


@app.command("list", epilog=STATES)
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    warehouse: Annotated[str | None, typer.Option("--warehouse", help="Only this one.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier", help="Supplier code.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Receipts of this item.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Number or delivery note.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only receipts still open.")] = False,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """List receipts, newest first."""
    with handled(as_json):
        list_of(
            MACHINE, as_json, state=state, warehouse=warehouse, partner=supplier, item=item,
            q=q, open_only=open_only, limit=limit, offset=offset,
        )  # fmt: skip


@app.command(epilog=STATES)
def show(number: NumberArg, as_json: JsonOpt = False) -> None:
    """Show a receipt: lines, timeline, steps now."""
    with handled(as_json):
        show_document(MACHINE, number, as_json)


def _per_line(name: str, what: str) -> object:
    return typer.Option(name, help=f"{what}: ITEM=VALUE, #LINE=VALUE or VALUE (repeatable).")


@app.command(epilog=STATES)
def create(
    order: Annotated[
        str | None, typer.Option("--order", help="The purchase order received against.")
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Without an order: the warehouse.")
    ] = None,
    supplier: Annotated[
        str | None, typer.Option("--supplier", help="Without an order: the supplier.")
    ] = None,
    delivery_note: Annotated[
        str | None, typer.Option("--delivery-note", help="The supplier's delivery note number.")
    ] = None,
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="ITEM=QTY or ITEM=QTY:UNIT (repeatable)."),
    ] = None,
    lot: Annotated[list[str] | None, _per_line("--lot", "Lot code")] = None,
    serials: Annotated[
        list[str] | None, _per_line("--serials", "Serial numbers such as SN100-SN102,SN110")
    ] = None,
    expires: Annotated[list[str] | None, _per_line("--expires", "Expiry date")] = None,
    manufactured: Annotated[
        list[str] | None, _per_line("--manufactured", "Manufacture date")
    ] = None,
    supplier_lot: Annotated[
        list[str] | None, _per_line("--supplier-lot", "The supplier's lot code")
    ] = None,
    price: Annotated[
        list[str] | None, _per_line("--price", "Price per unit, without an order")
    ] = None,
    confirm_over_receipt: ConfirmOverOpt = False,
    draft: Annotated[bool, typer.Option("--draft", help="Record a draft, received later.")] = False,
    note: NoteOpt = None,
    due: DueOpt = None,
    assignee: AssigneeOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a receipt and receive it, unless --draft.

    Against --order (its warehouse and supplier), or with --warehouse and --supplier. Per-line
    options name their line by item (PUMP=SN100-SN102), by number (#2=F-02) or apply to every
    line (a bare value). Receiving opens an inspection (QC) for what needs one and a put-away
    (PA) for the rest."""
    with handled(as_json):
        ctx = context(idempotency_key)
        given = [parse_line(text) for text in line or []]
        items = [g.item for g in given]
        lots = keyed(lot, "--lot", items)
        serial = keyed(serials, "--serials", items)
        expiry = keyed(expires, "--expires", items)
        made = keyed(manufactured, "--manufactured", items)
        theirs = keyed(supplier_lot, "--supplier-lot", items)
        prices = keyed(price, "--price", items)
        lines = [
            service.ReceiptLineInput(
                g.item,
                g.quantity,
                g.unit,
                lot=lots.get(i),
                serials=serial.get(i),
                manufactured_on=parse_day(made.get(i), "manufactured"),
                expires_on=parse_day(expiry.get(i), "expires"),
                supplier_lot=theirs.get(i),
                unit_price=prices.get(i),
            )
            for i, g in enumerate(given)
        ]
        command = service.NewReceipt(
            lines=lines,
            order=order,
            warehouse=warehouse,
            supplier=supplier,
            delivery_note=delivery_note,
            note=note,
            due_on=parse_day(due, "due"),
            assignee=assignee,
            receive=not draft,
            confirm_over_receipt=confirm_over_receipt,
        )
        show_step(service.create_receipt(database(), ctx, command), as_json)


@app.command(epilog=STATES)
def receive(
    number: NumberArg,
    confirm_over_receipt: ConfirmOverOpt = False,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive a draft receipt: its goods are posted into the warehouse."""
    with handled(as_json):
        ctx = context(idempotency_key)
        result = service.receive_receipt(
            database(), ctx, number, confirm_over_receipt=confirm_over_receipt, note=note
        )
        show_step(result, as_json)


@app.command(epilog=STATES)
def cancel(
    number: NumberArg,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a draft receipt (nothing was posted)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        show_step(service.cancel_receipt(database(), ctx, number, note), as_json)
