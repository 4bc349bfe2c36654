"""``verify`` finds every edit made behind the system's back, exactly where it was made; the
database itself refuses such edits while its guards are in place."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Executable, delete, func, select, text, update

from cangku.db import guards
from cangku.db.tables import balances, cost_layers, items, locations, moves
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.domain.hashing import move_hash
from cangku.queries.verify import VerifyReport, verify
from cangku.services.stock import issue_stock, receive_stock, reserve_stock, transfer_stock
from cangku.services.stock_commands import Issue, Receive, Reservation, Transfer
from tests.factories import CTX, build_company


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    return db


def report_of(db: Database) -> VerifyReport:
    with db.read() as conn:
        return verify(conn)


def tamper(db: Database, *statements: Executable, drop_guards: bool = False) -> None:
    """Change the database directly, as someone with a SQL console would."""
    with db.write() as uow:
        if drop_guards:
            for statement in guards.drop_statements(db.dialect):
                uow.conn.exec_driver_sql(statement)
        for stmt in statements:
            uow.conn.execute(stmt)
        uow.commit()


def only(report: VerifyReport, check: str) -> list[dict[str, Any]]:
    return [p for p in report.problems if p["check"] == check]


def id_of(db: Database, table: Any, code: str) -> int:
    with db.read() as conn:
        return int(conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one())


def test_verify_passes_on_a_company_with_moves(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    receive_stock(company, CTX, Receive("FLOUR", "8", "WH1-B", lot="F1", unit_cost="2"))
    issue_stock(company, CTX, Issue("BOLT", "3", "WH1-A"))
    transfer_stock(company, CTX, Transfer("FLOUR", "2", "WH1-B", "WH2-A", lot="F1"))
    reserve_stock(company, CTX, Reservation("BOLT", "1", "WH1-A"))
    report = report_of(company)
    assert report.problems == []
    assert report.ok is True
    assert (report.moves_checked, report.items_checked) == (4, 4)
    assert (
        report.balances_checked == 6
    )  # BOLT: supplier, WH1-A, customer; FLOUR: supplier, WH1-B, WH2-A


def test_edited_move_quantity_is_a_hash_and_balance_mismatch(company: Database) -> None:
    first = receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1")).moves[0]
    receive_stock(company, CTX, Receive("BOLT", "5", "WH1-B", unit_cost="1"))
    tamper(
        company,
        update(moves).where(moves.c.id == first.id).values(quantity=12_000_000),
        drop_guards=True,
    )
    with company.read() as conn:
        row = conn.execute(select(moves).where(moves.c.id == first.id)).one()
    report = report_of(company)
    assert only(report, "move_hash_mismatch") == [
        {
            "check": "move_hash_mismatch",
            "move": first.id,
            "warehouse": "WH1",
            "seq": 1,
            "stored": first.hash,
            "recomputed": move_hash(dict(row._mapping), row.prev_hash),
        }
    ]
    by_location = sorted(only(report, "balance_mismatch"), key=lambda p: str(p["location"]))
    assert by_location == [
        {
            "check": "balance_mismatch",
            "balance": "10",
            "ledger": "12",
            "item": "BOLT",
            "location": "WH1-A",
            "lot_id": None,
        },
        {
            "check": "balance_mismatch",
            "balance": "-15",
            "ledger": "-17",
            "item": "BOLT",
            "location": "WH1/SUPPLIER",
            "lot_id": None,
        },
    ]
    assert only(report, "item_cost_mismatch") == [
        {
            "check": "item_cost_mismatch",
            "item": "BOLT",
            "stored_quantity": "15",
            "ledger_quantity": "17",
            "stored_value": "15",
            "ledger_value": "15",
        }
    ]
    assert report.ok is False


def test_tampered_balance_row_is_reported_with_the_exact_figures(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    location = id_of(company, locations, "WH1-A")
    tamper(
        company,
        update(balances).where(balances.c.location_id == location).values(on_hand=7_500_000),
    )  # no guard on balances: verify is the guard
    assert report_of(company).problems == [
        {
            "check": "balance_mismatch",
            "balance": "7.5",
            "ledger": "10",
            "item": "BOLT",
            "location": "WH1-A",
            "lot_id": None,
        },
    ]


def test_deleted_last_move_is_a_chain_head_mismatch(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    issue_stock(company, CTX, Issue("BOLT", "2", "WH1-A"))
    last = issue_stock(company, CTX, Issue("BOLT", "3", "WH1-A")).moves[0]
    tamper(company, delete(moves).where(moves.c.id == last.id), drop_guards=True)
    report = report_of(company)
    assert only(report, "chain_head_mismatch") == [
        {"check": "chain_head_mismatch", "warehouse": "WH1", "head_seq": 3, "ledger_seq": 2},
    ]
    assert {
        "check": "balance_mismatch",
        "balance": "5",
        "ledger": "8",
        "item": "BOLT",
        "location": "WH1-A",
        "lot_id": None,
    } in report.problems


def test_deleted_middle_move_is_a_chain_gap(company: Database) -> None:
    first = receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1")).moves[0]
    middle = issue_stock(company, CTX, Issue("BOLT", "2", "WH1-A")).moves[0]
    last = issue_stock(company, CTX, Issue("BOLT", "3", "WH1-A")).moves[0]
    tamper(company, delete(moves).where(moves.c.id == middle.id), drop_guards=True)
    report = report_of(company)
    assert only(report, "chain_gap") == [
        {"check": "chain_gap", "expected_seq": 2, "move": last.id, "warehouse": "WH1", "seq": 3},
    ]
    assert only(report, "chain_link_broken") == [
        {
            "check": "chain_link_broken",
            "expected_prev": first.hash,
            "found_prev": middle.hash,
            "move": last.id,
            "warehouse": "WH1",
            "seq": 3,
        },
    ]
    assert only(report, "chain_head_mismatch") == []


def test_edited_cost_layer_is_a_fifo_layers_mismatch(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    bolt = id_of(company, items, "BOLT")
    tamper(
        company,
        update(cost_layers)
        .where(cost_layers.c.item_id == bolt)
        .values(remaining_value=cost_layers.c.remaining_value + 1_000_000),
    )
    assert report_of(company).problems == [
        {
            "check": "fifo_layers_mismatch",
            "item": "BOLT",
            "layer_quantity": "10",
            "layer_value": "11",
            "stock_quantity": "10",
            "stock_value": "10",
        },
    ]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE moves SET quantity = quantity + 1000000", id="update-move"),
        pytest.param("UPDATE moves SET note = 'fixed it'", id="update-note"),
        pytest.param("DELETE FROM moves", id="delete-move"),
    ],
)
def test_the_database_refuses_to_change_the_ledger(company: Database, statement: str) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    with pytest.raises(CangkuError) as refused, company.write() as uow:
        uow.conn.execute(text(statement))
        uow.commit()
    assert refused.value.code == "ledger_append_only"
    with company.read() as conn:
        assert conn.execute(select(func.count()).select_from(moves)).scalar_one() == 1
        assert conn.execute(select(moves.c.note, moves.c.quantity)).one() == (None, 10_000_000)
    assert report_of(company).problems == []


def test_negative_balance_at_storage_is_reported_besides_the_mismatch(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1"))
    location = id_of(company, locations, "WH1-A")
    tamper(
        company,
        update(balances).where(balances.c.location_id == location).values(on_hand=-2_000_000),
    )
    assert report_of(company).problems == [
        {
            "check": "balance_mismatch",
            "balance": "-2",
            "ledger": "10",
            "item": "BOLT",
            "location": "WH1-A",
            "lot_id": None,
        },
        {
            "check": "negative_stock",
            "on_hand": "-2",
            "item": "BOLT",
            "location": "WH1-A",
            "lot_id": None,
        },
    ]


def test_deleted_balance_row_is_a_missing_balance(company: Database) -> None:
    receive_stock(company, CTX, Receive("FLOUR", "8", "WH1-B", lot="F1", unit_cost="2"))
    location = id_of(company, locations, "WH1-B")
    with company.read() as conn:
        lot = conn.execute(
            select(balances.c.lot_key).where(balances.c.location_id == location)
        ).scalar_one()
    tamper(company, delete(balances).where(balances.c.location_id == location))
    report = report_of(company)
    assert report.problems == [
        {
            "check": "balance_missing",
            "item": "FLOUR",
            "location": "WH1-B",
            "lot_id": lot,
            "ledger": "8",
        },
    ]
    assert report.balances_checked == 1  # the supplier's side is still there
