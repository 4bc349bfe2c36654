"""PostgreSQL: a batch of rows written by one statement over arrays instead of an executemany.

psycopg runs an executemany of 5,000 rows as 5,000 statements (in one pipeline): about 0.1 ms
of server and client work each. The same rows sent as one array per column and unpacked by
``unnest`` are one statement: for a document's 5,000 lines 0.06 s against 0.14 s (bench/README.md,
issue 12). The posting path's batch statements are registered here (``register``); the driver
runs the array form of a registered statement on PostgreSQL for batches of ``MIN_ROWS`` or more,
the statement itself otherwise (SQLite, small batches: nothing changes for a single posting).

A registered statement is one of two plain shapes, its placeholders each next to a column:
``INSERT INTO t (a, b, c) VALUES (%s, %s, 0) [ON CONFLICT ...]`` and
``UPDATE t SET a = %s, b = %s WHERE id = %s``. Each column's array takes the column's own type
(from ``db.tables``), so a column that is NULL in every row still has a type. The rows keep
their order (``unnest`` yields the arrays in order): an upsert still takes its row locks in
the order it was given (ADR 0003). A registered statement that is not of these shapes is a
bug, found at import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql

from cangku.db.tables import metadata

__all__ = ["MIN_ROWS", "columns", "form", "register"]

#: batches smaller than this keep the executemany (its statements are prepared and cheap)
MIN_ROWS = 32

_FORMS: dict[str, str] = {}
_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\)\s*VALUES \(([^)]*)\)(.*)$", re.S)
_UPDATE = re.compile(r"^UPDATE (\w+) SET (.*) WHERE (.*)$", re.S)
_ASSIGNED = re.compile(r"(\w+) = %s")


@cache
def _pg_type(table: str, column: str) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(metadata.tables[table].c[column].type.compile(dialect=dialect))


def _unnest(table: str, names: Sequence[str]) -> str:
    arrays = ", ".join(f"%s::{_pg_type(table, name)}[]" for name in names)
    aliases = ", ".join(f"c{n}" for n in range(1, len(names) + 1))
    return f"unnest({arrays}) AS u({aliases})"


def _build(sql: str) -> str:
    insert = _INSERT.match(sql)
    if insert is not None:
        table, cols, values, rest = insert.groups()
        names = [c.strip() for c in cols.split(",")]
        given = [v.strip() for v in values.split(",")]
        if len(names) != len(given):
            raise ValueError(f"cannot batch {sql!r}: columns and values differ")
        bound = [name for name, value in zip(names, given, strict=True) if value == "%s"]
        exprs, n = [], 0
        for value in given:
            if value == "%s":
                n += 1
                exprs.append(f"u.c{n}")
            else:
                exprs.append(value)
        return (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)}"  # noqa: S608
            f" FROM {_unnest(table, bound)}{rest}"
        )
    update = _UPDATE.match(sql)
    if update is not None:
        table, assignments, where = update.groups()
        bound = _ASSIGNED.findall(assignments) + _ASSIGNED.findall(where)
        if len(bound) != sql.count("%s"):
            raise ValueError(f"cannot batch {sql!r}: a placeholder is not next to a column")
        counter = iter(range(1, len(bound) + 1))

        def numbered(match: re.Match[str]) -> str:
            return f"{match.group(1)} = u.c{next(counter)}"

        assigned = _ASSIGNED.sub(numbered, assignments)
        condition = _ASSIGNED.sub(numbered, where)
        return f"UPDATE {table} SET {assigned} FROM {_unnest(table, bound)} WHERE {condition}"  # noqa: S608
    shapes = "a plain INSERT with VALUES or UPDATE with SET"
    raise ValueError(f"cannot batch {sql!r}: not {shapes}")


def register(sql: str) -> str:
    """Give ``sql`` an array form (built now: a statement of another shape raises here, at
    import); answers ``sql``."""
    _FORMS[sql] = _build(sql)
    return sql


def form(sql: str, rows: int) -> str | None:
    """The array form of a registered statement for a batch of ``rows`` rows, or None."""
    return _FORMS.get(sql) if rows >= MIN_ROWS else None


def columns(params: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as one list per column (the arrays)."""
    return [list(column) for column in zip(*params, strict=True)]
