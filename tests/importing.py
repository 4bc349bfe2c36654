"""What the import tests share: a CSV file from lines, and row counts to prove nothing was
written."""

from __future__ import annotations

from sqlalchemy import Table, func, select

from cangku.db.uow import Database


def csv_file(head: str, *lines: str) -> bytes:
    """A CSV file: the header line, then ``lines``."""
    return ("\n".join([head, *lines]) + "\n").encode()


def count(db: Database, table: Table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
