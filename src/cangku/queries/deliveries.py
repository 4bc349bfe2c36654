"""Channels, subscriptions and the delivery log as the faces read them (ADR 0034). A channel's
secret is never read here: only whether it has one (``has_secret``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from cangku.db.tables import channels, deliveries, subscriptions, warehouses
from cangku.domain.errors import InvalidInput, NotFound
from cangku.queries.common import Page, paginate

__all__ = [
    "STATUSES",
    "ChannelRow",
    "DeliveryFilter",
    "DeliveryRow",
    "SubscriptionRow",
    "get_channel",
    "get_delivery",
    "list_channels",
    "list_deliveries",
    "user_subscriptions",
]

STATUSES = ("pending", "sent", "failed", "dead")


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription: its topic, its warehouse (code; None: every one) and since when."""

    id: int
    topic: str
    warehouse: str | None
    created_at: datetime


@dataclass(frozen=True)
class ChannelRow:
    id: int
    kind: str
    name: str
    target: str
    has_secret: bool
    config: dict[str, Any]
    active: bool
    created_at: datetime
    subscriptions: list[SubscriptionRow]


@dataclass(frozen=True)
class DeliveryFilter:
    """Which deliveries: of one channel (id), status and topic."""

    channel_id: int | None = None
    status: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery in the log; ``payload`` only when one delivery is read (``get_delivery``)."""

    id: int
    channel_id: int
    channel: str
    topic: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    outbox_id: int | None
    replay_of: int | None
    payload: dict[str, Any] | None = None


def _subscriptions(conn: Connection, where: Any) -> list[tuple[Any, SubscriptionRow]]:
    rows = conn.execute(
        select(
            subscriptions.c.id,
            subscriptions.c.channel_id,
            subscriptions.c.user_id,
            subscriptions.c.topic,
            warehouses.c.code,
            subscriptions.c.created_at,
        )
        .outerjoin(warehouses, warehouses.c.id == subscriptions.c.warehouse_id)
        .where(where)
        .order_by(subscriptions.c.id)
    )
    return [(r.channel_id, SubscriptionRow(int(r.id), r.topic, r.code, r.created_at)) for r in rows]


def _channels(conn: Connection, where: Any | None) -> list[ChannelRow]:
    cols = channels.c
    stmt = select(
        cols.id,
        cols.kind,
        cols.name,
        cols.target,
        cols.secret.is_not(None).label("has_secret"),
        cols.config,
        cols.active,
        cols.created_at,
    ).order_by(cols.name)
    if where is not None:
        stmt = stmt.where(where)
    found = list(conn.execute(stmt))
    if not found:
        return []
    ids = [int(r.id) for r in found]
    subs: dict[int, list[SubscriptionRow]] = {i: [] for i in ids}
    for channel_id, sub in _subscriptions(conn, subscriptions.c.channel_id.in_(ids)):
        subs[int(channel_id)].append(sub)
    return [
        ChannelRow(
            int(r.id),
            r.kind,
            r.name,
            r.target,
            bool(r.has_secret),
            json.loads(r.config) if r.config else {},
            bool(r.active),
            r.created_at,
            subs[int(r.id)],
        )
        for r in found
    ]


def list_channels(conn: Connection) -> list[ChannelRow]:
    """Every channel, active or not, by name, each with its subscriptions (oldest first)."""
    return _channels(conn, None)


def get_channel(conn: Connection, channel_id: int) -> ChannelRow:
    """One channel. Raises NotFound ``channel_not_found``."""
    found = _channels(conn, channels.c.id == channel_id)
    if not found:
        raise NotFound("channel", channel_id)
    return found[0]


def user_subscriptions(conn: Connection, user_id: int) -> list[SubscriptionRow]:
    """A user's own subscriptions (in the app), oldest first."""
    return [sub for _, sub in _subscriptions(conn, subscriptions.c.user_id == user_id)]


def _select() -> Select[Any]:
    return select(deliveries, channels.c.name.label("channel_name")).join(
        channels, channels.c.id == deliveries.c.channel_id
    )


def _row(r: Any, with_payload: bool = False) -> DeliveryRow:
    return DeliveryRow(
        id=int(r.id),
        channel_id=int(r.channel_id),
        channel=r.channel_name,
        topic=r.topic,
        status=r.status,
        attempts=int(r.attempts),
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        sent_at=r.sent_at,
        created_at=r.created_at,
        outbox_id=r.outbox_id,
        replay_of=r.replay_of,
        payload=json.loads(r.payload) if with_payload else None,
    )


def list_deliveries(
    conn: Connection, f: DeliveryFilter, limit: int = 50, offset: int = 0
) -> Page[DeliveryRow]:
    """The delivery log, newest first (by id), filtered by channel, status and topic (a topic
    ``alert`` takes ``alert`` deliveries; the topic is the outbox row's). Raises InvalidInput
    (``invalid_delivery_status``, ``invalid_limit``, ``invalid_offset``)."""
    if f.status is not None and f.status not in STATUSES:
        raise InvalidInput(
            f"a delivery's status is one of {', '.join(STATUSES)}",
            code="invalid_delivery_status",
            status=f.status[:20],
        )
    stmt = _select()
    if f.channel_id is not None:
        stmt = stmt.where(deliveries.c.channel_id == f.channel_id)
    if f.status is not None:
        stmt = stmt.where(deliveries.c.status == f.status)
    if f.topic is not None:
        stmt = stmt.where(deliveries.c.topic == f.topic)
    rows, total = paginate(conn, stmt.order_by(deliveries.c.id.desc()), limit, offset)
    return Page([_row(r) for r in rows], total, limit, offset)


def get_delivery(conn: Connection, delivery_id: int) -> DeliveryRow:
    """One delivery with its payload. Raises NotFound ``delivery_not_found``."""
    found = conn.execute(_select().where(deliveries.c.id == delivery_id)).first()
    if found is None:
        raise NotFound("delivery", delivery_id)
    return _row(found, with_payload=True)
