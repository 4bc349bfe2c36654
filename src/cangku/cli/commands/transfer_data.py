"""Moving in and out with spreadsheets: ``cangku import template KIND``, ``cangku import KIND
FILE [--dry-run] [--errors REPORT]`` and ``cangku export KIND [--output FILE]``.

The import commands join the ``import`` group of ``commands/imports.py`` (next to ``import
moves``), which adds them with ``add_import_commands``: loading the ``import`` group
(``cangku.cli.lazy``) then makes all of it; ``export`` is this module's own group. One
command per kind (items, categories, warehouses, locations, partners, contacts,
supplier_items, lots, opening_stock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    context,
    database,
    emit,
    fail,
    handled,
    reader,
    table,
)
from cangku.domain.errors import InvalidInput
from cangku.domain.imports import KINDS, RowError
from cangku.services.imports import (
    ImportRejected,
    ImportSummary,
    error_report,
    export_rows_of,
    file_format,
    import_action,
    import_file,
    template,
)

NAME = "export"
HELP = (
    "Export master data or opening stock to CSV or XLSX.\n\nThe columns are those of their imports."
)
app = typer.Typer(no_args_is_help=True)

#: a progress bar is drawn for files with at least this many rows
BAR_FROM = 2000

LangOpt = Annotated[str, typer.Option("--lang", help="Headers in English (en) or Chinese (zh).")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (.csv or .xlsx).")
]


def _lang(value: str) -> str:
    if value not in ("en", "zh", "zh_CN"):
        raise InvalidInput("--lang is en or zh", code="invalid_language")
    return "zh" if value.startswith("zh") else "en"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="file_unreadable") from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", code="file_unwritable") from None


@contextmanager
def _bar(enabled: bool, kind: str) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on standard error for long files (none with --json)."""
    if not enabled:
        yield None
        return
    # Rich is imported for a bar only (a tenth of a second at every start otherwise)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn(f"checking {kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = None

    def advance(done: int, total: int) -> None:
        nonlocal task
        if total < BAR_FROM:
            return
        if task is None:
            progress.start()
            task = progress.add_task(kind, total=total)
        progress.update(task, completed=done)

    try:
        yield advance
    finally:
        progress.stop()


def _show_errors(errors: list[RowError], limit: int = 50) -> None:
    rows = [e.as_dict() for e in errors[:limit]]
    table(rows, ["row", "column", "code", "message"])
    if len(errors) > limit:
        typer.echo(f"... and {len(errors) - limit} more (write them all with --errors FILE)")


def _render(summary: dict[str, Any]) -> None:
    verb = "would import" if summary["dry_run"] else "imported"
    posted = f", {summary['posted']} moves posted" if summary["posted"] else ""
    typer.echo(
        f"{summary['kind']}: {summary['rows']} rows, {verb}: {summary['created']} created, "
        f"{summary['updated']} updated, {summary['unchanged']} unchanged{posted}"
    )


def _import(
    kind: str,
    path: Path,
    dry_run: bool,
    errors_path: Path | None,
    idempotency_key: str | None,
    as_json: bool,
) -> None:
    with handled(as_json):
        reader(import_action(kind))  # refused before the file is read
        data = _read(path)
        ctx = context(idempotency_key)
        report_format = file_format(errors_path.name) if errors_path else "csv"
        try:
            with _bar(not as_json, kind) as progress:
                summary: ImportSummary = import_file(
                    database(), ctx, kind, data, dry_run=dry_run, progress=progress
                )
        except ImportRejected as rejected:
            if errors_path is not None:
                _write(errors_path, error_report(rejected.errors, report_format))
            if not as_json:
                _show_errors(rejected.errors)
            fail(rejected, as_json)
        if summary.errors and errors_path is not None:
            _write(errors_path, error_report(summary.errors, report_format))
        emit(summary.as_dict(), as_json, _render)
        if summary.errors:
            if not as_json:
                _show_errors(summary.errors)
            raise typer.Exit(4)


def _import_command(kind: str) -> Callable[..., None]:
    def command(
        path: Annotated[Path, typer.Argument(help="CSV or XLSX file.", show_default=False)],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Check every row; write nothing.")
        ] = False,
        errors_path: Annotated[
            Path | None,
            typer.Option("--errors", help="Write the problems found to this .csv or .xlsx."),
        ] = None,
        idempotency_key: IdemOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        _import(kind, path, dry_run, errors_path, idempotency_key, as_json)

    command.__doc__ = (
        f"Import {kind} from a CSV or XLSX file.\n\nHeaders in English or Chinese. Every row is "
        "checked first; any problem refuses the whole file (exit 4) and lists every problem; "
        "otherwise the file is written in one transaction. Master data is matched by code: "
        "each row is created, updated or unchanged."
    )
    return command


def _template(
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(KINDS)}.", show_default=False)],
    lang: LangOpt = "en",
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write an empty file of KIND to fill in.

    It has the headers, a comment row describing each column (skipped on import), a sample row
    to replace and (XLSX) a sheet of the allowed values."""
    with handled(as_json):
        reader()  # a business command: signed in, like every other
        target = output or Path(f"{kind}-template.xlsx")
        data = template(kind, _lang(lang), file_format(target.name, "xlsx"))
        _write(target, data)
        emit({"kind": kind, "file": str(target), "bytes": len(data)}, as_json)


def _export_command(kind: str) -> Callable[..., None]:
    def command(output: OutputOpt = None, lang: LangOpt = "en", as_json: JsonOpt = False) -> None:
        with handled(as_json):
            found = export_rows_of(database(), context(), kind, _lang(lang))
            if output is not None:
                _write(output, found.file(file_format(output.name, "csv")))
                emit({"kind": kind, "rows": len(found.rows), "file": str(output)}, as_json)
            elif as_json:
                emit([dict(zip(found.columns, row, strict=True)) for row in found.rows], True)
            else:
                typer.echo(found.file("csv").decode("utf-8-sig"), nl=False)

    command.__doc__ = (
        f"Export every {kind} row as CSV or XLSX.\n\nThe columns of `cangku import {kind}`, as"
        " CSV on standard output, or --output FILE.csv|.xlsx; the file can be edited and"
        " imported again."
    )
    return command


def add_import_commands(group: typer.Typer) -> None:
    """Add ``template`` and one import command per kind to the ``import`` group."""
    group.command("template")(_template)
    for kind in KINDS:
        group.command(kind)(_import_command(kind))


for _kind in KINDS:
    app.command(_kind)(_export_command(_kind))
