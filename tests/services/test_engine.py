"""The engine's pool: a connection that sat idle is pinged, and a dead one is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cangku.db import engine as engine_module
from cangku.db.uow import Database
from tests.databases import ENGINE


@pytest.mark.skipif(ENGINE != "postgresql", reason="a server that can drop the connection")
def test_an_idle_connection_killed_by_the_server_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0)
    try:
        with db.read() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.read() as conn:  # the same pooled connection, in steady use: no ping needed
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first_pid
        other = Database(database_url)
        with other.write() as uow:
            uow.conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
            uow.commit()
        other.dispose()
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
        with db.read() as conn:  # pinged, found dead, replaced: no error reaches the caller
            second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second_pid != first_pid
    finally:
        db.dispose()


@pytest.mark.skipif(ENGINE != "postgresql", reason="PostgreSQL pipelines")
def test_postings_without_pipelines_give_the_same_ledger(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a libpq too old to pipeline, the posting path runs the same writes one by one."""
    from decimal import Decimal

    from cangku.db import driver
    from cangku.domain.errors import InsufficientStock
    from cangku.queries.verify import verify
    from cangku.services.stock import issue_stock, receive_stock, transfer_stock
    from cangku.services.stock_commands import Issue, Receive, Transfer
    from tests.factories import CTX, build_company

    monkeypatch.setattr(driver, "_PIPELINE", False)
    db = Database(database_url)
    try:
        build_company(db)
        received = receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="2"))
        moved = transfer_stock(db, CTX, Transfer("BOLT", "4", "WH1-A", "WH1-B"))
        issued = issue_stock(db, CTX, Issue("BOLT", "3", "WH1-B"))
        with pytest.raises(InsufficientStock):
            issue_stock(db, CTX, Issue("BOLT", "2", "WH1-B"))
        assert [m.value for m in (*received.moves, *moved.moves, *issued.moves)] == [
            Decimal("20"),
            Decimal("0"),
            Decimal("6"),
        ]
        with db.read() as conn:
            assert verify(conn).problems == []
    finally:
        db.dispose()


@pytest.mark.skipif(ENGINE != "postgresql", reason="only PostgreSQL is pinged")
def test_a_pinged_connection_is_handed_out_idle_for_a_read_without_a_transaction(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a pooled connection that has sat idle (so it is pinged on every checkout)
    db = Database(database_url, pool_size=1, max_overflow=0)
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    try:
        with db.read() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # when the request path reads without a transaction (as the caller's look-up does)
        with db.read(transaction=False) as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            in_transaction = conn.connection.driver_connection.info.transaction_status
        # then the same connection, pinged, was idle and stayed out of a transaction
        assert pid == first_pid
        assert in_transaction.name == "IDLE"
    finally:
        db.dispose()
