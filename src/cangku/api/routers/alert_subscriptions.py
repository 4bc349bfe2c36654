"""My alert subscriptions (ADR 0030, 0034): ``GET /api/v1/alerts/subscriptions``
(``alert.view``), ``POST /alerts/subscriptions`` (a kind or every kind, in a warehouse or every
one) and ``DELETE /alerts/subscriptions/{id}`` (``alert.subscribe``). Once anyone subscribes
to a kind in a warehouse, only the subscribers hear of it there in the app."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import one_of, problems
from cangku.api.schemas_stock import MAX_ID
from cangku.domain.permissions import Actor
from cangku.queries import deliveries as queries
from cangku.queries.alert_conditions import KINDS
from cangku.queries.stock import warehouse_id
from cangku.routing import SegmentRouter
from cangku.services.alert_subscriptions import (
    ALERT_SUBSCRIBE,
    subscribe_to_alerts,
    unsubscribe_alerts,
)
from cangku.services.alerts import ALERT_VIEW, TOPIC

router = SegmentRouter(prefix="/alerts/subscriptions", tags=["alerts"])

SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]


class MySubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str | None = Field(description="null: every kind")
    warehouse: str | None = Field(description="its code; null: every warehouse I see")
    created_at: datetime


class MySubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, json_schema_extra=one_of(KINDS, nullable=True))
    warehouse: str | None = Field(None, max_length=64, description="its code; null: every one")


def _mine(row: queries.SubscriptionRow) -> MySubscriptionOut:
    kind = row.topic.removeprefix(f"{TOPIC}.") if row.topic != TOPIC else None
    return MySubscriptionOut(
        id=row.id, kind=kind, warehouse=row.warehouse, created_at=row.created_at
    )


@router.get("", summary="My alert subscriptions, oldest first")
def my_subscriptions(
    actor: Annotated[Actor, permit(ALERT_VIEW)], db: DbDep
) -> list[MySubscriptionOut]:
    with db.read() as conn:
        return [_mine(row) for row in queries.user_subscriptions(conn, actor.user_id)]


@router.post(
    "",
    status_code=201,
    summary="Subscribe myself to alerts of a kind (or every kind) in a warehouse (or every one)",
    responses=problems(
        {
            403: "`permission_denied` (`alert.subscribe`, `alert.view` in the warehouse)",
            404: "`warehouse_not_found`",
            422: "`unknown_alert_kind`",
        }
    ),
)
def subscribe(
    body: MySubscriptionIn,
    actor: Annotated[Actor, permit(ALERT_SUBSCRIBE)],
    db: DbDep,
    ctx: ContextDep,
) -> MySubscriptionOut:
    place = None
    if body.warehouse is not None:
        with db.read() as conn:
            place = warehouse_id(conn, body.warehouse, actor.warehouses(ALERT_VIEW))
    made = subscribe_to_alerts(db, ctx, kind=body.kind, warehouse_id=place)
    with db.read() as conn:
        found = queries.user_subscriptions(conn, actor.user_id)
    return _mine(next(row for row in found if row.id == made))


@router.delete(
    "/{subscription_id}",
    status_code=204,
    summary="Take out one of my alert subscriptions",
    dependencies=[permit(ALERT_SUBSCRIBE)],
    responses=problems({404: "`subscription_not_found` (also another user's)"}),
)
def unsubscribe(subscription_id: SubscriptionId, db: DbDep, ctx: ContextDep) -> None:
    unsubscribe_alerts(db, ctx, subscription_id)
