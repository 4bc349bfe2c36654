"""The audit trail: who changed what, when and from where; append-only and hash-chained.

Each entry's hash covers its fields and the previous entry's hash, so an edit, a deletion or a
re-ordering made behind the system's back breaks the chain (``verify`` checks it).
"""

from __future__ import annotations

import hashlib
import json
import re
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


#: what a secret's value is replaced with before an entry is written
REDACTED = "[redacted]"
#: detail keys whose values are secrets (passwords, tokens, their hashes, session ids)
_SECRET_KEY = re.compile(
    r"(^|_)(password|passphrase|secret|token|session_id|csrf)(_hash|_digest)?$", re.IGNORECASE
)


def redact(details: Any) -> Any:
    """``details`` with the value of every secret-named key (``password``, ``new_password``,
    ``token``, ``token_hash``, ``csrf_token``, ...) replaced by ``REDACTED``, at any depth:
    a secret must never reach the append-only trail, where it could not be removed."""
    if isinstance(details, Mapping):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else redact(value)
            for key, value in details.items()
        }
    if isinstance(details, (list, tuple)):
        return [redact(value) for value in details]
    return details


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, prefix: str = ""
) -> dict[str, dict[str, Any]]:
    """The fields that differ between two snapshots of a record, as
    ``{"path": {"before": old, "after": new}}``.

    Nested mappings (an item's units, a partner's contacts) are compared key by key and their
    paths joined with dots (``units.box``, ``contacts.7.email``). A record or key that does not
    exist on one side counts as None there, so a new record (``before`` None) lists the fields
    it was given a value for, and a removed contact lists the values it had.
    """
    found: dict[str, dict[str, Any]] = {}
    old_fields, new_fields = before or {}, after or {}
    for key in sorted(set(old_fields) | set(new_fields), key=str):
        old, new = old_fields.get(key), new_fields.get(key)
        path = f"{prefix}{key}"
        if isinstance(old, Mapping | None) and isinstance(new, Mapping | None):
            found.update(changes(old, new, f"{path}."))
        elif old != new:
            found[path] = {"before": old, "after": new}
    return found


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
