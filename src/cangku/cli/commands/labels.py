"""``cangku labels items|lots|locations CODE... --out FILE.pdf``: labels to scan, as a PDF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cangku.cli.common import JsonOpt, database, emit, handled, reader
from cangku.domain.errors import InvalidInput
from cangku.domain.labels import DEFAULT_LAYOUT, LAYOUTS, MAX_COPIES
from cangku.queries import labels as queries
from cangku.queries.labels import Found
from cangku.services.items import ITEM_VIEW
from cangku.services.labels import PrintOptions, print_labels
from cangku.services.lots import LOT_VIEW
from cangku.services.warehouses import WAREHOUSE_VIEW

HELP = (
    "Labels to scan, as a PDF.\n\n"
    "Each has a Code 128 of the code and a GS1 DataMatrix (GTIN, expiry, lot) "
    "or a QR code, with the code, name, lot, expiry or location path under them. Layouts: "
    + "; ".join(f"{name}: {layout.description}" for name, layout in LAYOUTS.items())
    + "."
)


class Kind(StrEnum):
    ITEMS = "items"
    LOTS = "lots"
    LOCATIONS = "locations"


def labels(
    kind: Annotated[Kind, typer.Argument(help="What the codes name.", show_default=False)],
    codes: Annotated[
        list[str],
        typer.Argument(help="Item codes (or barcodes), lot or serial codes, or location codes."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The PDF file to write (replaced if it exists).")
    ],
    item: Annotated[
        str | None,
        typer.Option("--item", help="lots: their item (needed when several items use a code)."),
    ] = None,
    layout: Annotated[
        str, typer.Option("--layout", help=f"One of {', '.join(LAYOUTS)}.")
    ] = DEFAULT_LAYOUT,
    copies: Annotated[
        int, typer.Option("--copies", help=f"Copies of each label (1 to {MAX_COPIES}).")
    ] = 1,
    skip: Annotated[
        int, typer.Option("--skip", help="Positions to leave empty on the first sheet.")
    ] = 0,
    symbol: Annotated[
        str,
        typer.Option(
            "--symbol",
            help="2-D symbol: auto (GS1 DataMatrix where there is a GTIN, else QR), qr, "
            "datamatrix.",
        ),
    ] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Write labels to scan as a PDF (nothing is written when printing is refused)."""
    with handled(as_json):
        db = database()
        viewing = {Kind.ITEMS: ITEM_VIEW, Kind.LOTS: LOT_VIEW, Kind.LOCATIONS: WAREHOUSE_VIEW}
        seen = reader(viewing[kind]).warehouses(WAREHOUSE_VIEW)

        def select() -> Found:
            if kind is Kind.ITEMS:
                return queries.item_labels(db, codes)
            if kind is Kind.LOTS:
                return queries.lot_labels(db, codes=codes, item=item)
            return queries.location_labels(db, codes, warehouses=seen)

        printed = print_labels(PrintOptions(layout, copies, skip, symbol), select)
        try:
            out.write_bytes(printed.pdf)
        except OSError as exc:
            raise InvalidInput(
                f"cannot write {out}: {exc.strerror or exc}", code="cannot_write", path=str(out)
            ) from None
        written = {
            "file": str(out),
            "labels": printed.labels,
            "pages": printed.pages,
            "layout": printed.layout,
            "bytes": len(printed.pdf),
        }
        if as_json:
            emit(written, as_json)
        else:
            count = f"{printed.labels} label{'' if printed.labels == 1 else 's'}"
            pages = f"{printed.pages} page{'' if printed.pages == 1 else 's'}"
            typer.echo(f"{out}: {count} on {pages} ({printed.layout})")


def register(app: typer.Typer) -> None:
    app.command("labels", help=HELP)(labels)
