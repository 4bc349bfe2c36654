"""Checkpoints (exact stock and value at a past instant) and closed periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, literal, select

from cangku.db.tables import checkpoint_balances, checkpoint_values, checkpoints, periods


def insert_checkpoint(
    conn: Connection, as_of: datetime, now: datetime, quantities: Select[Any], values: Select[Any]
) -> int:
    """Store a checkpoint from two selects: (item, location, lot_key, on_hand) and
    (item, quantity, value) as of ``as_of``."""
    checkpoint_id = int(
        conn.execute(
            insert(checkpoints)
            .values(as_of=as_of, created_at=now, valid=True)
            .returning(checkpoints.c.id)
        ).scalar_one()
    )
    q = quantities.subquery()
    conn.execute(
        insert(checkpoint_balances).from_select(
            ["checkpoint_id", "item_id", "location_id", "lot_key", "on_hand"],
            select(literal(checkpoint_id), q.c.item_id, q.c.location_id, q.c.lot_key, q.c.on_hand),
        )
    )
    v = values.subquery()
    conn.execute(
        insert(checkpoint_values).from_select(
            ["checkpoint_id", "item_id", "quantity", "value"],
            select(literal(checkpoint_id), v.c.item_id, v.c.quantity, v.c.value),
        )
    )
    return checkpoint_id


def insert_period(
    conn: Connection, through: date, now: datetime, user_id: int, note: str | None
) -> int:
    return int(
        conn.execute(
            insert(periods)
            .values(closed_through=through, closed_at=now, user_id=user_id, note=note)
            .returning(periods.c.id)
        ).scalar_one()
    )
