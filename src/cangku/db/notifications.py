"""The outbox and in-app notifications: who holds a step's permission, what is waiting to be
delivered, and the notifications themselves."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from cangku.db.tables import (
    documents,
    notifications,
    outbox,
    role_permissions,
    roles,
    user_roles,
    users,
)

__all__ = ["claim", "holders_of", "insert_notifications", "pending", "unread_count"]


def holders_of(
    conn: Connection, builtin_roles: Iterable[str], permission: str, warehouse_id: int
) -> list[int]:
    """Active users who hold ``permission`` in the warehouse: through a built-in role that has
    it (``builtin_roles``) or a custom role that lists it, granted there or everywhere."""
    custom = select(role_permissions.c.role_id).where(role_permissions.c.permission == permission)
    stmt = (
        select(users.c.id)
        .distinct()
        .join_from(user_roles, users, users.c.id == user_roles.c.user_id)
        .join(roles, roles.c.id == user_roles.c.role_id)
        .where(
            users.c.active.is_(True),
            roles.c.active.is_(True),
            or_(user_roles.c.warehouse_id.is_(None), user_roles.c.warehouse_id == warehouse_id),
            or_(
                and_(roles.c.builtin.is_(True), roles.c.code.in_(sorted(builtin_roles))),
                roles.c.id.in_(custom),
            ),
        )
        .order_by(users.c.id)
    )
    return [int(x) for x in conn.execute(stmt).scalars()]


def pending(
    conn: Connection, limit: int = 500
) -> list[tuple[int, str, int | None, dict[str, Any]]]:
    """Undelivered outbox rows, oldest first: (id, topic, document id, payload)."""
    rows = conn.execute(
        select(outbox.c.id, outbox.c.topic, outbox.c.document_id, outbox.c.payload)
        .where(outbox.c.delivered_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [(int(r[0]), r[1], r[2], json.loads(r[3])) for r in rows]


def claim(conn: Connection, ids: list[int], now: datetime) -> set[int]:
    """Mark outbox rows delivered and answer those this transaction claimed (a concurrent
    deliverer that claimed a row first keeps it: nothing is delivered twice)."""
    if not ids:
        return set()
    result = conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.delivered_at.is_(None))
        .values(delivered_at=now)
        .returning(outbox.c.id)
    )
    return {int(x) for x in result.scalars()}


def document_states(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The documents' states now (stale outbox tasks are skipped)."""
    if not ids:
        return {}
    wanted = sorted(set(ids))
    rows = conn.execute(select(documents.c.id, documents.c.state).where(documents.c.id.in_(wanted)))
    return {int(r[0]): r[1] for r in rows}


def insert_notifications(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(notifications), rows)


def unread_count(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(notifications)
            .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        ).scalar_one()
    )
