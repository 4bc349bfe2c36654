"""Database-side guards: the ledger (and closed periods) refuse UPDATE and DELETE.

Applied by the first migration; kept here so tests can drop and re-create them to simulate
an edit made behind the system's back.
"""

from __future__ import annotations

#: guarded by migration 0001
LEDGER_TABLES = ("moves", "periods")
#: guarded by migration 0002
AUDIT_TABLES = ("audit_log",)
#: guarded by migration 0003
COST_TABLES = ("cost_corrections",)
APPEND_ONLY_TABLES = LEDGER_TABLES + AUDIT_TABLES + COST_TABLES

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION cangku_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_append_only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001';
END $$
"""


def create_statements(dialect: str, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> list[str]:
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in tables:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION cangku_refuse_change()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cangku_refuse_change()"
            )
    else:
        for table in tables:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger_append_only: {op} on {table} is refused');"
                    " END"
                )
    return statements


def drop_statements(dialect: str, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> list[str]:
    statements: list[str] = []
    for table in tables:
        if dialect == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_update")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    return statements


#: single-row heads that are updated on every write but must never disappear (migration 0002)
HEAD_TABLES = ("audit_head",)


def head_statements(dialect: str, *, with_function: bool = True) -> list[str]:
    """Refuse DELETE (and TRUNCATE) on the head rows; UPDATE stays allowed.
    ``with_function=False`` when the PostgreSQL function exists already (its body holds ``%``,
    which a driver-level execute would take for a placeholder)."""
    statements: list[str] = []
    if dialect == "postgresql" and with_function:
        statements.append(_PG_FUNCTION)
    for table in HEAD_TABLES:
        if dialect == "postgresql":
            statements.append(
                f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION cangku_refuse_change()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cangku_refuse_change()"
            )
        else:
            statements.append(
                f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger_append_only: DELETE on {table} is refused');"
                " END"
            )
    return statements


def drop_head_statements(dialect: str) -> list[str]:
    statements: list[str] = []
    for table in HEAD_TABLES:
        if dialect == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_kept ON {table}")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_kept")
    return statements
