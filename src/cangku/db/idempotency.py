"""Stored results of writes made with an idempotency key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from cangku.db.tables import idempotency_keys


def find(conn: Connection, key: str) -> tuple[str, Any] | None:
    row = conn.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.key == key
        )
    ).first()
    if row is None:
        return None
    return row.request_hash, json.loads(row.response)


def remember(
    conn: Connection, key: str, request_hash: str, response: Any, user_id: int | None, now: datetime
) -> None:
    conn.execute(
        insert(idempotency_keys).values(
            key=key,
            request_hash=request_hash,
            response=json.dumps(response),
            user_id=user_id,
            created_at=now,
        )
    )
