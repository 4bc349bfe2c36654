"""The data import page: a dry run with a preview and every problem, then the confirmed import
of the very file that was checked."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.queries.items import list_items
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as

GOOD = (
    "code,name,item_type,base_unit\n"
    "NUT-M8,Hex nut M8,spare_part,pcs\n"
    "WASHER-M8,Washer M8,consumable,pcs\n"
)
BAD = GOOD + "BAD-1,Broken,gadget,pcs\n"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def item_codes(db: Database) -> set[str]:
    return {item.code for item in list_items(db, limit=500).items}


def check(client: Browser, text: str, name: str = "items.csv") -> tuple[str, int]:
    page = client.post("/import/items", files={"file": (name, text.encode(), "text/csv")}, data={})
    return str(page.text), int(page.status_code)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


@pytest.mark.parametrize(
    ("lang", "title", "kind"), [("zh_CN", "导入数据", "物料"), ("en", "Import data", "Items")]
)
def test_the_page_renders_in_both_languages(
    client: Browser, lang: str, title: str, kind: str
) -> None:
    client.cookies.set("lang", lang)
    page = client.get("/import/items")
    assert page.status_code == 200
    assert title in page.text
    assert kind in page.text
    assert 'href="/import/items"' in page.text  # the navigation link
    assert "/api/v1/imports/items/template?format=xlsx" in page.text
    assert "/api/v1/exports/items?format=csv" in page.text
    assert 'href="/import/opening_stock"' in page.text


def test_a_dry_run_shows_the_preview_and_translated_problems_and_writes_nothing(
    client: Browser, db: Database
) -> None:
    client.cookies.set("lang", "zh_CN")
    before = item_codes(db)
    html, status = check(client, BAD)
    assert status == 422
    assert "NUT-M8" in html and "Hex nut M8" in html  # the preview
    problems = html[html.find('id="problems"') :]
    assert "invalid_item_type" in problems
    assert "选择物料类型" in problems
    assert 'id="confirm"' not in html
    assert item_codes(db) == before
    # the error report of the carried file
    report = client.post(
        "/import/items/errors",
        data={
            "payload": hidden(html, "payload"),
            "digest": hidden(html, "digest"),
            "format": "csv",
        },
    )
    assert report.status_code == 200
    assert "invalid_item_type" in report.text
    assert report.text.lstrip("\ufeff").startswith("row,column,code,message")
    assert "选择物料类型" in report.text  # in the user's language
    xlsx = client.post(
        "/import/items/errors",
        data={
            "payload": hidden(html, "payload"),
            "digest": hidden(html, "digest"),
            "format": "xlsx",
        },
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == 4 and rows[1][2] == "invalid_item_type"


def test_a_file_level_problem_is_shown(client: Browser, db: Database) -> None:
    client.cookies.set("lang", "en")
    html, status = check(client, "code,name,colour\nX,Y,red\n")
    assert status == 422
    assert "colour" in html and "flash-error" in html


def test_confirm_imports_the_checked_file(client: Browser, db: Database) -> None:
    client.cookies.set("lang", "en")
    html, status = check(client, GOOD)
    assert status == 200
    summary = html[html.find('id="summary"') :]
    assert re.search(r"To create</dt><dd>2</dd>", summary)
    assert 'id="confirm"' in html
    assert item_codes(db) >= set() and "NUT-M8" not in item_codes(db)
    payload, digest = hidden(html, "payload"), hidden(html, "digest")
    # a tampered file is refused
    tampered = client.post(
        "/import/items/confirm", data={"payload": payload[:-4] + "AAAA", "digest": digest}
    )
    assert tampered.status_code == 422
    assert "The file changed since it was checked" in tampered.text
    assert "NUT-M8" not in item_codes(db)
    done = client.post("/import/items/confirm", data={"payload": payload, "digest": digest})
    assert done.status_code == 200
    assert "Imported 2 rows: 2 created, 0 updated, 0 unchanged." in done.text
    assert {"NUT-M8", "WASHER-M8"} <= item_codes(db)


def test_a_user_without_an_import_permission_is_refused_and_sees_no_link(
    client: Browser, db: Database
) -> None:
    create_user(db, CTX, "looker", "Looker", PASSWORD, [("viewer", None)])
    sign_in_as(client, db, "looker")
    client.cookies.set("lang", "en")
    home = client.get("/")
    assert "/import/" not in home.text
    assert client.get("/import/items").status_code == 403
    refused = client.post(
        "/import/items", files={"file": ("items.csv", GOOD.encode(), "text/csv")}, data={}
    )
    assert refused.status_code == 403
    assert "NUT-M8" not in item_codes(db)
