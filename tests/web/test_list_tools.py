"""List pages: sortable columns, page size, filters kept in the links, and the list as it is
filtered and sorted exported to CSV and XLSX (``web.listing``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, on_hand
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.factories import CTX, build_company
from tests.web.browsing import PASSWORD, Browser, browser, sign_in_as


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def codes_on(html: str) -> list[str]:
    return re.findall(r'<td><a href="/items/([^"]+)">', html)


def test_items_sort_by_a_column_and_back(client: Browser) -> None:
    assert codes_on(client.get("/items").text) == ["BOLT", "FLOUR", "GLUE", "PUMP"]
    page = client.get("/items?sort=-code").text
    assert codes_on(page) == ["PUMP", "GLUE", "FLOUR", "BOLT"]
    # the column title links to the other direction and shows the current one
    assert (
        '<th aria-sort="descending"><a class="sort" href="/items?sort=code">Code ▼</a></th>' in page
    )
    assert '<a class="sort" href="/items?sort=name">Name</a>' in page


def test_page_size_and_filters_stay_in_every_link(client: Browser) -> None:
    page = client.get("/items?size=25&q=o&sort=-name").text
    assert codes_on(page) == ["GLUE", "FLOUR", "BOLT"]  # Wood glue, Wheat flour, Hex bolt M8
    assert 'href="/items?size=25&amp;q=o&amp;sort=name"' in page
    assert 'href="/items?q=o&amp;sort=-name&amp;size=100"' in page
    assert 'href="/items?size=25&amp;q=o&amp;sort=-name&amp;export=csv"' in page
    # the filter form carries the sort and the size
    assert (
        '<input type="hidden" name="size" value="25">'
        '<input type="hidden" name="sort" value="-name">' in page
    )


def test_items_export_to_csv_is_the_filtered_sorted_list(client: Browser) -> None:
    answer = client.get("/items?sort=-code&type=finished_good&export=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="items.csv"'
    assert answer.text.startswith("\ufeffCode,Name,Type,Unit,Tracking,Costing,Category,")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["PUMP"]
    assert rows[1][2] == "Finished good" and rows[1][-1] == "Active"


def test_items_export_in_chinese(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    rows = list(csv.reader(io.StringIO(client.get("/items?export=csv").text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["编码", "名称", "类型"]
    assert len(rows) == 5


def test_items_export_to_xlsx_has_numbers_as_numbers(client: Browser) -> None:
    answer = client.get("/items?export=xlsx&sort=code")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="items.xlsx"'
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Code" and [r[0] for r in rows[1:]] == ["BOLT", "FLOUR", "GLUE", "PUMP"]


@pytest.mark.parametrize(
    ("url", "code", "text"),
    [
        ("/items?sort=price", "invalid_sort", "This list cannot be sorted by “price”."),
        ("/items?export=pdf", "invalid_export_format", "cannot be exported as “pdf”"),
    ],
    ids=["sort", "export"],
)
def test_a_bad_sort_or_format_is_a_clear_422(
    client: Browser, url: str, code: str, text: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == 422
    assert text in answer.text and code in answer.text


def stock_cells(html: str) -> list[tuple[str, str]]:
    """(item, location) of each stock row on the page."""
    return re.findall(
        r'<td><a href="/items/([^"]+)">[^<]*</a>.*?<td><a href="/locations/([^"]+)">', html, re.S
    )


def test_the_stock_page_walks_by_cursor_and_sorts(client: Browser, db: Database) -> None:
    for location, quantity in [("WH1-A", "5"), ("WH1-B", "7"), ("WH2-A", "3")]:
        receive_stock(db, CTX, Receive("BOLT", quantity, location, unit_cost="1"))
    first = client.get("/stock?item=BOLT&size=25&sort=-on_hand")
    assert first.status_code == 200
    assert stock_cells(first.text) == [("BOLT", "WH1-B"), ("BOLT", "WH1-A"), ("BOLT", "WH2-A")]
    assert "3 rows" in first.text and 'rel="next"' not in first.text


def test_the_stock_page_goes_on_from_a_cursor(client: Browser, db: Database) -> None:
    for location in ["WH1-A", "WH1-B", "WH2-A"]:
        receive_stock(db, CTX, Receive("BOLT", "1", location, unit_cost="1"))
    with db.read() as conn:  # a cursor after the first row, as a page of one row hands out
        cursor = on_hand(conn, StockFilter(), 1, sort="location").next_cursor
    assert cursor is not None
    html = client.get(f"/stock?sort=location&cursor={cursor}").text
    assert stock_cells(html) == [("BOLT", "WH1-B"), ("BOLT", "WH2-A")]
    assert 'href="/stock?sort=location">« First</a>' in html
    assert 'rel="prev"' in html and 'rel="next"' not in html
    stale = client.get(f"/stock?sort=-location&cursor={cursor}")
    assert stale.status_code == 422
    assert "This page link does not belong to this list and order" in stale.text


def test_the_stock_export_is_every_row_with_exact_numbers(client: Browser, db: Database) -> None:
    receive_stock(db, CTX, Receive("FLOUR", "2.5", "WH1-A", unit_cost="1", lot="L1"))
    answer = client.get("/stock?item=FLOUR&export=csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Item", "Name", "Warehouse", "Location", "Lot", "Expires",
        "On hand", "Reserved", "Available", "Unit",
    ]  # fmt: skip
    assert rows[1][:5] == ["FLOUR", "Wheat flour", "WH1", "WH1-A", "L1"]
    assert rows[1][6:] == ["2.5", "0", "2.5", "kg"]


def test_an_items_moves_export_in_order_with_value_only_for_valuers(
    client: Browser, db: Database, database_url: str
) -> None:
    first = receive_stock(db, CTX, Receive("BOLT", "4", "WH1-A", unit_cost="0.125"))
    second = receive_stock(db, CTX, Receive("BOLT", "6", "WH1-B", unit_cost="0.5"))
    ids = [first.moves[0].id, second.moves[0].id]
    page = client.get("/items/BOLT/history?sort=quantity")
    assert re.findall(r'<td><a href="/moves/(\d+)">', page.text) == [str(i) for i in ids]
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/items/BOLT/history?sort=-quantity&export=csv").text.lstrip("\ufeff")
            )
        )
    )
    assert rows[0][:3] == ["Move", "Effective (UTC)", "Operation"]
    assert rows[0][10:12] == ["Unit cost", "Value (CNY)"]
    assert [r[0] for r in rows[1:]] == [str(ids[1]), str(ids[0])]
    assert rows[2][7:12] == ["4", "pcs", "4", "0.125", "0.50"]
    # a clerk without valuation.view gets no cost columns
    create_user(db, CTX, "clerk", "Clerk Li", PASSWORD, [("receiving_clerk", "WH1")])
    with browser(db, database_url) as other:
        sign_in_as(other, db, "clerk")
        other.cookies.set("lang", "en")
        answer = other.get("/items/BOLT/history?export=csv")
    header = next(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert "Value (CNY)" not in header and "Unit cost" not in header
