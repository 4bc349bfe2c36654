"""A user's own alert subscriptions (ADR 0030, faces in ADR 0034): subscribe to alerts of a
kind (or every kind) in a warehouse (or every one), and take a subscription out again. The list
is ``queries.deliveries.user_subscriptions``.

Subscribing is its own action, ``alert.subscribe``, not ``alert.view``: it writes, and a token
limited to ``*.view`` writes nothing. The staff roles hold it; the read-only ones (auditor,
viewer) write nothing, their own subscriptions neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cangku.db import deliveries as store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import STAFF, Actor, action
from cangku.queries.alert_conditions import KINDS
from cangku.services.alerts import ALERT_VIEW, TOPIC
from cangku.services.common import Context, run_write

__all__ = ["ALERT_SUBSCRIBE", "subscribe_to_alerts", "unsubscribe_alerts"]

#: subscribe oneself to alerts (where one may see them) and take one's subscriptions out
ALERT_SUBSCRIBE = action("alert.subscribe", roles=STAFF, scoped=True)


def subscribe_to_alerts(
    db: Database, ctx: Context, *, kind: str | None = None, warehouse_id: int | None = None
) -> int:
    """Subscribe the acting user to alerts in the app: of one kind or (None) every kind, in one
    warehouse or (None) every one. Once anyone subscribes to a kind in a warehouse, only the
    subscribers hear of it there (ADR 0030). Answers the subscription's id. Raises InvalidInput
    ``unknown_alert_kind``, PermissionDenied (``alert.subscribe`` and ``alert.view`` there).
    Writes the subscription and an audit entry."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown alert kind {kind!r}", code="unknown_alert_kind", kind=kind)
    topic = TOPIC if kind is None else f"{TOPIC}.{kind}"

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> int:
        actor.require(ALERT_SUBSCRIBE, warehouse_id)
        actor.require(ALERT_VIEW, warehouse_id)
        return store.insert_subscription(
            uow.conn, topic=topic, user_id=actor.user_id, warehouse_id=warehouse_id, now=now
        )

    payload = {"topic": topic, "warehouse_id": warehouse_id}
    result, _ = run_write(db, ctx, ALERT_SUBSCRIBE, payload, work, target_type="subscription")
    return int(result)


def unsubscribe_alerts(db: Database, ctx: Context, subscription_id: int) -> None:
    """Take out one of the acting user's own alert subscriptions. Raises NotFound
    ``subscription_not_found`` (also for another user's or a channel's), PermissionDenied
    (``alert.subscribe``). Writes the removal and an audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        found = store.subscription_of(uow.conn, subscription_id)
        if found is None or found.user_id != actor.user_id:
            raise NotFound("subscription", subscription_id)
        store.delete_subscription(uow.conn, subscription_id)
        return {"topic": found.topic, "warehouse_id": found.warehouse_id}

    run_write(
        db, ctx, ALERT_SUBSCRIBE, {"subscription": subscription_id}, work,
        target_type="subscription", target=str(subscription_id),
    )  # fmt: skip
