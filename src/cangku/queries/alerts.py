"""Alerts as people read them (ADR 0030): open ones by default, newest first, in the warehouses
the reader may see. An alert of no warehouse (``verify_failed``) is seen only by those who see
alerts in every warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, select

from cangku.db.tables import alerts, documents, items, lots, users, warehouses
from cangku.domain.errors import InvalidInput, NotFound
from cangku.domain.permissions import Warehouses
from cangku.queries.alert_conditions import KINDS
from cangku.queries.common import Page, paginate
from cangku.queries.stock import warehouse_id

__all__ = ["AlertFilter", "AlertRow", "get_alert", "list_alerts"]


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts: of one kind, in one warehouse (code), and closed ones too when asked."""

    kind: str | None = None
    warehouse: str | None = None
    include_closed: bool = False


@dataclass(frozen=True)
class AlertRow:
    """An alert with the codes of what it is about, its figures when it opened and as last
    seen, and who acknowledged it (None: nobody yet)."""

    id: int
    kind: str
    title: str
    subject_key: str
    item: str | None
    warehouse: str | None
    lot: str | None
    document: str | None
    opened_at: datetime
    closed_at: datetime | None
    changed_at: datetime
    opened_figures: dict[str, Any]
    figures: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def _select() -> Select[Any]:
    return (
        select(
            alerts,
            items.c.code.label("item_code"),
            warehouses.c.code.label("warehouse_code"),
            lots.c.code.label("lot_code"),
            documents.c.number.label("document_number"),
            users.c.username.label("acknowledger"),
        )
        .outerjoin(items, items.c.id == alerts.c.item_id)
        .outerjoin(warehouses, warehouses.c.id == alerts.c.warehouse_id)
        .outerjoin(lots, lots.c.id == alerts.c.lot_id)
        .outerjoin(documents, documents.c.id == alerts.c.document_id)
        .outerjoin(users, users.c.id == alerts.c.acknowledged_by)
    )


def _row(r: Any) -> AlertRow:
    return AlertRow(
        id=int(r.id),
        kind=r.kind,
        title=r.title,
        subject_key=r.subject_key,
        item=r.item_code,
        warehouse=r.warehouse_code,
        lot=r.lot_code,
        document=r.document_number,
        opened_at=r.opened_at,
        closed_at=r.closed_at,
        changed_at=r.changed_at,
        opened_figures=json.loads(r.opened_figures),
        figures=json.loads(r.last_figures),
        acknowledged_by=r.acknowledger,
        acknowledged_at=r.acknowledged_at,
    )


def _seen(visible: Warehouses) -> ColumnElement[bool] | None:
    """The alerts in ``visible`` (None: every one, those of no warehouse too)."""
    if visible is None:
        return None
    return and_(alerts.c.warehouse_id.is_not(None), alerts.c.warehouse_id.in_(sorted(visible)))


def list_alerts(
    conn: Connection, f: AlertFilter, visible: Warehouses, limit: int = 50, offset: int = 0
) -> Page[AlertRow]:
    """The alerts matching ``f`` in the warehouses ``visible`` (None: all), newest first.
    Raises InvalidInput (``unknown_alert_kind``, ``invalid_limit``, ``invalid_offset``) and
    NotFound (``warehouse_not_found``, also for a warehouse outside ``visible``)."""
    if f.kind is not None and f.kind not in KINDS:
        raise InvalidInput(f"unknown alert kind {f.kind!r}", code="unknown_alert_kind", kind=f.kind)
    stmt = _select()
    seen = _seen(visible)
    if seen is not None:
        stmt = stmt.where(seen)
    if f.kind is not None:
        stmt = stmt.where(alerts.c.kind == f.kind)
    if f.warehouse is not None:
        stmt = stmt.where(alerts.c.warehouse_id == warehouse_id(conn, f.warehouse, visible))
    if not f.include_closed:
        stmt = stmt.where(alerts.c.closed_at.is_(None))
    stmt = stmt.order_by(alerts.c.opened_at.desc(), alerts.c.id.desc())
    rows, total = paginate(conn, stmt, limit, offset)
    return Page([_row(r) for r in rows], total, limit, offset)


def get_alert(conn: Connection, alert_id: int, visible: Warehouses) -> AlertRow:
    """One alert. Raises NotFound (``alert_not_found``, also outside ``visible``)."""
    stmt = _select().where(alerts.c.id == alert_id)
    seen = _seen(visible)
    if seen is not None:
        stmt = stmt.where(seen)
    found = conn.execute(stmt).first()
    if found is None:
        raise NotFound("alert", alert_id)
    return _row(found)
