"""Backup and restore use cases (ADR 0007, docs/operations/backup.md).

``make_backup`` reads the whole database in one snapshot while the app keeps running;
``restore_backup`` checks a backup completely before it replaces anything, then replaces the
database in one step (one PostgreSQL transaction; on SQLite a new file built beside the target
and copied in with SQLite's backup API). Both are operator commands: they act on the database
directly and need no signed-in user.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from cangku import __version__
from cangku.db import backup as store
from cangku.db import backup_file
from cangku.db.engine import make_engine
from cangku.db.schema import head_revision
from cangku.db.uow import Database, translate
from cangku.domain.backup import (
    FORMAT,
    HEAD_TABLES,
    Manifest,
    PayloadReader,
    Secret,
    TableRows,
    TableSummary,
    corrupt,
    record,
    row_line,
)
from cangku.domain.errors import InvalidInput, NeedsConfirmation, NotFound
from cangku.services.common import utcnow

#: content lines handed to the compressor at once
_LINES_PER_WRITE = 1000
#: PostgreSQL: how long a restore waits for the tables' locks (open transactions of the app)
LOCK_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class BackupResult:
    path: str
    bytes: int
    encrypted: bool
    revision: str
    dialect: str
    created_at: str
    tables: int
    rows: int
    seconds: float
    heads: dict[str, list[dict[str, Any]]]
    pruned: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupSummary:
    """A checked backup: what it holds and whether this code can restore it."""

    path: str
    bytes: int
    encrypted: bool
    revision: str
    dialect: str
    created_at: str
    app_version: str
    tables: list[TableSummary]
    rows: int
    heads: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class RestoreResult:
    path: str
    revision: str
    schema_revision: str | None
    dialect: str
    backup_dialect: str
    created_at: str
    tables: int
    rows: int
    seconds: float
    heads: dict[str, list[dict[str, Any]]]


def make_backup(
    db: Database,
    path: Path,
    secret: Secret | None = None,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> BackupResult:
    """Write a backup of every table to ``path``, read in one consistent snapshot while others
    keep writing; encrypted with ``secret`` when given. ``progress(table, rows)`` is called
    after each table.

    Writes: ``path`` only (mode 0600, via a temporary file renamed at the end, so ``path`` is
    either absent or complete). Raises ``backup_no_schema`` (database not initialised),
    ``backup_newer_schema``, ``backup_schema_mismatch``, ``backup_write_failed``.
    """
    started = time.perf_counter()
    try:
        out, temporary = backup_file.create_private(path)
    except OSError as exc:
        raise write_failed(path, exc) from exc
    try:
        with store.snapshot(db.engine) as conn:
            revision = store.revision(conn)
            if revision is None:
                raise InvalidInput(
                    "the database has no schema: run `cangku init` first", code="backup_no_schema"
                )
            if not store.is_known(revision):
                raise _newer(revision)
            created_at = utcnow().isoformat()
            summary: dict[str, Any] = {}
            content = _content(conn, revision, db.dialect, created_at, summary, progress)
            backup_file.write(out, content, secret)
        backup_file.publish(out, temporary, path)
    except OSError as exc:
        _discard(out, temporary)
        raise write_failed(path, exc) from exc
    except DBAPIError as exc:
        _discard(out, temporary)
        raise translate(exc) from exc
    except BaseException:
        _discard(out, temporary)
        raise
    return BackupResult(
        path=str(path),
        bytes=path.stat().st_size,
        encrypted=secret is not None,
        revision=revision,
        dialect=db.dialect,
        created_at=created_at,
        tables=len(summary["tables"]),
        rows=sum(t["rows"] for t in summary["tables"]),
        seconds=round(time.perf_counter() - started, 3),
        heads=summary["heads"],
    )


def _content(
    conn: Connection,
    revision: str,
    dialect: str,
    created_at: str,
    summary: dict[str, Any],
    progress: Callable[[str, int], None] | None,
) -> Iterator[bytes]:
    found = store.tables(conn)
    names = [tbl.name for tbl, _ in found]
    yield record(
        "begin",
        format=FORMAT,
        app="cangku",
        app_version=__version__,
        revision=revision,
        dialect=dialect,
        created_at=created_at,
        tables=names,
    )
    summaries: list[dict[str, Any]] = []
    heads: dict[str, list[dict[str, Any]]] = {}
    for tbl, columns in found:
        yield record("table", name=tbl.name, columns=[list(c) for c in columns])
        digest, count, pending = hashlib.sha256(), 0, []
        for values in store.rows(conn, tbl, columns):
            line = row_line(values)
            digest.update(line)
            count += 1
            pending.append(line)
            if tbl.name in HEAD_TABLES:
                heads.setdefault(tbl.name, []).append(
                    dict(zip((c for c, _ in columns), values, strict=True))
                )
            if len(pending) >= _LINES_PER_WRITE:
                yield b"".join(pending)
                pending = []
        yield b"".join(pending)
        summaries.append({"name": tbl.name, "rows": count, "sha256": digest.hexdigest()})
        yield record("end_table", **summaries[-1])
        if progress is not None:
            progress(tbl.name, count)
    stated = {name: heads.get(name, []) for name in HEAD_TABLES if name in names}
    summary.update(tables=summaries, heads=stated)
    yield record("end", tables=summaries, heads=stated)


# ---------------------------------------------------------------- checking and restoring


def is_encrypted(path: Path) -> bool:
    """Whether the backup at ``path`` needs a passphrase or key. Raises ``backup_not_found``,
    ``backup_corrupt`` (not a backup)."""
    with _open(path) as source:
        return backup_file.read_header(source).encrypted


def check_backup(path: Path, secret: Secret | None = None) -> BackupSummary:
    """Read the whole backup and check it: authentication (or checksum), structure, every
    table's row count and hash, the chain heads, and that this code knows its schema revision.

    Writes nothing. Raises ``backup_not_found``, ``backup_corrupt``, ``backup_key_required``,
    ``backup_wrong_key``, ``backup_newer_schema``.
    """
    reader = PayloadReader()
    encrypted = is_encrypted(path)
    with _open(path) as source:
        for event in reader.events(backup_file.lines(backup_file.content(source, secret))):
            if isinstance(event, dict) and not store.is_known(event["revision"]):
                raise _newer(event["revision"])
    assert reader.manifest is not None
    manifest = reader.manifest
    return BackupSummary(
        path=str(path),
        bytes=path.stat().st_size,
        encrypted=encrypted,
        revision=manifest.revision,
        dialect=manifest.dialect,
        created_at=manifest.created_at,
        app_version=manifest.app_version,
        tables=manifest.tables,
        rows=manifest.rows,
        heads=manifest.heads,
    )


def restore_backup(
    db: Database,
    path: Path,
    secret: Secret | None = None,
    *,
    confirm: Callable[[BackupSummary], bool] | None = None,
) -> RestoreResult:
    """Replace the whole database with the backup at ``path``, then migrate it to this code's
    schema. The backup is checked completely first (:func:`check_backup`); ``confirm`` (when
    given) sees the summary and may still say no. A backup from another engine restores too.

    Writes: every table of the database (PostgreSQL: dropped and re-created in one transaction;
    SQLite: the file's content, replaced in one step); nothing at all when it raises.
    Raises what :func:`check_backup` raises, ``restore_not_confirmed``,
    ``restore_target_unsupported``, ``database_newer_schema``.
    """
    started = time.perf_counter()
    summary = check_backup(path, secret)
    if confirm is not None and not confirm(summary):
        raise NeedsConfirmation(
            "restoring replaces every row of the database: confirm it", code="restore_not_confirmed"
        )
    if db.dialect == "sqlite":
        manifest = _restore_sqlite(db, path, secret)
    else:
        manifest = _restore_in_place(db, path, secret)
    return RestoreResult(
        path=str(path),
        revision=manifest.revision,
        schema_revision=head_revision(),
        dialect=db.dialect,
        backup_dialect=manifest.dialect,
        created_at=manifest.created_at,
        tables=len(manifest.tables),
        rows=manifest.rows,
        seconds=round(time.perf_counter() - started, 3),
        heads=manifest.heads,
    )


def _restore_in_place(db: Database, path: Path, secret: Secret | None) -> Manifest:
    try:
        with db.engine.connect() as conn, conn.begin():
            # wait at most this long for the app's open transactions, then give up unchanged
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
            current = store.revision(conn)
            if current is not None and not store.is_known(current):
                raise InvalidInput(
                    f"the database is at schema revision {current}, newer than this version",
                    code="database_newer_schema",
                    revision=current,
                )
            store.drop_schema(conn)
            return _load(conn, path, secret)
    except IntegrityError as exc:
        raise corrupt("its rows break the schema's rules") from exc
    except DBAPIError as exc:
        raise translate(exc) from exc


def _restore_sqlite(db: Database, path: Path, secret: Secret | None) -> Manifest:
    target = store.sqlite_path(db.url)
    if target is None:
        raise InvalidInput(
            "cannot restore into an in-memory database", code="restore_target_unsupported"
        )
    building = target.with_name(f".{target.name}.restore-{os.urandom(4).hex()}")
    engine = make_engine(f"sqlite:///{building}", null_pool=True)
    try:
        try:
            with engine.connect() as conn, conn.begin():
                manifest = _load(conn, path, secret)
        except IntegrityError as exc:
            raise corrupt("its rows break the schema's rules") from exc
        except DBAPIError as exc:
            raise translate(exc) from exc
        engine.dispose()
        db.dispose()
        store.copy_sqlite(building, target)
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
    return manifest


def _load(conn: Connection, path: Path, secret: Secret | None) -> Manifest:
    """Create the schema at the backup's revision, insert every row, continue the id
    sequences, migrate to head and check the chain heads — all in ``conn``'s transaction.
    The content is checked again as it streams in: the file may have changed since."""
    reader = PayloadReader()
    names: list[str] = []
    loader: store.Loader | None = None
    with _open(path) as source:
        for event in reader.events(backup_file.lines(backup_file.content(source, secret))):
            if isinstance(event, dict):
                if not store.is_known(event["revision"]):
                    raise _newer(event["revision"])
                names = event["tables"]
                store.empty_schema(conn, event["revision"])
                continue
            assert isinstance(event, TableRows)
            if loader is None or loader.name != event.name:
                if loader is not None:
                    loader.finish()
                loader = store.Loader(conn, event.name, event.columns)
            loader.add(event.rows)
    if loader is not None:
        loader.finish()
    assert reader.manifest is not None
    store.reset_sequences(conn)
    store.upgrade(conn, "head")
    restored = store.heads(conn, [n for n in HEAD_TABLES if n in names])
    if restored != reader.manifest.heads:
        raise corrupt("the restored chain heads differ from the backup's")
    return reader.manifest


# ---------------------------------------------------------------- helpers


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NotFound("backup", path) from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", code="backup_read_failed"
        ) from exc


def _discard(out: BinaryIO, temporary: Path) -> None:
    out.close()
    temporary.unlink(missing_ok=True)


def _newer(revision: str) -> InvalidInput:
    return InvalidInput(
        f"the backup is from schema revision {revision}, newer than this version knows "
        f"(head {head_revision()}): restore it with a newer cangku",
        code="backup_newer_schema",
        revision=revision,
    )


def write_failed(path: Path, exc: OSError) -> InvalidInput:
    return InvalidInput(
        f"cannot write {path}: {exc.strerror or exc}", code="backup_write_failed", path=str(path)
    )
