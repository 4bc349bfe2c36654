"""Appending to the audit trail: lock the chain head, hash, insert, move the head."""

from __future__ import annotations

from sqlalchemy import Connection

from cangku.db import driver
from cangku.db.types import to_micros
from cangku.domain.audit import AuditEntry, details_text, entry_hash
from cangku.domain.errors import RuleViolation

#: the chain head, locked (PostgreSQL; SQLite writers are serialized anyway); the entry; the head
#: moved on. At driver level (db/driver.py): every audited write runs these three.
_HEAD = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1"
_INSERT = (
    "INSERT INTO audit_log (seq, at, user_id, username, action, target_type, target,"
    " warehouse_id, origin, details, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_MOVE_HEAD = "UPDATE audit_head SET last_seq = %s, last_hash = %s WHERE id = 1"


def append(conn: Connection, entry: AuditEntry) -> int:
    """Append ``entry`` to the chain in the caller's transaction; returns its sequence number.

    The head row is locked (``FOR UPDATE``; SQLite writers are serialized anyway), so
    concurrent writers extend the chain one after another.
    """
    sqlite = conn.dialect.name == "sqlite"
    head = driver.first(conn, _HEAD if sqlite else f"{_HEAD} FOR UPDATE")
    if head is None:  # deleted behind the system's back (the guard trigger was dropped)
        raise RuleViolation(
            "the audit trail's head row is missing; run cangku verify", code="audit_head_missing"
        )
    last_seq, last_hash = head
    seq = int(last_seq) + 1
    details = details_text(entry.details)
    digest = entry_hash(
        seq,
        entry.at,
        entry.user_id,
        entry.username,
        entry.action,
        entry.target_type,
        entry.target,
        entry.warehouse_id,
        entry.origin,
        details,
        last_hash,
    )
    at = to_micros(entry.at) if sqlite else entry.at
    who = (entry.user_id, entry.username)
    what = (entry.action, entry.target_type, entry.target, entry.warehouse_id, entry.origin)
    driver.count(conn, _INSERT, (seq, at, *who, *what, details, last_hash, digest))
    driver.count(conn, _MOVE_HEAD, (seq, digest))
    return seq
