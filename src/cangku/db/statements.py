"""Statements the ledger store runs on every posting, built once per dialect, and the
driver-level executemany for statements run with many parameter sets (ADR 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cangku.db.tables import (
    item_costs,
)


def upsert(conn: Connection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def for_update(conn: Connection, stmt: Any) -> Any:
    return stmt.with_for_update() if conn.dialect.name == "postgresql" else stmt


#: at most this many values in one IN list (SQLite allows 32,766 variables)
CHUNK = 5000


def chunks(values: list[int]) -> list[list[int]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


@dataclass(frozen=True)
class _Statements:
    """Statements built once per dialect (building them per call costs more than running them).
    The single-move path's statements are fixed text at driver level instead (ADR 0009)."""

    lock_costs: Any


_BUILT: dict[str, _Statements] = {}


def statements(conn: Connection) -> _Statements:
    dialect = conn.dialect.name
    built = _BUILT.get(dialect)
    if built is None:
        built = _BUILT[dialect] = _build_statements(dialect)
    return built


def _build_statements(dialect: str) -> _Statements:
    lock_costs = (
        select(item_costs)
        .where(item_costs.c.item_id.in_(bindparam("ids", expanding=True)))
        .order_by(item_costs.c.item_id)
    )
    if dialect == "postgresql":
        lock_costs = lock_costs.with_for_update()
    return _Statements(lock_costs=lock_costs)
