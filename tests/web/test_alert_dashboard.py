"""The dashboard's open-alerts card: the count of the open alerts in the warehouses the user
sees (every role may see alerts in its warehouses), linking to the alerts page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cangku.db.uow import Database
from cangku.services.alerts import check_alerts
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company, create_levelled_nut
from tests.web.browsing import Browser, browser, sign_in_as

KINDS = ["low_stock", "below_safety_stock", "stock_out", "overstock"]
CARD = re.compile(
    r'<a class="card( attention)?" href="/alerts" id="alerts-card">'
    r'<span class="card-label">([^<]+)</span><span class="card-value">(\d+)</span>'
)


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """Three open alerts: low stock and below safety stock in WH1, overstock in WH2; boss1
    manages WH1, clerk is a receiving clerk in WH2."""
    build_company(db)
    client = browser(db, database_url)
    create_levelled_nut(db)
    create_user(db, CTX, "boss1", "Boss one", PASSWORD, [("warehouse_manager", "WH1")])
    create_user(db, CTX, "clerk", "Clerk", PASSWORD, [("receiving_clerk", "WH2")])
    assert check_alerts(db, CTX, KINDS).opened == [1, 2, 3]
    client.cookies.set("lang", "en")
    with client:
        yield client


@pytest.mark.parametrize(
    ("user", "count"), [("admin", 3), ("boss1", 2), ("clerk", 1)], ids=["all", "wh1", "wh2"]
)
def test_the_dashboard_counts_the_open_alerts_the_user_sees(
    site: Browser, db: Database, user: str, count: int
) -> None:
    sign_in_as(site, db, user)

    page = site.get("/")

    assert CARD.findall(page.text) == [(" attention", "Open alerts", str(count))]


def test_the_card_is_in_chinese_and_plain_when_nothing_is_open(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")
    site.cookies.set("lang", "zh_CN")
    assert CARD.findall(site.get("/").text) == [(" attention", "未关闭的预警", "2")]

    # 50 more in WH1 (53: above the reorder point, below the maximum) close WH1's two
    receive_stock(db, CTX, Receive("NUT", "50", "WH1-A", unit_cost="1"))
    assert check_alerts(db, CTX, KINDS).closed == [1, 2]
    site.cookies.set("lang", "en")
    assert CARD.findall(site.get("/").text) == [("", "Open alerts", "0")]
