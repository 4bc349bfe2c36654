"""The import page: a CSV of moves uploaded through the browser form."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import moves
from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from tests.factories import build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as

TestClient = Browser

CSV = (
    "item,quantity,from_location,to_location,operation,unit_cost\n"
    "BOLT,100,WH1/SUPPLIER,WH1-A,receive,0.5\n"
    "BOLT,30,WH1-A,WH1-B,move,\n"
)


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def move_count(db: Database) -> int:
    # counted in full: a list's total stops at its cap (COUNT_CAP)
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


def upload(client: TestClient, text: str, key: str, **options: str) -> Any:
    return client.post(
        "/stock/import",
        files={"file": ("moves.csv", text.encode(), "text/csv")},
        data={"idempotency_key": key, **options},
    )


@pytest.mark.parametrize(("lang", "title"), [("zh_CN", "导入移动"), ("en", "Import moves")])
def test_the_page_renders_in_both_languages(client: TestClient, lang: str, title: str) -> None:
    client.cookies.set("lang", lang)
    page = client.get("/stock/import")
    assert page.status_code == 200
    assert title in page.text


def test_an_upload_posts_the_moves_once(client: TestClient, db: Database) -> None:
    client.cookies.set("lang", "en")
    key = key_of(client.get("/stock/import").text)
    done = upload(client, CSV, key)
    assert "Imported 2 moves in 1 batches." in done.text
    again = upload(client, CSV, key)  # the same form submitted twice
    assert "This form was already submitted: import 1 posted 2 moves on " in again.text
    assert "Nothing was posted again." in again.text
    assert move_count(db) == 2
    with db.read() as conn:
        assert totals(conn, StockFilter(item="BOLT", location="WH1-B")).on_hand == Decimal(30)


def test_a_refused_move_is_shown_translated_with_its_position(
    client: TestClient, db: Database
) -> None:
    client.cookies.set("lang", "zh_CN")
    key = key_of(client.get("/stock/import").text)
    page = upload(client, CSV.replace("BOLT,30", "NOPE,30"), key)
    assert page.status_code == 422
    assert "第 2 条移动" in page.text
    assert move_count(db) == 0


def test_a_file_that_is_not_utf8_is_refused(client: TestClient, db: Database) -> None:
    client.cookies.set("lang", "en")
    page = client.post(
        "/stock/import", files={"file": ("x.csv", b"\xff\xfe\x00bad", "text/csv")}, data={}
    )
    assert page.status_code == 422
    assert "The file is not UTF-8 text." in page.text
    assert move_count(db) == 0


def test_the_same_file_uploaded_again_is_refused_unless_ticked(
    client: TestClient, db: Database
) -> None:
    client.cookies.set("lang", "zh_CN")
    upload(client, CSV, key_of(client.get("/stock/import").text))
    page = upload(client, CSV, key_of(client.get("/stock/import").text))
    assert page.status_code == 409
    assert "此文件已导入过：导入 1 于 " in page.text
    assert "由 admin 过账了 2 条移动" in page.text
    assert move_count(db) == 2
    upload(client, CSV, key_of(client.get("/stock/import").text), allow_repeat="1")
    assert move_count(db) == 4


def test_a_chunked_upload_continues_after_its_committed_moves(
    client: TestClient, db: Database
) -> None:
    client.cookies.set("lang", "zh_CN")
    many = CSV.replace("BOLT,100,", "BOLT,20000,") + "".join(
        "BOLT,1,WH1-A,WH1-B,move,\n" for _ in range(10_000)
    )
    bad = many + "BOLT,99999,WH1-A,WH1-B,move,\n"
    page = upload(client, bad, key_of(client.get("/stock/import").text), chunked="1")
    assert page.status_code == 422, page.text[page.text.find("flash-error") :][:300]
    shown = page.text[page.text.find("flash-error") :][:400]
    assert "第 10003 条移动" in shown, shown
    assert "导入 1 的第 1 至 10000 条移动保持已过账" in page.text
    assert move_count(db) == 10_000
    fixed = many + "BOLT,9,WH1-A,WH1-B,move,\n"
    client.cookies.set("lang", "en")
    done = upload(client, fixed, key_of(client.get("/stock/import").text), chunked="1")
    assert "Continued import 1 after move 10000: imported 3 more moves in 1 batches." in done.text
    assert move_count(db) == 10_003
