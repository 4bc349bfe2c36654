"""What the import tests share: a CSV file from lines, and row counts to prove nothing was
written."""

from __future__ import annotations

from sqlalchemy import Row, Table, func, select

from cangku.db.tables import audit_log
from cangku.db.uow import Database
from cangku.queries.verify import verify


def csv_file(head: str, *lines: str) -> bytes:
    """A CSV file: the header line, then ``lines``."""
    return ("\n".join([head, *lines]) + "\n").encode()


def count(db: Database, table: Table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def last_audit_entries(db: Database, number: int) -> list[Row[tuple[str, str, str]]]:
    """The last ``number`` audit entries (action, target, details), newest first."""
    with db.read() as conn:
        return list(
            conn.execute(
                select(audit_log.c.action, audit_log.c.target, audit_log.c.details)
                .order_by(audit_log.c.seq.desc())
                .limit(number)
            ).all()
        )


def assert_ledger_verifies(db: Database) -> None:
    """``verify`` finds nothing: the ledger, balances, costs and audit chain agree."""
    with db.read() as conn:
        report = verify(conn)
    assert report.problems == []
