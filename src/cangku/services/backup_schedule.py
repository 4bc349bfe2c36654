"""Backups on a schedule: files named by time in a directory, retention, and a loop
(docs/operations/backup.md). Each run is :func:`cangku.services.backup.make_backup`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from cangku.db.uow import Database
from cangku.domain.backup import Secret, expired, file_name
from cangku.domain.errors import CangkuError
from cangku.services.backup import BackupResult, make_backup, write_failed
from cangku.services.common import utcnow


def backup_to_directory(
    db: Database, directory: Path, keep: int, secret: Secret | None = None
) -> BackupResult:
    """A backup named by its UTC time in ``directory`` (created if missing), then all but the
    newest ``keep`` such backups removed. Writes: the new file; deletes the pruned ones.
    Raises what :func:`~cangku.services.backup.make_backup` raises, and ``invalid_keep``."""
    expired([], keep)  # refuse a bad keep before doing the work
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failed(directory, exc) from exc
    result = make_backup(db, directory / file_name(utcnow()), secret)
    pruned = prune_backups(directory, keep)
    return replace(result, pruned=pruned)


def prune_backups(directory: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` scheduled backups in ``directory`` (files named
    ``cangku-<UTC time>.ckb``; nothing else is touched). Returns the names deleted."""
    doomed = expired((p.name for p in directory.iterdir() if p.is_file()), keep)
    for name in doomed:
        (directory / name).unlink(missing_ok=True)
    return doomed


def run_schedule(
    db: Database,
    directory: Path,
    keep: int,
    every: timedelta,
    secret: Secret | None = None,
    *,
    runs: int | None = None,
    report: Callable[[BackupResult | CangkuError], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Back up to ``directory`` now and then every ``every``, pruning to ``keep`` each time,
    until stopped (or after ``runs`` backups). A failed run is reported and the loop goes
    on. Returns the number of runs."""
    done = 0
    while True:
        try:
            report(backup_to_directory(db, directory, keep, secret))
        except CangkuError as exc:
            report(exc)
        done += 1
        if runs is not None and done >= runs:
            return done
        sleep(every.total_seconds())
