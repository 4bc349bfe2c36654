"""The cycle-count plan page (issue 14): the places due in a warehouse, the ABC classes
computed from its form, the frequencies saved from theirs, a count of the due places raised
and started from its button; each refusal shows the page again with the message in the page's
language and writes nothing; the page in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_user
from tests import snapshot
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as
from tests.web.test_every_page_in_chinese import _data, _english_messages, _raw_codes, _untranslated
from tests.web.test_outbound_pages import _error, _rows

PLAN = "/counts/plan?warehouse=WH1"
WATCHED = [*snapshot.WATCHED, tables.abc_runs, tables.abc_classes, tables.count_frequencies,
           tables.documents, tables.count_plan_places, tables.audit_log]  # fmt: skip


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[tuple[Browser, Database]]:
    """WH1-A: 100 BOLT at 0.50 (60 issued) and 40 GLUE lot G1 at 2.00 (2 issued); WH1-B: 10
    BOLT. Users counter (stock counter) and boss (warehouse manager) in WH1."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "100", "WH1-A", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-B", unit_cost="0.50"))
    receive_stock(db, CTX, Receive("GLUE", "40", "WH1-A", lot="G1", unit_cost="2.00"))
    issue_stock(db, CTX, Issue("BOLT", "60", "WH1-A"))
    issue_stock(db, CTX, Issue("GLUE", "2", "WH1-A", lot="G1"))
    with browser(db, database_url) as client:
        for name, role in [("counter", "stock_counter"), ("boss", "warehouse_manager")]:
            create_user(db, CTX, name, name.title(), PASSWORD, [(role, "WH1")])
        client.cookies.set("lang", "en")
        yield client, db


def _as(client: Browser, db: Database, username: str, lang: str = "en") -> Browser:
    sign_in_as(client, db, username)
    client.cookies.set("lang", lang)
    return client


def _post(client: Browser, action: str, **form: str) -> Any:
    page = client.get(PLAN)
    data = {"idempotency_key": key_of(page.text), "warehouse": "WH1", **form}
    return client.post(f"/counts/plan/{action}", data=data, follow_redirects=False)


def test_the_plan_page_computes_classes_saves_frequencies_and_counts_the_due(
    site: tuple[Browser, Database],
) -> None:
    client, db = site
    admin = _as(client, db, "admin")
    page = admin.get(PLAN)
    assert page.status_code == 200
    assert "3 of 3 places are due on" in page.text and 'id="abc-none"' in page.text
    assert [r[:5] for r in _rows(page.text, "due-places")] == [
        ["BOLT Hex bolt M8", "WH1-A", "C", "365", "Never"],
        ["BOLT Hex bolt M8", "WH1-B", "C", "365", "Never"],
        ["GLUE Wood glue", "WH1-A", "C", "365", "Never"],
    ]
    done = _post(admin, "abc", months="12")
    assert (done.status_code, done.headers["location"]) == (303, PLAN)
    page = admin.get(PLAN)
    assert _rows(page.text, "abc-classes") == [
        ["A", "1", "CN¥30.00", "88.2 %"],
        ["B", "1", "CN¥4.00", "11.8 %"],
        ["C", "0", "CN¥0.00", "0.0 %"],
    ]
    saved = _post(admin, "frequencies", class_A="14", location="WH1-B", location_days="7")
    assert saved.status_code == 303
    page = admin.get(PLAN)
    assert [(r[1], r[2], r[3]) for r in _rows(page.text, "due-places")] == [
        ("WH1-A", "A", "14"), ("WH1-B", "A", "7 (WH1-B)"), ("WH1-A", "B", "91"),
    ]  # fmt: skip
    assert 'name="class_A" min="1" max="3650" inputmode="numeric" value="14"' in page.text

    counted = _post(_as(client, db, "counter"), "count", limit="2")
    assert counted.status_code == 303 and counted.headers["location"].startswith("/documents/CNT-")
    with db.read() as conn:
        planned = conn.execute(select(func.count()).select_from(tables.count_plan_places))
        assert planned.scalar_one() == 2
        lines = conn.execute(select(func.count()).select_from(tables.count_lines))
        assert lines.scalar_one() == 2


@pytest.mark.parametrize(
    ("user", "action", "form", "status", "english", "chinese"),
    [
        ("admin", "frequencies", {"class_A": "0"}, 422,
         "A counting frequency is 1 to 3650 days.", "盘点频率为 1 至 3650 天。"),
        ("admin", "frequencies", {}, 422, "Nothing was changed.", "没有任何更改。"),
        ("admin", "abc", {"months": "61"}, 422,
         "ABC classes look back 1 to 60 months.", "ABC 分类回溯 1 至 60 个月。"),
        ("boss", "frequencies", {"class_B": "30"}, 403,
         "You are not allowed to do this: it needs the permission company.manage.",
         "您无权执行此操作：需要权限 company.manage。"),
    ],
    ids=["zero-days", "nothing", "too-many-months", "class-needs-company"],
)  # fmt: skip
def test_a_refusal_shows_the_page_again_and_writes_nothing(
    site: tuple[Browser, Database], user: str, action: str, form: dict[str, str], status: int,
    english: str, chinese: str,
) -> None:  # fmt: skip
    client, db = site
    signed = _as(client, db, user)
    before = snapshot.state(db, WATCHED)
    for lang, message in [("en", english), ("zh_CN", chinese)]:
        signed.cookies.set("lang", lang)
        refused = _post(signed, action, **form)
        assert (refused.status_code, _error(refused.text)) == (status, message)
    assert snapshot.state(db, WATCHED) == before


def test_nothing_due_and_who_may(site: tuple[Browser, Database]) -> None:
    client, db = site
    admin = _as(client, db, "admin")
    before = snapshot.state(db, WATCHED)
    page = admin.get("/counts/plan?warehouse=WH2")
    data = {"idempotency_key": key_of(page.text), "warehouse": "WH2"}
    refused = admin.post("/counts/plan/count", data=data, follow_redirects=False)
    assert (refused.status_code, _error(refused.text)) == (
        422,
        "Nothing is due for counting in WH2 today.",
    )
    assert snapshot.state(db, WATCHED) == before
    counter = _as(client, db, "counter")
    before = snapshot.state(db, WATCHED)
    assert 'id="abc-form"' not in counter.get(PLAN).text
    assert _post(counter, "abc", months="12").status_code == 403
    assert snapshot.state(db, WATCHED) == before


def test_the_plan_page_in_chinese(site: tuple[Browser, Database]) -> None:
    client, db = site
    admin = _as(client, db, "admin", "zh_CN")
    _post(admin, "abc", months="12")
    page = admin.get(PLAN)
    assert "循环盘点" in page.text and "到期待盘" in page.text and "盘点准确率" in page.text
    problems = _untranslated(page.text, _english_messages(), _raw_codes(), _data(db))
    assert problems == []
