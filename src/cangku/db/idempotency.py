"""Stored results of writes made with an idempotency key, each the key of one user (ADR 0013)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from cangku.db.tables import idempotency_keys


@dataclass(frozen=True)
class Seen:
    """A write already made with a key: the digest of its request, its result, and the
    permission checks it passed (None: a row from before they were recorded)."""

    request_hash: str
    response: Any
    checks: list[tuple[str, int | None]] | None


def find(conn: Connection, user_id: int, key: str) -> Seen | None:
    """The write ``user_id`` made with ``key``; another user's key is not seen."""
    row = conn.execute(
        select(
            idempotency_keys.c.request_hash,
            idempotency_keys.c.response,
            idempotency_keys.c.checks,
        ).where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
    ).first()
    if row is None:
        return None
    checks = None
    if row.checks is not None:
        checks = [
            (str(code), None if wh is None else int(wh)) for code, wh in json.loads(row.checks)
        ]
    return Seen(row.request_hash, json.loads(row.response), checks)


def remember(
    conn: Connection,
    key: str,
    request_hash: str,
    response: Any,
    user_id: int,
    now: datetime,
    checks: Iterable[tuple[str, int | None]] = (),
) -> None:
    conn.execute(
        insert(idempotency_keys).values(
            key=key,
            request_hash=request_hash,
            response=json.dumps(response),
            user_id=user_id,
            checks=json.dumps(
                sorted(set(checks), key=lambda c: (c[0], c[1] is not None, c[1] or 0))
            ),
            created_at=now,
        )
    )
