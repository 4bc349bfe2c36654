"""FIFO costs of batched postings: a batch reads only the oldest open layers it can consume
(``db.costs._load_layers``), and the values come out exactly as if it had read them all."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from cangku.db import lookups
from cangku.db.costs import _load_layers
from cangku.db.tables import cost_layers, moves
from cangku.db.uow import Database
from cangku.domain.enums import Operation
from cangku.domain.quantities import from_scaled, to_scaled
from cangku.domain.stock import MoveLine
from cangku.queries.valuation import stock_value
from cangku.queries.verify import verify
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.stock import receive_stock, reverse_move
from cangku.services.stock_commands import Receive, Reverse
from tests.factories import CTX, build_company


@pytest.fixture
def layered(db: Database) -> Database:
    """BOLT at WH1-A in four FIFO layers: 10 at 1, 10 at 2, 10 at 3, 10 at 4."""
    build_company(db, allow_negative_wh2=True)
    post_bulk(
        db, CTX, [BulkMove("BOLT", "10", "WH1/SUPPLIER", "WH1-A", unit_cost=c) for c in "1234"]
    )
    return db


def values_since(db: Database, first_id: int) -> list[Decimal]:
    with db.read() as conn:
        rows = conn.execute(
            select(moves.c.value).where(moves.c.id >= first_id).order_by(moves.c.id)
        ).scalars()
        return [from_scaled(v) for v in rows]


def open_layers(db: Database) -> list[tuple[Decimal, Decimal]]:
    """(remaining quantity, remaining value) of every open layer, oldest first."""
    with db.read() as conn:
        rows = conn.execute(
            select(cost_layers.c.remaining_qty, cost_layers.c.remaining_value)
            .where(cost_layers.c.remaining_qty > 0)
            .order_by(cost_layers.c.id)
        ).all()
    return [(from_scaled(q), from_scaled(v)) for q, v in rows]


def last_move_id(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(moves.c.id).order_by(moves.c.id.desc())).scalars().first())


def stock_total(db: Database) -> Decimal:
    with db.read() as conn:
        return stock_value(conn, datetime.now(UTC)).total_value


def test_issues_in_one_batch_take_the_oldest_layers_in_turn(layered: Database) -> None:
    first = last_move_id(layered) + 1
    post_bulk(
        layered,
        CTX,
        [
            BulkMove("BOLT", "4", "WH1-A", "WH1/CUSTOMER"),  # 4 x 1
            BulkMove("BOLT", "10", "WH1-A", "WH1/CUSTOMER"),  # 6 x 1 + 4 x 2
            BulkMove("BOLT", "5", "WH1/SUPPLIER", "WH1-A", unit_cost="10"),  # a fifth layer
            BulkMove("BOLT", "6", "WH1-A", "WH1/CUSTOMER"),  # 6 x 2
        ],
    )
    assert values_since(layered, first) == [Decimal(4), Decimal(14), Decimal(50), Decimal(12)]
    assert open_layers(layered) == [
        (Decimal(10), Decimal(30)),
        (Decimal(10), Decimal(40)),
        (Decimal(5), Decimal(50)),
    ]
    first = last_move_id(layered) + 1
    # the next batch empties the two old layers and reaches the one the last batch opened
    post_bulk(layered, CTX, [BulkMove("BOLT", "22", "WH1-A", "WH1/CUSTOMER")])
    assert values_since(layered, first) == [Decimal(30 + 40 + 20)]
    assert open_layers(layered) == [(Decimal(3), Decimal(30))]
    assert stock_total(layered) == Decimal(30)
    with layered.read() as conn:
        assert verify(conn).ok


def test_a_batch_that_takes_more_than_all_layers_values_the_rest_at_the_fallback(
    layered: Database,
) -> None:
    post_bulk(layered, CTX, [BulkMove("BOLT", "40", "WH1-A", "WH2-A", operation="move")])
    first = last_move_id(layered) + 1
    # WH2 may go negative: 40 from the layers (1, 2, 3, 4 x 10), then 5 more valued at the
    # average of what was left before that issue (40 / 10 = 4)
    post_bulk(
        layered,
        CTX,
        [
            BulkMove("BOLT", "30", "WH2-A", "WH2/CUSTOMER"),
            BulkMove("BOLT", "15", "WH2-A", "WH2/CUSTOMER"),
        ],
    )
    assert values_since(layered, first) == [Decimal(60), Decimal(40 + 20)]
    assert open_layers(layered) == []


def test_the_load_reads_only_the_oldest_layers_that_cover_the_issues(layered: Database) -> None:
    with layered.read() as conn:
        bolt = lookups.item_by_code(conn, "BOLT")
        shelf = lookups.location_by_code(conn, "WH1-A")
        customer = lookups.location_by_code(conn, "WH1/CUSTOMER")
        supplier = lookups.location_by_code(conn, "WH1/SUPPLIER")

        def loaded(*lines: MoveLine) -> list[int]:
            found = _load_layers(conn, [bolt.id], lines, {bolt.id: list(range(len(lines)))})
            return [int(from_scaled(layer.unit_cost)) for layer in found[bolt.id]]

        def out(qty: str) -> MoveLine:
            return MoveLine(Operation.ISSUE, bolt, shelf, customer, to_scaled(Decimal(qty)))

        receipt = MoveLine(Operation.RECEIVE, bolt, supplier, shelf, to_scaled(Decimal(25)))
        assert loaded(receipt) == []  # nothing leaves: no layer is read
        assert loaded(out("10")) == [1]  # exactly the first layer
        assert loaded(out("10"), out("0.5")) == [1, 2]
        assert loaded(out("6"), receipt, out("15")) == [1, 2, 3]
        assert loaded(out("41")) == [1, 2, 3, 4]  # more than there is: all of them
        reversal = out("1")
        reversal.prefer_layer_of_move = 1
        assert loaded(reversal) == [1, 2, 3, 4]  # a preferred layer may be any of them


def test_reversing_a_newer_receipt_takes_its_own_layer(layered: Database) -> None:
    newest = receive_stock(layered, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="7"))
    reversal = reverse_move(layered, CTX, Reverse(newest.moves[0].id))
    assert reversal.moves[0].value == Decimal(70)  # not the oldest layer's 10
    assert [q for q, _ in open_layers(layered)] == [Decimal(10)] * 4
    assert stock_total(layered) == Decimal(100)
