"""Barcodes (issue 10): a barcode names its item and, when it belongs to a unit, that unit; every
item filter resolves a code or a barcode alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput, NotFound
from cangku.queries.asof import stock_as_of
from cangku.queries.stock import HistoryFilter, StockFilter, history, on_hand, totals
from cangku.queries.valuation import stock_value
from cangku.services.items import set_item_barcodes
from cangku.services.stock import (
    adjust_stock,
    issue_stock,
    receive_stock,
    resolve_quantity,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Adjust, Issue, Receive, Scrap, Transfer
from tests.factories import CTX, build_company

PIECE = "6901234567892"  # BOLT's barcode without a unit: one piece
BOX = "6901234567908"  # added here: one box of 12


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [(PIECE, None), (BOX, "box")])
    return db


def _on_hand(db: Database, item: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item=item)).on_hand


def _moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def test_a_box_barcode_receives_one_box(company: Database) -> None:
    result = receive_stock(company, CTX, Receive(BOX, "1", "WH1-A"))
    assert [(m.item, m.quantity, m.unit) for m in result.moves] == [("BOLT", Decimal(12), "pcs")]
    assert _on_hand(company, "BOLT") == Decimal(12)


def test_a_box_barcode_with_its_own_unit_and_a_cost_per_box(company: Database) -> None:
    result = receive_stock(company, CTX, Receive(BOX, "2", "WH1-A", unit="box", unit_cost="6"))
    assert result.moves[0].quantity == Decimal(24)
    assert result.moves[0].unit_cost == Decimal("0.5")


def test_a_piece_barcode_receives_one_piece(company: Database) -> None:
    result = receive_stock(company, CTX, Receive(PIECE, "1", "WH1-A"))
    assert result.moves[0].quantity == Decimal(1)
    assert _on_hand(company, "BOLT") == Decimal(1)


def test_another_unit_than_the_barcode_s_is_refused_and_nothing_is_written(
    company: Database,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        receive_stock(company, CTX, Receive(BOX, "1", "WH1-A", unit="pcs"))
    assert refused.value.code == "unit_conflicts_with_barcode"
    assert refused.value.data["barcode_unit"] == "box"
    assert _moves(company) == 0
    assert _on_hand(company, "BOLT") == Decimal(0)


def test_every_operation_takes_the_barcode_s_unit(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "100", "WH1-A"))
    assert issue_stock(company, CTX, Issue(BOX, "1", "WH1-A")).moves[0].quantity == 12
    moved = transfer_stock(company, CTX, Transfer(BOX, "1", "WH1-A", "WH1-B"))
    assert moved.moves[0].quantity == 12
    gain = adjust_stock(company, CTX, Adjust(BOX, "1", "WH1-A", "found"))
    assert gain.moves[0].quantity == 12
    loss = adjust_stock(company, CTX, Adjust(BOX, "-1", "WH1-A", "lost"))
    assert loss.moves[0].quantity == 12
    assert scrap_stock(company, CTX, Scrap(BOX, "1", "WH1-A")).moves[0].quantity == 12
    assert _on_hand(company, "BOLT") == Decimal(100 - 12 - 12)
    for refused in (
        lambda: issue_stock(company, CTX, Issue(BOX, "1", "WH1-A", unit="pcs")),
        lambda: transfer_stock(company, CTX, Transfer(BOX, "1", "WH1-A", "WH1-B", unit="pcs")),
        lambda: adjust_stock(company, CTX, Adjust(BOX, "1", "WH1-A", "found", unit="pcs")),
        lambda: scrap_stock(company, CTX, Scrap(BOX, "1", "WH1-A", unit="pcs")),
    ):
        with pytest.raises(InvalidInput) as error:
            refused()
        assert error.value.code == "unit_conflicts_with_barcode"


def test_stock_filters_by_barcode_answer_as_by_code(company: Database) -> None:
    receive_stock(company, CTX, Receive("BOLT", "30", "WH1-A", unit_cost="0.5"))
    receive_stock(company, CTX, Receive("FLOUR", "5", "WH1-A", lot="L1"))
    now = datetime.now(UTC)
    with company.read() as conn:
        for text in (PIECE, BOX):
            assert totals(conn, StockFilter(item=text)) == totals(conn, StockFilter(item="BOLT"))
            by_barcode = on_hand(conn, StockFilter(item=text)).items
            assert by_barcode == on_hand(conn, StockFilter(item="BOLT")).items
            assert [r.on_hand for r in by_barcode] == [Decimal(30)]
            later = now + timedelta(seconds=1)
            assert stock_as_of(conn, later, StockFilter(item=text), later) == stock_as_of(
                conn, later, StockFilter(item="BOLT"), later
            )
            assert [m.id for m in history(conn, HistoryFilter(item=text)).items] == [
                m.id for m in history(conn, HistoryFilter(item="BOLT")).items
            ]
            value = stock_value(conn, later, item=text)
            assert [(v.item, v.value) for v in value.items] == [("BOLT", Decimal(15))]
        with pytest.raises(NotFound):
            totals(conn, StockFilter(item="0000000000000"))


def test_the_preview_shows_item_unit_and_base_quantity(company: Database) -> None:
    box = resolve_quantity(company, BOX, "1", None)
    assert (box.item, box.unit, box.unit_from_barcode, box.base_quantity, box.base_unit) == (
        "BOLT",
        "box",
        True,
        Decimal(12),
        "pcs",
    )
    scanned = resolve_quantity(company, BOX, "", None)
    assert (scanned.item, scanned.unit, scanned.base_quantity) == ("BOLT", "box", None)
    piece = resolve_quantity(company, PIECE, "1", None)
    assert (piece.unit, piece.base_quantity) == ("pcs", Decimal(1))
    with pytest.raises(InvalidInput):
        resolve_quantity(company, BOX, "1", "pcs")
    assert _moves(company) == 0
