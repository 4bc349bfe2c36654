"""Deliveries a person starts (ADR 0034): a test message to a channel, and the replay of a
delivery from the log. Both are audited ``channel.manage`` writes that make one delivery row
(in the log like any other) and attempt it at once, outside the transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from cangku.db import deliveries as store
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import NotFound, RuleViolation
from cangku.domain.permissions import Actor
from cangku.services.common import Context, run_write
from cangku.services.delivery.channels import CHANNEL_MANAGE
from cangku.services.delivery.send import Outcome, make_replay, send_delivery

__all__ = ["TEST_TOPIC", "replay_delivery", "send_test"]

#: the topic of a test message (no subscription takes it: it is only ever sent by hand)
TEST_TOPIC = "test"


def _test_payload(name: str, now: datetime) -> dict[str, Any]:
    return {
        "title": f"cangku test message to {name}",
        "channel": name,
        "sent_at": now.isoformat(),
    }


def send_test(
    db: Database, ctx: Context, channel_id: int, *, client: httpx.Client | None = None
) -> Outcome:
    """Send one test message to a channel now (topic ``test``, in the log like any delivery):
    answers its outcome, ``sent`` or ``failed`` with the error (a test is tried once, never
    retried). Raises NotFound ``channel_not_found``, RuleViolation ``channel_inactive``,
    PermissionDenied (``channel.manage``). Writes the delivery (and its attempt) and an audit
    entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        channel = store.channel_of(uow.conn, channel_id)
        if channel is None:
            raise NotFound("channel", channel_id)
        if not channel.active:
            raise RuleViolation(
                f"channel {channel.name} is inactive", code="channel_inactive", channel=channel_id
            )
        payload = _test_payload(channel.name, now)
        made = store.insert_delivery(
            uow.conn,
            {
                "outbox_id": None,
                "channel_id": channel_id,
                "topic": TEST_TOPIC,
                "payload": json.dumps(payload, sort_keys=True),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        return {"delivery": made, "at": now.isoformat()}

    result, _ = run_write(
        db, ctx, CHANNEL_MANAGE, {"channel": channel_id}, work,
        target_type="channel", target=str(channel_id),
    )  # fmt: skip
    made = int(result["delivery"])
    outcome = send_delivery(db, made, now=datetime.fromisoformat(result["at"]), client=client)
    if outcome.status != "pending":
        return outcome
    with db.write() as uow:
        store.give_up(uow.conn, made)
        uow.commit()
    return Outcome(made, "failed", outcome.attempts, None, outcome.error, outcome.attempted)


def replay_delivery(
    db: Database, ctx: Context, delivery_id: int, *, client: httpx.Client | None = None
) -> Outcome:
    """Replay a sent, failed or dead delivery from the log: a new delivery naming it, attempted
    at once and retried like any other. Answers the new delivery's outcome. Raises NotFound
    ``delivery_not_found``, RuleViolation ``delivery_pending``, PermissionDenied
    (``channel.manage``). Writes the new delivery, its attempt and an audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        return {"delivery": make_replay(uow.conn, delivery_id, now), "at": now.isoformat()}

    result, _ = run_write(
        db, ctx, CHANNEL_MANAGE, {"delivery": delivery_id}, work,
        target_type="delivery", target=str(delivery_id),
    )  # fmt: skip
    at = datetime.fromisoformat(result["at"])
    return send_delivery(db, int(result["delivery"]), now=at, client=client)
