"""The alert check after postings (ADR 0035): a committed posting tells the posting listeners
once (a refused or rolled-back one never, and the mark never outlives its unit); the alert
watch checks the stock alerts on its own thread soon after, so an alert opens and closes with
the postings; which servers run the jobs in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cangku.db import tables
from cangku.db.uow import Database, add_posting_listener, remove_posting_listener
from cangku.domain.errors import RuleViolation
from cangku.services.alerts import AlertCheck
from cangku.services.background import AlertWatch, in_process_jobs, start_background
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.settings import Settings
from tests.factories import CTX, build_company, create_levelled_nut


@pytest.fixture
def heard(db: Database) -> Iterator[list[str]]:
    """The company with NUT stocked (3 in WH1, 200 in WH2); a listener noting each call."""
    build_company(db)
    create_levelled_nut(db)
    calls: list[str] = []

    def listener() -> None:
        calls.append("posted")

    add_posting_listener(listener)
    yield calls
    remove_posting_listener(listener)


def open_alerts(db: Database) -> list[tuple[str, str]]:
    stmt = (
        select(tables.alerts.c.kind, tables.warehouses.c.code)
        .join(tables.warehouses, tables.warehouses.c.id == tables.alerts.c.warehouse_id)
        .where(tables.alerts.c.closed_at.is_(None))
        .order_by(tables.alerts.c.id)
    )
    with db.read() as conn:
        return [(r.kind, r.code) for r in conn.execute(stmt)]


def test_a_committed_posting_tells_the_listeners_once(db: Database, heard: list[str]) -> None:
    receive_stock(db, CTX, Receive("NUT", "5", "WH1-A", unit_cost="1"))

    assert heard == ["posted"]


def test_a_refused_posting_tells_nobody_and_leaves_no_mark(db: Database, heard: list[str]) -> None:
    with pytest.raises(RuleViolation):
        issue_stock(db, CTX, Issue("NUT", "999", "WH1-A"))
    assert heard == []

    # the next unit on the (pooled) connection posts nothing: still nobody is told
    with db.write() as uow:
        uow.conn.execute(select(1))
        uow.commit()
    assert heard == []


def test_a_unit_that_posts_nothing_tells_nobody(db: Database, heard: list[str]) -> None:
    with db.write() as uow:
        uow.conn.execute(select(tables.items.c.id))
        uow.commit()

    assert heard == []


def test_the_watch_opens_and_closes_alerts_soon_after_postings(db: Database) -> None:
    build_company(db)
    create_levelled_nut(db, stocked=False)
    watch = AlertWatch(db, delay=0.01, interval=0).start()
    try:
        # 3 in WH1: at or below the reorder point 10 and below the safety stock 5
        receive_stock(db, CTX, Receive("NUT", "3", "WH1-A", unit_cost="1"))
        assert watch.wait_for_checks(1, timeout=30)
        assert open_alerts(db) == [("low_stock", "WH1"), ("below_safety_stock", "WH1")]

        # 50 more: 53 is above the reorder point and below the maximum 100
        receive_stock(db, CTX, Receive("NUT", "50", "WH1-A", unit_cost="1"))
        assert watch.wait_for_checks(2, timeout=30)
        assert open_alerts(db) == []
    finally:
        watch.stop()


def test_a_stopped_watch_hears_no_more(db: Database) -> None:
    build_company(db)
    create_levelled_nut(db, stocked=False)
    watch = AlertWatch(db, delay=0.01, interval=0).start()
    watch.stop()

    receive_stock(db, CTX, Receive("NUT", "3", "WH1-A", unit_cost="1"))

    assert watch.checks == 0
    assert open_alerts(db) == []


@pytest.mark.parametrize(
    ("database_url", "jobs_url", "expected"),
    [
        ("sqlite:///cangku.db", "", True),
        ("sqlite:///cangku.db", "sqlite:////var/cangku-jobs.db", True),
        ("sqlite:///cangku.db", "redis://localhost:6379/0", False),
        ("postgresql+psycopg://db/cangku", "", False),
        ("postgresql+psycopg://db/cangku", "sqlite:////var/cangku-jobs.db", True),
        ("postgresql+psycopg://db/cangku", "postgresql://db/cangku", False),
    ],
    ids=["sqlite", "sqlite-file", "redis", "postgresql", "postgresql-sqlite-queue", "pg-queue"],
)
def test_the_server_runs_the_jobs_itself_only_on_a_sqlite_queue(
    database_url: str, jobs_url: str, expected: bool
) -> None:
    settings = Settings(database_url=database_url, jobs_url=jobs_url)

    assert in_process_jobs(settings) is expected


def test_background_starts_the_worker_on_a_sqlite_queue_and_stops(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url, jobs_url=f"sqlite:///{tmp_path}/jobs.db")

    background = start_background(settings)
    try:
        assert background.consumer is not None
        assert background.consumer.scheduler.is_alive()
    finally:
        background.stop()

    assert not background.consumer.scheduler.is_alive()
    assert background.stopped


def test_a_busy_floor_is_checked_at_most_once_an_interval(db: Database) -> None:
    began: list[float] = []

    def check(_: Database) -> AlertCheck:
        began.append(time.monotonic())
        return AlertCheck([], 0, [])

    watch = AlertWatch(db, delay=0.01, interval=0.5, check=check).start()
    try:
        watch.posted()
        assert watch.wait_for_checks(1, timeout=30)
        watch.posted()
        watch.posted()  # two postings during the interval: one check after it
        assert watch.wait_for_checks(2, timeout=30)
    finally:
        watch.stop()

    assert len(began) == 2
    assert began[1] - began[0] >= 0.5
