"""Writes of purchasing budgets (``purchase_budgets``, ADR 0033)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from cangku.db.tables import purchase_budgets

__all__ = ["budget_warehouse", "delete_budget", "insert_budget", "update_budget"]


def insert_budget(conn: Connection, values: dict[str, Any]) -> int:
    stmt = insert(purchase_budgets).values(**values).returning(purchase_budgets.c.id)
    return int(conn.execute(stmt).scalar_one())


def update_budget(conn: Connection, budget_id: int, values: dict[str, Any]) -> bool:
    stmt = update(purchase_budgets).where(purchase_budgets.c.id == budget_id).values(**values)
    return conn.execute(stmt).rowcount == 1


def delete_budget(conn: Connection, budget_id: int) -> bool:
    stmt = delete(purchase_budgets).where(purchase_budgets.c.id == budget_id)
    return conn.execute(stmt).rowcount == 1


def budget_warehouse(
    conn: Connection, budget_id: int, *, lock: bool = False
) -> tuple[int | None] | None:
    """(warehouse id or None) of a budget, None when there is no such budget."""
    stmt = select(purchase_budgets.c.warehouse_id).where(purchase_budgets.c.id == budget_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return None if row is None else (row[0],)
