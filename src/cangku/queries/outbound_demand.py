"""The demand coming in the next days against available stock, per warehouse and item (the
planner's view before approving outbound requests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, and_, func, or_, select

from cangku.db.tables import (
    allocations,
    balances,
    document_lines,
    documents,
    items,
    locations,
    warehouses,
)
from cangku.domain.enums import LocationKind
from cangku.domain.outbound import REQUEST_KINDS
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled

__all__ = ["OPEN_STATES", "DemandRow", "demand"]

#: request states whose lines are still demand (not yet shipped, closed or cancelled)
OPEN_STATES = ("submitted", "approved", "allocated", "picking", "partially_shipped")


@dataclass(frozen=True)
class DemandRow:
    warehouse: str
    item: str
    item_name: str
    base_unit: str
    #: what open requests due in the window still want (ordered - shipped)
    demand: Decimal
    #: of it, already reserved or picked for them
    covered: Decimal
    #: free stock in the warehouse's storage locations (on hand - reserved)
    available: Decimal
    #: the earliest date a request for it is due or planned
    first_due: date | None
    requests: int

    @property
    def shortage(self) -> Decimal:
        """What the window's demand lacks: not covered and not available now."""
        return max(self.demand - self.covered - self.available, Decimal(0))


def demand(
    conn: Connection,
    today: date,
    days: int = 14,
    seen: Warehouses = None,
    warehouse: str | None = None,
    only_short: bool = False,
) -> list[DemandRow]:
    """Per warehouse and item: the demand of open requests (submitted to partly shipped) due
    or planned within ``days`` from ``today`` (or undated, or overdue), what of it is reserved,
    and the free stock now; shortages first, then the earliest due."""
    horizon = today + timedelta(days=days)
    when = func.coalesce(documents.c.planned_on, documents.c.due_on)
    reserved = (
        select(allocations.c.line_id, func.sum(allocations.c.quantity).label("q"))
        .group_by(allocations.c.line_id)
        .subquery("reserved")
    )
    wanted = (
        select(
            documents.c.warehouse_id.label("warehouse_id"),
            document_lines.c.item_id.label("item_id"),
            func.sum(document_lines.c.quantity - document_lines.c.done).label("demand"),
            func.sum(func.coalesce(reserved.c.q, 0)).label("covered"),
            func.min(when).label("first_due"),
            func.count(func.distinct(documents.c.id)).label("requests"),
        )
        .join_from(document_lines, documents, documents.c.id == document_lines.c.document_id)
        .outerjoin(reserved, reserved.c.line_id == document_lines.c.id)
        .where(
            documents.c.doc_type.in_(sorted(REQUEST_KINDS)),
            documents.c.state.in_(OPEN_STATES),
            document_lines.c.quantity > document_lines.c.done,
            or_(when.is_(None), when <= horizon),
        )
        .group_by(documents.c.warehouse_id, document_lines.c.item_id)
        .subquery("wanted")
    )
    free = (
        select(
            balances.c.warehouse_id,
            balances.c.item_id,
            func.sum(balances.c.on_hand - balances.c.reserved).label("available"),
        )
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind == str(LocationKind.INTERNAL))
        .group_by(balances.c.warehouse_id, balances.c.item_id)
        .subquery("free")
    )
    stmt = (
        select(
            warehouses.c.code,
            items.c.code,
            items.c.name,
            items.c.base_unit,
            wanted.c.demand,
            wanted.c.covered,
            func.coalesce(free.c.available, 0),
            wanted.c.first_due,
            wanted.c.requests,
        )  # fmt: skip
        .join_from(wanted, warehouses, warehouses.c.id == wanted.c.warehouse_id)
        .join(items, items.c.id == wanted.c.item_id)
        .outerjoin(
            free,
            and_(free.c.warehouse_id == wanted.c.warehouse_id, free.c.item_id == wanted.c.item_id),
        )
        .order_by(warehouses.c.code, items.c.code)
    )
    if seen is not None:
        stmt = stmt.where(wanted.c.warehouse_id.in_(sorted(seen)))
    if warehouse is not None:
        stmt = stmt.where(warehouses.c.code == warehouse)
    out = [
        DemandRow(
            r[0],
            r[1],
            r[2],
            r[3],
            from_scaled(int(r[4])),
            from_scaled(int(r[5])),
            from_scaled(int(r[6])),
            _as_date(r[7]),
            int(r[8]),
        )  # fmt: skip
        for r in conn.execute(stmt)
    ]
    if only_short:
        out = [row for row in out if row.shortage > 0]
    out.sort(key=lambda row: (row.shortage == 0, row.first_due or date.max, row.item))
    return out


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
