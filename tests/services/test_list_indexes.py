"""Migration 0007: the lists' sort indexes come and go with it, and the stock list sorted by
on hand or available, the moves list by quantity and the whole stock's sums read through them
(both engines: the plan names the index)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from alembic import command
from sqlalchemy import text

from cangku.db.schema import alembic_config, current_revision, head_revision
from cangku.db.uow import Database
from cangku.queries import stock as queries
from cangku.services.stock import receive_stock, reserve_stock
from cangku.services.stock_commands import Receive, Reservation
from tests.factories import CTX, build_company

NEW = {
    "balances": {"ix_balances_on_hand", "ix_balances_available", "ix_balances_reserved"},
    "moves": {"ix_moves_quantity"},
}


def indexes(db: Database) -> dict[str, set[str]]:
    """Index names per table, read from the catalogue (SQLite's reflection skips an index on
    an expression)."""
    sql = (
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'"
        if db.engine.dialect.name == "sqlite"
        else "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
    )
    found: dict[str, set[str]] = {table: set() for table in NEW}
    with db.engine.connect() as conn:
        for table, name in conn.execute(text(sql)):
            if table in found:
                found[table].add(name)
    return found


def migrate(db: Database, revision: str, step: Callable[..., None]) -> None:
    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        step(config, revision)


def test_migration_0007_adds_the_sort_indexes_and_takes_them_back(db: Database) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    assert all(NEW[t] <= found for t, found in indexes(db).items())
    migrate(db, "0006", command.downgrade)
    assert all(not NEW[t] & found for t, found in indexes(db).items())
    migrate(db, "head", command.upgrade)
    assert current_revision(db.engine) == head_revision()
    assert all(NEW[t] <= found for t, found in indexes(db).items())
    with db.read() as conn:  # the rows written before the downgrade are found through them
        page = queries.on_hand(conn, queries.StockFilter(), sort="-available")
    assert [(r.item, r.on_hand) for r in page.items] == [("BOLT", Decimal(5))]


def test_the_whole_stocks_sums_equal_the_sums_of_its_balances(db: Database) -> None:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "5", "WH1-A", unit_cost="1"))
    receive_stock(db, CTX, Receive("BOLT", "7", "WH2-A", unit_cost="1"))
    receive_stock(db, CTX, Receive("FLOUR", "3", "WH1-B", lot="F1", unit_cost="2"))
    reserve_stock(db, CTX, Reservation("BOLT", "2", "WH1-A"))
    everything = queries.StockFilter()
    with db.read() as conn:
        fast = queries.totals(conn, everything), queries.unit_totals(conn, everything)
        # every warehouse named: the same rows, summed by reading each balance
        seen = frozenset({1, 2})
        scanned = (
            queries.totals(conn, everything, warehouses=seen),
            queries.unit_totals(conn, everything, warehouses=seen),
        )
    assert fast == scanned
    assert (fast[0].on_hand, fast[0].reserved, fast[0].available) == (
        Decimal(15),
        Decimal(2),
        Decimal(13),
    )
    assert [(t.unit, t.on_hand, t.reserved) for t in fast[1]] == [
        ("kg", Decimal(3), Decimal(0)),
        ("pcs", Decimal(12), Decimal(2)),
    ]
