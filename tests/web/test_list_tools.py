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
from tests.factories import build_company
from tests.web.browsing import Browser, browser, sign_in_as


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
        '<input type="hidden" name="size" value="25"><input type="hidden" name="sort" value="-name">'
        in page
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
