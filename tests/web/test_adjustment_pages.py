"""Adjustments on the web: the form raises a multi-line adjustment, the document page's
buttons take its steps (approval by someone else), the manual adjust says when it waits for
approval, and the reason-code settings page; in English and Chinese. Refusals write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import documents, moves, reason_codes
from cangku.db.uow import Database
from cangku.queries.stock import StockFilter, totals
from cangku.services.company import CompanyChanges, update_company
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as

YEAR = datetime.now(UTC).year
FIRST = f"ADJ-WH1-{YEAR}-00001"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="2"))
    for name, role in [("counter", "stock_counter"), ("boss", "warehouse_manager")]:
        create_user(db, CTX, name, name.title(), PASSWORD, [(role, "WH1")])
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db, "counter")
        test_client.cookies.set("lang", "en")
        yield test_client


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (moves, documents, reason_codes)
        )


def _on_hand(db: Database, location: str) -> Decimal:
    with db.read() as conn:
        return totals(conn, StockFilter(item="BOLT", location=location)).on_hand


def _form(key: str, **extra: str) -> dict[str, str]:
    return {
        "idempotency_key": key, "rows": "2",
        "item-0": "BOLT", "location-0": "WH1-A", "direction-0": "loss", "quantity-0": "3",
        "reason-0": "lost",
        "item-1": "BOLT", "location-1": "WH1-B", "direction-1": "gain", "quantity-1": "1",
        "reason-1": "found", "unit_cost-1": "4",
        **extra,
    }  # fmt: skip


def test_the_form_raises_and_the_buttons_approve_and_post(client: Browser, db: Database) -> None:
    update_company(db, CTX, CompanyChanges(adjustment_approval_threshold="5"))
    page = client.get("/adjustments/new")
    assert page.status_code == 200
    assert 'name="reason-4"' in page.text  # five rows
    assert '<option value="lost">' in page.text
    raised = client.post("/adjustments/new", data=_form(key_of(page.text), submit="1"))
    assert raised.status_code == 200, raised.text
    assert str(raised.url).endswith(f"/documents/{FIRST}")
    assert f"Adjustment {FIRST} waits for approval." in raised.text
    # the counter may not approve: no button
    assert f"/documents/{FIRST}/adjustment/approve" not in raised.text
    sign_in_as(client, db, "boss")
    shown = client.get(f"/documents/{FIRST}")
    assert f"/documents/{FIRST}/adjustment/approve" in shown.text
    approved = client.post(f"/documents/{FIRST}/adjustment/approve", data={"note": "ok"})
    assert "it is now Approved" in approved.text
    posted = client.post(f"/documents/{FIRST}/adjustment/post", data={})
    assert "it is now Posted" in posted.text
    assert (_on_hand(db, "WH1-A"), _on_hand(db, "WH1-B")) == (Decimal("7"), Decimal("1"))


def test_own_approval_is_refused_on_the_page(client: Browser, db: Database) -> None:
    update_company(db, CTX, CompanyChanges(adjustment_approval_threshold="1"))
    sign_in_as(client, db, "boss")
    page = client.get("/adjustments/new")
    client.post("/adjustments/new", data=_form(key_of(page.text), submit="1"))
    before = _counts(db)
    refused = client.post(f"/documents/{FIRST}/adjustment/approve", data={})
    assert refused.status_code == 409
    assert f"You raised {FIRST}: someone else must approve it." in refused.text
    assert _counts(db) == before


def test_a_bad_line_keeps_the_form_and_writes_nothing(client: Browser, db: Database) -> None:
    page = client.get("/adjustments/new")
    before = _counts(db)
    refused = client.post("/adjustments/new", data=_form(key_of(page.text), **{"reason-0": "x"}))
    assert refused.status_code == 422
    assert 'value="WH1-B"' in refused.text  # kept as typed
    assert _counts(db) == before


def test_the_form_in_chinese(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    page = client.get("/adjustments/new")
    assert "新建调整单" in page.text
    assert "报废" in page.text


def test_manual_adjust_says_it_waits_for_approval(client: Browser, db: Database) -> None:
    update_company(db, CTX, CompanyChanges(adjustment_approval_threshold="1"))
    data = {"item": "BOLT", "quantity": "-2", "location": "WH1-A", "reason_code": "lost"}
    answer = client.post("/stock/operations/adjust", data={**data, "idempotency_key": "k1"})
    assert f"Adjustment {FIRST} waits for approval" in answer.text
    assert _on_hand(db, "WH1-A") == Decimal("10")
    update_company(db, CTX, CompanyChanges(adjustment_approval_threshold=None))
    done = client.post("/stock/operations/adjust", data={**data, "idempotency_key": "k2"})
    assert f"Adjustment ADJ-WH1-{YEAR}-00002." in done.text
    assert _on_hand(db, "WH1-A") == Decimal("8")


def test_reason_codes_settings_page(client: Browser, db: Database) -> None:
    assert client.get("/settings/reason-codes").status_code == 403
    sign_in_as(client, db, "boss")
    page = client.get("/settings/reason-codes")
    assert 'data-code="scrap/obsolete"' in page.text
    added = client.post(
        "/settings/reason-codes",
        data={"idempotency_key": key_of(page.text), "kind": "adjustment", "code": "forklift",
              "label": "Forklift damage", "label_zh": "叉车损坏"},
    )  # fmt: skip
    assert "The reason code forklift was added." in added.text
    before = _counts(db)
    bad = client.post(
        "/settings/reason-codes",
        data={"idempotency_key": "k9", "kind": "adjustment", "code": "Bad", "label": "x"},
    )
    assert bad.status_code == 422
    assert _counts(db) == before
    off = client.post(
        "/settings/reason-codes/active", data={"kind": "adjustment", "code": "lost", "active": "0"}
    )
    assert "The reason code lost is no longer offered." in off.text
    form = client.get("/adjustments/new")
    assert '<option value="lost">' not in form.text
    assert '<option value="forklift">Forklift damage</option>' in form.text
    client.cookies.set("lang", "zh_CN")
    assert '<option value="forklift">叉车损坏</option>' in client.get("/adjustments/new").text


def test_the_document_page_shows_each_lines_direction_and_reason(
    client: Browser, db: Database
) -> None:
    page = client.get("/adjustments/new")
    client.post("/adjustments/new", data=_form(key_of(page.text)))
    client.cookies.set("lang", "zh_CN")
    shown = client.get(f"/documents/{FIRST}").text
    assert "<th>方向</th>" in shown
    assert '<td class="label">盘亏</td>' in shown
    assert '<td class="label">盘盈</td>' in shown
    assert '<td class="label">lost</td>' not in shown


def test_an_inactive_reason_is_refused_in_chinese(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "boss")
    client.post(
        "/settings/reason-codes/active", data={"kind": "adjustment", "code": "lost", "active": "0"}
    )
    client.cookies.set("lang", "zh_CN")
    before = _counts(db)
    data = {"item": "BOLT", "quantity": "-1", "location": "WH1-A", "reason_code": "lost"}
    refused = client.post("/stock/operations/adjust", data={**data, "idempotency_key": "k"})
    assert refused.status_code == 422
    assert "原因代码 lost 已停用" in refused.text
    assert _counts(db) == before


def test_the_operations_menu_offers_a_new_adjustment(client: Browser) -> None:
    assert 'href="/adjustments/new"' in client.get("/stock/operations").text
