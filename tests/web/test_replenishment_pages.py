"""The replenishment suggestions and budgets pages (ADR 0033): the suggestions grouped by
supplier and source with their figures, what was cut and why; ticking and creating draft
orders (the documents linked on the page it returns to, once per form); budgets added and
deleted; refusals write nothing; the pages speak Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.snapshot import state
from tests.suggestion_factory import create_suggestion_story
from tests.web.browsing import Browser, browser, sign_in_as

WRITTEN = [tables.documents, tables.document_lines, tables.purchase_budgets, tables.balances]
PICKS = re.compile(r'name="pick" value="([^"]*)"')
CUT = re.compile(r'<tr data-item="(\w+)" data-reason="(\w+)">')


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """The suggestion story; boss1 manages WH1, look is a viewer everywhere."""
    build_company(db)
    client = browser(db, database_url)
    create_suggestion_story(db)
    create_user(db, CTX, "boss1", "Boss one", PASSWORD, [("warehouse_manager", "WH1")])
    create_user(db, CTX, "look", "Looker", PASSWORD, [("viewer", None)])
    client.cookies.set("lang", "en")
    with client:
        yield client


def test_the_suggestions_grouped_with_what_was_cut(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "admin")
    page = site.get("/replenishment")
    assert page.status_code == 200
    html = page.text
    assert 'data-source="supplier:ACME"' in html and 'data-source="transfer:WH2"' in html
    assert [p.replace("&#34;", '"') for p in PICKS.findall(html)] == [
        '["WASHER", "WH1", null]', '["NUT", "WH1", "WH2"]'
    ]  # fmt: skip
    assert "Transfer from WH2" in html and "12 per pack" in html and "min. 30" in html
    assert CUT.findall(html) == [("GASKET", "below_minimum"), ("SPRING", "no_supplier")]
    assert 'href="/replenishment/levels"' in html and 'href="/replenishment/budgets"' in html
    only = site.get("/replenishment?supplier=ZETA")
    assert PICKS.findall(only.text) == [] and CUT.findall(only.text) == [
        ("GASKET", "below_minimum")
    ]
    assert site.get("/replenishment?item=NOPE").status_code == 404


def test_create_draft_orders_once_and_link_them(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "admin")
    page = site.get("/replenishment")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key is not None
    picks = [p.replace("&#34;", '"') for p in PICKS.findall(page.text)]
    form = {"pick": picks, "idempotency_key": key.group(1)}
    done = site.post("/replenishment/orders", data=form, follow_redirects=False)
    assert done.status_code == 303
    with db.read() as conn:
        numbers = [r[0] for r in conn.execute(
            tables.documents.select().with_only_columns(tables.documents.c.number)
            .order_by(tables.documents.c.id)
        )]  # fmt: skip
    assert [n[:2] for n in numbers] == ["PO", "TR"]
    after = site.get(done.headers["location"])
    assert f"Draft documents made: {numbers[0]}, {numbers[1]}." in after.text
    assert f'href="/documents/{numbers[0]}"' in after.text
    assert PICKS.findall(after.text) == []  # on order and on the way now
    before = state(db, WRITTEN)
    again = site.post("/replenishment/orders", data=form, follow_redirects=False)
    assert again.status_code == 303 and state(db, WRITTEN) == before


def test_refusals_write_nothing(site: Browser, db: Database) -> None:
    before = state(db, WRITTEN)
    sign_in_as(site, db, "admin")
    nothing = site.post("/replenishment/orders", data={}, follow_redirects=False)
    bad = site.post("/replenishment/orders", data={"pick": "x"}, follow_redirects=False)
    gone = site.post(
        "/replenishment/orders", data={"pick": '["GASKET", "WH1", null]'}, follow_redirects=False
    )
    assert (nothing.status_code, "choose_suggestions" in nothing.text) == (422, True)
    assert (bad.status_code, "invalid_pick" in bad.text) == (422, True)
    assert (gone.status_code, "suggestion_gone" in gone.text) == (409, True)
    sign_in_as(site, db, "look")
    page = site.get("/replenishment")
    assert page.status_code == 200 and PICKS.findall(page.text) == []
    refused = site.post("/replenishment/orders", data={"all": "1"}, follow_redirects=False)
    assert refused.status_code == 403
    assert site.post("/replenishment/budgets/1/delete").status_code == 403
    assert state(db, WRITTEN) == before


def test_budgets_added_listed_and_deleted(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")
    today = date.today().isoformat()
    form = {"period_start": today, "period_end": today, "amount": "100", "warehouse": "WH1"}
    done = site.post("/replenishment/budgets", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = site.get("/replenishment/budgets")
    assert "Budget saved." in page.text and 'data-budget="1"' in page.text
    # the budget cuts WASHER to 36 (100 / 2.5 = 40, packs of 12)
    cut = site.get("/replenishment")
    assert ("WASHER", "budget") in CUT.findall(cut.text)
    before = state(db, WRITTEN)
    everywhere = site.post("/replenishment/budgets", data={**form, "warehouse": ""})
    backwards = site.post("/replenishment/budgets", data={**form, "period_end": "2000-01-01"})
    missing = site.post("/replenishment/budgets/99/delete")
    assert everywhere.status_code == 403
    assert (backwards.status_code, "invalid_budget_period" in backwards.text) == (422, True)
    assert missing.status_code == 404
    assert state(db, WRITTEN) == before
    editing = site.get("/replenishment/budgets?edit=1")
    assert "Change budget 1" in editing.text and 'name="id" value="1"' in editing.text
    changed = site.post("/replenishment/budgets", data={**form, "id": "1", "amount": "1000"})
    assert changed.status_code == 200 and "1,000" in changed.text
    assert ("WASHER", "budget") not in CUT.findall(site.get("/replenishment").text)
    gone = site.post("/replenishment/budgets/1/delete", follow_redirects=False)
    assert gone.status_code == 303
    assert "No budgets." in site.get("/replenishment/budgets").text


def test_the_pages_speak_chinese_and_are_linked(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "boss1")
    site.cookies.set("lang", "zh_CN")
    page = site.get("/replenishment")
    assert "补货建议" in page.text and "被削减的建议及原因" in page.text
    assert "采购预算" in site.get("/replenishment/budgets").text
    assert 'href="/replenishment"' in site.get("/tasks").text
    assert 'href="/replenishment"' in site.get("/").text
