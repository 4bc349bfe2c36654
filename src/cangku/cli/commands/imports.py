"""``cangku import moves FILE.csv``: post a file of moves, all or nothing (see services/bulk.py
and services/bulk_csv.py); ``import template`` and ``import KIND FILE`` come from
``commands/transfer_data.py``, added at the end of this module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cangku.cli.commands.transfer_data import add_import_commands
from cangku.cli.common import IdemOpt, JsonOpt, context, database, emit, handled, reader
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.services.bulk import STOCK_IMPORT, BulkResult, post_bulk
from cangku.services.bulk_csv import CsvMoves

NAME = "import"
HELP = "Import master data, opening stock or moves from a file."
app = typer.Typer(no_args_is_help=True)


def _summary(result: BulkResult) -> dict[str, Any]:
    """What the run did, honestly: a replay or a resumed import says so and counts only the
    moves posted now."""
    if result.replayed:
        return {
            "import": result.import_id,
            "replayed": True,
            "posted": 0,
            "batches": 0,
            "previously_posted": result.previously_posted,
            "posted_at": result.posted_at,
            "posted_by": result.posted_by,
            "note": (
                f"import {result.import_id} with this idempotency key was already posted; "
                "nothing was posted now"
            ),
        }
    summary: dict[str, Any] = {
        "import": result.import_id,
        "replayed": False,
        "posted": result.posted,
        "batches": result.batches,
        "total": result.total,
        "resumed_from": result.resumed_from,
        "seconds": round(result.seconds, 3),
        "moves_per_second": round(result.moves_per_second, 1),
    }
    if result.resumed_from:
        summary["note"] = (
            f"resumed import {result.import_id} after move {result.resumed_from} "
            "(posted by an earlier run)"
        )
    return summary


@app.command()
def moves(
    path: Annotated[Path, typer.Argument(help="CSV file with a header row.", show_default=False)],
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Moves per batch (per transaction with --chunked).")
    ] = 10_000,
    chunked: Annotated[
        bool,
        typer.Option(
            "--chunked",
            help="Commit each batch on its own; running the same file again resumes after the "
            "last committed batch.",
        ),
    ] = False,
    allow_repeat: Annotated[
        bool,
        typer.Option(
            "--allow-repeat", help="Post a file that was already imported once more, on purpose."
        ),
    ] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Post the file's moves in order, all or nothing.

    A refused move is named (its row) and nothing is posted. A file already imported is
    refused (who posted it, and when) unless --allow-repeat; with its --idempotency-key it is
    reported as a replay, posting nothing. With --chunked each batch commits on its own, and
    after a refusal (fix the rows after the ones posted) or a crash the same command resumes
    where it stopped."""
    with handled(as_json):
        ctx = context(idempotency_key)
        reader(STOCK_IMPORT)  # refused before the file is read (each batch checks its warehouses)
        try:
            path.open("rb").close()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {path}: {exc.strerror}", code="file_unreadable"
            ) from None
        rows = CsvMoves(lambda: path.open(encoding="utf-8-sig", newline=""))
        try:
            result = post_bulk(
                database(),
                ctx,
                rows,
                batch_size,
                chunked=chunked,
                allow_repeat=allow_repeat,
                source=path.name,
            )
        except UnicodeDecodeError:
            raise InvalidInput(f"{path} is not UTF-8 text", code="file_not_utf8") from None
        except CangkuError as exc:
            _hint(exc, chunked)
            raise
        emit(_summary(result), as_json)


def _hint(exc: CangkuError, chunked: bool) -> None:
    """Name the options a refusal points to."""
    hints = {
        "import_already_posted": "pass --allow-repeat to post it again",
        "import_unfinished": "pass --chunked to resume it, or --allow-repeat to post it whole",
    }
    hint = hints.get(exc.code)
    if hint is None and chunked and "resume_after" in exc.data:
        hint = "fix the file and run the same command again"
    if hint:
        exc.message = f"{exc.message} ({hint})"


# after ``moves``: the group lists its commands in the order they were added
add_import_commands(app)
