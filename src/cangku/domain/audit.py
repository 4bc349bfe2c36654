"""The audit trail: who changed what, when and from where; append-only and hash-chained.

Each entry's hash covers its fields and the previous entry's hash, so an edit, a deletion or a
re-ordering made behind the system's back breaks the chain (``verify`` checks it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class AuditEntry:
    """One audited event. ``details`` is JSON-able: the request, the result, before/after."""

    at: datetime
    action: str
    user_id: int | None = None
    username: str | None = None
    target_type: str | None = None
    target: str | None = None
    warehouse_id: int | None = None
    origin: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def details_text(details: Mapping[str, Any]) -> str:
    """The canonical JSON of ``details`` (sorted keys, no spaces): stored and hashed as is."""
    return json.dumps(
        details, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False
    )


def entry_hash(
    seq: int,
    at: datetime,
    user_id: int | None,
    username: str | None,
    action: str,
    target_type: str | None,
    target: str | None,
    warehouse_id: int | None,
    origin: str | None,
    details: str,
    prev_hash: str,
) -> str:
    """sha256 over the entry's fields (JSON array, so no value can forge a boundary)."""
    micros = (at - _EPOCH) // _MICRO
    text = json.dumps(
        [seq, micros, user_id, username, action, target_type, target, warehouse_id, origin,
         details, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()
