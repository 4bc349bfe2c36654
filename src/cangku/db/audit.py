"""Appending to the audit trail: lock the chain head, hash, insert, move the head."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from cangku.db.tables import audit_head, audit_log
from cangku.domain.audit import AuditEntry, details_text, entry_hash
from cangku.domain.errors import RuleViolation


def append(conn: Connection, entry: AuditEntry) -> int:
    """Append ``entry`` to the chain in the caller's transaction; returns its sequence number.

    The head row is locked (``FOR UPDATE``; SQLite writers are serialized anyway), so
    concurrent writers extend the chain one after another.
    """
    head = conn.execute(
        select(audit_head.c.last_seq, audit_head.c.last_hash)
        .where(audit_head.c.id == 1)
        .with_for_update()
    ).first()
    if head is None:  # deleted behind the system's back (the guard trigger was dropped)
        raise RuleViolation(
            "the audit trail's head row is missing; run cangku verify", code="audit_head_missing"
        )
    seq = int(head.last_seq) + 1
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
        head.last_hash,
    )
    conn.execute(
        insert(audit_log).values(
            seq=seq,
            at=entry.at,
            user_id=entry.user_id,
            username=entry.username,
            action=entry.action,
            target_type=entry.target_type,
            target=entry.target,
            warehouse_id=entry.warehouse_id,
            origin=entry.origin,
            details=details,
            prev_hash=head.last_hash,
            hash=digest,
        )
    )
    conn.execute(
        update(audit_head).where(audit_head.c.id == 1).values(last_seq=seq, last_hash=digest)
    )
    return seq
