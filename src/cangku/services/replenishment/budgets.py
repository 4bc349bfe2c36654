"""Purchasing budgets (issue 16 point 4, ADR 0033): how much may be spent on purchase orders
raised in a period, in total, for one warehouse or for one category (and those under it).
What is committed against them is read by ``queries.budgets``; the suggestions are cut to
what is left (``queries.suggestions``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import budgets as store
from cangku.db.categories import category_by_code
from cangku.db.sites import warehouse_by_code
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import non_negative
from cangku.domain.errors import InvalidInput, NotFound, PermissionDenied
from cangku.domain.operations import check_note
from cangku.domain.permissions import WAREHOUSE_MANAGER, Actor, action
from cangku.domain.quantities import SCALE_DIGITS
from cangku.services.common import Context, run_write

__all__ = ["BUDGET_MANAGE", "BudgetInput", "delete_budget", "save_budget"]

#: set purchasing budgets (those of a warehouse there; those for every warehouse everywhere)
BUDGET_MANAGE = action(
    "budget.manage",
    roles={WAREHOUSE_MANAGER},
    scoped=True,
    description="Set purchasing budgets per period, warehouse or category",
)


@dataclass(frozen=True)
class BudgetInput:
    period_start: date
    period_end: date
    amount: Decimal | str
    #: None: every warehouse
    warehouse: str | None = None
    #: None: every category
    category: str | None = None
    note: str | None = None


def _require_where(actor: Actor, warehouse_id: int | None) -> None:
    """A budget of one warehouse needs ``budget.manage`` there; one of every warehouse needs it
    everywhere."""
    if warehouse_id is not None:
        actor.require(BUDGET_MANAGE, warehouse_id)
    elif actor.warehouses(BUDGET_MANAGE) is not None:
        raise PermissionDenied.to_do(BUDGET_MANAGE.code)


def _values(conn: Connection, data: BudgetInput, actor: Actor, now: datetime) -> dict[str, Any]:
    if data.period_start > data.period_end:
        raise InvalidInput(
            "a budget's period ends on or after its start",
            code="invalid_budget_period",
            period_start=str(data.period_start),
            period_end=str(data.period_end),
        )
    amount = non_negative(data.amount, "amount", SCALE_DIGITS, "money")
    warehouse_id = warehouse_by_code(conn, data.warehouse).id if data.warehouse else None
    category_id = category_by_code(conn, data.category).id if data.category else None
    _require_where(actor, warehouse_id)
    return {
        "period_start": data.period_start,
        "period_end": data.period_end,
        "warehouse_id": warehouse_id,
        "category_id": category_id,
        "amount": amount,
        "note": check_note(data.note),
        "updated_by": actor.user_id,
        "updated_at": now,
    }


def _existing(conn: Connection, actor: Actor, budget_id: int) -> None:
    found = store.budget_warehouse(conn, budget_id, lock=True)
    if found is None:
        raise NotFound("budget", budget_id)
    _require_where(actor, found[0])


def save_budget(db: Database, ctx: Context, data: BudgetInput, budget_id: int | None = None) -> int:
    """Create a budget (``budget_id`` None) or replace one's period, scope, amount and note.
    Raises InvalidInput (``invalid_budget_period``, ``invalid_number``, ``negative_value``,
    ``too_many_decimals``, ``note_too_long``), NotFound (``budget``, ``warehouse``,
    ``category``), PermissionDenied (``budget.manage`` in the budget's warehouse, or everywhere
    for one of every warehouse, before and after). Writes the row and the audit entry; answers
    its id."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> int:
        conn = uow.conn
        if budget_id is None:
            return store.insert_budget(conn, _values(conn, data, actor, now))
        _existing(conn, actor, budget_id)
        store.update_budget(conn, budget_id, _values(conn, data, actor, now))
        return budget_id

    payload = {**vars(data), "id": budget_id}
    result, _ = run_write(
        db, ctx, BUDGET_MANAGE, payload, work, target_type="budget",
        target=None if budget_id is None else str(budget_id),
    )  # fmt: skip
    return int(result)


def delete_budget(db: Database, ctx: Context, budget_id: int) -> None:
    """Delete a budget. Raises NotFound ``budget_not_found``, PermissionDenied (as
    ``save_budget``). Writes: deletes the row, the audit entry."""

    def work(uow: UnitOfWork, actor: Actor, now: datetime) -> int:
        _existing(uow.conn, actor, budget_id)
        store.delete_budget(uow.conn, budget_id)
        return budget_id

    run_write(
        db, ctx, BUDGET_MANAGE, {"id": budget_id}, work, target_type="budget",
        target=str(budget_id),
    )  # fmt: skip
