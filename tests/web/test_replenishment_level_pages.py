"""The replenishment levels pages (ADR 0032): the list with its filters, the working written out
as the formula with its numbers, the forecast candidates and the lead-time samples; recompute,
override and clear by a purchaser (refusals write nothing); a viewer may look but not act; the
pages speak Chinese; linked from the item page and the alerts page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db import tables
from cangku.db.uow import Database
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.replenishment_factory import WEEKS, build_levelled_bolt
from tests.web.browsing import Browser, browser, sign_in_as

ROW = re.compile(r'<tr data-item="([^"]+)" data-warehouse="([^"]+)">')
DETAIL = "/replenishment/levels/BOLT/WH1"


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    """The hand-worked ledger, recomputed over its 17 weeks; buyer1: purchaser in WH1, look:
    viewer in WH1."""
    from cangku.services.replenishment.levels import recompute_levels

    build_company(db)
    client = browser(db, database_url)
    build_levelled_bolt(db)
    recompute_levels(db, CTX, weeks=WEEKS)
    create_user(db, CTX, "buyer1", "Buyer one", PASSWORD, [("purchaser", "WH1")])
    create_user(db, CTX, "look", "Looker", PASSWORD, [("viewer", "WH1")])
    client.cookies.set("lang", "en")
    with client:
        yield client


def written(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(tables.replenishment_levels))]
        audits = conn.execute(select(func.count()).select_from(tables.audit_log)).scalar_one()
    return rows, audits


def test_the_list_shows_the_levels_in_force_and_filters(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "look")
    page = site.get("/replenishment/levels")
    assert page.status_code == 200
    assert ROW.findall(page.text) == [("BOLT", "WH1")]
    assert 'href="/replenishment/levels/BOLT/WH1"' in page.text
    assert "Recompute now" not in page.text  # a viewer may not
    none = site.get("/replenishment/levels", params={"overridden": "1"})
    assert ROW.findall(none.text) == [] and "No levels stored yet." in none.text
    unknown = site.get("/replenishment/levels", params={"warehouse": "WH9"})
    assert (unknown.status_code, "warehouse_not_found" in unknown.text) == (404, True)


def test_the_detail_writes_the_formula_out_with_its_numbers(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "look")
    page = site.get(DETAIL)
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.text)
    assert (
        "SS = z × √(LT × σd² + d² × σLT²) = 1.6449 × √(7 × 2.566756² + 2² × 2.828427²)"
        " = 1.6449 × √78.117652 = 1.6449 × 8.838419 = 14.538315 → 15"
    ) in text
    assert "ROP = d × LT + SS = 2 × 7 + 15 = 29" in text
    assert "Max = ROP + d × R = 29 + 2 × 7 = 43" in text
    assert 'data-method="moving_average" class="chosen"' in page.text
    assert "moving_average: lowest backtest MASE 0.000" in page.text
    assert "PO-WH1-2026-00001" in page.text and "GR-WH1-2026-00002" in page.text
    assert 'id="override"' not in page.text  # a viewer may not override


def test_a_purchaser_overrides_and_clears(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "buyer1")
    form = {"safety_stock": "", "reorder_point": "60", "order_up_to": "80", "reason": "strike"}
    done = site.post(f"{DETAIL}/override", data=form, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, DETAIL)
    page = site.get(DETAIL)
    assert "Overridden by buyer1" in page.text and "strike" in page.text
    listed = site.get("/replenishment/levels", params={"overridden": "1"})
    assert ROW.findall(listed.text) == [("BOLT", "WH1")]
    cleared = site.post(f"{DETAIL}/clear", follow_redirects=False)
    assert cleared.status_code == 303
    assert "Overridden by" not in site.get(DETAIL).text


def test_refusals_write_nothing(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "buyer1")
    before = written(db)
    no_reason = site.post(f"{DETAIL}/override", data={"reorder_point": "60", "order_up_to": "80"})
    below = site.post(f"{DETAIL}/override", data={"reorder_point": "50", "reason": "x"})
    nothing = site.post(f"{DETAIL}/clear")
    assert (no_reason.status_code, "reason_required" in no_reason.text) == (422, True)
    assert (below.status_code, "max_below_reorder_point" in below.text) == (422, True)
    assert (nothing.status_code, "override_not_found" in nothing.text) == (404, True)
    assert written(db) == before
    sign_in_as(site, db, "look")  # signing in is audited
    before = written(db)
    refused = site.post(f"{DETAIL}/override", data={"reorder_point": "60", "reason": "x"})
    recompute = site.post("/replenishment/levels/recompute")
    assert (refused.status_code, recompute.status_code) == (403, 403)
    assert written(db) == before


def test_recompute_now_says_how_many(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "buyer1")
    done = site.post("/replenishment/levels/recompute", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/replenishment/levels")
    # the default 104 weeks hold the same 17 weeks of demand: the same one row
    page = site.get("/replenishment/levels")
    assert "Levels recomputed: 1 computed, 0 cleared." in page.text


def test_the_pages_in_chinese_and_the_links_to_them(site: Browser, db: Database) -> None:
    sign_in_as(site, db, "buyer1")
    site.cookies.set("lang", "zh_CN")
    page = site.get("/replenishment/levels")
    detail = site.get(DETAIL)
    assert "<h1>补货水平</h1>" in page.text and "立即重新计算" in page.text
    assert "安全库存" in detail.text and "预测方法" in detail.text
    assert "Replenishment levels" not in page.text
    item = site.get("/items/BOLT")
    alerts = site.get("/alerts")
    assert 'href="/replenishment/levels?item=BOLT"' in item.text
    assert 'href="/replenishment/levels"' in alerts.text
