"""Pages by field (issue 10): a move's unit cost and value appear only to a user with
``valuation.view`` (defect 10); an expired or expiring lot is marked as such, never green,
wherever it is listed (defect 4)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as

TODAY = datetime.now(UTC).date()
#: every page that lists the moves or the stock of lot GLUE/L1
PAGES = [
    "/",
    "/moves/1",
    "/items/GLUE",
    "/items/GLUE/history",
    "/lots/GLUE/L1",
    "/locations/WH1-A",
    "/stock",
]


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """4 GLUE of lot L1 (expired) received at 7.25 each (value 29.00), lot SOON (expires in
    5 days), lot LATER (in a year); a receiving clerk and a warehouse manager."""
    client = browser(db, database_url)
    build_company(db)
    for lot, expiry, cost in (
        ("L1", date(2020, 1, 1), "7.25"),
        ("SOON", TODAY + timedelta(days=5), "1"),
        ("LATER", TODAY + timedelta(days=365), "1"),
    ):
        receive_stock(
            db, CTX, Receive("GLUE", "4", "WH1-A", lot=lot, unit_cost=cost, expires_on=expiry)
        )
    for username, role in (("clerk", "receiving_clerk"), ("boss", "warehouse_manager")):
        create_user(db, CTX, username, username.title(), PASSWORD, [(role, None)])
    client.cookies.set("lang", "en")
    with client:
        yield client


def page_text(client: Browser, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return str(response.text)


@pytest.mark.parametrize("url", PAGES)
def test_the_clerk_sees_no_cost_on_any_page(site: Browser, db: Database, url: str) -> None:
    sign_in_as(site, db, "clerk")
    html = page_text(site, url)
    assert "29.00" not in html
    assert "7.25" not in html
    assert ">Value<" not in html
    assert ">Unit cost<" not in html


@pytest.mark.parametrize("url", ["/", "/moves/1", "/items/GLUE", "/lots/GLUE/L1"])
def test_the_manager_sees_the_exact_value(site: Browser, db: Database, url: str) -> None:
    sign_in_as(site, db, "boss")
    html = page_text(site, url)
    assert ">Value<" in html
    assert "29.00" in html


def test_the_move_page_shows_the_manager_the_unit_cost(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    html = page_text(site, "/moves/1")
    assert ">Unit cost<" in html
    assert "7.25" in html


def badges(html: str) -> list[tuple[str, str]]:
    """(lot code, expiry badge) for every badge after a lot link, in page order."""
    found = re.findall(
        r'href="/lots/GLUE/(\w+)".*?(?:data-expiry="(\w+)"|</tr>|</h1>)', html, flags=re.S
    )
    return [(lot, state) for lot, state in found]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_lots_list_marks_expired_and_expiring_lots(
    site: Browser, db: Database, lang: str
) -> None:
    sign_in_as(site, db)
    site.cookies.set("lang", lang)
    html = page_text(site, "/lots")
    assert badges(html) == [("L1", "expired"), ("LATER", ""), ("SOON", "expiring_soon")]
    expired, soon = ("过期", "即将过期") if lang == "zh_CN" else ("Expired", "Expiring soon")
    assert f'class="badge expiry-expired" data-expiry="expired">{expired}<' in html
    assert f'class="badge expiry-soon" data-expiry="expiring_soon">{soon}<' in html
    # the expired lot's status is not shown green (class lot-available)
    row = html[html.index('href="/lots/GLUE/L1"') : html.index('href="/lots/GLUE/LATER"')]
    assert "lot-available" not in row


@pytest.mark.parametrize(
    ("expiry", "lots"), [("expired", ["L1"]), ("expiring_soon", ["SOON"]), ("ok", ["LATER"])]
)
def test_the_lots_list_filters_by_expiry(
    site: Browser, db: Database, expiry: str, lots: list[str]
) -> None:
    sign_in_as(site, db)
    html = page_text(site, f"/lots?expiry={expiry}")
    assert [lot for lot, _ in badges(html)] == lots


@pytest.mark.parametrize(
    "url", ["/stock", "/items/GLUE", "/locations/WH1-A", "/items/GLUE/history"]
)
def test_stock_lists_mark_each_lots_expiry(site: Browser, db: Database, url: str) -> None:
    sign_in_as(site, db)
    found = set(badges(page_text(site, url)))  # the moves below link the lots without badges
    assert {("L1", "expired"), ("SOON", "expiring_soon")} <= found
    assert {state for lot, state in found if lot == "LATER"} == {""}


def test_the_lot_page_says_the_lot_expired_and_why_it_is_not_issued(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db)
    html = page_text(site, "/lots/GLUE/L1")
    assert 'data-expiry="expired">Expired<' in html
    assert "This lot expired on 2020-01-01" in html
    assert "lot-available" not in html.split("</h1>")[0]


def test_issuing_an_expired_lot_on_the_page_is_refused_with_its_reason(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db)
    form = {"item": "GLUE", "quantity": "1", "from_location": "WH1-A", "lot": "L1"}
    response = site.post("/stock/operations/issue", data={**form, "to": "customer"})
    assert "Lot L1 of GLUE expired on 2020-01-01; warehouse WH1" in response.text


def test_a_manager_lets_a_warehouse_issue_expired_lots_on_its_page(
    site: Browser, db: Database
) -> None:
    sign_in_as(site, db, "boss")
    form = page_text(site, "/warehouses/WH1/edit")
    assert 'name="allow_expired_issue" value="1">' in form  # not checked yet
    saved = site.post(
        "/warehouses/WH1/edit",
        data={"name": "Main warehouse", "allow_expired_issue": "1", "version": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listed = page_text(site, "/warehouses")
    assert "May be issued" in listed
    issue = {"item": "GLUE", "quantity": "1", "from_location": "WH1-A", "lot": "L1"}
    posted = site.post("/stock/operations/issue", data={**issue, "to": "customer"})
    assert "expired on" not in posted.text
    with db.read() as conn:
        assert totals(conn, StockFilter(item="GLUE", lot="L1")).on_hand == Decimal("3")


def test_a_stale_warehouse_form_is_refused_and_writes_nothing(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    form = {"name": "Main warehouse", "allow_expired_issue": "1", "version": "7"}
    refused = site.post("/warehouses/WH1/edit", data=form)
    assert refused.status_code == 422  # a form shown again with its error
    assert "Not issued" in page_text(site, "/warehouses")
