"""Delivery channels (ADR 0029, 0034; ``channel.manage``): ``GET/POST /api/v1/channels``,
``GET/PATCH /channels/{id}``, ``POST /channels/{id}/deactivate``, ``POST /channels/{id}/test``
(one test message now), ``POST /channels/{id}/subscriptions`` and
``DELETE /channels/{id}/subscriptions/{subscription_id}``. A channel's secret is written,
never read back: answers say ``has_secret``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import not_null, one_of, problems
from cangku.api.schemas_stock import MAX_ID
from cangku.queries import deliveries as queries
from cangku.queries.stock import warehouse_id
from cangku.routing import SegmentRouter
from cangku.services.delivery import channels as service
from cangku.services.delivery.manual import send_test

router = SegmentRouter(
    prefix="/channels", tags=["delivery"], dependencies=[permit(service.CHANNEL_MANAGE)]
)

ChannelId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]
CONFIG = (
    "what the kind reads: email host, port, from, starttls, username (the secret is the SMTP "
    "password); wecom and dingtalk msgtype (text or markdown); webhook and feishu none"
)
SECRET = (
    "webhook: the HMAC key; dingtalk and feishu: the robot's signing secret; email: the SMTP "
    "password. Never answered back"
)
INVALID = (
    "`invalid_channel_kind`, `invalid_channel_name`, `invalid_channel_target`, "
    "`invalid_channel_config`, `invalid_channel_secret`"
)


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str = Field(examples=["alert.low_stock"])
    warehouse: str | None = Field(description="its code; null: every warehouse")
    created_at: datetime = Field(description="outbox rows written since are delivered")


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(json_schema_extra=one_of(service.KINDS))
    name: str
    target: str = Field(description="addresses (email) or the URL (webhooks, robots)")
    has_secret: bool
    config: dict[str, Any]
    active: bool
    created_at: datetime
    subscriptions: list[SubscriptionOut]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(json_schema_extra=one_of(service.KINDS))
    name: str = Field(min_length=1, max_length=service.MAX_NAME)
    target: str = Field(min_length=1, max_length=service.MAX_TARGET)
    secret: str | None = Field(None, max_length=service.MAX_SECRET, description=SECRET)
    config: dict[str, Any] | None = Field(None, description=CONFIG)


class ChannelUpdate(BaseModel):
    """What to change; a field left out stays as it is (``secret`` "" removes it)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=service.MAX_NAME, json_schema_extra=not_null)
    target: str | None = Field(None, max_length=service.MAX_TARGET, json_schema_extra=not_null)
    secret: str | None = Field(
        None, max_length=service.MAX_SECRET, description=SECRET, json_schema_extra=not_null
    )
    config: dict[str, Any] | None = Field(None, description=CONFIG, json_schema_extra=not_null)
    active: bool | None = Field(None, json_schema_extra=not_null)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(json_schema_extra=one_of(service.TOPICS))
    warehouse: str | None = Field(None, max_length=64, description="its code; null: every one")


class TestOut(BaseModel):
    """The test message's delivery: sent, or failed with the error (it is not retried)."""

    delivery_id: int
    status: str = Field(json_schema_extra=one_of(("sent", "failed")))
    error: str | None


def _channel(db: Any, channel_id: int) -> ChannelOut:
    with db.read() as conn:
        return ChannelOut.model_validate(queries.get_channel(conn, channel_id))


@router.get("", summary="Every delivery channel, active or not, with its subscriptions")
def list_channels(db: DbDep) -> list[ChannelOut]:
    with db.read() as conn:
        return [ChannelOut.model_validate(c) for c in queries.list_channels(conn)]


@router.post(
    "",
    status_code=201,
    summary="Add a channel: e-mail, signed webhook, WeCom, DingTalk or Feishu robot",
    responses=problems({409: "`channel_exists`", 422: INVALID}),
)
def add_channel(body: ChannelIn, db: DbDep, ctx: ContextDep) -> ChannelOut:
    found = service.add_channel(
        db, ctx, kind=body.kind, name=body.name, target=body.target, secret=body.secret,
        config=body.config,
    )  # fmt: skip
    return _channel(db, found)


@router.get(
    "/{channel_id}",
    summary="One channel with its subscriptions",
    responses=problems({404: "`channel_not_found`"}),
)
def get_channel(channel_id: ChannelId, db: DbDep) -> ChannelOut:
    return _channel(db, channel_id)


@router.patch(
    "/{channel_id}",
    summary="Change a channel's name, target, secret, config or active",
    responses=problems({404: "`channel_not_found`", 409: "`channel_exists`", 422: INVALID}),
)
def update_channel(
    channel_id: ChannelId, body: ChannelUpdate, db: DbDep, ctx: ContextDep
) -> ChannelOut:
    given = {k: getattr(body, k) for k in body.model_fields_set}
    service.update_channel(db, ctx, channel_id, service.ChannelChanges(**given))
    return _channel(db, channel_id)


@router.post(
    "/{channel_id}/deactivate",
    summary="Stop a channel: no new deliveries; its subscriptions and log stay",
    responses=problems({404: "`channel_not_found`"}),
)
def deactivate_channel(channel_id: ChannelId, db: DbDep, ctx: ContextDep) -> ChannelOut:
    service.deactivate_channel(db, ctx, channel_id)
    return _channel(db, channel_id)


@router.post(
    "/{channel_id}/test",
    summary="Send a test message now (one attempt, in the delivery log)",
    responses=problems({404: "`channel_not_found`", 409: "`channel_inactive`"}),
)
def test_channel(channel_id: ChannelId, db: DbDep, ctx: ContextDep) -> TestOut:
    done = send_test(db, ctx, channel_id)
    return TestOut(delivery_id=done.delivery_id, status=done.status, error=done.error)


@router.post(
    "/{channel_id}/subscriptions",
    status_code=201,
    summary="Subscribe a channel to a topic, in one warehouse or every one",
    responses=problems({404: "`channel_not_found`, `warehouse_not_found`", 422: "`unknown_topic`"}),
)
def subscribe(
    channel_id: ChannelId, body: SubscriptionIn, db: DbDep, ctx: ContextDep
) -> SubscriptionOut:
    place = None
    if body.warehouse is not None:
        with db.read() as conn:
            place = warehouse_id(conn, body.warehouse, None)
    made = service.subscribe_channel(db, channel_id, body.topic, warehouse_id=place, ctx=ctx)
    found = _channel(db, channel_id)
    return next(s for s in found.subscriptions if s.id == made)


@router.delete(
    "/{channel_id}/subscriptions/{subscription_id}",
    status_code=204,
    summary="Unsubscribe a channel (what it was delivered stays in the log)",
    responses=problems({404: "`subscription_not_found`"}),
)
def unsubscribe(
    channel_id: ChannelId, subscription_id: SubscriptionId, db: DbDep, ctx: ContextDep
) -> None:
    service.unsubscribe_channel(db, ctx, subscription_id, channel_id=channel_id)
