"""The stock alerts read the levels in force per item and warehouse (ADR 0032): computed levels
open them in the warehouse they were computed for, an override wins, and overstock also opens
beyond N days of the computed demand per day."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from cangku.db.tables import alerts
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.services.alerts import check_alerts
from cangku.services.replenishment.levels import recompute_levels
from cangku.services.replenishment.overrides import OverrideInput, set_override
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from tests.factories import CTX, build_company
from tests.replenishment_factory import WEEKS, build_levelled_bolt

STOCK_KINDS = ["low_stock", "below_safety_stock", "stock_out", "overstock"]


@pytest.fixture
def ledger(db: Database) -> Database:
    """BOLT computed in WH1 (SS 15, ROP 29, max 43, d = 2 a day) with 400 - 266 = 134 on hand;
    3 in WH2, where nothing is computed and BOLT has no levels of its own."""
    build_company(db)
    build_levelled_bolt(db)
    receive_stock(db, CTX, Receive("BOLT", "3", "WH2-A", unit_cost="1"))
    recompute_levels(db, CTX, weeks=WEEKS)
    return db


def _open(db: Database) -> dict[tuple[str, str], dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(alerts).where(alerts.c.closed_at.is_(None)))
        return {(r.kind, r.title): json.loads(r.last_figures) for r in rows}


def test_computed_levels_open_alerts_in_their_warehouse_only(ledger: Database) -> None:
    # 134 on hand: above max 43 (overstock); 134 / 2 = 67 days of supply, under 180
    check_alerts(ledger, CTX, STOCK_KINDS)
    assert _open(ledger) == {
        ("overstock", "Overstock: BOLT in WH1"): {
            "on_hand": "134", "reserved": "0", "available": "134", "max_stock": "43",
            "excess": "91", "days_of_supply": "67.00", "supply_days": 180,
        }
    }  # fmt: skip
    # down to 20: low (20 <= 29) and below safety stock? no (20 >= 15); WH2 still nothing
    issue_stock(ledger, CTX, Issue("BOLT", "114", "WH1-RCV"))
    done = check_alerts(ledger, CTX, STOCK_KINDS)
    assert (len(done.opened), len(done.closed)) == (1, 1)
    assert _open(ledger) == {
        ("low_stock", "Low stock: BOLT in WH1"): {
            "on_hand": "20", "reserved": "0", "available": "20", "reorder_point": "29",
        }
    }  # fmt: skip


def test_an_override_is_the_level_in_force(ledger: Database) -> None:
    issue_stock(ledger, CTX, Issue("BOLT", "114", "WH1-RCV"))  # 20 left
    set_override(ledger, CTX, "BOLT", "WH1", OverrideInput("cover a strike", safety_stock="25"))
    check_alerts(ledger, CTX, STOCK_KINDS)
    assert set(_open(ledger)) == {
        ("low_stock", "Low stock: BOLT in WH1"),
        ("below_safety_stock", "Below safety stock: BOLT in WH1"),
    }
    figures = _open(ledger)[("below_safety_stock", "Below safety stock: BOLT in WH1")]
    assert figures["safety_stock"] == "25"


def test_overstock_by_days_of_supply(ledger: Database) -> None:
    # max above the stock: only the days of supply can open it; 134 / 2 = 67 days
    set_override(ledger, CTX, "BOLT", "WH1", OverrideInput("room", order_up_to="500"))
    assert check_alerts(ledger, CTX, ["overstock"], supply_days=67).opened == []
    check_alerts(ledger, CTX, ["overstock"], supply_days=66)
    assert _open(ledger) == {
        ("overstock", "Overstock: BOLT in WH1"): {
            "on_hand": "134", "reserved": "0", "available": "134", "max_stock": "500",
            "excess": None, "days_of_supply": "67.00", "supply_days": 66,
        }
    }  # fmt: skip


@pytest.mark.parametrize("days", [0, 3651])
def test_supply_days_out_of_range_are_refused(ledger: Database, days: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_alerts(ledger, CTX, ["overstock"], supply_days=days)
    assert refused.value.code == "invalid_alert_days"
    assert _open(ledger) == {}


def test_decimal_places_of_days_of_supply() -> None:
    from cangku.queries.alert_conditions import _days_of_supply

    row = type("Row", (), {"on_hand": 10 * 10**6, "demand": 3 * 10**6})()
    assert _days_of_supply(row) == str(Decimal("3.33"))
