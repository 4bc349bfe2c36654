"""The dashboard answers "what needs me today" (issue 10): each card counts what the user may
see and links to the list of exactly those rows; a card needs its permission; the charts need
the page's sign-in and permission."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cangku.db.uow import Database
from cangku.headers import SECURITY_POLICY
from tests.factories import build_company
from tests.needs import BELOW, build_needs
from tests.web.browsing import Browser, browser, sign_in_as

CARD = re.compile(
    r'<a class="card[^"]*" href="([^"]+)"><span class="card-label">[^<]*</span>'
    r'<span class="card-value">([^<]*)</span>'
)
ATTENTION = {
    "/items?stock=below_reorder",
    "/lots?expiry=expired",
    "/lots?expiry=expiring_soon",
    "/stock?balance=unusual",
}
CHART = '<img src="/charts/stock-value.svg"'


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    client = browser(db, database_url)
    build_needs(db)
    client.cookies.set("lang", "en")
    with client:
        yield client


def cards(client: Browser) -> dict[str, str]:
    response = client.get("/")
    assert response.status_code == 200
    return dict(CARD.findall(response.text))


def listed(html: str, prefix: str) -> set[str]:
    """The codes a list links to under ``prefix`` (``/items/``...)."""
    return set(re.findall(rf'href="{re.escape(prefix)}([A-Z0-9]+)"', html))


@pytest.mark.parametrize(
    ("username", "scope", "unusual"),
    [("admin", "all", "1"), ("boss", "all", "1"), ("boss1", "WH1", "0"), ("boss2", "WH2", "1")],
)
def test_each_card_counts_what_the_user_sees(
    site: Browser, db: Database, username: str, scope: str, unusual: str
) -> None:
    sign_in_as(site, db, username)
    found = cards(site)
    assert {href: found[href] for href in ATTENTION} == {
        "/items?stock=below_reorder": str(len(BELOW[scope])),
        "/lots?expiry=expired": "1",
        "/lots?expiry=expiring_soon": "1",
        "/stock?balance=unusual": unusual,
    }
    assert "/stock" in found  # the stock value


@pytest.mark.parametrize(
    ("username", "scope"), [("boss", "all"), ("boss1", "WH1"), ("boss2", "WH2")]
)
def test_the_reorder_card_links_to_exactly_its_items(
    site: Browser, db: Database, username: str, scope: str
) -> None:
    sign_in_as(site, db, username)
    html = site.get("/items?stock=below_reorder").text
    assert listed(html, "/items/") == set(BELOW[scope])


def test_the_lot_cards_link_to_exactly_their_lots(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    expired = site.get("/lots?expiry=expired").text
    soon = site.get("/lots?expiry=expiring_soon").text
    assert set(re.findall(r'href="/lots/GLUE/([A-Z0-9]+)"', expired)) == {"L1"}
    assert set(re.findall(r'href="/lots/GLUE/([A-Z0-9]+)"', soon)) == {"SOON"}


@pytest.mark.parametrize(("username", "rows"), [("boss", 1), ("boss1", 0), ("boss2", 1)])
def test_the_balance_card_links_to_exactly_its_balances(
    site: Browser, db: Database, username: str, rows: int
) -> None:
    sign_in_as(site, db, username)
    html = site.get("/stock?balance=unusual").text
    assert html.count('href="/locations/WH2-A"') == rows
    assert listed(html, "/items/") == ({"BOLT"} if rows else set())
    assert 'href="/locations/WH1-A"' not in html
    negative = site.get("/stock?balance=negative").text
    assert negative.count('href="/locations/WH2-A"') == rows
    assert listed(site.get("/stock?balance=over_reserved").text, "/items/") == set()


def test_the_clerk_sees_no_value_card_and_no_chart(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "clerk")
    html = site.get("/").text
    found = dict(CARD.findall(html))
    assert "/stock" not in found
    assert CHART not in html
    assert set(found) >= ATTENTION
    assert site.get("/charts/stock-value.svg").status_code == 403


def test_without_stock_view_no_stock_card(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "lister")
    found = cards(site)
    assert set(found) & ATTENTION == {"/lots?expiry=expired", "/lots?expiry=expiring_soon"}
    assert "/stock" not in found
    # the items list's stock filter reads stock: refused without stock.view
    assert site.get("/items?stock=below_reorder").status_code == 403
    assert site.get("/items").status_code == 200
    assert site.get("/items/NUT/on-hand.svg").status_code == 403


def test_the_manager_sees_the_value_chart(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    assert CHART in site.get("/").text
    response = site.get("/charts/stock-value.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    # the same strict policy as every answer: the SVG holds nothing it would refuse
    assert response.headers["content-security-policy"] == SECURITY_POLICY
    assert "style=" not in response.text
    assert response.text.count("<svg ") == 1
    assert "Stock value at each month end" in response.text


def test_the_charts_need_a_sign_in(site: Browser) -> None:
    for url in ("/charts/stock-value.svg", "/items/NUT/on-hand.svg"):
        response = site.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


def test_unknown_filters_are_refused_with_their_code(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss")
    assert site.get("/items?stock=low").status_code == 422
    stock = site.get("/stock?balance=odd")
    assert stock.status_code == 422
    assert "The balance filter is one of: negative, over_reserved, unusual." in stock.text
    assert site.get("/items/NUT/on-hand.svg?days=7").status_code == 422
    assert site.get("/charts/stock-value.svg?size=huge").status_code == 422


@pytest.fixture
def plain(db: Database, database_url: str) -> Iterator[Browser]:
    client = browser(db, database_url)
    build_company(db)
    client.cookies.set("lang", "zh_CN")
    with client:
        yield client


def test_a_chart_in_chinese_keeps_its_text_as_text(plain: Browser, db: Database) -> None:
    sign_in_as(plain, db)
    svg = plain.get("/charts/stock-value.svg").text
    assert "每月末库存价值" in svg
    assert "style=" not in svg
    assert "<style" not in svg
    on_hand = plain.get("/items/BOLT/on-hand.svg?days=30&size=narrow")
    assert on_hand.status_code == 200
    assert "BOLT 的现存量" in on_hand.text
    history = plain.get("/items/BOLT/history?days=365").text
    assert 'src="/items/BOLT/on-hand.svg?days=365"' in history
