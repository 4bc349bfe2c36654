"""Who sees what goods cost: a move's unit cost and value are shown only to a user holding
``valuation.view`` in the move's warehouse (issue 10, defect 10).

Every face that shows moves (pages, API, CLI) passes its records through ``shown_costs``
with the caller's ``CostScope``: a record outside the scope has ``unit_cost`` and ``value``
set to None, which the pages leave blank (or drop the column), the API omits (the keys are
absent) and the CLI leaves out of its tables and ``--json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import Connection, select

from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.domain.permissions import Warehouses
from cangku.queries.stock import MoveRecord

__all__ = [
    "COST_FIELDS",
    "CostScope",
    "cost_scope",
    "cost_scope_of",
    "move_fields",
    "shown_cost",
    "shown_costs",
]

#: the fields of a move that say what the goods cost
COST_FIELDS = ("unit_cost", "value")

#: the warehouse codes whose move costs the caller sees; None = every warehouse
CostScope = frozenset[str] | None


def cost_scope(conn: Connection, granted: Warehouses) -> CostScope:
    """The codes of the warehouses ``granted`` (``actor.warehouses(VALUATION_VIEW)``):
    None (everywhere) and empty (nowhere) need no read."""
    if granted is None:
        return None
    if not granted:
        return frozenset()
    stmt = select(warehouse_table.c.code).where(warehouse_table.c.id.in_(sorted(granted)))
    return frozenset(conn.execute(stmt).scalars())


def cost_scope_of(db: Database, granted: Warehouses) -> CostScope:
    """``cost_scope`` with a read of its own, opened only when the codes must be looked up."""
    if not granted:
        return None if granted is None else frozenset()
    with db.read() as conn:
        return cost_scope(conn, granted)


def shown_cost(record: MoveRecord, scope: CostScope) -> MoveRecord:
    """The record, without its unit cost and value unless ``scope`` covers its warehouse."""
    if scope is None or record.warehouse in scope:
        return record
    return replace(record, unit_cost=None, value=None)


def shown_costs(records: Iterable[MoveRecord], scope: CostScope) -> list[MoveRecord]:
    return [shown_cost(record, scope) for record in records]


def move_fields(record: MoveRecord) -> dict[str, Any]:
    """A record as plain fields, without the cost fields it does not show (absent, not null)."""
    fields = asdict(record)
    for name in COST_FIELDS:
        if fields[name] is None:
            del fields[name]
    return fields
