"""What every use case shares: the clock, the acting user, idempotency and bounded retries."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from cangku.db import idempotency
from cangku.db import users as user_store
from cangku.db.uow import Database, RetryableConflict, UnitOfWork
from cangku.domain.errors import IdempotencyMismatch, InvalidInput, NotFound, RuleViolation

T = TypeVar("T")

#: how often a unit of work is retried after a deadlock / serialization failure / busy database
MAX_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """Who is acting, and the idempotency key of the request if it has one."""

    username: str = "admin"
    idempotency_key: str | None = None


def acting_user(uow: UnitOfWork, username: str) -> int:
    found = user_store.find_by_username(uow.conn, username)
    if found is None:
        raise NotFound("user", username)
    user_id, active = found
    if not active:
        raise RuleViolation(f"user {username} is deactivated", code="user_inactive")
    return user_id


def request_hash(operation: str, payload: Any) -> str:
    text = json.dumps([operation, payload], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_write(
    db: Database,
    ctx: Context,
    operation: str,
    payload: Any,
    work: Callable[[UnitOfWork, int, datetime], Any],
) -> tuple[Any, bool]:
    """Run ``work(uow, user_id, now)`` in one transaction and commit.

    ``work`` returns something JSON-able (ids, usually) that the caller turns into its result.
    With an idempotency key, a repeat of the same request returns the first answer and writes
    nothing (``replayed`` is True); the same key with another payload raises IdempotencyMismatch.
    Deadlocks and busy errors are retried a bounded number of times.
    """
    key = ctx.idempotency_key
    if key is not None and not (0 < len(key) <= 200):
        raise InvalidInput(
            "an idempotency key has 1 to 200 characters", code="invalid_idempotency_key"
        )
    digest = request_hash(operation, payload)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with db.write() as uow:
                if key is not None:
                    seen = idempotency.find(uow.conn, key)
                    if seen is not None:
                        if seen[0] != digest:
                            raise IdempotencyMismatch(
                                "this idempotency key was used for a different request",
                                key=key,
                            )
                        return seen[1], True
                now = utcnow()
                user_id = acting_user(uow, ctx.username)
                result = work(uow, user_id, now)
                if key is not None:
                    idempotency.remember(uow.conn, key, digest, result, user_id, now)
                uow.commit()
                return result, False
        except RetryableConflict:
            if attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.005 * attempt)
    raise AssertionError("unreachable")
