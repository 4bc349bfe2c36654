"""What identifies an import of moves, and what running one again means (ADR 0011).

An import is identified by the digest of its moves (their content, in order: the same CSV
saved with other line endings or column order is the same import) and, when given, by its
idempotency key. Before a run posts anything, ``plan`` decides from the ``move_imports``
records:

- the key of a completed import with the same moves: a replay (nothing is posted);
  with other moves: ``idempotency_key_reused``;
- the same moves completed before (any key): ``import_already_posted``, unless a repeat is
  allowed explicitly;
- a chunked import that stopped (a refusal, a crash) whose committed moves are this input's
  first moves: a chunked run resumes after them; an all-or-nothing run is refused
  (``import_unfinished``) unless a repeat is allowed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from cangku.db import move_imports as records
from cangku.db.move_imports import ImportRecord
from cangku.domain.errors import Conflict, IdempotencyMismatch

__all__ = ["Digest", "ImportRecord", "Plan", "plan"]


class Digest:
    """SHA-256 over the moves' content, one move at a time; the digest after the first ``n``
    moves is kept for each ``n`` in ``marks`` (to recognise an unfinished import's prefix)."""

    def __init__(self, marks: Iterable[int] = ()) -> None:
        self._hash = hashlib.sha256()
        self._marks = frozenset(marks)
        self.count = 0
        self.at: dict[int, str] = {}

    def add(self, content: bytes) -> None:
        self._hash.update(content)
        self.count += 1
        if self.count in self._marks:
            self.at[self.count] = self._hash.hexdigest()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Plan:
    """What this run does: replay a completed import, resume an unfinished one, or post the
    moves as a new import (``repeat_of``: the completed import it knowingly repeats)."""

    replay: ImportRecord | None = None
    resume: ImportRecord | None = None
    repeat_of: int | None = None


def candidates(conn: Connection, username: str, key: str | None) -> list[ImportRecord]:
    """The unfinished imports this run might continue (and its user's key's, if unfinished)."""
    found = records.unfinished(conn)
    keyed = records.by_key(conn, username, key) if key else None
    if keyed is not None and not keyed.finished and keyed.id not in {r.id for r in found}:
        found.append(keyed)
    return found


def _continues(record: ImportRecord, prefixes: Mapping[int, str]) -> bool:
    return prefixes.get(record.moves_posted) == record.prefix_digest


def plan(
    conn: Connection,
    *,
    username: str,
    key: str | None,
    digest: str,
    prefixes: Mapping[int, str],
    chunked: bool,
    allow_repeat: bool,
) -> Plan:
    """Decide what a run of the moves with ``digest`` does (``prefixes``: the digests of the
    input's first moves at the unfinished imports' positions; ``key``: ``username``'s own).
    Raises Conflict (``import_already_posted``, ``import_unfinished``) or IdempotencyMismatch."""
    keyed = records.by_key(conn, username, key) if key else None
    if keyed is not None:
        if keyed.finished:
            if keyed.digest == digest:
                return Plan(replay=keyed)
            raise _key_reused(keyed)
        if not _continues(keyed, prefixes):
            raise _key_reused(keyed)
        if chunked:
            return Plan(resume=keyed)
        raise unfinished_error(keyed)
    repeat_of = None
    done = records.latest_posted(conn, digest)
    if done is not None:
        if not allow_repeat:
            raise already_posted(done)
        repeat_of = done.id
    matching = [r for r in candidates(conn, username, None) if _continues(r, prefixes)]
    if matching:
        best = max(matching, key=lambda r: (r.moves_posted, r.id))
        if chunked:
            return Plan(resume=best)
        if not allow_repeat:
            raise unfinished_error(best)
    return Plan(repeat_of=repeat_of)


def _key_reused(record: ImportRecord) -> IdempotencyMismatch:
    return IdempotencyMismatch(
        f"this idempotency key was used for import {record.id}, with other moves",
        key=record.idempotency_key,
        import_id=record.id,
    )


def already_posted(record: ImportRecord) -> Conflict:
    when = record.finished_at or record.started_at
    return Conflict(
        f"these moves were already imported: import {record.id} posted {record.moves_posted} "
        f"moves on {when:%Y-%m-%d %H:%M} UTC, by {record.username}; nothing was posted now "
        "(allow a repeat explicitly to post them again)",
        code="import_already_posted",
        import_id=record.id,
        posted_at=when.isoformat(),
        posted_by=record.username,
        moves=record.moves_posted,
    )


def unfinished_error(record: ImportRecord) -> Conflict:
    of = f" of {record.moves_total}" if record.moves_total is not None else ""
    return Conflict(
        f"import {record.id} of these moves (in chunks, by {record.username}, started "
        f"{record.started_at:%Y-%m-%d %H:%M} UTC) stopped after move {record.moves_posted}{of}; "
        "nothing was posted now: run it again in chunks to resume after that move, or allow a "
        "repeat explicitly to post the whole input again",
        code="import_unfinished",
        import_id=record.id,
        posted_by=record.username,
        resume_after=record.moves_posted,
    )


def in_progress(import_id: int | None) -> Conflict:
    return Conflict(
        "another run of this import posted moves meanwhile; nothing was posted by this one",
        code="import_in_progress",
        import_id=import_id,
    )
