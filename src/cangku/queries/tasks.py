"""The task inbox: the open documents whose next step waits on an actor (``my_tasks``) and how
many wait per type and step (``task_counts``, the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, case, false, func, or_, select

from cangku.db.tables import documents
from cangku.domain.documents import machines
from cangku.domain.permissions import Actor, declared_actions
from cangku.queries.common import Page, check_paging, count_capped
from cangku.queries.document_summary import (
    DocumentSummary,
    next_step,
    open_condition,
    summary_columns,
    summary_from,
    summary_of,
)

__all__ = ["TaskCount", "my_tasks", "task_counts"]


def _task_condition(actor: Actor) -> ColumnElement[bool]:
    """Open documents whose next step the actor may take (in its warehouse) and that nobody
    else was given, or that were given to the actor."""
    actions = declared_actions()
    parts: list[ColumnElement[bool]] = []
    for machine in machines().values():
        by_action: dict[tuple[str, bool], list[str]] = {}
        for state, step_code in machine.tasks.items():
            task = machine.step(step_code)
            by_action.setdefault((task.action, task.at_destination), []).append(state)
        for (code, at_destination), states in by_action.items():
            act = actions.get(code)
            if act is None or not actor.may(act):
                continue
            where = actor.warehouses(act)
            cond = and_(documents.c.doc_type == machine.doc_type, documents.c.state.in_(states))
            if where is not None:
                # a step taken where the goods arrive is that warehouse's task
                column = (
                    func.coalesce(documents.c.to_warehouse_id, documents.c.warehouse_id)
                    if at_destination
                    else documents.c.warehouse_id
                )
                cond = and_(cond, column.in_(sorted(where)))
            parts.append(cond)
    mine = documents.c.assignee_id == actor.user_id
    role_based = and_(
        or_(*parts) if parts else false(),
        or_(documents.c.assignee_id.is_(None), mine),
    )
    return or_(role_based, and_(mine, open_condition()))


def my_tasks(
    conn: Connection,
    actor: Actor,
    today: date,
    *,
    doc_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DocumentSummary]:
    """The actor's task inbox: overdue first, then by due date (none last), then oldest."""
    check_paging(limit, offset)
    stmt = select(*summary_columns()).select_from(summary_from()).where(_task_condition(actor))
    if doc_type is not None:
        stmt = stmt.where(documents.c.doc_type == doc_type)
    total, exact = count_capped(conn, stmt)
    overdue = case((documents.c.due_on < today, 0), else_=1)
    undated = case((documents.c.due_on.is_(None), 1), else_=0)
    rows = conn.execute(
        stmt.order_by(overdue, undated, documents.c.due_on, documents.c.id)
        .limit(limit)
        .offset(offset)
    )
    return Page([summary_of(r, today) for r in rows], total, limit, offset, exact)


@dataclass(frozen=True)
class TaskCount:
    doc_type: str
    step: str
    count: int
    overdue: int


def task_counts(conn: Connection, actor: Actor, today: date) -> list[TaskCount]:
    """How many tasks wait on the actor, per document type and step (the dashboard)."""
    rows = conn.execute(
        select(
            documents.c.doc_type,
            documents.c.state,
            func.count(),
            func.sum(case((documents.c.due_on < today, 1), else_=0)),
        )
        .where(_task_condition(actor))
        .group_by(documents.c.doc_type, documents.c.state)
    )
    merged: dict[tuple[str, str], list[int]] = {}
    for doc_type, state, count, late in rows:
        step = next_step(doc_type, state)
        if step is None:
            continue
        entry = merged.setdefault((doc_type, step), [0, 0])
        entry[0] += int(count)
        entry[1] += int(late or 0)
    return [TaskCount(t, s, c, o) for (t, s), (c, o) in sorted(merged.items())]
