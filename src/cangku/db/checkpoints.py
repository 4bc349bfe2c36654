"""Checkpoints (exact stock and value at a past instant) and closed periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, literal, or_, select, update

from cangku.db.tables import (
    checkpoint_balances,
    checkpoint_flows,
    checkpoint_values,
    checkpoints,
    locations,
    moves,
    periods,
)
from cangku.domain.enums import VALUED_KINDS

__all__ = [
    "FLOW_KEYS",
    "crossing_moves",
    "insert_checkpoint",
    "insert_period",
    "summarise_all",
    "summarise_flows",
]

#: the document a return from a customer (or from production) is posted under
RETURN_DOC = "customer_return"
#: what a checkpoint's flow rows are keyed by, beside the checkpoint
FLOW_KEYS = ("item_id", "from_kind", "to_kind", "from_warehouse_id", "to_warehouse_id", "back")
_VALUED = sorted(str(kind) for kind in VALUED_KINDS)


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
    summarise_flows(conn, checkpoint_id, as_of)
    return checkpoint_id


def crossing_moves(after: datetime | None, through: datetime | None) -> Select[Any]:
    """The moves effective in (``after``, ``through``] (None: unbounded) that crossed into or
    out of valued stock, or between two warehouses' stock, one row each, with the columns
    ``FLOW_KEYS`` (the kinds and warehouses of both sides; ``back``: a reversal or a customer's
    return), ``quantity``, ``value`` and ``effective_at``; not grouped."""
    src, dst = locations.alias("src"), locations.alias("dst")
    src_valued, dst_valued = src.c.kind.in_(_VALUED), dst.c.kind.in_(_VALUED)
    back = (moves.c.operation == "reverse") | (moves.c.document_type == RETURN_DOC)
    stmt = (
        select(
            moves.c.item_id,
            src.c.kind.label("from_kind"),
            dst.c.kind.label("to_kind"),
            src.c.warehouse_id.label("from_warehouse_id"),
            dst.c.warehouse_id.label("to_warehouse_id"),
            func.coalesce(back, False).label("back"),
            moves.c.quantity,
            moves.c.value,
            moves.c.effective_at,
        )
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .where(
            or_(src_valued, dst_valued),
            or_(~and_(src_valued, dst_valued), src.c.warehouse_id != dst.c.warehouse_id),
        )
    )
    if after is not None:
        stmt = stmt.where(moves.c.effective_at > after)
    if through is not None:
        stmt = stmt.where(moves.c.effective_at <= through)
    return stmt


def summarise_flows(conn: Connection, checkpoint_id: int, as_of: datetime) -> None:
    """Store the checkpoint's flow rows: the crossing moves since the latest earlier valid
    checkpoint that has them (or since the start), summed per ``FLOW_KEYS``."""
    previous = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of)
        .where(
            checkpoints.c.valid.is_(True),
            checkpoints.c.flows.is_(True),
            checkpoints.c.as_of < as_of,
            checkpoints.c.id != checkpoint_id,
        )
        .order_by(checkpoints.c.as_of.desc(), checkpoints.c.id.desc())
        .limit(1)
    ).first()
    crossing = crossing_moves(previous.as_of if previous else None, as_of).subquery()
    keys = [crossing.c[key] for key in FLOW_KEYS]
    conn.execute(
        insert(checkpoint_flows).from_select(
            ["checkpoint_id", *FLOW_KEYS, "quantity", "value", "last_at"],
            select(
                literal(checkpoint_id),
                *keys,
                func.sum(crossing.c.quantity),
                func.sum(crossing.c.value),
                func.max(crossing.c.effective_at),
            ).group_by(*keys),
        )
    )
    conn.execute(
        update(checkpoints)
        .where(checkpoints.c.id == checkpoint_id)
        .values(flows=True, flows_from=previous.id if previous else None)
    )


def summarise_all(conn: Connection) -> None:
    """Give every valid checkpoint without flow rows its rows, oldest first (migration 0014)."""
    waiting = conn.execute(
        select(checkpoints.c.id, checkpoints.c.as_of)
        .where(checkpoints.c.valid.is_(True), checkpoints.c.flows.is_(False))
        .order_by(checkpoints.c.as_of, checkpoints.c.id)
    ).all()
    for checkpoint_id, as_of in waiting:
        summarise_flows(conn, int(checkpoint_id), as_of)


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
