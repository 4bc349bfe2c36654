"""``cangku trace [ITEM] LOT``: the recall trace of a lot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, reader, table
from cangku.domain.errors import InvalidInput
from cangku.queries.lot_trace import LotTrace
from cangku.services.lot_trace import trace_file, trace_lot
from cangku.services.stock import STOCK_VIEW

MOVES = ["at", "category", "quantity", "location", "document", "shipment", "partner", "department"]
PLACES = ["warehouse", "location", "kind", "on_hand", "reserved"]


def _render(trace: LotTrace) -> None:
    typer.echo(f"{trace.item} / {trace.lot} ({trace.status})")
    for title, rows, columns in (
        ("came from", trace.came_from, MOVES),
        ("now at", trace.now_at, PLACES),
        ("went to", trace.went_to, MOVES),
    ):
        typer.echo(f"\n{title}:")
        if rows:
            table(rows, columns)
        else:
            typer.echo("  -")
    t = trace.totals
    typer.echo(
        f"\nin {t['total_in']} = on hand {t['on_hand']} + out {t['total_out']}"
        f" ({'balanced' if trace.balanced else 'NOT balanced'}"
        f"{'' if trace.complete else '; only the warehouses you see'})"
    )


def trace(
    first: Annotated[
        str,
        typer.Argument(
            metavar="[ITEM] LOT",
            help="The item's code or barcode, then the lot (or serial) code; the lot alone"
            " when only one item has a lot of that code.",
            show_default=False,
        ),
    ],
    second: Annotated[str | None, typer.Argument(hidden=True, show_default=False)] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write it as CSV.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write it as XLSX.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A lot's recall trace: where it came from, is and went.

    Receipts and returns in; balances by location (reserved too); shipments to customers,
    issues to production, scrap, write-offs and supplier returns out. Totals reconcile:
    in = on hand + out."""
    with handled(as_json):
        if csv is not None and xlsx is not None:
            raise InvalidInput("write --csv or --xlsx, not both", code="one_file_format")
        actor = reader(STOCK_VIEW)
        item, lot = (None, first) if second is None else (first, second)
        found = trace_lot(database(), item, lot, actor.warehouses(STOCK_VIEW))
        for path, fmt in ((csv, "csv"), (xlsx, "xlsx")):
            if path is not None:
                path.write_bytes(trace_file(found, fmt))
        emit({**vars(found), "balanced": found.balanced}, as_json, lambda _: _render(found))


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
