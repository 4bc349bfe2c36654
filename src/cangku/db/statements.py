"""Statements the ledger store runs on every posting, built once per dialect, and the
driver-level executemany for statements run with many parameter sets (ADR 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cangku.db import driver
from cangku.db.tables import (
    balances,
    cost_layers,
    item_costs,
    ledger_heads,
)


def upsert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def for_update(conn: Connection, stmt: Any) -> Any:
    return stmt.with_for_update() if conn.dialect.name == "postgresql" else stmt


# Statements run with many parameter sets go straight to the driver's executemany: SQLAlchemy's
# per-row parameter processing cost more than the statements themselves (ADR 0003). The text is
# fixed (no user input); placeholders are %s (psycopg) and become ? for sqlite3.


def execute_many(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    driver.many(conn, sql, params)


#: at most this many values in one IN list (SQLite allows 32,766 variables)
CHUNK = 5000


def chunks(values: list[int]) -> list[list[int]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


@dataclass(frozen=True)
class _Statements:
    """Statements built once per dialect (building them per call costs more than running them)."""

    add_balance: Any
    take_balance: Any
    lock_costs: Any
    open_layers: Any
    lock_heads: Any


_BUILT: dict[str, _Statements] = {}


def statements(conn: Connection) -> _Statements:
    dialect = conn.dialect.name
    built = _BUILT.get(dialect)
    if built is None:
        built = _BUILT[dialect] = _build_statements(dialect)
    return built


def _build_statements(dialect: str) -> _Statements:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    locking = dialect == "postgresql"
    add = insert_(balances)
    add = add.on_conflict_do_update(
        index_elements=["item_id", "location_id", "lot_key"],
        set_={"on_hand": balances.c.on_hand + add.excluded.on_hand},
    )
    take = (
        update(balances)
        .where(
            balances.c.item_id == bindparam("b_item"),
            balances.c.location_id == bindparam("b_location"),
            balances.c.lot_key == bindparam("b_lot"),
            balances.c.on_hand - balances.c.reserved + bindparam("b_delta") >= 0,
        )
        .values(on_hand=balances.c.on_hand + bindparam("b_delta"))
    )
    lock_costs = (
        select(item_costs)
        .where(item_costs.c.item_id.in_(bindparam("ids", expanding=True)))
        .order_by(item_costs.c.item_id)
    )
    open_layers = (
        select(
            cost_layers.c.id,
            cost_layers.c.item_id,
            cost_layers.c.remaining_qty,
            cost_layers.c.remaining_value,
            cost_layers.c.unit_cost,
            cost_layers.c.move_id,
        )
        .where(
            cost_layers.c.item_id.in_(bindparam("ids", expanding=True)),
            cost_layers.c.remaining_qty > 0,
        )
        .order_by(cost_layers.c.item_id, cost_layers.c.id)
    )
    heads = (
        select(ledger_heads.c.warehouse_id, ledger_heads.c.last_seq, ledger_heads.c.last_hash)
        .where(ledger_heads.c.warehouse_id.in_(bindparam("ids", expanding=True)))
        .order_by(ledger_heads.c.warehouse_id)
    )
    if locking:
        lock_costs = lock_costs.with_for_update()
        open_layers = open_layers.with_for_update()
        heads = heads.with_for_update()
    return _Statements(
        add_balance=add,
        take_balance=take,
        lock_costs=lock_costs,
        open_layers=open_layers,
        lock_heads=heads,
    )
