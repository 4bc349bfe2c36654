"""The record of each import of moves (``move_imports``): what identifies it and how far it got.

No commits here; ``services.bulk`` decides what a record means (ADR 0011).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, text, update

from cangku.db.tables import move_imports, users

__all__ = [
    "ImportRecord",
    "advance",
    "by_key",
    "create",
    "latest_posted",
    "lock",
    "stop",
    "unfinished",
]

RUNNING, STOPPED, POSTED = "running", "stopped", "posted"
#: how many unfinished chunked imports a new one is compared with (newest first)
UNFINISHED_LIMIT = 20


@dataclass(frozen=True)
class ImportRecord:
    id: int
    digest: str
    prefix_digest: str
    idempotency_key: str | None
    repeat_of: int | None
    source: str | None
    username: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    chunked: bool
    batch_size: int
    moves_total: int | None
    moves_posted: int
    stop_code: str | None
    stop_move: int | None

    @property
    def finished(self) -> bool:
        return self.status == POSTED


def _select() -> Select[Any]:
    return select(
        move_imports.c.id,
        move_imports.c.digest,
        move_imports.c.prefix_digest,
        move_imports.c.idempotency_key,
        move_imports.c.repeat_of,
        move_imports.c.source,
        users.c.username,
        move_imports.c.started_at,
        move_imports.c.finished_at,
        move_imports.c.status,
        move_imports.c.chunked,
        move_imports.c.batch_size,
        move_imports.c.moves_total,
        move_imports.c.moves_posted,
        move_imports.c.stop_code,
        move_imports.c.stop_move,
    ).join(users, users.c.id == move_imports.c.user_id)


def _record(row: Any) -> ImportRecord:
    return ImportRecord(**row._mapping)


def by_key(conn: Connection, username: str, key: str) -> ImportRecord | None:
    """The import that ``username`` sent with ``key`` (keys are per user, ADR 0013)."""
    stmt = _select().where(move_imports.c.idempotency_key == key, users.c.username == username)
    row = conn.execute(stmt).first()
    return _record(row) if row else None


def latest_posted(conn: Connection, digest: str) -> ImportRecord | None:
    """The latest completed import of exactly these moves."""
    stmt = (
        _select()
        .where(move_imports.c.digest == digest, move_imports.c.status == POSTED)
        .order_by(move_imports.c.id.desc())
        .limit(1)
    )
    row = conn.execute(stmt).first()
    return _record(row) if row else None


def unfinished(conn: Connection) -> list[ImportRecord]:
    """Chunked imports that stopped (a refusal, a crash) with some moves posted, newest first."""
    stmt = (
        _select()
        .where(
            move_imports.c.status.in_((RUNNING, STOPPED)),
            move_imports.c.chunked.is_(True),
            move_imports.c.moves_posted > 0,
        )
        .order_by(move_imports.c.id.desc())
        .limit(UNFINISHED_LIMIT)
    )
    return [_record(row) for row in conn.execute(stmt)]


def lock(conn: Connection, *names: str) -> None:
    """Serialise imports of the same moves or key until the transaction ends. SQLite needs
    nothing (one writer at a time); PostgreSQL takes transaction-scoped advisory locks, in a
    fixed order."""
    if conn.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        seed = f"cangku.move_imports:{name}".encode()
        number = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(CAST(:n AS BIGINT))"), {"n": number})


def create(conn: Connection, **values: Any) -> int:
    """A new record; ``values`` are its columns (user_id, digest, status...)."""
    return int(
        conn.execute(
            insert(move_imports).values(**values).returning(move_imports.c.id)
        ).scalar_one()
    )


def advance(conn: Connection, import_id: int, posted_before: int, **values: Any) -> bool:
    """Move an unfinished import on from ``posted_before`` moves (its row is locked until the
    transaction ends). False when another run moved it meanwhile or it is finished."""
    result = conn.execute(
        update(move_imports)
        .where(
            move_imports.c.id == import_id,
            move_imports.c.moves_posted == posted_before,
            move_imports.c.status != POSTED,
        )
        .values(**values)
    )
    return result.rowcount == 1


def stop(conn: Connection, import_id: int, code: str, move: int | None) -> None:
    """Mark an unfinished import stopped by a refusal at ``move``."""
    conn.execute(
        update(move_imports)
        .where(move_imports.c.id == import_id, move_imports.c.status != POSTED)
        .values(status=STOPPED, stop_code=code[:64], stop_move=move)
    )
