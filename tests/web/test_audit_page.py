"""The audit trail page: entries with what they changed, the filters, both languages, who may
see it, and escaping of what users typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cangku.db.uow import Database
from cangku.services.common import Context
from cangku.services.items import update_item
from cangku.services.users import create_user, grant_role
from tests.auth import PASSWORD
from tests.factories import build_company
from tests.web.browsing import Browser, browser, sign_in_as

FROM_WEB = Context("admin", origin="203.0.113.5")


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator, signed in, after BOLT was renamed from 203.0.113.5."""
    build_company(db)
    update_item(db, FROM_WEB, "BOLT", {"name": "Bolt M8 zinc"})
    with browser(db, database_url, page_size=3) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def rows(html: str) -> list[str]:
    """The entry numbers and actions listed, top to bottom."""
    return re.findall(r'<tr id="entry-\d+">.*?data-action="([^"]+)"', html, re.S)


def test_an_update_shows_its_user_origin_and_before_and_after(client: Browser) -> None:
    client.cookies.set("lang", "en")
    page = client.get("/audit", params={"action": "item.update"})

    assert page.status_code == 200
    assert "<h1>Audit trail</h1>" in page.text
    assert rows(page.text) == ["item.update"]
    assert "203.0.113.5" in page.text
    assert (
        '<dt>Name</dt><dd><span class="minus">Hex bolt M8</span> → '
        '<span class="plus">Bolt M8 zinc</span></dd>'
    ) in page.text


def test_the_page_speaks_chinese(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    page = client.get("/audit", params={"target": "NOBODY"})

    assert "<h1>审计日志</h1>" in page.text
    assert "没有找到审计记录。" in page.text
    assert "更改内容" in page.text


def test_filters_by_record_user_and_day(client: Browser, db: Database) -> None:
    today = datetime.now(UTC).date()
    by_record = client.get("/audit", params={"target_type": "item", "target": "BOLT"})
    by_text = client.get("/audit", params={"q": "ZINC"})
    sign_ins = client.get("/audit", params={"action": "auth.", "user": "admin"})
    today_only = client.get("/audit", params={"since": today.isoformat(), "action": "item.*"})
    yesterday = client.get(
        "/audit", params={"until": (today - timedelta(days=1)).isoformat(), "action": "item.*"}
    )

    assert rows(by_record.text) == ["item.update", "item.create"]
    assert rows(by_text.text) == ["item.update"]
    assert rows(sign_ins.text) == ["auth.sign_in"]
    assert rows(today_only.text) == ["item.update", "item.create", "item.create"]
    assert rows(yesterday.text) == []


def test_pages_through_the_entries(client: Browser) -> None:
    first = client.get("/audit", params={"target_type": "item"})
    second = client.get("/audit", params={"target_type": "item", "page": "2"})

    assert rows(first.text) == ["item.update", "item.create", "item.create"]
    assert rows(second.text) == ["item.create", "item.create"]
    assert "page=2" in first.text


def test_a_bad_day_is_refused_with_a_message(client: Browser) -> None:
    client.cookies.set("lang", "en")
    page = client.get("/audit", params={"since": "not-a-day"})

    assert page.status_code == 422
    assert "not-a-day" in page.text


def test_a_viewer_may_not_see_the_trail_and_an_auditor_may(client: Browser, db: Database) -> None:
    create_user(db, Context("admin"), "viewer1", "Viewer", PASSWORD, [("viewer", None)])
    sign_in_as(client, db, "viewer1")
    refused = client.get("/audit")
    nav = client.get("/")
    grant_role(db, Context("admin"), "viewer1", "auditor")
    allowed = client.get("/audit", params={"action": "user.manage"})

    assert refused.status_code == 403
    assert 'href="/audit"' not in nav.text
    assert allowed.status_code == 200
    assert rows(allowed.text) == ["user.manage", "user.manage"]


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: Browser) -> None:
    client.cookies.clear()
    response = client.get("/audit", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_what_users_typed_is_escaped(client: Browser, db: Database) -> None:
    update_item(db, FROM_WEB, "BOLT", {"description": "<script>alert(1)</script>"})
    page = client.get("/audit", params={"target": "BOLT", "action": "item.update"})

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_actions_records_origins_fields_and_values_read_in_chinese(
    client: Browser, db: Database
) -> None:
    update_item(db, Context("admin", origin="cli"), "BOLT", {"item_type": "consumable"})
    client.cookies.set("lang", "zh_CN")
    page = client.get("/audit", params={"target": "BOLT", "action": "item.*"})

    assert rows(page.text) == ["item.update", "item.update", "item.create"]
    newest = page.text.split('<tr id="entry-')[1]
    assert 'title="item.update">物料已更改</td>' in newest
    assert '<span class="muted">物料</span> <span class="code">BOLT</span>' in newest
    assert '<td class="nowrap">命令行</td>' in newest
    assert (
        '<dt>物料类型</dt><dd><span class="minus">备品备件</span> → '
        '<span class="plus">耗材</span></dd>'
    ) in newest
    created = page.text.split('<tr id="entry-')[3]
    assert (
        "<dt>启用</dt><dd>是</dd>" in created
        or ('<dt>启用</dt><dd><span class="minus">—</span> → <span class="plus">是</span></dd>')
        in created
    )
    assert "item.update</td>" not in page.text and "<dt>item_type</dt>" not in page.text


def test_a_users_roles_read_as_role_names_and_warehouses(client: Browser, db: Database) -> None:
    create_user(db, FROM_WEB, "lei", "李雷", PASSWORD, [("receiving_clerk", "WH1")])
    grant_role(db, FROM_WEB, "lei", "auditor", None)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/audit", params={"target": "lei"})

    assert '<span class="plus">[&#34;收货员 @ WH1&#34;]</span>' in page.text
    assert "[&#34;审计员 @ 全部仓库&#34;, &#34;收货员 @ WH1&#34;]" in page.text
    assert "receiving_clerk@" not in page.text
