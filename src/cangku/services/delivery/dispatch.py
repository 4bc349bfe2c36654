"""Turn outbox rows into deliveries for the channels subscribed to them, then send the due ones.

The outbox's ``delivered_at`` belongs to the in-app delivery (``deliver_outbox`` claims every
row right after its commit), so the dispatcher does not read it: it reads the outbox rows of a
look-back ``WINDOW`` and inserts one delivery per (outbox row, channel) with
``ON CONFLICT DO NOTHING`` on the unique constraint. Running it again, or twice at once, makes
nothing twice; a row is dispatched as long as a dispatcher runs within the window after it was
written (a background job every minute or so: issue 16, point 7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from cangku.db import deliveries as store
from cangku.db.deliveries import OutboxRow, Route
from cangku.db.uow import Database
from cangku.services.common import utcnow
from cangku.services.delivery.send import Outcome, send_due

__all__ = ["WINDOW", "DeliveryRun", "dispatch_outbox", "matches", "run_delivery"]

#: how far back the dispatcher reads the outbox
WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class DeliveryRun:
    created: int
    outcomes: list[Outcome]


def matches(route: Route, row: OutboxRow) -> bool:
    """A subscription takes an outbox row of its topic (``task``) or of its topic and kind
    (``alert.low_stock`` takes topic ``alert`` with payload kind ``low_stock``), written since
    it subscribed, in its warehouse when it names one (the payload's ``warehouse_id``)."""
    kind = row.payload.get("kind")
    if route.topic != row.topic and (kind is None or route.topic != f"{row.topic}.{kind}"):
        return False
    if row.created_at < route.since:
        return False
    if route.warehouse_id is None:
        return True
    named = row.payload.get("warehouse_id")
    return named is not None and int(named) == route.warehouse_id


def _deliveries(rows: list[OutboxRow], routes: list[Route], now: datetime) -> list[dict[str, Any]]:
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        for route in routes:
            if (row.id, route.channel_id) in out or not matches(route, row):
                continue
            out[(row.id, route.channel_id)] = {
                "outbox_id": row.id,
                "channel_id": route.channel_id,
                "topic": row.topic,
                "payload": json.dumps(row.payload, sort_keys=True, default=str),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
    return list(out.values())


def dispatch_outbox(
    db: Database, *, now: datetime | None = None, window: timedelta = WINDOW
) -> int:
    """Make a pending delivery, due at once, for every (outbox row written in the ``window``
    before ``now``, active channel subscribed to it) that has none yet. Answers how many it
    made. Writes deliveries."""
    now = now or utcnow()
    with db.write() as uow:
        routes = store.routes(uow.conn)
        if not routes:
            return 0
        rows = store.outbox_since(uow.conn, now - window)
        made = store.insert_deliveries(uow.conn, _deliveries(rows, routes, now))
        uow.commit()
    return made


def run_delivery(
    db: Database, *, now: datetime | None = None, client: httpx.Client | None = None
) -> DeliveryRun:
    """Dispatch the outbox, then attempt every delivery due (see ``send_due``). Writes
    deliveries."""
    now = now or utcnow()
    created = dispatch_outbox(db, now=now)
    return DeliveryRun(created, send_due(db, now=now, client=client))
