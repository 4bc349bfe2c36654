"""The delivery log (ADR 0029, 0034; ``channel.manage``): ``GET /api/v1/deliveries`` (newest
first, by channel, status and topic, paged), ``GET /deliveries/{id}`` (with its payload) and
``POST /deliveries/{id}/replay`` (a new delivery naming it, attempted at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import one_of, problems
from cangku.api.schemas_stock import MAX_ID
from cangku.queries import deliveries as queries
from cangku.queries.common import MAX_LIMIT, MAX_OFFSET, paging_fields
from cangku.routing import SegmentRouter
from cangku.services.delivery.channels import CHANNEL_MANAGE
from cangku.services.delivery.manual import replay_delivery

router = SegmentRouter(
    prefix="/deliveries", tags=["delivery"], dependencies=[permit(CHANNEL_MANAGE)]
)

DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]


class DeliveryOut(BaseModel):
    """A delivery: to which channel, its status and attempts; ``payload`` when read alone."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    channel_id: int
    channel: str = Field(description="the channel's name")
    topic: str = Field(examples=["alert"], description="the outbox topic; test: a test message")
    status: str = Field(json_schema_extra=one_of(queries.STATUSES))
    attempts: int
    next_attempt_at: datetime | None = Field(description="while pending")
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    outbox_id: int | None
    replay_of: int | None = Field(description="the delivery this one replays")
    payload: dict[str, Any] | None = Field(None, description="only when one delivery is read")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None


@router.get(
    "",
    summary="The delivery log, newest first",
    responses=problems({422: "`invalid_delivery_status`"}),
)
def list_deliveries(
    db: DbDep,
    channel: Annotated[int | None, Query(ge=1, le=MAX_ID, description="a channel's id")] = None,
    status: Annotated[str | None, Query(json_schema_extra=one_of(queries.STATUSES))] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> DeliveryPage:
    f = queries.DeliveryFilter(channel, status, topic)
    with db.read() as conn:
        page = queries.list_deliveries(conn, f, limit, offset)
    items = [DeliveryOut.model_validate(row) for row in page.items]
    return DeliveryPage(items=items, **paging_fields(page))


@router.get(
    "/{delivery_id}",
    summary="One delivery with its payload",
    responses=problems({404: "`delivery_not_found`"}),
)
def get_delivery(delivery_id: DeliveryId, db: DbDep) -> DeliveryOut:
    with db.read() as conn:
        return DeliveryOut.model_validate(queries.get_delivery(conn, delivery_id))


@router.post(
    "/{delivery_id}/replay",
    status_code=201,
    summary="Send a sent, failed or dead delivery again, as a new delivery naming it",
    responses=problems({404: "`delivery_not_found`", 409: "`delivery_pending`"}),
)
def replay(delivery_id: DeliveryId, db: DbDep, ctx: ContextDep) -> DeliveryOut:
    """The new delivery is attempted at once (answered as it is after that attempt) and
    retried like any other."""
    done = replay_delivery(db, ctx, delivery_id)
    with db.read() as conn:
        return DeliveryOut.model_validate(queries.get_delivery(conn, done.delivery_id))
