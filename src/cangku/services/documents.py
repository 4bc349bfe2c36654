"""The document framework's services (DESIGN.md section 8): create a document, take a step,
assign a task, deliver what the outbox holds.

A workflow module declares its machine in ``domain`` and its actions next to its services,
then writes each step as a ``decide`` function for ``run_step``: given the locked document, it
loads what it needs in a few set-based reads and answers a ``StepOutcome`` (the moves, the
changed lines, the state the step leads to). ``run_step`` does the rest in one transaction:
lock, state check, permission in the document's warehouse, posting with the document's
reference, the conditional state change, the timeline event, the outbox row and the audit
entry; with the request's idempotency key.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from cangku.db import auth as auth_store
from cangku.db import documents as store
from cangku.db import ledger
from cangku.db import notifications as outbox_store
from cangku.db.uow import Database
from cangku.domain.documents import Machine, document_number, invalid_transition
from cangku.domain.errors import RuleViolation
from cangku.domain.operations import check_line
from cangku.domain.permissions import (
    EVERYONE,
    WAREHOUSE_MANAGER,
    Action,
    Actor,
    action,
    declared_actions,
)
from cangku.domain.stock import MoveLine
from cangku.queries.lots import expiry_settings
from cangku.services.alerts import TOPIC as ALERT_TOPIC
from cangku.services.alerts import alert_notifications
from cangku.services.common import Context, run_write, utcnow

__all__ = [
    "DOCUMENTS_ASSIGN",
    "DOCUMENTS_VIEW",
    "StepOutcome",
    "StepResult",
    "advance",
    "assignee_of",
    "create_document",
    "deliver_outbox",
    "run_step",
    "step_action",
]

log = logging.getLogger(__name__)

#: see documents, their timelines and the task inbox (in the warehouses granted)
DOCUMENTS_VIEW = action("documents.view", roles=EVERYONE, scoped=True)
#: give a document's next step to someone (or to anyone who holds the step's role)
DOCUMENTS_ASSIGN = action("documents.assign", roles={WAREHOUSE_MANAGER}, scoped=True)


def step_action(code: str) -> Action:
    """The declared action a machine's step names."""
    found = declared_actions().get(code)
    if found is None:  # pragma: no cover - a machine naming an undeclared action is a bug
        raise AssertionError(f"action {code} is not declared")
    return found


@dataclass
class StepOutcome:
    """What a step decided. ``moves`` are posted with the document's reference (their
    ``document_line`` set by the decision); ``line_changes`` go to ``db.documents.update_lines``;
    ``after`` runs once the moves are posted (it gets their ids, in order) for writes that need
    them: follow-up documents, lines that remember their move. ``result`` joins the answer."""

    target: str | None = None
    moves: list[MoveLine] = field(default_factory=list)
    line_changes: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    after: Callable[[Connection, list[int]], dict[str, Any]] | None = None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    number: str
    state: str
    move_ids: list[int]
    replayed: bool
    data: dict[str, Any]


def today(conn: Connection, now: datetime) -> date:
    """The company's local day (due dates and expected dates are local days)."""
    return now.astimezone(expiry_settings(conn).zone).date()


def create_document(
    conn: Connection,
    machine: Machine,
    actor: Actor,
    now: datetime,
    *,
    warehouse_id: int,
    warehouse_code: str,
    lines: Sequence[dict[str, Any]],
    note: str | None = None,
    data: dict[str, Any] | None = None,
    **header: Any,
) -> tuple[int, str]:
    """Number and insert a document in its machine's first state with its lines, its "create"
    event and its first task in the outbox. Answers (id, number)."""
    year = today(conn, now).year
    number = document_number(
        machine.prefix,
        warehouse_code,
        year,
        store.next_number(conn, machine.doc_type, warehouse_id, year),
    )
    document_id = store.insert_document(
        conn,
        {
            "doc_type": machine.doc_type,
            "number": number,
            "warehouse_id": warehouse_id,
            "state": machine.initial,
            "created_by": actor.user_id,
            "note": note,
            "created_at": now,
            "updated_at": now,
            **header,
        },
    )
    store.insert_lines(conn, document_id, lines)
    store.add_event(
        conn,
        document_id,
        now,
        actor.user_id,
        "create",
        None,
        machine.initial,
        note,
        {"lines": len(lines), **(data or {})},
    )
    _queue_task(
        conn, machine, document_id, number, warehouse_id, machine.initial, header, now,
        actor_id=actor.user_id,
    )  # fmt: skip
    return document_id, number


def _queue_task(
    conn: Connection,
    machine: Machine,
    document_id: int,
    number: str,
    warehouse_id: int,
    state: str,
    header: dict[str, Any],
    now: datetime,
    *,
    actor_id: int | None = None,
) -> None:
    task = machine.task(state)
    if task is None:
        return
    if task.at_destination and header.get("to_warehouse_id") is not None:
        warehouse_id = int(header["to_warehouse_id"])
    store.add_outbox(
        conn,
        "task",
        document_id,
        {
            "doc_type": machine.doc_type,
            "number": number,
            "state": state,
            "step": task.code,
            "action": task.action,
            "warehouse_id": warehouse_id,
            "assignee_id": header.get("assignee_id"),
            "by": actor_id,
        },
        now,
    )


def advance(
    conn: Connection,
    machine: Machine,
    doc: store.DocumentRow,
    step: str,
    actor: Actor,
    now: datetime,
    *,
    target: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> str:
    """Take ``step`` on a locked document: the conditional state change, the timeline event
    and the next task's outbox row. Raises ``invalid_transition`` when the state does not allow
    the step (or another transaction moved the document first). Answers the new state."""
    new_state = machine.next(doc.state, step, target, doc.number)
    values = dict(fields or {})
    if new_state in machine.final:
        values["closed_at"] = now
    if not store.set_state(conn, doc.id, doc.state, new_state, now, **values):
        raise invalid_transition(machine.doc_type, doc.number, doc.state, step)
    store.add_event(conn, doc.id, now, actor.user_id, step, doc.state, new_state, note, data)
    if new_state != doc.state:
        _queue_task(
            conn,
            machine,
            doc.id,
            doc.number,
            doc.warehouse_id,
            new_state,
            {"assignee_id": doc.assignee_id, "to_warehouse_id": doc.to_warehouse_id},
            now,
            actor_id=actor.user_id,
        )
    return new_state


def post_for(
    conn: Connection, doc: store.DocumentRow, moves: list[MoveLine], actor: Actor, now: datetime
) -> list[int]:
    """Post a document's moves: the single operations' rules, the document's reference."""
    if not moves:
        return []
    zone = expiry_settings(conn).zone
    day = now.astimezone(zone).date()
    for line in moves:
        line.document_type, line.document_id = doc.doc_type, doc.number
        check_line(line, day, zone)
    return [posted.id for posted in ledger.post_lines(conn, moves, actor.user_id, now)]


def run_step(
    db: Database,
    ctx: Context,
    machine: Machine,
    step: str,
    number: str,
    payload: dict[str, Any],
    decide: Callable[[Connection, store.DocumentRow, Actor, datetime], StepOutcome],
    *,
    note: str | None = None,
) -> StepResult:
    """Take a user's step on a document, all in one transaction (see the module's docstring).

    Raises NotFound (the document), InvalidInput ``unknown_step``, ``invalid_transition``,
    PermissionDenied (the step's permission in the document's warehouse), whatever ``decide``
    and the ledger raise, IdempotencyMismatch. Writes the moves, lines, state, event, outbox
    row and audit entry."""
    act = step_action(machine.step(step).action)
    answer: dict[str, Any] = {}

    def work(uow: Any, actor: Actor, now: datetime) -> dict[str, Any]:
        conn = uow.conn
        doc = store.lock_document(conn, machine.doc_type, number)
        taken = machine.step(step)
        actor.require(act, doc.destination_id if taken.at_destination else doc.warehouse_id)
        machine.check(doc.state, step, number)
        outcome = decide(conn, doc, actor, now)
        move_ids = post_for(conn, doc, outcome.moves, actor, now)
        store.update_lines(conn, outcome.line_changes)
        extra = outcome.after(conn, move_ids) if outcome.after else {}
        data = {**outcome.data, **({"moves": move_ids} if move_ids else {})}
        state = advance(
            conn,
            machine,
            doc,
            step,
            actor,
            now,
            target=outcome.target,
            note=note,
            data=data,
            fields=outcome.fields,
        )
        answer.update(outcome.result, **extra)
        return {"number": number, "state": state, "move_ids": move_ids, **outcome.result, **extra}

    result, replayed = run_write(
        db, ctx, act, {"number": number, "step": step, **payload}, work,
        target_type=machine.doc_type, target=number,
    )  # fmt: skip
    if not replayed:
        deliver_outbox(db)
    data = {k: v for k, v in result.items() if k not in ("number", "state", "move_ids")}
    return StepResult(result["number"], result["state"], result["move_ids"], replayed, data)


def deliver_outbox(db: Database) -> int:
    """Deliver what the outbox holds, after the commit that wrote it: a "task" row becomes an
    in-app notification for its assignee, or for everyone who holds the step's permission in
    the document's warehouse (not the user whose step made it); an "alert" row that opened an
    alert, one for each user it goes to (``services.alerts.alert_notifications``). Never
    raises: what could not be delivered stays in the outbox for the next call. Answers how many
    rows it delivered."""
    try:
        with db.write() as uow:
            conn = uow.conn
            rows = outbox_store.pending(conn)
            now = utcnow()
            claimed = outbox_store.claim(conn, [row[0] for row in rows], now)
            # a task the document has moved past by now (received in the step that made it)
            # is not worth telling anyone
            states = outbox_store.document_states(conn, [r[2] for r in rows if r[2] is not None])
            out: list[dict[str, Any]] = []
            holders: dict[tuple[str, int], list[int]] = {}
            alert_recipients: dict[tuple[str, int | None], list[int]] = {}
            for row_id, topic, document_id, payload in rows:
                if row_id in claimed and topic == ALERT_TOPIC:
                    out.extend(alert_notifications(conn, payload, now, alert_recipients))
                    continue
                if row_id not in claimed or topic != "task":
                    continue
                if document_id is not None and states.get(document_id) != payload["state"]:
                    continue
                if payload.get("assignee_id"):
                    recipients = [int(payload["assignee_id"])]
                else:
                    key = (payload["action"], int(payload["warehouse_id"]))
                    if key not in holders:
                        act = step_action(payload["action"])
                        holders[key] = outbox_store.holders_of(conn, act.roles, act.code, key[1])
                    recipients = holders[key]
                message = {k: payload[k] for k in ("doc_type", "number", "state", "step")}
                out.extend(
                    {
                        "user_id": user_id,
                        "created_at": now,
                        "kind": "task",
                        "document_id": document_id,
                        "message": _json(message),
                    }
                    for user_id in recipients
                    if user_id != payload.get("by")
                )
            outbox_store.insert_notifications(conn, out)
            uow.commit()
            return len(claimed)
    except Exception:
        log.exception("outbox delivery failed; it is retried on the next step")
        return 0


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


def assignee_of(conn: Connection, username: str) -> int:
    """The id of an active user a document may be assigned to. Raises NotFound
    ``user_not_found``, RuleViolation ``user_inactive``."""
    user = auth_store.get_user(conn, username)
    if not user.active:
        raise RuleViolation(f"user {username} is disabled", code="user_inactive", user=username)
    return user.id
