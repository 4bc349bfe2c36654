"""Alerts (issue 16 point 5, ADR 0030): each opens once when its condition starts to hold,
keeps its latest figures while it holds, and closes itself when it no longer does.

``check_alerts`` reads the conditions (``queries.alert_conditions``) and, in one transaction,
opens what is new (``INSERT ... ON CONFLICT DO NOTHING`` on the partial unique index of open
alerts: two checks at once open an alert once), refreshes the figures of what is still open,
closes what cleared, and writes one outbox row (topic ``alert``) per alert opened and per alert
closed, never one for an alert that stays open. The in-app delivery (``deliver_outbox``) puts
opened alerts into the inbox of the users subscribed to them (``alert_notifications``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from cangku.db import notifications as outbox_store
from cangku.db.statements import upsert
from cangku.db.tables import alerts, items, outbox, subscriptions, users, warehouses
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.errors import InvalidInput, NotFound, RuleViolation
from cangku.domain.permissions import EVERYONE, PURCHASER, WAREHOUSE_MANAGER, Actor, action
from cangku.queries.alert_conditions import (
    DEFAULT_KINDS,
    KINDS,
    Condition,
    Thresholds,
    conditions,
)
from cangku.services.common import Context, load_actor, run_write, utcnow

__all__ = [
    "ALERT_ACKNOWLEDGE",
    "ALERT_CHECK",
    "ALERT_VIEW",
    "TOPIC",
    "AlertCheck",
    "acknowledge_alert",
    "alert_notifications",
    "check_alerts",
]

#: see alerts and subscribe to them (in the warehouses granted)
ALERT_VIEW = action("alert.view", roles=EVERYONE, scoped=True)
#: run the check (every warehouse at once); not audited: a schedule runs it every few minutes
ALERT_CHECK = action("alert.check", roles={WAREHOUSE_MANAGER, PURCHASER}, audited=False)
#: say an alert was seen and is being dealt with; who holds it hears of alerts by default
ALERT_ACKNOWLEDGE = action("alert.acknowledge", roles={WAREHOUSE_MANAGER, PURCHASER}, scoped=True)

TOPIC = "alert"
VERIFY = "verify_failed"
#: rows per INSERT of new alerts (SQLite allows 32,766 variables; an alert row has 12)
_CHUNK = 500


@dataclass(frozen=True)
class AlertCheck:
    """What one check did: the alerts it opened and closed (ids), and how many stayed open."""

    opened: list[int]
    still_open: int
    closed: list[int]


def _check_input(kinds: Iterable[str] | None, limits: Thresholds) -> list[str]:
    """The kinds to check, in ``KINDS`` order. Raises InvalidInput."""
    if kinds is None:
        chosen = list(DEFAULT_KINDS)
    else:
        given = {kinds} if isinstance(kinds, str) else set(kinds)
        unknown = sorted(given - set(KINDS))
        if unknown:
            raise InvalidInput(
                f"unknown alert kind {unknown[0]!r}", code="unknown_alert_kind", kind=unknown[0]
            )
        if not given:
            raise InvalidInput("name at least one alert kind", code="no_alert_kinds")
        chosen = [kind for kind in KINDS if kind in given]
    if (
        not 0 <= limits.expiring_days <= 3650
        or not 1 <= limits.idle_days <= 3650
        or not 1 <= limits.supply_days <= 3650
    ):
        raise InvalidInput(
            "expiring within 0 to 3650 days; slow after 1 to 3650 days; overstock beyond 1 to"
            " 3650 days of supply",
            code="invalid_alert_days",
        )
    return chosen


def _open_alerts(conn: Connection, kinds: list[str]) -> dict[tuple[str, str], Any]:
    """The open alerts of ``kinds`` by (kind, subject key)."""
    stmt = select(alerts).where(alerts.c.closed_at.is_(None), alerts.c.kind.in_(kinds))
    return {(r.kind, r.subject_key): r for r in conn.execute(stmt)}


def _figures(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


def _open(conn: Connection, new: list[Condition], now: datetime) -> dict[tuple[str, str], int]:
    """Insert an open alert per condition; one another transaction opened meanwhile is left to
    it (the partial unique index). Answers the ids this transaction inserted."""
    rows = [
        {
            "kind": c.kind,
            "subject_key": c.subject_key,
            "title": c.title,
            "item_id": c.item_id,
            "warehouse_id": c.warehouse_id,
            "lot_id": c.lot_id,
            "document_id": c.document_id,
            "opened_at": now,
            "opened_figures": _figures(c.figures),
            "last_figures": _figures(c.figures),
            "changed_at": now,
        }
        for c in new
    ]
    made: dict[tuple[str, str], int] = {}
    for start in range(0, len(rows), _CHUNK):
        stmt = (
            upsert(conn)(alerts)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(
                index_elements=["kind", "subject_key"], index_where=alerts.c.closed_at.is_(None)
            )
            .returning(alerts.c.id, alerts.c.kind, alerts.c.subject_key)
        )
        made.update({(r.kind, r.subject_key): int(r.id) for r in conn.execute(stmt)})
    return made


def _refresh(conn: Connection, changed: list[dict[str, Any]], now: datetime) -> None:
    """Write the latest figures of open alerts whose figures changed."""
    if changed:
        stmt = (
            update(alerts)
            .where(alerts.c.id == bindparam("alert_id"), alerts.c.closed_at.is_(None))
            .values(last_figures=bindparam("figures"), changed_at=now)
        )
        conn.execute(stmt, changed)


def _close(conn: Connection, ids: list[int], now: datetime) -> set[int]:
    """Close open alerts; answers those this transaction closed (not a concurrent check)."""
    closed: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            update(alerts)
            .where(alerts.c.id.in_(ids[start : start + _CHUNK]), alerts.c.closed_at.is_(None))
            .values(closed_at=now)
            .returning(alerts.c.id)
        )
        closed.update(int(x) for x in conn.execute(stmt).scalars())
    return closed


def _codes(conn: Connection, table: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(select(table.c.id, table.c.code).where(table.c.id.in_(sorted(ids))))
    return {int(i): str(code) for i, code in rows}


def _payload(event: str, alert_id: int, record: Any, figures: dict[str, Any]) -> dict[str, Any]:
    """An outbox row's payload: what the delivery slice routes (kind, warehouse) and renders
    (title), with the item's code and the figures."""
    return {
        "event": event,
        "alert_id": alert_id,
        "kind": record.kind,
        "title": record.title if event == "opened" else f"Cleared: {record.title}",
        "warehouse_id": record.warehouse_id,
        "item_id": record.item_id,
        "lot_id": record.lot_id,
        "document_id": record.document_id,
        "figures": figures,
    }


def _write_outbox(conn: Connection, payloads: list[dict[str, Any]], now: datetime) -> None:
    item_codes = _codes(conn, items, {p["item_id"] for p in payloads if p["item_id"]})
    places = _codes(conn, warehouses, {p["warehouse_id"] for p in payloads if p["warehouse_id"]})
    rows = []
    for p in payloads:
        p["item"] = item_codes.get(p["item_id"]) if p["item_id"] else None
        p["warehouse"] = places.get(p["warehouse_id"]) if p["warehouse_id"] else None
        rows.append(
            {
                "created_at": now,
                "topic": TOPIC,
                "document_id": p["document_id"],
                "payload": json.dumps(p, sort_keys=True, default=str),
            }
        )
    if rows:
        conn.execute(insert(outbox), rows)


def _apply(conn: Connection, kinds: list[str], found: list[Condition], now: datetime) -> AlertCheck:
    held = {(c.kind, c.subject_key): c for c in found}
    known = _open_alerts(conn, kinds)
    opened = _open(conn, [c for key, c in held.items() if key not in known], now)
    _refresh(
        conn,
        [
            {"alert_id": row.id, "figures": _figures(held[key].figures)}
            for key, row in known.items()
            if key in held and row.last_figures != _figures(held[key].figures)
        ],
        now,
    )
    gone = {int(row.id): row for key, row in known.items() if key not in held}
    closed = _close(conn, sorted(gone), now)
    payloads = [_payload("opened", opened[key], held[key], held[key].figures) for key in opened]
    payloads += [
        _payload("closed", i, gone[i], json.loads(gone[i].last_figures)) for i in sorted(closed)
    ]
    _write_outbox(conn, payloads, now)
    still = sum(1 for key in known if key in held)
    return AlertCheck(sorted(opened.values()), still, sorted(closed))


def _verify_conditions(
    db: Database, ctx: Context, chosen: list[str], now: datetime, limits: Thresholds
) -> list[Condition]:
    """The ``verify_failed`` condition when asked for, read before the check's transaction on a
    connection of its own: verify streams the whole ledger through server-side cursors, an
    option its connection keeps, and holding the write lock that long would stall postings."""
    if VERIFY not in chosen:
        return []
    with db.read() as conn:
        load_actor(conn, ctx).require(ALERT_CHECK)  # verify is costly: refuse first
        return conditions(conn, [VERIFY], now, limits)


def check_alerts(
    db: Database,
    ctx: Context,
    kinds: Iterable[str] | None = None,
    *,
    expiring_days: int = 30,
    idle_days: int = 90,
    supply_days: int = 180,
    now: datetime | None = None,
) -> AlertCheck:
    """Check the conditions of ``kinds`` (None: every kind but ``verify_failed``, which reads
    the whole ledger) at ``now`` (default: the clock), overstock also beyond ``supply_days``
    days of the computed demand, in one transaction: open an alert for
    each condition that holds and has none open, update the figures of those still open, close
    the open alerts of those kinds whose condition no longer holds; one outbox row (topic
    ``alert``, ``event`` opened or closed) per alert opened or closed. Then delivers the outbox
    in the app. Raises InvalidInput (``unknown_alert_kind``, ``invalid_alert_days``),
    PermissionDenied (``alert.check``). Writes alerts and outbox rows."""
    limits = Thresholds(expiring_days, idle_days, supply_days)
    chosen = _check_input(kinds, limits)
    verified = _verify_conditions(db, ctx, chosen, now or utcnow(), limits)
    in_transaction = [kind for kind in chosen if kind != VERIFY]

    def work(uow: UnitOfWork, actor: Actor, clock: datetime) -> dict[str, Any]:
        at = now or clock
        found = conditions(uow.conn, in_transaction, at, limits) + verified
        done = _apply(uow.conn, chosen, found, at)
        return {"opened": done.opened, "still_open": done.still_open, "closed": done.closed}

    payload = {
        "kinds": chosen,
        "expiring_days": expiring_days,
        "idle_days": idle_days,
        "supply_days": supply_days,
    }
    result, replayed = run_write(db, ctx, ALERT_CHECK, payload, work)
    if not replayed and (result["opened"] or result["closed"]):
        # imported here: services.documents imports this module for its in-app branch
        from cangku.services.documents import deliver_outbox

        deliver_outbox(db)
    return AlertCheck(result["opened"], result["still_open"], result["closed"])


def acknowledge_alert(db: Database, ctx: Context, alert_id: int) -> int:
    """Mark an alert (open or closed) acknowledged by the acting user. Raises NotFound
    ``alert_not_found``, RuleViolation ``alert_already_acknowledged``, PermissionDenied
    (``alert.acknowledge`` in the alert's warehouse). Writes the alert and the audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> int:
        conn = uow.conn
        found = conn.execute(select(alerts.c.warehouse_id).where(alerts.c.id == alert_id)).first()
        if found is None:
            raise NotFound("alert", alert_id)
        actor.require(ALERT_ACKNOWLEDGE, found.warehouse_id)
        done = conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
            .values(acknowledged_by=actor.user_id, acknowledged_at=now)
        )
        if done.rowcount != 1:
            raise RuleViolation(
                f"alert {alert_id} is already acknowledged",
                code="alert_already_acknowledged",
                alert=alert_id,
            )
        return alert_id

    result, _ = run_write(
        db, ctx, ALERT_ACKNOWLEDGE, {"alert": alert_id}, work, target_type="alert",
        target=str(alert_id),
    )  # fmt: skip
    return int(result)


def _recipients(conn: Connection, kind: str, warehouse_id: int | None) -> list[int]:
    """Active users subscribed to the kind (or every kind) there who may see alerts there; when
    there are none, whoever holds ``alert.acknowledge`` there (built-in: warehouse managers and
    purchasers; administrators), or, for an alert of no warehouse, holds it everywhere."""
    place = (
        subscriptions.c.warehouse_id.is_(None)
        if warehouse_id is None
        else or_(
            subscriptions.c.warehouse_id.is_(None), subscriptions.c.warehouse_id == warehouse_id
        )
    )
    stmt = (
        select(subscriptions.c.user_id)
        .distinct()
        .join(users, users.c.id == subscriptions.c.user_id)
        .where(users.c.active.is_(True), place)
        .where(subscriptions.c.topic.in_([TOPIC, f"{TOPIC}.{kind}"]))
        .order_by(subscriptions.c.user_id)
    )
    # warehouse 0 names none: only grants in every warehouse match
    where = warehouse_id or 0
    subscribed = [int(x) for x in conn.execute(stmt).scalars()]
    if subscribed:
        # a subscription to every warehouse reaches only those where its user may see alerts
        viewers = set(outbox_store.holders_of(conn, ALERT_VIEW.roles, ALERT_VIEW.code, where))
        subscribed = [user for user in subscribed if user in viewers]
    if subscribed:
        return subscribed
    act = ALERT_ACKNOWLEDGE
    return outbox_store.holders_of(conn, act.roles, act.code, where)


def alert_notifications(
    conn: Connection,
    payload: dict[str, Any],
    now: datetime,
    known: dict[tuple[str, int | None], list[int]],
) -> list[dict[str, Any]]:
    """The in-app notifications (rows of ``notifications``) of an ``alert`` outbox row: one per
    recipient of an opened alert, none for a closed one. ``known`` keeps the recipients found
    per (kind, warehouse) for the rows of one delivery."""
    if payload.get("event") != "opened":
        return []
    warehouse = payload.get("warehouse_id")
    key = (str(payload["kind"]), None if warehouse is None else int(warehouse))
    if key not in known:
        known[key] = _recipients(conn, *key)
    fields = ("alert_id", "kind", "title", "warehouse", "item", "figures")
    message = json.dumps({k: payload.get(k) for k in fields}, sort_keys=True)
    return [
        {
            "user_id": user_id,
            "created_at": now,
            "kind": TOPIC,
            "document_id": payload.get("document_id"),
            "message": message,
        }
        for user_id in known[key]
    ]
