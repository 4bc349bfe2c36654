"""What every use case shares: the clock, the acting user and what they may do, idempotency,
the audit trail and bounded retries."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from cangku.db import audit as audit_store
from cangku.db import auth as auth_store
from cangku.db import idempotency
from cangku.db import sites as sites_store
from cangku.db.uow import Database, RetryableConflict, UnitOfWork
from cangku.domain.audit import AuditEntry, changes, redact
from cangku.domain.errors import (
    IdempotencyMismatch,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)
from cangku.domain.permissions import Action, Actor, declared_actions, resolve

T = TypeVar("T")

#: how often a unit of work is retried after a deadlock / serialization failure / busy database
MAX_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """Who is acting (already authenticated by the face), how, and the request's idempotency key.

    ``scopes`` are the patterns of the API token used (None: a session or the local CLI
    operator, no narrowing); ``origin`` says where the request came from (an address, ``cli``).
    ``actor`` is the user with their permissions as the face read them when it authenticated
    this request (token or session, user and grants in one statement): the use case acts on
    that reading instead of loading it again (ADR 0021); None: the use case loads it.
    """

    username: str = "admin"
    idempotency_key: str | None = None
    scopes: tuple[str, ...] | None = None
    origin: str | None = None
    actor: Actor | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Subject:
    """The record an audited write is about: its kind and key (``item`` ``BOLT``), how to read
    its fields (None while it does not exist) so the audit entry shows what changed, and the
    warehouse it belongs to (for warehouses and locations)."""

    kind: str | None
    key: str | None
    read: Callable[[Connection], Mapping[str, Any] | None] | None = None
    warehouse: Callable[[Connection], int | None] | None = None


def load_actor(conn: Connection, ctx: Context) -> Actor:
    """The acting user with their permissions: as the face read them for this request
    (``ctx.actor``), or read fresh in one statement (a disabled user can do nothing)."""
    if ctx.actor is not None:
        return ctx.actor
    found = auth_store.active_user_grants(conn, ctx.username)
    if found is None:
        raise NotAuthenticated("sign in first")
    user_id, grants = found
    return resolve(user_id, ctx.username, grants, ctx.scopes)


def audit(
    conn: Connection,
    ctx: Context,
    actor: Actor | None,
    action: str,
    now: datetime,
    *,
    target_type: str | None = None,
    target: str | None = None,
    warehouse_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry to the audit trail in the caller's transaction (secret-named details,
    such as ``password`` or ``token``, are redacted first)."""
    return audit_store.append(
        conn,
        AuditEntry(
            at=now,
            action=action,
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else ctx.username,
            target_type=target_type,
            target=target,
            warehouse_id=warehouse_id,
            origin=ctx.origin,
            details=redact(details or {}),
        ),
    )


@dataclass(frozen=True)
class CheckedActor(Actor):
    """An actor that notes each permission it was found to hold (action, warehouse or None):
    what the write it runs depended on, checked again when the write is replayed."""

    checked: set[tuple[str, int | None]] = field(default_factory=set, compare=False)

    def may(self, act: Action, warehouse_id: int | None = None) -> bool:
        allowed = super().may(act, warehouse_id)
        if allowed:
            self.checked.add((act.code, warehouse_id if act.scoped else None))
        return allowed


def _recheck(actor: Actor, checks: list[tuple[str, int | None]] | None) -> None:
    """A replay answers only an actor who still holds what the first run needed."""
    actions = declared_actions()
    for code, warehouse_id in checks or ():
        act = actions.get(code)
        if act is None:
            raise PermissionDenied(f"you are not allowed to do {code}", permission=code)
        actor.require(act, warehouse_id)


def request_hash(operation: str, payload: Any) -> str:
    text = json.dumps([operation, payload], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _audit_write(
    conn: Connection,
    ctx: Context,
    actor: Actor,
    action_code: str,
    now: datetime,
    subject: Subject,
    before: Mapping[str, Any] | None,
    details: dict[str, Any],
) -> None:
    """The audit entry of a ``run_write``: with the subject's fields before and after."""
    if subject.read is not None:
        details["changes"] = changes(before, subject.read(conn))
    audit(
        conn,
        ctx,
        actor,
        action_code,
        now,
        target_type=subject.kind,
        target=subject.key,
        warehouse_id=subject.warehouse(conn) if subject.warehouse else None,
        details=details,
    )


def run_write(
    db: Database,
    ctx: Context,
    action: Action,
    payload: Any,
    work: Callable[[UnitOfWork, Actor, datetime], Any],
    *,
    target_type: str | None = None,
    target: str | None = None,
    subject: Subject | None = None,
) -> tuple[Any, bool]:
    """Run ``work(uow, actor, now)`` in one transaction and commit.

    The actor must hold ``action`` somewhere (PermissionDenied otherwise, before anything is
    read); ``work`` checks the warehouse of a scoped action with ``actor.require``.
    ``work`` returns something JSON-able (ids, usually) that the caller turns into its result.
    Audited actions append who, what (the request and the result), when and from where to the
    audit trail in the same transaction; with a ``subject`` that can be read, the entry also
    holds the fields that changed, before and after (``details["changes"]``).
    With an idempotency key, a repeat of the same request by the same user returns the first
    answer and writes nothing (``replayed`` is True), once the actor is found to still hold
    ``action`` and every permission the first run checked (its warehouses; PermissionDenied
    otherwise); the same key with another payload raises IdempotencyMismatch. Keys are each
    user's own: another user's key is never seen, so their request runs as their own (ADR 0013).
    Deadlocks and busy errors are retried a bounded number of times.
    """
    key = ctx.idempotency_key
    if key is not None and not (0 < len(key) <= 200):
        raise InvalidInput(
            "an idempotency key has 1 to 200 characters", code="invalid_idempotency_key"
        )
    # only an idempotency key needs the request's digest (every posting passes here)
    digest = request_hash(action.code, payload) if key is not None else ""
    if subject is None:
        subject = Subject(target_type, target)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with db.write() as uow:
                loaded = load_actor(uow.conn, ctx)
                actor = CheckedActor(loaded.user_id, loaded.username, loaded.permissions)
                actor.require(action)
                if key is not None:
                    seen = idempotency.find(uow.conn, actor.user_id, key)
                    if seen is not None:
                        _recheck(actor, seen.checks)
                        if seen.request_hash != digest:
                            raise IdempotencyMismatch(
                                "this idempotency key was used for a different request",
                                key=key,
                            )
                        return seen.response, True
                now = utcnow()
                before = subject.read(uow.conn) if action.audited and subject.read else None
                result = work(uow, actor, now)
                if action.audited:
                    details = {"request": payload, "result": result}
                    _audit_write(uow.conn, ctx, actor, action.code, now, subject, before, details)
                if key is not None:
                    idempotency.remember(
                        uow.conn, key, digest, result, actor.user_id, now, actor.checked
                    )
                uow.commit()
                return result, False
        except RetryableConflict:
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.005 * attempt)
        except PermissionDenied as denied:
            raise named_denial(db, denied) from None
    raise AssertionError("unreachable")


def refuse_unless_allowed(db: Database, ctx: Context, action: Action) -> None:
    """PermissionDenied unless the actor holds ``action`` somewhere: for a service that checks
    its input before its unit of work, so that one who may not act hears that first (as
    ``run_write`` would tell them), not what was wrong with the input. Reads the actor."""
    with db.read() as conn:
        load_actor(conn, ctx).require(action)


def named_denial(db: Database, denied: PermissionDenied) -> PermissionDenied:
    """``denied`` naming the warehouse it was refused in (``data.warehouse``, its code, in the
    message too) when ``Actor.require`` refused a scoped action in one warehouse."""
    if denied.warehouse_id is None or "warehouse" in denied.data:
        return denied
    with db.read() as conn:
        code = sites_store.warehouse_by_id(conn, denied.warehouse_id).code
    return PermissionDenied.to_do(str(denied.data.get("permission", "")), warehouse=code)
