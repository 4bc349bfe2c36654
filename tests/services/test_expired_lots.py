"""Expired lots (issue 10, defect 4; ADR 0014): an expired lot is not issued or reserved unless
its warehouse allows it; scrap, adjustment and transfer of it are always allowed; expiry is
judged by the company's local day. Every path agrees: single operations, reservations and the
bulk import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from cangku.db.tables import company
from cangku.db.uow import Database
from cangku.domain.errors import CangkuError
from cangku.domain.lots import ExpiryStatus, expiry_status
from cangku.queries.lots import expiry_settings
from cangku.queries.stock import StockFilter, totals
from cangku.services.bulk import BulkMove, post_bulk
from cangku.services.stock import (
    adjust_stock,
    issue_stock,
    receive_stock,
    release_stock,
    reserve_stock,
    scrap_stock,
    transfer_stock,
)
from cangku.services.stock_commands import Adjust, Issue, Receive, Reservation, Scrap, Transfer
from cangku.services.warehouses import WarehouseChanges, update_warehouse
from tests.factories import CTX, build_company
from tests.importing import assert_ledger_verifies
from tests.services.test_bulk_rules import written

TODAY = datetime.now(UTC).date()


@pytest.fixture
def stocked(db: Database) -> Iterator[Database]:
    """GLUE lot OLD (expired 2020-01-01) and lot FRESH (no expiry), 5 each in WH1-A."""
    build_company(db)
    for lot, expiry in (("OLD", date(2020, 1, 1)), ("FRESH", None)):
        receive_stock(
            db, CTX, Receive("GLUE", "5", "WH1-A", lot=lot, unit_cost="2", expires_on=expiry)
        )
    yield db


def on_hand(db: Database, location: str, lot: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item="GLUE", location=location, lot=lot)).on_hand


def allow_expired(db: Database, allowed: bool = True) -> None:
    update_warehouse(db, CTX, "WH1", WarehouseChanges(allow_expired_issue=allowed))


def set_company(db: Database, **values: object) -> None:
    with db.write() as uow:
        uow.conn.execute(update(company).where(company.c.id == 1).values(**values))
        uow.commit()


@pytest.mark.parametrize(
    ("expires_on", "status"),
    [
        pytest.param(None, ExpiryStatus.NO_EXPIRY, id="no-expiry"),
        pytest.param(date(2026, 3, 9), ExpiryStatus.EXPIRED, id="yesterday"),
        pytest.param(date(2026, 3, 10), ExpiryStatus.EXPIRING_SOON, id="today"),
        pytest.param(date(2026, 4, 9), ExpiryStatus.EXPIRING_SOON, id="in-30-days"),
        pytest.param(date(2026, 4, 10), ExpiryStatus.OK, id="in-31-days"),
    ],
)
def test_a_lots_expiry_status_on_a_day(expires_on: date | None, status: ExpiryStatus) -> None:
    assert expiry_status(expires_on, date(2026, 3, 10), 30) is status


def test_the_expiry_settings_are_the_companys(db: Database) -> None:
    set_company(db, time_zone="Asia/Shanghai", expiring_soon_days=7)
    with db.read() as conn:
        settings = expiry_settings(conn)
    assert settings.soon_days == 7
    assert settings.today(datetime(2026, 3, 10, 16, 30, tzinfo=UTC)) == date(2026, 3, 11)
    assert settings.status(date(2026, 3, 10), datetime(2026, 3, 10, 16, 30, tzinfo=UTC)) is (
        ExpiryStatus.EXPIRED
    )


def test_an_expired_lot_is_not_issued_and_nothing_is_written(stocked: Database) -> None:
    before = written(stocked)
    with pytest.raises(CangkuError) as refused:
        issue_stock(stocked, CTX, Issue("GLUE", "1", "WH1-A", lot="OLD"))
    assert refused.value.code == "lot_expired"
    assert refused.value.data == {
        "lot": "OLD",
        "item": "GLUE",
        "expires_on": "2020-01-01",
        "warehouse": "WH1",
    }
    assert written(stocked) == before


def test_a_warehouse_that_allows_it_issues_an_expired_lot(stocked: Database) -> None:
    allow_expired(stocked)
    issued = issue_stock(stocked, CTX, Issue("GLUE", "2", "WH1-A", lot="OLD"))
    assert [(m.lot, m.quantity, m.to_location) for m in issued.moves] == [
        ("OLD", Decimal("2"), "WH1/CUSTOMER")
    ]
    assert on_hand(stocked, "WH1-A", "OLD") == Decimal("3")
    assert_ledger_verifies(stocked)


def test_an_expired_lot_is_not_reserved_unless_the_warehouse_allows_it(stocked: Database) -> None:
    before = written(stocked)
    with pytest.raises(CangkuError) as refused:
        reserve_stock(stocked, CTX, Reservation("GLUE", "1", "WH1-A", lot="OLD"))
    assert (refused.value.code, refused.value.data["lot"]) == ("lot_expired", "OLD")
    assert written(stocked) == before
    allow_expired(stocked)
    reserved = reserve_stock(stocked, CTX, Reservation("GLUE", "1", "WH1-A", lot="OLD"))
    assert reserved.quantity == Decimal("1")
    allow_expired(stocked, False)
    released = release_stock(stocked, CTX, Reservation("GLUE", "1", "WH1-A", lot="OLD"))
    assert released.quantity == Decimal("1")  # a release is always allowed


def test_an_expired_lot_may_be_scrapped_adjusted_and_moved_to_quarantine(
    stocked: Database,
) -> None:
    transfer_stock(stocked, CTX, Transfer("GLUE", "2", "WH1-A", "WH1-QC", lot="OLD"))
    scrap_stock(stocked, CTX, Scrap("GLUE", "2", "WH1-QC", "expired", lot="OLD"))
    adjust_stock(stocked, CTX, Adjust("GLUE", "-1", "WH1-A", "lost", lot="OLD"))
    assert on_hand(stocked, "WH1-A", "OLD") == Decimal("2")
    assert on_hand(stocked, "WH1-QC", "OLD") == Decimal("0")
    assert_ledger_verifies(stocked)


def test_the_bulk_import_follows_the_same_rule(stocked: Database) -> None:
    line = BulkMove("GLUE", "1", "WH1-A", "WH1/CUSTOMER", "issue", lot="OLD")
    before = written(stocked)
    with pytest.raises(CangkuError) as refused:
        post_bulk(stocked, CTX, [line])
    assert (refused.value.code, refused.value.data["move_number"]) == ("lot_expired", 1)
    assert written(stocked) == before
    allow_expired(stocked)
    assert post_bulk(stocked, CTX, [line]).posted == 1
    assert on_hand(stocked, "WH1-A", "OLD") == Decimal("4")


def test_expiry_is_judged_by_the_companys_local_day(stocked: Database) -> None:
    """At 20:00 UTC it is already the next day in Shanghai: a lot that expired on the UTC
    day is expired there."""
    moment = datetime.combine(TODAY - timedelta(days=10), datetime.min.time(), UTC)
    evening = moment + timedelta(hours=20)
    receive_stock(
        stocked,
        CTX,
        Receive(
            "GLUE",
            "5",
            "WH1-A",
            lot="EVE",
            unit_cost="1",
            expires_on=evening.date(),
            effective_at=moment,
        ),
    )
    issue = Issue("GLUE", "1", "WH1-A", lot="EVE", effective_at=evening)
    set_company(stocked, time_zone="Asia/Shanghai")
    before = written(stocked)
    with pytest.raises(CangkuError) as refused:
        issue_stock(stocked, CTX, issue)
    assert refused.value.code == "lot_expired"
    assert written(stocked) == before
    set_company(stocked, time_zone="UTC")
    assert issue_stock(stocked, CTX, issue).moves[0].quantity == Decimal("1")
