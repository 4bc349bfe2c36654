"""The shape every import shares: read the file, load what exists, decide every row, write.

Each kind supplies a ``plan(conn, table, actor, now) -> Plan``: it loads what exists for all
rows in a few set-based reads keyed by code, checks every row with the domain's rules (the same
as the one-at-a-time services, so the same error codes), and returns the counts, the errors
and a ``write`` that applies the whole file in batches. A dry run stops after the plan, on a
read-only connection; a real run does the plan again inside its write transaction (what exists
may have changed meanwhile), refuses the whole file on any error and otherwise writes it and
one audit entry summarising the import, then commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import CangkuError, InvalidInput
from cangku.domain.imports import ImportRejected, RowError, SourceRow, Table
from cangku.domain.permissions import Action, Actor
from cangku.services.common import Context, load_actor, run_write, utcnow

T = TypeVar("T")

#: progress(done, total) while rows are checked (the CLI draws a bar with it)
Progress = Callable[[int, int], None]


@dataclass
class Plan:
    """What an import would do: counts per outcome, the problems found and how to write it."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    write: Callable[[Connection, datetime], None] | None = None


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of an import (or of its dry run): rows read, created, updated, unchanged,
    and (dry run only) the problems found; a real import with problems raises instead."""

    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    #: moves posted (opening stock)
    posted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "posted": self.posted,
            "dry_run": self.dry_run,
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass(frozen=True)
class Importer:
    """One kind: the action it needs and its planner."""

    kind: str
    action: Action
    plan: Callable[[Connection, Table, Actor, datetime, Progress | None], Plan]


class RowCheck:
    """Runs the checks of one row, recording each refusal against its column."""

    def __init__(self, checks: Checks, row: SourceRow) -> None:
        self._checks = checks
        self.row = row
        self.ok = True

    def fail(self, column: str, exc: CangkuError) -> None:
        self.ok = False
        self._checks.add(self.row.number, column, exc)

    def __call__(self, column: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``check(*args, **kwargs)``; on a refusal, record it for ``column``, answer None."""
        try:
            return check(*args, **kwargs)
        except CangkuError as exc:
            self.fail(column, exc)
            return None


class Checks:
    """The errors of a whole file, row by row (and the progress of checking them)."""

    def __init__(self, table: Table, progress: Progress | None = None) -> None:
        self.table = table
        self.errors: list[RowError] = []
        self._progress = progress
        self._keys: dict[tuple[str, ...], int] = {}

    def add(self, number: int, column: str, exc: CangkuError) -> None:
        """Record a refusal found after the row's own checks (across rows, or in the database)."""
        header = self.table.header(column) if column else ""
        self.errors.append(RowError(number, header, exc.code, exc.message, dict(exc.data)))

    def rows(self) -> Iterator[RowCheck]:
        """Each row with its required cells present and its key not seen before (the others
        are recorded as errors and not yielded)."""
        total = len(self.table.rows)
        key_columns = self.table.sheet.key
        for done, row in enumerate(self.table.rows):
            if self._progress is not None and done % 1000 == 0:
                self._progress(done, total)
            check = RowCheck(self, row)
            for column in self.table.sheet.columns:
                if column.required and not row.get(column.name):
                    check.fail(
                        column.name,
                        InvalidInput(f"{column.name} is empty", code="import_cell_required"),
                    )
            if check.ok:
                key = tuple(row.get(name) or "" for name in key_columns)
                first = self._keys.setdefault(key, row.number)
                if first != row.number:
                    check.fail(
                        key_columns[0],
                        InvalidInput(
                            f"{' / '.join(k for k in key if k)} is already in row {first}",
                            code="import_duplicate_row",
                            first_row=first,
                        ),
                    )
            if check.ok:
                yield check
        if self._progress is not None:
            self._progress(total, total)


def _summary(kind: str, table: Table, plan: Plan, dry_run: bool) -> ImportSummary:
    return ImportSummary(
        kind, len(table.rows), plan.created, plan.updated, plan.unchanged, dry_run, plan.errors
    )


def check_import(
    db: Database, ctx: Context, importer: Importer, table: Table, progress: Progress | None = None
) -> ImportSummary:
    """The dry run: every row checked as the import would, nothing written (a read-only
    connection). Raises PermissionDenied without the kind's action."""
    with db.read() as conn:
        actor = load_actor(conn, ctx)
        actor.require(importer.action)
        plan = importer.plan(conn, table, actor, utcnow(), progress)
    return _summary(importer.kind, table, plan, True)


def run_import(
    db: Database,
    ctx: Context,
    importer: Importer,
    table: Table,
    digest: bytes,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the whole file in one transaction, with one audit entry (the file's SHA-256 and
    the counts). Raises ImportRejected (``import_rows_invalid``, every problem in its data)
    when any row breaks a rule: then nothing is written."""
    kind = importer.kind

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
        plan = importer.plan(uow.conn, table, actor, now, progress)
        if plan.errors:
            raise ImportRejected(kind, plan.errors, len(table.rows))
        if plan.write is not None:
            plan.write(uow.conn, now)
        return {"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged}

    payload = {"kind": kind, "sha256": hashlib.sha256(digest).hexdigest(), "rows": len(table.rows)}
    result, _ = run_write(
        db, ctx, importer.action, payload, work, target_type="import", target=kind
    )
    return ImportSummary(
        kind, len(table.rows), result["created"], result["updated"], result["unchanged"], False
    )
