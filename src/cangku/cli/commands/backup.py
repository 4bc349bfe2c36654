"""``cangku backup`` (now, into a directory with retention, on a schedule, check, prune, keygen)
and ``cangku restore``. Operator commands: they work on the database named by
``CANGKU_DATABASE_URL`` directly, like ``cangku db upgrade``. See docs/operations/backup.md.

Secrets never need to be on the command line: ``--key-file``, ``--passphrase-file``,
``CANGKU_BACKUP_KEY_FILE`` / ``CANGKU_BACKUP_PASSPHRASE_FILE`` / ``CANGKU_BACKUP_PASSPHRASE``
(or ``CANGKU_SECRETS_DIR``), or a prompt that does not echo.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from cangku.cli.common import JsonOpt, database, emit, handled, to_jsonable
from cangku.domain.backup import Secret, parse_interval, parse_key, parse_passphrase
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.services import backup as service
from cangku.services import backup_schedule as schedules
from cangku.settings import get_settings

NAME = "backup"
HELP = (
    "Back up the whole database while it runs.\n\n"
    "--output FILE or --dir DIR [--keep N], optionally encrypted. Also: schedule, check, prune,"
    " keygen."
)

app = typer.Typer(invoke_without_command=True)

KeyFileOpt = Annotated[
    Path | None,
    typer.Option("--key-file", help="File with a 32-byte key (cangku backup keygen makes one)."),
]
PassFileOpt = Annotated[
    Path | None, typer.Option("--passphrase-file", help="File whose content is the passphrase.")
]
DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Directory for time-named backups (default CANGKU_BACKUP_DIR)."),
]
KeepOpt = Annotated[
    int | None,
    typer.Option(
        "--keep", min=1, help="Keep this many newest backups (default CANGKU_BACKUP_KEEP)."
    ),
]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="secret_unreadable") from exc


def _secret(
    key_file: Path | None, passphrase_file: Path | None, *, ask: bool, twice: bool = False
) -> Secret | None:
    """The secret from the options, else the settings, else (``ask``) a hidden prompt."""
    settings = get_settings()
    if key_file is not None and passphrase_file is not None:
        raise InvalidInput("give --key-file or --passphrase-file, not both", code="invalid_option")
    if key_file is None and passphrase_file is None:
        if settings.backup_key_file:
            key_file = Path(settings.backup_key_file)
        elif settings.backup_passphrase_file:
            passphrase_file = Path(settings.backup_passphrase_file)
        elif settings.backup_passphrase is not None:
            return Secret(passphrase=settings.backup_passphrase.get_secret_value())
    if key_file is not None:
        return Secret(key=parse_key(_read(key_file)))
    if passphrase_file is not None:
        return Secret(passphrase=parse_passphrase(_read(passphrase_file)))
    if not ask:
        return None
    try:
        text = typer.prompt(
            "Backup passphrase", hide_input=True, confirmation_prompt=twice, err=True
        )
    except typer.Abort:
        raise InvalidInput(
            "the backup is encrypted: give --key-file, --passphrase-file or "
            "CANGKU_BACKUP_PASSPHRASE",
            code="backup_key_required",
        ) from None
    return Secret(passphrase=str(text))


def _directory(directory: Path | None) -> Path | None:
    if directory is not None:
        return directory
    configured = get_settings().backup_dir
    return Path(configured) if configured else None


def _render_backup(result: service.BackupResult) -> None:
    sealed = "encrypted" if result.encrypted else "not encrypted"
    typer.echo(
        f"backup written: {result.path} ({result.bytes} bytes, {sealed}; {result.rows} rows in "
        f"{result.tables} tables, schema {result.revision}, {result.seconds} s)"
    )
    for name in result.pruned:
        typer.echo(f"pruned: {name}")


@app.callback()
def backup(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the backup to this file.")
    ] = None,
    directory: DirOpt = None,
    keep: KeepOpt = None,
    encrypt: Annotated[
        bool | None,
        typer.Option(
            "--encrypt/--no-encrypt",
            help="Encrypt (default: when a key or passphrase is configured; asks for a "
            "passphrase if none is).",
        ),
    ] = None,
    key_file: KeyFileOpt = None,
    passphrase_file: PassFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the whole database while the app runs: one consistent snapshot in one file.

    Give --output FILE, or --dir DIR (or CANGKU_BACKUP_DIR) for a file named by the time, after
    which all but the newest --keep backups there are deleted.
    """
    if ctx.invoked_subcommand is not None:
        return
    with handled(as_json):
        if encrypt is False:
            if key_file or passphrase_file:
                raise InvalidInput(
                    "--no-encrypt with a key or passphrase file", code="invalid_option"
                )
            secret = None
        else:
            secret = _secret(key_file, passphrase_file, ask=encrypt is True, twice=True)
        target = _directory(directory)
        if output is not None:
            if directory is not None or keep is not None:
                raise InvalidInput("give --output or --dir/--keep, not both", code="invalid_option")
            result = service.make_backup(database(), output, secret)
        elif target is not None:
            result = schedules.backup_to_directory(
                database(), target, keep or get_settings().backup_keep, secret
            )
        else:
            raise InvalidInput(
                "give --output FILE or --dir DIR (or set CANGKU_BACKUP_DIR)",
                code="backup_target_missing",
            )
        emit(result, as_json, _render_backup)


@app.command("schedule")
def schedule(
    directory: DirOpt = None,
    keep: KeepOpt = None,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Interval: 30m, 6h, 1d (default CANGKU_BACKUP_INTERVAL)."),
    ] = None,
    runs: Annotated[
        int | None, typer.Option("--runs", min=1, help="Stop after this many backups.")
    ] = None,
    key_file: KeyFileOpt = None,
    passphrase_file: PassFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up now and then at every interval into --dir.

    Keeps the newest --keep; runs until stopped. A failed run is reported and the next one
    still happens. With --json, one JSON object per line and run."""
    with handled(as_json):
        settings = get_settings()
        target = _directory(directory)
        if target is None:
            raise InvalidInput(
                "give --dir DIR (or set CANGKU_BACKUP_DIR)", code="backup_target_missing"
            )
        interval = parse_interval(every or settings.backup_interval)
        secret = _secret(key_file, passphrase_file, ask=False)

        def report(outcome: service.BackupResult | CangkuError) -> None:
            if isinstance(outcome, CangkuError):
                if as_json:
                    typer.echo(json.dumps({"error": to_jsonable(outcome.to_dict())}))
                else:
                    typer.echo(f"error [{outcome.code}]: {outcome.message}", err=True)
            elif as_json:
                typer.echo(json.dumps(to_jsonable(outcome), ensure_ascii=False))
            else:
                _render_backup(outcome)

        schedules.run_schedule(
            database(),
            target,
            keep or settings.backup_keep,
            interval,
            secret,
            runs=runs,
            report=report,
        )


@app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="The backup file.", show_default=False)],
    key_file: KeyFileOpt = None,
    passphrase_file: PassFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a backup completely without restoring it.

    Checks its authenticity, every table's rows and hash, the chain heads and that its schema
    is one this version knows."""
    with handled(as_json):
        secret = _secret_for(path, key_file, passphrase_file)
        emit(service.check_backup(path, secret), as_json, _render_summary)


def _secret_for(path: Path, key_file: Path | None, passphrase_file: Path | None) -> Secret | None:
    if not service.is_encrypted(path):
        return None
    return _secret(key_file, passphrase_file, ask=True)


def _render_summary(summary: service.BackupSummary) -> None:
    sealed = "encrypted" if summary.encrypted else "not encrypted"
    typer.echo(
        f"backup OK: {summary.path} ({summary.bytes} bytes, {sealed}), made {summary.created_at} "
        f"from {summary.dialect} at schema {summary.revision} by cangku {summary.app_version}"
    )
    typer.echo(f"{summary.rows} rows in {len(summary.tables)} tables")
    for table in summary.tables:
        typer.echo(f"  {table.name:<20} {table.rows:>9}  sha256 {table.sha256}")


@app.command("prune")
def prune(directory: DirOpt = None, keep: KeepOpt = None, as_json: JsonOpt = False) -> None:
    """Delete all but the newest --keep backups in --dir.

    Only time-named backups are deleted; other files stay."""
    with handled(as_json):
        target = _directory(directory)
        if target is None:
            raise InvalidInput(
                "give --dir DIR (or set CANGKU_BACKUP_DIR)", code="backup_target_missing"
            )
        if not target.is_dir():
            raise InvalidInput(f"{target} is not a directory", code="backup_target_missing")
        pruned = schedules.prune_backups(target, keep or get_settings().backup_keep)
        emit({"directory": str(target), "pruned": pruned}, as_json)


@app.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="The key file to create.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Create a key file with a new random 32-byte key.

    The key is 64 hex digits, in a file only you may read. Keep a copy somewhere else than the
    backups: without it they cannot be restored."""
    with handled(as_json):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InvalidInput(f"{path} exists; not overwritten", code="file_exists") from None
        except OSError as exc:
            raise InvalidInput(
                f"cannot write {path}: {exc.strerror}", code="backup_write_failed"
            ) from exc
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
        emit({"key_file": str(path)}, as_json)


def restore(
    path: Annotated[Path, typer.Argument(help="The backup file.", show_default=False)],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before replacing the database.")
    ] = False,
    key_file: KeyFileOpt = None,
    passphrase_file: PassFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the whole database with a backup.

    The database is CANGKU_DATABASE_URL's; after the restore it is migrated to this version's
    schema. The backup is checked completely first; a backup that fails its check
    changes nothing. The database is replaced in one step, so this is safe while the app runs,
    but stop the app first if you can: requests in flight at that moment fail or are lost, and
    sessions and API tokens go back to their state at the time of the backup."""
    with handled(as_json):
        secret = _secret_for(path, key_file, passphrase_file)
        db = database()
        shown = make_url(db.url).render_as_string(hide_password=True)

        def confirm(summary: service.BackupSummary) -> bool:
            if yes:
                return True
            if not sys.stdin.isatty():
                return False
            typer.echo(
                f"backup of {summary.created_at} ({summary.rows} rows, schema {summary.revision})",
                err=True,
            )
            return typer.confirm(f"Replace every row of {shown} with it?", err=True)

        result = service.restore_backup(db, path, secret, confirm=confirm)
        emit(
            result,
            as_json,
            lambda r: typer.echo(
                f"restored {r.rows} rows in {r.tables} tables from {r.path} (made "
                f"{r.created_at}, schema {r.revision} -> {r.schema_revision}, {r.seconds} s); "
                "run `cangku verify` to prove the ledger"
            ),
        )


def register(root: typer.Typer) -> None:
    """Add the top-level ``restore`` command."""
    root.command("restore")(restore)
