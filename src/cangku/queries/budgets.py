"""Purchasing budgets (ADR 0033) with what is committed against them and what is left.

**Committed** = the value of the purchase orders raised in the budget's period (the day of
their "create" event, in the company's time zone) and not cancelled, whatever their state
since (draft, waiting, confirmed, received, closed): what the buyers have decided to spend.
Drafts count, so that suggestions confirmed into draft orders use the budget at once. A line's
value is its quantity times its unit price (a line without a price counts nothing). A budget
for a warehouse counts only orders into it; one for a category the lines of items in that
category and those under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from cangku.db.company import read_company
from cangku.db.tables import (
    categories,
    document_events,
    document_lines,
    documents,
    items,
    purchase_budgets,
    users,
    warehouses,
)
from cangku.domain.permissions import Warehouses
from cangku.domain.quantities import from_scaled, scaled_product
from cangku.domain.suggestions import Budget

__all__ = ["BudgetRow", "budget_rows", "budgets_in_force", "find_budget"]

_item_category = aliased(categories, name="item_category")


@dataclass(frozen=True)
class BudgetRow:
    id: int
    period_start: date
    period_end: date
    warehouse: str | None
    category: str | None
    category_path: str | None
    amount: Decimal
    committed: Decimal
    note: str | None
    updated_by: str
    updated_at: datetime

    @property
    def left(self) -> Decimal:
        return self.amount - self.committed

    def as_budget(self) -> Budget:
        return Budget(self.id, self.left, self.warehouse, self.category_path)


def _rows(conn: Connection, where: Sequence[Any]) -> list[BudgetRow]:
    pb = purchase_budgets
    stmt = (
        select(
            pb.c.id,
            pb.c.period_start,
            pb.c.period_end,
            warehouses.c.code,
            categories.c.code,
            categories.c.path,
            pb.c.amount,
            pb.c.note,
            users.c.username,
            pb.c.updated_at,
        )  # fmt: skip
        .select_from(pb)
        .outerjoin(warehouses, warehouses.c.id == pb.c.warehouse_id)
        .outerjoin(categories, categories.c.id == pb.c.category_id)
        .join(users, users.c.id == pb.c.updated_by)
        .where(*where)
        .order_by(pb.c.period_start.desc(), pb.c.id)
    )
    found = list(conn.execute(stmt))
    if not found:
        return []
    spent = _committed(conn, found)
    return [
        BudgetRow(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            from_scaled(r[6]),
            spent[int(r[0])],
            r[7],
            r[8],
            r[9],
        )  # fmt: skip
        for r in found
    ]


def _committed(conn: Connection, budgets: Sequence[Any]) -> dict[int, Decimal]:
    """budget id -> the value of the order lines it covers (see the module docstring)."""
    zone = ZoneInfo(read_company(conn).time_zone)
    first = min(b[1] for b in budgets)
    last = max(b[2] for b in budgets)
    raised = (
        select(document_events.c.document_id, document_events.c.at)
        .where(document_events.c.step == "create")
        .subquery()
    )
    stmt = (
        select(
            raised.c.at,
            warehouses.c.code,
            _item_category.c.path,
            document_lines.c.unit_quantity,
            document_lines.c.unit_price,
        )  # fmt: skip
        .select_from(documents)
        .join(raised, raised.c.document_id == documents.c.id)
        .join(warehouses, warehouses.c.id == documents.c.warehouse_id)
        .join(document_lines, document_lines.c.document_id == documents.c.id)
        .join(items, items.c.id == document_lines.c.item_id)
        .outerjoin(_item_category, _item_category.c.id == items.c.category_id)
        .where(
            documents.c.doc_type == "purchase_order",
            documents.c.state != "cancelled",
            document_lines.c.unit_price.is_not(None),
            raised.c.at >= _start_of(first, zone),
        )
    )
    totals = {int(b[0]): 0 for b in budgets}
    for at, warehouse, path, quantity, price in conn.execute(stmt):
        day = at.astimezone(zone).date()
        if day > last:
            continue
        value = scaled_product(int(quantity or 0), int(price))
        for b in budgets:
            start, end, wh, cat_path = b[1], b[2], b[3], b[5]
            if start <= day <= end and wh in (None, warehouse) and _under(path, cat_path):
                totals[int(b[0])] += value
    return {key: from_scaled(value) for key, value in totals.items()}


def _under(path: str | None, budget_path: str | None) -> bool:
    return budget_path is None or (path is not None and path.startswith(budget_path))


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def budget_rows(conn: Connection, seen: Warehouses = None) -> list[BudgetRow]:
    """Every budget, the latest period first: those for all warehouses, and those of the
    warehouses in ``seen`` (None: all)."""
    pb = purchase_budgets
    where = []
    if seen is not None:
        where.append(pb.c.warehouse_id.is_(None) | pb.c.warehouse_id.in_(sorted(seen)))
    return _rows(conn, where)


def budgets_in_force(conn: Connection, day: date) -> list[BudgetRow]:
    """The budgets whose period holds ``day``."""
    pb = purchase_budgets
    return _rows(conn, [pb.c.period_start <= day, pb.c.period_end >= day])


def find_budget(conn: Connection, budget_id: int) -> BudgetRow | None:
    found = _rows(conn, [purchase_budgets.c.id == budget_id])
    return found[0] if found else None
