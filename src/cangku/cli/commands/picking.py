"""``cangku pick ...`` and ``cangku ship ...``: pick lists (the reservations of one or more
requests of a warehouse, in walking order, picked to its shipping location by scanning bin
and lot) and the shipments that record what left.

A request is shipped with ``cangku so ship`` (or ``requisition ship``): the shipment it
makes is then delivered, listed and shown here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader
from cangku.cli.documents import AssigneeOpt, NoteOpt, acting, machine_help, show_step
from cangku.cli.outbound import Step, add_list_and_show, add_steps
from cangku.domain.errors import InvalidInput
from cangku.domain.outbound import PICK_LIST, SHIPMENT, SHORT_PICK_REASONS
from cangku.services.documents import DOCUMENTS_VIEW
from cangku.services.outbound import picking as service
from cangku.services.outbound import shipping
from cangku.services.outbound.delivery_note import delivery_note_pdf

PICK_STATES = machine_help(PICK_LIST)
SHIP_STATES = machine_help(SHIPMENT)
REASONS = ", ".join(sorted(SHORT_PICK_REASONS))
PICK_SYNTAX = "LINE[=QTY][:LOT][@BIN][!REASON]"
#: as the help shows it: rich would take "[@BIN]" for markup
SHOWN_SYNTAX = PICK_SYNTAX.replace("[@", "\\[@")

CONFIRM_HELP = (
    "Confirm picks: the goods move to the shipping location.\n\n"
    "Each --line names a pick line and what was picked: QTY (default: all of it), the lot "
    "scanned after ':' and the bin after '@' (another bin or lot than the line's is refused), "
    f"and after '!' why less was picked ({REASONS}). What a short pick leaves is allocated "
    "again from other bins, or backordered."
)

pick_app = typer.Typer(no_args_is_help=True)
ship_app = typer.Typer(no_args_is_help=True)
add_list_and_show(pick_app, PICK_LIST, "pick list")

PickArg = Annotated[
    str, typer.Argument(help="The pick list's number, e.g. PK-WH1-2026-00001.", show_default=False)
]


def parse_pick(text: str) -> service.PickLineInput:
    """``LINE[=QTY][:LOT][@BIN][!REASON]``: ``1`` (all of line 1), ``1=20`` (20 of it),
    ``1=20:F-01@WH1-A`` (the lot and bin scanned), ``1=15!damaged`` (a short pick and why).
    The reason is what follows the last ``!``, the bin what follows the last ``@`` before it,
    the lot what follows the first ``:``. Raises InvalidInput ``invalid_line``."""
    rest, bang, reason = text.rpartition("!") if "!" in text else (text, "", "")
    rest, at, location = rest.rpartition("@") if "@" in rest else (rest, "", "")
    rest, _, lot = rest.partition(":")
    number, _, quantity = rest.partition("=")
    if not number.strip().isdigit() or (bang and not reason.strip()) or (at and not location):
        raise InvalidInput(
            f"a pick line is {PICK_SYNTAX}, e.g. 1=20:F-01@WH1-A; not {text!r}",
            code="invalid_line",
            line=text,
        )
    return service.PickLineInput(
        int(number),
        quantity.strip() or None,
        location.strip() or None,
        lot.strip() or None,
        reason.strip() or None,
    )


# ---------------------------------------------------------------- pick lists
@pick_app.command("create", epilog=PICK_STATES)
def create_pick(
    requests: Annotated[
        list[str],
        typer.Argument(help="The requests to pick (one warehouse).", show_default=False),
    ],
    kind: Annotated[
        str, typer.Option("--kind", help="The requests' kind: sales_order or requisition.")
    ] = "sales_order",
    assignee: AssigneeOpt = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a pick list for allocated requests.

    One line per reservation not on a pick list yet, ordered by bin for a walking route; one
    pick list may serve several requests of a warehouse (a wave)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        result = service.create_pick_list(
            database(), ctx, requests, kind, assignee=assignee, note=note
        )
        show_step(result, as_json)


@pick_app.command("confirm", epilog=PICK_STATES, help=CONFIRM_HELP)
def confirm_pick(
    number: PickArg,
    line: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            help=f"{SHOWN_SYNTAX} (repeatable), e.g. 1, 1=20, 1=20:F-01@WH1-A or 1=15!damaged; "
            "without --line every open line is picked in full.",
        ),
    ] = None,
    note: NoteOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    with handled(as_json):
        ctx = acting(service.PICK_CONFIRM, idempotency_key)
        lines = [parse_pick(text) for text in line or []] or None
        show_step(service.confirm_pick(database(), ctx, number, lines, note), as_json)


add_steps(
    pick_app,
    PICK_LIST,
    "pick list",
    [
        Step(
            "cancel",
            service.cancel_pick_list,
            "Cancel an open pick list.",
            "Its unpicked reservations stay with their requests, for another pick list; picked "
            "lines stay picked.",
        )
    ],
)


# ---------------------------------------------------------------- shipments
add_list_and_show(ship_app, SHIPMENT, "shipment", partner="--customer")
add_steps(
    ship_app,
    SHIPMENT,
    "shipment",
    [
        Step(
            "deliver",
            shipping.deliver_shipment,
            "Record that a shipment arrived.",
            "Give the carrier's proof of delivery as its --note.",
        )
    ],
)


def register(app: typer.Typer) -> None:
    """Add the ``pick`` and ``ship`` groups to ``app``."""
    app.add_typer(
        pick_app,
        name="pick",
        help=f"Pick lists: reserved goods picked for shipping.\n\n{PICK_STATES}",
    )
    app.add_typer(
        ship_app,
        name="ship",
        help=f"Shipments: what left, at what cost, delivered.\n\n{SHIP_STATES}",
    )


ShipmentArg = Annotated[
    str, typer.Argument(help="The shipment's number, e.g. SH-WH1-2026-00001.", show_default=False)
]


@ship_app.command("note")
def delivery_note(
    number: Annotated[
        str,
        typer.Argument(help="The shipment's number, e.g. SH-WH1-2026-00001.", show_default=False),
    ],
    out: Annotated[
        str | None, typer.Option("--out", help="The PDF file to write (default: NUMBER.pdf).")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh.")] = "en",
    as_json: JsonOpt = False,
) -> None:
    """Write a shipment's delivery note as a PDF.

    A packing list with the customer, ship-to, carrier and the lines with their lots; the cost
    of goods only for holders of valuation.view."""
    with handled(as_json):
        if lang not in ("en", "zh"):
            raise InvalidInput("--lang is en or zh", code="invalid_language")
        actor = reader(DOCUMENTS_VIEW)
        pdf, note = delivery_note_pdf(database(), actor, number, lang)
        path = Path(out or f"{number}.pdf")
        path.write_bytes(pdf)
        emit({"file": str(path), "bytes": len(pdf), "shipment": note.number,
              "lines": len(note.lines)}, as_json)  # fmt: skip
