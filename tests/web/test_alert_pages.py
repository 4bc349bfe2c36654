"""The alerts page (ADR 0030): a manager sees the open alerts of their warehouses with each
kind's label and figures, acknowledges one and checks now; a viewer may look but not act (the
refusal writes nothing); the page speaks Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.alerts import check_alerts
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company, create_levelled_nut
from tests.web.browsing import Browser, browser, sign_in_as

STOCK_KINDS = ["low_stock", "below_safety_stock", "stock_out", "overstock"]
ROW = re.compile(r'<tr data-alert="(\d+)" data-kind="(\w+)">')
ACKNOWLEDGE = re.compile(r'action="/alerts/(\d+)/acknowledge"')


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """NUT (reorder point 10, safety stock 5, maximum 100) with 3 in WH1 and 200 in WH2,
    checked once: alert 1 low stock in WH1 (3 <= 10), 2 below safety stock in WH1 (3 < 5),
    3 overstock in WH2 (200 > 100), opened in that order in one statement. boss1 manages WH1,
    look is a viewer in WH1."""
    build_company(db)
    client = browser(db, database_url)
    create_levelled_nut(db)
    create_user(db, CTX, "boss1", "Boss one", PASSWORD, [("warehouse_manager", "WH1")])
    create_user(db, CTX, "look", "Looker", PASSWORD, [("viewer", "WH1")])
    assert check_alerts(db, CTX, STOCK_KINDS).opened == [1, 2, 3]
    client.cookies.set("lang", "en")
    with client:
        yield client


def written(db: Database) -> tuple[Any, ...]:
    """Every alert row as it is, and how many outbox rows and audit entries there are."""
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(tables.alerts).order_by(tables.alerts.c.id))]
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.outbox, tables.audit_log)
        ]
    return (rows, *counts)


def rows(html: str) -> list[tuple[int, str]]:
    return [(int(i), kind) for i, kind in ROW.findall(html)]


def acknowledged(db: Database, alert_id: int) -> str | None:
    stmt = (
        select(tables.users.c.username)
        .join(tables.alerts, tables.alerts.c.acknowledged_by == tables.users.c.id)
        .where(tables.alerts.c.id == alert_id)
    )
    with db.read() as conn:
        return conn.execute(stmt).scalar_one_or_none()


def test_a_manager_sees_the_open_alerts_of_their_warehouse_newest_first(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db, "boss1")
    page = site.get("/alerts")

    assert page.status_code == 200
    # WH1's two, newest (highest id of one statement) first; WH2's overstock is not there
    assert rows(page.text) == [(2, "below_safety_stock"), (1, "low_stock")]
    assert "Available 3, reorder point 10" in page.text
    assert "Available 3, safety stock 5" in page.text
    assert "Overstock" not in page.text.split('id="alerts"')[1].split("</table>")[0]
    assert ACKNOWLEDGE.findall(page.text) == ["2", "1"]
    assert 'action="/alerts/check"' in page.text


def test_the_administrator_sees_every_warehouse_and_the_kind_filter_narrows(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db, "admin")

    every = site.get("/alerts")
    low = site.get("/alerts?kind=low_stock")
    unknown = site.get("/alerts?kind=nonsense")

    assert rows(every.text) == [(3, "overstock"), (2, "below_safety_stock"), (1, "low_stock")]
    # 200 on hand over the maximum 100: 100 in excess
    assert "On hand 200, maximum 100, excess 100" in every.text
    assert rows(low.text) == [(1, "low_stock")]
    assert unknown.status_code == 422
    assert "unknown_alert_kind" in unknown.text


def test_acknowledge_records_who_and_hides_the_button(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")

    done = site.post("/alerts/1/acknowledge", follow_redirects=False)
    page = site.get("/alerts")

    assert (done.status_code, done.headers["location"]) == (303, "/alerts")
    assert acknowledged(db, 1) == "boss1"
    assert acknowledged(db, 2) is None
    assert "Alert 1 acknowledged." in page.text
    assert ACKNOWLEDGE.findall(page.text) == ["2"]
    assert rows(page.text) == [(2, "below_safety_stock"), (1, "low_stock")]  # still open


def test_acknowledging_twice_or_elsewhere_is_refused_and_writes_nothing(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db, "boss1")
    site.post("/alerts/1/acknowledge", follow_redirects=False)
    before = written(db)

    again = site.post("/alerts/1/acknowledge", follow_redirects=False)
    elsewhere = site.post("/alerts/3/acknowledge", follow_redirects=False)  # WH2's
    missing = site.post("/alerts/99/acknowledge", follow_redirects=False)
    garbage = site.post("/alerts/x1/acknowledge", follow_redirects=False)

    assert (again.status_code, "alert_already_acknowledged" in again.text) == (409, True)
    assert elsewhere.status_code == 403
    assert (missing.status_code, "alert_not_found" in missing.text) == (404, True)
    assert garbage.status_code == 404
    assert written(db) == before
    assert acknowledged(db, 3) is None


def test_a_viewer_sees_no_buttons_and_pressing_them_is_refused(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "look")
    before = written(db)

    page = site.get("/alerts")
    ack = site.post("/alerts/1/acknowledge", follow_redirects=False)
    check = site.post("/alerts/check", follow_redirects=False)

    assert rows(page.text) == [(2, "below_safety_stock"), (1, "low_stock")]
    assert ACKNOWLEDGE.findall(page.text) == []
    assert 'action="/alerts/check"' not in page.text
    assert (ack.status_code, check.status_code) == (403, 403)
    assert written(db) == before
    assert acknowledged(db, 1) is None


def test_check_now_closes_what_cleared_and_says_how_many(site: Browser, db: Database) -> None:
    # 3 + 20 = 23 in WH1: above the reorder point 10 and the safety stock 5 (alerts 1 and 2
    # close); WH2 unchanged (3 stays open). Check now checks every kind but the ledger's: no
    # count was ever run, so the one place holding stock in each warehouse (WH1-A, WH2-A) is
    # due and never counted: count_due opens in WH1 (4) and WH2 (5)
    receive_stock(db, CTX, Receive("NUT", "20", "WH1-A", unit_cost="1"))
    sign_in_as(site, db, "boss1")

    done = site.post("/alerts/check", follow_redirects=False)
    page = site.get("/alerts")
    closed = site.get("/alerts?closed=1")

    assert (done.status_code, done.headers["location"]) == (303, "/alerts")
    assert "Alerts checked: 2 opened, 2 closed, 1 still open." in page.text
    assert rows(page.text) == [(4, "count_due")]
    assert "Places due: 1, never counted: 1" in page.text
    assert "<td>WH1</td>\n      <td>WH1</td>" in page.text  # no item: the subject is the warehouse
    assert rows(closed.text) == [(4, "count_due"), (2, "below_safety_stock"), (1, "low_stock")]
    assert closed.text.count('<span class="badge">Closed</span>') == 2


def test_an_empty_list_says_so(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")

    page = site.get("/alerts?kind=expired_lot")

    assert rows(page.text) == []
    assert "No alerts." in page.text


def test_the_page_in_chinese(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")
    site.cookies.set("lang", "zh_CN")

    page = site.get("/alerts")
    tasks = site.get("/tasks")

    assert "<h1>预警</h1>" in page.text
    assert "库存偏低" in page.text and "低于安全库存" in page.text
    assert "可用 3，再订货点 10" in page.text and "可用 3，安全库存 5" in page.text
    assert "立即检查" in page.text and ">确认</button>" in page.text
    assert "Low stock" not in page.text
    assert 'href="/alerts">预警</a>' in tasks.text


def test_the_task_inbox_links_to_the_alerts_and_shows_their_notifications(
    site: Browser, db: Database
) -> None:
    # the check in the fixture told boss1 (who may acknowledge in WH1) of WH1's two alerts
    sign_in_as(site, db, "boss1")

    tasks = site.get("/tasks")

    assert tasks.status_code == 200
    assert 'href="/alerts">Alerts</a>' in tasks.text
    assert tasks.text.count('<a href="/alerts">New alert</a>') == 2
    assert "Low stock: NUT in WH1" in tasks.text
