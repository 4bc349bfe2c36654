"""Searching the audit trail: who did what, to which record, when and from where.

Entries come newest first (by their place in the chain). Filters combine with AND:
``action`` is exact (``item.update``) or a prefix when it ends with ``.`` or ``*``
(``item.`` and ``item.*`` both find every item action); ``q`` looks for text in the target
and in the details (the request, the result and the fields before and after).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from cangku.db.tables import audit_log, warehouses
from cangku.domain.errors import InvalidInput, NotFound
from cangku.queries.common import Page, Sorting, paginate, text_filter

__all__ = ["AUDIT_SORTING", "AuditFilter", "AuditRow", "get_entry", "list_entries"]

#: the longest filter value accepted (the columns hold at most 200 characters)
MAX_FILTER = 200


#: the orders the trail may be read in (``sort=``); newest first by default
AUDIT_SORTING = Sorting(
    {
        "seq": audit_log.c.seq,
        "at": audit_log.c.at,
        "user": func.coalesce(audit_log.c.username, ""),
        "action": audit_log.c.action,
        "target": (
            func.coalesce(audit_log.c.target_type, ""),
            func.coalesce(audit_log.c.target, ""),
        ),
        "warehouse": func.coalesce(warehouses.c.code, ""),
        "origin": func.coalesce(audit_log.c.origin, ""),
    },
    default="-seq",
    tiebreak=[audit_log.c.seq],
)


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    action: str | None = None
    target_type: str | None = None
    target: str | None = None
    warehouse: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None


@dataclass(frozen=True)
class AuditRow:
    """One entry as stored; ``details`` parsed from its canonical JSON."""

    seq: int
    at: datetime
    user: str | None
    action: str
    target_type: str | None
    target: str | None
    warehouse: str | None
    origin: str | None
    details: dict[str, Any]
    hash: str


def _select() -> Select[Any]:
    return select(
        audit_log.c.seq,
        audit_log.c.at,
        audit_log.c.username,
        audit_log.c.action,
        audit_log.c.target_type,
        audit_log.c.target,
        warehouses.c.code.label("warehouse"),
        audit_log.c.origin,
        audit_log.c.details,
        audit_log.c.hash,
    ).outerjoin(warehouses, warehouses.c.id == audit_log.c.warehouse_id)


def _row(row: Any) -> AuditRow:
    try:
        details = json.loads(row.details)
    except ValueError:  # edited behind the system's back; verify names it
        details = {"unreadable": row.details}
    return AuditRow(
        seq=int(row.seq),
        at=row.at,
        user=row.username,
        action=row.action,
        target_type=row.target_type,
        target=row.target,
        warehouse=row.warehouse,
        origin=row.origin,
        details=details if isinstance(details, dict) else {"value": details},
        hash=row.hash,
    )


def _checked(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_FILTER:
        raise InvalidInput(
            f"{name} has at most {MAX_FILTER} characters", code="invalid_filter", field=name
        )
    return value.strip()


def _conditions(f: AuditFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    exact = {
        "user": audit_log.c.username,
        "target_type": audit_log.c.target_type,
        "target": audit_log.c.target,
        "warehouse": warehouses.c.code,
    }
    for name, column in exact.items():
        value = _checked(getattr(f, name), name)
        if value is not None:
            where.append(column == value)
    action = _checked(f.action, "action")
    if action is not None and action.endswith(("*", ".")):
        where.append(audit_log.c.action.startswith(action.rstrip("*"), autoescape=True))
    elif action is not None:
        where.append(audit_log.c.action == action)
    if f.since is not None:
        where.append(audit_log.c.at >= f.since)
    if f.until is not None:
        where.append(audit_log.c.at <= f.until)
    text = text_filter(_checked(f.q, "q"), audit_log.c.target, audit_log.c.details)
    if text is not None:
        where.append(text)
    return where


def list_entries(
    conn: Connection,
    f: AuditFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str | None = None,
) -> Page[AuditRow]:
    """Entries matching ``f`` in the order ``sort`` names (``AUDIT_SORTING``; newest first by
    default). Raises InvalidInput (``invalid_limit``, ``invalid_offset``, ``invalid_filter`` for
    a value longer than 200 characters, ``invalid_sort``)."""
    order = AUDIT_SORTING.parse(sort)
    stmt = _select().where(*_conditions(f)).order_by(*AUDIT_SORTING.order_by(order))
    rows, total = paginate(conn, stmt, limit, offset)
    return Page([_row(r) for r in rows], total, limit, offset)


def get_entry(conn: Connection, seq: int) -> AuditRow:
    """The entry number ``seq``. Raises NotFound ``audit_entry_not_found``."""
    row = conn.execute(_select().where(audit_log.c.seq == seq)).first()
    if row is None:
        raise NotFound("audit_entry", seq)
    return _row(row)
