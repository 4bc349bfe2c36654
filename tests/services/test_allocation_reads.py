"""Allocation reads only the balances a request could take (issue 13): for items whose lines
are all unbound and of one strategy, the candidates stop where the eligible stock ahead covers
the item's total; the plan is exactly the plan from every balance. Checked on stock with ties
at the cutoff (one lot in two bins, two lots of one expiry and receipt day), an expired lot, a
held lot, a lot without expiry, a lot-less item, both strategies, bound lines and mixed
strategies, at every total from nothing to more than there is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, select

from cangku.db import outbound as out_store
from cangku.db.tables import items, locations, lots, warehouses
from cangku.db.uow import Database
from cangku.domain.allocation import Candidate, Need, allocate
from cangku.queries.lots import expiry_settings
from cangku.services.outbound.allocation import _prunable
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.factories import CTX
from tests.services.test_outbound import FAR, LATER, SOON, _sql, build_outbound

UNIT = 10**6
MADE = date.today() - timedelta(days=40)


@pytest.fixture
def stock(db: Database) -> Database:
    """build_outbound's GLUE (F-LATE 40, F-SOON 30, F-FAR 50) and BOLT (100 in WH1-A), plus:
    GLUE F-SOON 10 more in WH1-A and F-TWIN 20 (both tie with F-SOON on expiry and receipt
    day), F-MADE 12 (expires SOON but made earlier: ahead of that tie), F-GONE 25 (expired),
    F-HELD 15 (on hold, expiring first), F-NONE 5 (no expiry); BOLT 30 + 20 more in two bins;
    FLOUR lots whose receipt and expiry orders disagree."""
    build_outbound(db)
    for item, lot, qty, where, made, expires in [
        ("GLUE", "F-SOON", "10", "WH1-A", None, SOON),
        ("GLUE", "F-TWIN", "20", "WH1-A-01", None, SOON),
        ("GLUE", "F-MADE", "12", "WH1-A", MADE, SOON),
        ("GLUE", "F-GONE", "25", "WH1-B", None, LATER),
        ("GLUE", "F-HELD", "15", "WH1-A", None, SOON - timedelta(days=10)),
        ("GLUE", "F-NONE", "5", "WH1-B", None, None),
        ("BOLT", None, "30", "WH1-B", None, None),
        ("BOLT", None, "20", "WH1-A-01", None, None),
        ("FLOUR", "M-OLD", "8", "WH1-B", MADE - timedelta(days=30), FAR),
        ("FLOUR", "M-MID", "6", "WH1-A", MADE, SOON),
        ("FLOUR", "M-MID2", "4", "WH1-A-01", MADE, SOON),
        ("FLOUR", "M-NEW", "9", "WH1-A", None, LATER),
    ]:
        receive_stock(
            db,
            CTX,
            Receive(
                item, qty, where, lot=lot, manufactured_on=made, expires_on=expires, unit_cost="1"
            ),
        )
    _sql(
        db,
        "UPDATE lots SET expires_on = :d WHERE code = 'F-GONE'",
        d=date.today() - timedelta(days=3),
    )
    _sql(db, "UPDATE lots SET status = 'hold' WHERE code = 'F-HELD'")
    return db


def _ids(conn: Connection) -> tuple[int, dict[str, int], dict[str, int]]:
    warehouse = conn.execute(select(warehouses.c.id).where(warehouses.c.code == "WH1")).scalar()
    found = {r[0]: r[1] for r in conn.execute(select(items.c.code, items.c.id))}
    lot_ids = {r[0]: r[1] for r in conn.execute(select(lots.c.code, lots.c.id))}
    return int(warehouse or 0), found, lot_ids


def _plans_agree(
    conn: Connection, warehouse: int, needs: list[Need], allow_expired: bool
) -> tuple[list[Candidate], list[Candidate]]:
    """The plan from the pruned read equals the plan from every balance; both reads answered."""
    today = expiry_settings(conn).today(datetime.now(UTC))
    item_ids = [need.item_id for need in needs]
    full = out_store.candidates(conn, warehouse, item_ids)
    demand = out_store.Demand(_prunable(needs, ()), today, allow_expired)
    pruned = out_store.candidates(conn, warehouse, item_ids, demand)
    assert set(pruned) <= set(full)
    expected = allocate(needs, full, today, allow_expired=allow_expired)
    assert allocate(needs, pruned, today, allow_expired=allow_expired) == expected
    return full, pruned


@pytest.mark.parametrize("allow_expired", [False, True], ids=["expired_refused", "expired_ok"])
def test_the_pruned_read_allocates_as_the_full_read_at_every_total(
    stock: Database, allow_expired: bool
) -> None:
    with stock.read() as conn:
        warehouse, ids, lot_ids = _ids(conn)
        glue, bolt, flour = ids["GLUE"], ids["BOLT"], ids["FLOUR"]
        smaller = 0
        for qty in range(0, 230, 3):
            q = qty * UNIT
            cases = [
                # all prunable: FEFO lots, FIFO without lots, FIFO over lots
                [Need(1, glue, q, "fefo"), Need(2, bolt, q, "fifo"), Need(3, flour, q, "fifo")],
                # one item's total split over lines, FEFO over FLOUR
                [
                    Need(1, glue, q // 2, "fefo"),
                    Need(2, glue, q - q // 2, "fefo"),
                    Need(3, flour, q // 3, "fefo"),
                ],  # fmt: skip
                # a bound lot line and a bound bin line read their items whole
                [
                    Need(1, flour, q, "fifo"),
                    Need(2, flour, 3 * UNIT, "fifo", lot_ids["M-MID"]),
                    Need(3, glue, q, "fefo"),
                ],  # fmt: skip
                [
                    Need(1, glue, q, "fefo"),
                    Need(2, bolt, q, "fifo"),
                    Need(3, bolt, UNIT, "fifo", location_id=_bin(conn, "WH1-B")),
                ],  # fmt: skip
                # FIFO over lots of one receipt day: the undated lot last among them
                [Need(1, glue, q, "fifo"), Need(2, flour, q, "fefo")],
                # mixed strategies on one item read it whole
                [Need(1, glue, q, "fefo"), Need(2, glue, q, "fifo"), Need(3, bolt, q, "fifo")],
            ]
            for needs in cases:
                full, pruned = _plans_agree(conn, warehouse, needs, allow_expired)
                smaller += len(pruned) < len(full)
        assert smaller > 0


def _bin(conn: Connection, code: str) -> int:
    return int(conn.execute(select(locations.c.id).where(locations.c.code == code)).scalar() or 0)


def test_the_cutoff_keeps_every_tie_and_drops_what_cannot_be_taken(stock: Database) -> None:
    with stock.read() as conn:
        warehouse, ids, _ = _ids(conn)
        glue, bolt = ids["GLUE"], ids["BOLT"]
        # F-MADE (12, made earlier) is first; 13 reaches into the SOON tie: both F-SOON bins
        # and F-TWIN stay so the walk decides among them; F-HELD, F-GONE, later lots go
        needs = [Need(1, glue, 13 * UNIT, "fefo"), Need(2, bolt, UNIT, "fifo")]
        full, pruned = _plans_agree(conn, warehouse, needs, False)
        kept = sorted(
            (_lot_code(conn, c.lot_id), _location_code(conn, c.location_id)) for c in pruned
        )
        assert kept == [
            ("-", "WH1-A"),
            ("-", "WH1-A-01"),
            ("-", "WH1-B"),
            ("F-MADE", "WH1-A"),
            ("F-SOON", "WH1-A"),
            ("F-SOON", "WH1-B"),
            ("F-TWIN", "WH1-A-01"),
        ]
        assert len(full) == 12
        # exactly F-MADE's 12: the tie is not needed at all
        _, pruned = _plans_agree(conn, warehouse, [Need(1, glue, 12 * UNIT, "fefo")], False)
        assert [(_lot_code(conn, c.lot_id), c.available) for c in pruned] == [("F-MADE", 12 * UNIT)]
        # more than there is: every eligible balance, the expired one only where allowed
        for allow, count in [(False, 7), (True, 8)]:
            _, pruned = _plans_agree(conn, warehouse, [Need(1, glue, 10**4 * UNIT, "fefo")], allow)
            assert len(pruned) == count


def _lot_code(conn: Connection, lot_id: int | None) -> str:
    if lot_id is None:
        return "-"
    return str(conn.execute(select(lots.c.code).where(lots.c.id == lot_id)).scalar())


def _location_code(conn: Connection, location_id: int) -> str:
    return str(conn.execute(select(locations.c.code).where(locations.c.id == location_id)).scalar())


def test_only_unbound_single_strategy_items_are_pruned_and_nothing_when_excluding() -> None:
    needs = [
        Need(1, 10, 5, "fefo"),
        Need(2, 10, 7, "fefo"),
        Need(3, 20, 1, "fifo"),
        Need(4, 20, 1, "fifo", lot_id=99),
        Need(5, 30, 2, "fifo"),
        Need(6, 30, 2, "fefo"),
        Need(7, 40, 4, "fifo", location_id=5),
    ]
    assert _prunable(needs, ()) == {10: ("fefo", 12)}
    assert _prunable(needs, [(10, 1, None)]) == {}
