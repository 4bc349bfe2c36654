"""``cangku import moves FILE.csv``: post many moves in batches (see services/bulk_csv.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader
from cangku.domain.errors import InvalidInput
from cangku.services.bulk import STOCK_IMPORT, post_bulk
from cangku.services.bulk_csv import read_moves

NAME = "import"
HELP = "Import moves from a CSV file (opening balances, data migration)."
app = typer.Typer(no_args_is_help=True)


@app.command()
def moves(
    path: Annotated[Path, typer.Argument(help="CSV file with a header row.", show_default=False)],
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Moves per transaction.")
    ] = 10_000,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Post the file's moves in order, a batch per transaction. A refused move refuses its whole
    batch (earlier batches stay posted); re-running with the same --idempotency-key skips the
    batches already posted."""
    with handled(as_json):
        ctx = context(idempotency_key)
        reader(STOCK_IMPORT)  # refused before the file is read (each batch checks its warehouses)
        try:
            stream = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {path}: {exc.strerror}", code="file_unreadable"
            ) from None
        with stream:
            result = post_bulk(database(), ctx, read_moves(stream), batch_size)
        emit(
            {
                "posted": result.posted,
                "batches": result.batches,
                "seconds": round(result.seconds, 3),
                "moves_per_second": round(result.moves_per_second, 1),
            },
            as_json,
        )
