"""Channels and their subscriptions (library functions: the faces that call them, and the
permission they will need, come with the admin pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cangku.db import deliveries as store
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.services.common import utcnow

__all__ = ["KINDS", "add_channel", "subscribe_channel"]

KINDS = ("email", "webhook", "wecom", "dingtalk", "feishu")


def _check(kind: str, name: str, target: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"unknown channel kind {kind!r}", code="invalid_channel_kind")
    if not name.strip():
        raise InvalidInput("a channel needs a name", code="invalid_channel_name")
    if kind == "email":
        if "@" not in target:
            raise InvalidInput("an e-mail channel needs an address", code="invalid_channel_target")
        return
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("a webhook needs an http(s) URL", code="invalid_channel_target")


def add_channel(
    db: Database,
    *,
    kind: str,
    name: str,
    target: str,
    secret: str | None = None,
    config: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Add an active channel; answers its id. The secret is stored as given (ADR 0029).
    Raises InvalidInput (``invalid_channel_kind``, ``invalid_channel_name``,
    ``invalid_channel_target``) and Conflict ``duplicate`` (the name is taken). Writes the
    channel."""
    _check(kind, name, target)
    with db.write() as uow:
        found = store.insert_channel(
            uow.conn,
            kind=kind,
            name=name.strip(),
            target=target.strip(),
            secret=secret,
            config=config,
            now=now or utcnow(),
        )
        uow.commit()
    return found


def subscribe_channel(
    db: Database,
    channel_id: int,
    topic: str,
    *,
    warehouse_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Subscribe a channel to a topic (an outbox topic, or ``<topic>.<kind>`` for one kind of
    it), in one warehouse or every one; outbox rows written from ``now`` on are delivered to
    it. Answers the subscription's id. Writes the subscription."""
    if not topic.strip():
        raise InvalidInput("a subscription needs a topic", code="invalid_topic")
    with db.write() as uow:
        found = store.insert_subscription(
            uow.conn,
            topic=topic.strip(),
            channel_id=channel_id,
            warehouse_id=warehouse_id,
            now=now or utcnow(),
        )
        uow.commit()
    return found
