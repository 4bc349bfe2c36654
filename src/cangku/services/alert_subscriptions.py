"""A user's own alert subscriptions (ADR 0030, faces in ADR 0034): taking one out again.
Subscribing is ``services.alerts.subscribe_alerts``; the list is
``queries.deliveries.user_subscriptions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cangku.db import deliveries as store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import NotFound
from cangku.domain.permissions import Actor
from cangku.services.alerts import ALERT_VIEW
from cangku.services.common import Context, run_write

__all__ = ["unsubscribe_alerts"]


def unsubscribe_alerts(db: Database, ctx: Context, subscription_id: int) -> None:
    """Take out one of the acting user's own alert subscriptions. Raises NotFound
    ``subscription_not_found`` (also for another user's or a channel's), PermissionDenied
    (``alert.view``). Writes the removal and an audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        found = store.subscription_of(uow.conn, subscription_id)
        if found is None or found.user_id != actor.user_id:
            raise NotFound("subscription", subscription_id)
        store.delete_subscription(uow.conn, subscription_id)
        return {"topic": found.topic, "warehouse_id": found.warehouse_id}

    run_write(
        db, ctx, ALERT_VIEW, {"subscription": subscription_id}, work,
        target_type="subscription", target=str(subscription_id),
    )  # fmt: skip
