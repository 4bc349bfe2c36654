"""The Alembic migrations and ``db/tables.py`` describe the same schema; guards are in place."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cangku.db.schema import current_revision, head_revision
from cangku.db.tables import metadata
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import CTX, build_company


# SQLite's reflection does not read an index on an expression (``ix_balances_available``,
# migration 0007); the sorts' tests read through it
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert current_revision(db.engine) == head_revision()


@pytest.mark.parametrize("statement", ["UPDATE moves SET quantity = 1", "DELETE FROM moves"])
def test_the_ledger_refuses_update_and_delete(db: Database, statement: str) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    with pytest.raises(CangkuError) as refused, db.write() as uow:
        uow.conn.execute(text(statement))
    assert refused.value.code == "ledger_append_only"
    with db.read() as conn:
        assert conn.execute(text("SELECT quantity FROM moves")).scalar_one() == 5_000_000
