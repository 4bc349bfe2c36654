"""The task inbox's writes: give a document's next step to someone, take it yourself, and read
or mark in-app notifications. The inbox itself is a query (``queries.documents.my_tasks``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from cangku.db import documents as store
from cangku.db.tables import documents, notifications
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.documents import Step, machines
from cangku.domain.errors import NotFound, RuleViolation
from cangku.domain.permissions import EVERYONE, STAFF, Actor, action
from cangku.services.common import Context, load_actor, run_write
from cangku.services.documents import (
    DOCUMENTS_ASSIGN,
    assignee_of,
    deliver_outbox,
    step_action,
)

#: take a document's next step yourself (the step's own permission is checked too)
DOCUMENTS_TAKE = action("documents.take", roles=STAFF, scoped=True)
#: read one's own notifications
NOTIFICATIONS_VIEW = action("notifications.view", roles=EVERYONE, audited=False)
#: mark one's own notifications read (a write: not for read-only roles or view tokens)
NOTIFICATIONS_READ = action("notifications.mark", roles=STAFF, audited=False)

__all__ = [
    "DOCUMENTS_TAKE",
    "NOTIFICATIONS_READ",
    "NOTIFICATIONS_VIEW",
    "Notification",
    "assign_document",
    "mark_read",
    "notifications_of",
    "take_document",
]


def _locked(conn: Connection, number: str) -> store.DocumentRow:
    doc_type = conn.execute(
        select(documents.c.doc_type).where(documents.c.number == number)
    ).scalar()
    if doc_type is None:
        raise NotFound("document", number)
    return store.lock_document(conn, doc_type, number)


def _step_warehouse(doc: store.DocumentRow, task: Step | None) -> int:
    """Where the document's next step is taken: a transfer's receipt where the goods arrive."""
    return doc.destination_id if task is not None and task.at_destination else doc.warehouse_id


def _give(
    conn: Connection,
    doc: store.DocumentRow,
    user_id: int | None,
    actor: Actor,
    now: datetime,
    step: str,
) -> None:
    machine = machines()[doc.doc_type]
    task = machine.task(doc.state)
    if task is None:
        raise RuleViolation(
            f"{doc.number} is {doc.state}: no step waits on it",
            code="nothing_to_assign",
            document=doc.number,
            state=doc.state,
        )
    store.set_fields(conn, doc.id, now, assignee_id=user_id)
    store.add_event(
        conn, doc.id, now, actor.user_id, step, doc.state, doc.state, None, {"assignee_id": user_id}
    )
    if user_id is not None and user_id != actor.user_id:
        store.add_outbox(
            conn, "task", doc.id,
            {"doc_type": doc.doc_type, "number": doc.number, "state": doc.state,
             "step": task.code, "action": task.action, "warehouse_id": doc.warehouse_id,
             "assignee_id": user_id, "by": actor.user_id},
            now,
        )  # fmt: skip


def assign_document(
    db: Database, ctx: Context, number: str, username: str | None
) -> dict[str, Any]:
    """Give an open document's next step to ``username`` (None: back to anyone who holds the
    step's role); the new assignee is notified. Raises NotFound (document, user), RuleViolation
    (``nothing_to_assign``, ``user_inactive``, ``assignee_cannot_do_step``: the user does not
    hold the step's permission there), PermissionDenied (``documents.assign``)."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        doc = _locked(conn, number)
        task = machines()[doc.doc_type].task(doc.state)
        where = _step_warehouse(doc, task)
        actor.require(DOCUMENTS_ASSIGN, where)
        user_id = assignee_of(conn, username) if username else None
        if username is not None and user_id is not None:
            if task is not None:
                them = load_actor(conn, Context(username=username))
                if not them.may(step_action(task.action), where):
                    raise RuleViolation(
                        f"{username} may not {task.code} in warehouse {doc.warehouse_code}",
                        code="assignee_cannot_do_step",
                        user=username,
                        step=task.code,
                    )
        _give(conn, doc, user_id, actor, now, "assign")
        return {"number": number, "assignee": username}

    result, replayed = run_write(
        db,
        ctx,
        DOCUMENTS_ASSIGN,
        {"number": number, "user": username},
        work,
        target_type="document",
        target=number,
    )
    if not replayed:
        deliver_outbox(db)
    return dict(result)


def take_document(db: Database, ctx: Context, number: str) -> dict[str, Any]:
    """Take an open document's next step yourself (you must hold the step's permission in its
    warehouse). Raises NotFound, RuleViolation ``nothing_to_assign``, PermissionDenied."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        doc = _locked(conn, number)
        task = machines()[doc.doc_type].task(doc.state)
        where = _step_warehouse(doc, task)
        actor.require(DOCUMENTS_TAKE, where)
        if task is not None:
            actor.require(step_action(task.action), where)
        _give(conn, doc, actor.user_id, actor, now, "take")
        return {"number": number, "assignee": actor.username}

    result, _ = run_write(
        db, ctx, DOCUMENTS_TAKE, {"number": number}, work, target_type="document", target=number
    )
    return dict(result)


@dataclass(frozen=True)
class Notification:
    id: int
    created_at: datetime
    kind: str
    message: dict[str, Any]
    read: bool


def notifications_of(
    db: Database, ctx: Context, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    """The user's in-app notifications, newest first."""
    with db.read() as conn:
        actor = load_actor(conn, ctx)
        stmt = select(
            notifications.c.id, notifications.c.created_at, notifications.c.kind,
            notifications.c.message, notifications.c.read_at,
        ).where(notifications.c.user_id == actor.user_id)  # fmt: skip
        if unread_only:
            stmt = stmt.where(notifications.c.read_at.is_(None))
        rows = conn.execute(stmt.order_by(notifications.c.id.desc()).limit(min(max(limit, 1), 500)))
        return [Notification(r[0], r[1], r[2], json.loads(r[3]), r[4] is not None) for r in rows]


def mark_read(db: Database, ctx: Context, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (``ids``, or all). Answers how many changed."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> dict[str, int]:
        stmt = update(notifications).where(
            notifications.c.user_id == actor.user_id, notifications.c.read_at.is_(None)
        )
        if ids is not None:
            stmt = stmt.where(notifications.c.id.in_(ids))
        return {"marked": int(uow.conn.execute(stmt.values(read_at=now)).rowcount)}

    result, _ = run_write(db, ctx, NOTIFICATIONS_READ, {"ids": ids}, work)
    return int(result["marked"])
