"""Delivery beyond the app (ADR 0029): channels, subscriptions and the delivery log.

Every change of a delivery's status is a conditional update (``WHERE status = 'pending'``), so
two senders never both record an attempt of the same row; deliveries are made with
``ON CONFLICT DO NOTHING`` on (outbox row, channel), so two dispatchers never make one twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from cangku.db.statements import upsert
from cangku.db.tables import channels, deliveries, outbox, subscriptions

__all__ = [
    "Channel",
    "Delivery",
    "OutboxRow",
    "Route",
    "channel_of",
    "channel_named",
    "claim",
    "delete_subscription",
    "delivery",
    "due",
    "give_up",
    "insert_channel",
    "insert_deliveries",
    "insert_delivery",
    "insert_subscription",
    "outbox_since",
    "record",
    "routes",
    "subscription_of",
    "update_channel",
]


@dataclass(frozen=True)
class Channel:
    id: int
    kind: str
    name: str
    target: str
    secret: str | None
    config: dict[str, Any]
    active: bool


@dataclass(frozen=True)
class Delivery:
    id: int
    outbox_id: int | None
    channel_id: int
    replay_of: int | None
    topic: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class OutboxRow:
    id: int
    created_at: datetime
    topic: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Route:
    """A channel's subscription: a topic, in one warehouse or (None) every one, since when."""

    channel_id: int
    topic: str
    warehouse_id: int | None
    since: datetime


def insert_channel(
    conn: Connection,
    *,
    kind: str,
    name: str,
    target: str,
    secret: str | None,
    config: dict[str, Any] | None,
    now: datetime,
) -> int:
    values = {
        "kind": kind,
        "name": name,
        "target": target,
        "secret": secret,
        "config": None if config is None else json.dumps(config, sort_keys=True),
        "created_at": now,
    }
    return int(conn.execute(insert(channels).values(values).returning(channels.c.id)).scalar_one())


def insert_subscription(
    conn: Connection,
    *,
    topic: str,
    now: datetime,
    channel_id: int | None = None,
    user_id: int | None = None,
    warehouse_id: int | None = None,
) -> int:
    values = {
        "topic": topic,
        "channel_id": channel_id,
        "user_id": user_id,
        "warehouse_id": warehouse_id,
        "created_at": now,
    }
    stmt = insert(subscriptions).values(values).returning(subscriptions.c.id)
    return int(conn.execute(stmt).scalar_one())


def _channel(row: Any) -> Channel:
    config = json.loads(row.config) if row.config else {}
    return Channel(
        int(row.id), row.kind, row.name, row.target, row.secret, config, bool(row.active)
    )


def channel_of(conn: Connection, channel_id: int) -> Channel | None:
    row = conn.execute(select(channels).where(channels.c.id == channel_id)).first()
    return None if row is None else _channel(row)


def channel_named(conn: Connection, name: str) -> int | None:
    """The id of the channel called ``name``, or None."""
    found = conn.execute(select(channels.c.id).where(channels.c.name == name)).scalar()
    return None if found is None else int(found)


def update_channel(conn: Connection, channel_id: int, values: dict[str, Any]) -> bool:
    """Set a channel's fields (``config`` as a dict); answers whether the channel exists."""
    if "config" in values:
        config = values["config"]
        values = {**values, "config": None if not config else json.dumps(config, sort_keys=True)}
    stmt = update(channels).where(channels.c.id == channel_id).values(values)
    return conn.execute(stmt).rowcount == 1


def subscription_of(conn: Connection, subscription_id: int) -> Any:
    """A subscription's row (user_id, channel_id, topic, warehouse_id ...), or None."""
    return conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).first()


def delete_subscription(conn: Connection, subscription_id: int) -> bool:
    stmt = delete(subscriptions).where(subscriptions.c.id == subscription_id)
    return conn.execute(stmt).rowcount == 1


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row.id),
        outbox_id=row.outbox_id,
        channel_id=int(row.channel_id),
        replay_of=row.replay_of,
        topic=row.topic,
        payload=json.loads(row.payload),
        status=row.status,
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        created_at=row.created_at,
    )


def delivery(conn: Connection, delivery_id: int) -> Delivery | None:
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return None if row is None else _delivery(row)


def outbox_since(conn: Connection, since: datetime) -> list[OutboxRow]:
    """Outbox rows written at or after ``since``, delivered in the app or not, oldest first."""
    rows = conn.execute(
        select(outbox.c.id, outbox.c.created_at, outbox.c.topic, outbox.c.payload)
        .where(outbox.c.created_at >= since)
        .order_by(outbox.c.id)
    )
    return [OutboxRow(int(r.id), r.created_at, r.topic, json.loads(r.payload)) for r in rows]


def routes(conn: Connection) -> list[Route]:
    """The subscriptions of active channels (a user's subscription is delivered in the app)."""
    rows = conn.execute(
        select(
            subscriptions.c.channel_id,
            subscriptions.c.topic,
            subscriptions.c.warehouse_id,
            subscriptions.c.created_at,
        )
        .join(channels, channels.c.id == subscriptions.c.channel_id)
        .where(channels.c.active.is_(True))
        .order_by(subscriptions.c.id)
    )
    return [Route(int(r[0]), r[1], r[2], r[3]) for r in rows]


def insert_deliveries(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert pending deliveries of outbox rows; a (outbox row, channel) already delivered (by
    this dispatcher earlier or a concurrent one) is skipped by the unique constraint. Answers
    how many rows were made."""
    if not rows:
        return 0
    stmt = (
        upsert(conn)(deliveries)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["outbox_id", "channel_id"])
        .returning(deliveries.c.id)
    )
    return len(conn.execute(stmt).all())


def insert_delivery(conn: Connection, values: dict[str, Any]) -> int:
    """One delivery without an outbox row (a replay): answers its id."""
    stmt = insert(deliveries).values(values).returning(deliveries.c.id)
    return int(conn.execute(stmt).scalar_one())


def due(conn: Connection, now: datetime, limit: int) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest due first."""
    rows = conn.execute(
        select(deliveries.c.id)
        .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
    )
    return [int(x) for x in rows.scalars()]


def claim(conn: Connection, delivery_id: int, now: datetime, lease_until: datetime) -> int | None:
    """Take a due delivery for one attempt: its next attempt moves to ``lease_until`` so no
    other sender takes it meanwhile (and a sender that died leaves it due again then). Answers
    the attempts made before this one, or None when it is not pending and due."""
    stmt = (
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=lease_until)
        .returning(deliveries.c.attempts)
    )
    found = conn.execute(stmt).scalar()
    return None if found is None else int(found)


def record(
    conn: Connection,
    delivery_id: int,
    *,
    status: str,
    next_attempt_at: datetime | None,
    error: str | None,
    sent_at: datetime | None,
) -> bool:
    """Write an attempt's outcome (attempts + 1) on a delivery still pending; answers whether
    it was."""
    stmt = (
        update(deliveries)
        .where(and_(deliveries.c.id == delivery_id, deliveries.c.status == "pending"))
        .values(
            attempts=deliveries.c.attempts + 1,
            status=status,
            next_attempt_at=next_attempt_at,
            last_error=error,
            sent_at=sent_at,
        )
    )
    return conn.execute(stmt).rowcount == 1


def give_up(conn: Connection, delivery_id: int) -> bool:
    """Make a delivery still pending ``failed`` (no more attempts: a test message is tried
    once); answers whether it was pending."""
    stmt = (
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status == "pending")
        .values(status="failed", next_attempt_at=None)
    )
    return conn.execute(stmt).rowcount == 1
