"""The receipt flow in a real headless Chromium (Debian's), against the app served by uvicorn:
signing in through the sign-in page first (the session cookie is Secure: Chromium keeps it on
http://127.0.0.1), then receiving goods. The server and the browser are shared
(``tests/browser/conftest.py``); no other browser test touches BOLT or a user ``clerk``.

Screenshots of the main pages go to ``screenshots/`` at the repository root (gitignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.auth import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

pytestmark = pytest.mark.browser


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, username: str, password: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()


def test_receive_ten_bolts_and_see_them_on_hand(server: str, browser_page: Page) -> None:
    page = browser_page
    # given a visitor who is not signed in: the receive form sends them to the sign-in page
    page.goto(f"{server}/stock/operations/receive")
    assert page.url == f"{server}/sign-in?next=%2Fstock%2Foperations%2Freceive"
    _shoot(page, "sign-in-zh")
    # a wrong password is refused in Chinese
    _sign_in(page, "admin", "not the password at all")
    assert "用户名或密码错误。" in page.locator(".flash-error").inner_text()
    _shoot(page, "sign-in-refused-zh")
    # signing in goes on to the receive form (in Chinese: the browser asks for zh-CN)
    _sign_in(page, "admin", PASSWORD)
    assert page.url == f"{server}/stock/operations/receive"
    _shoot(page, "receive-form-zh")
    # when the user fills it in and posts it
    form = page.locator("#operation-form")
    form.locator("input[name=item]").fill("BOLT")
    form.locator("input[name=quantity]").fill("10")
    form.locator("input[name=to_location]").fill("WH1-A")
    form.locator("input[name=unit_cost]").fill("1.5")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    # then a flash names the posted move
    assert "已过账" in page.locator(".flash-success").inner_text()
    _shoot(page, "receive-posted-zh")
    # and the stock page shows 10 on hand
    page.goto(f"{server}/stock?item=BOLT")
    assert page.locator("#total-on-hand").inner_text() == "10"
    _shoot(page, "stock-zh")
    # and so does the item page
    page.goto(f"{server}/items/BOLT")
    cells = page.locator("table.data td.num.strong").all_inner_texts()
    assert cells == ["10"]
    _shoot(page, "item-zh")
    # the administrator creates a receiving clerk of WH1 through the users pages
    page.goto(f"{server}/users/new")
    form = page.locator("form[action='/users/new']")
    form.locator("input[name=username]").fill("clerk")
    form.locator("input[name=display_name]").fill("李雷")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("select[name=role]").select_option("receiving_clerk")
    form.locator("select[name=warehouse]").select_option("WH1")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{server}/users/clerk"
    assert "用户 clerk 已创建。" in page.locator(".flash-success").inner_text()
    assert page.locator("#grants tbody td").first.inner_text() == "收货员"
    _shoot(page, "user-clerk-zh")
    for path, name in [
        ("/", "dashboard-zh"),
        ("/users", "users-zh"),
        ("/roles", "roles-zh"),
        ("/account", "account-zh"),
        ("/items", "items-zh"),
        ("/items/new", "item-new-zh"),
        ("/items/BOLT/history", "item-history-zh"),
        ("/locations", "locations-zh"),
        ("/stock/operations", "operations-zh"),
        ("/moves/1", "move-zh"),
    ]:
        page.goto(f"{server}{path}")
        _shoot(page, name)
    # the language switch
    page.goto(f"{server}/items/BOLT")
    page.get_by_role("link", name="English").click()
    assert "Stock by location" in page.content()
    _shoot(page, "item-en")
    for path, name in [
        ("/", "dashboard-en"),
        ("/stock/operations/adjust", "adjust-en"),
        ("/users", "users-en"),
        ("/roles/receiving_clerk", "role-en"),
    ]:
        page.goto(f"{server}{path}")
        _shoot(page, name)
    # signing out ends the session: the pages send the visitor to the sign-in page again
    page.locator("form[action='/sign-out'] button").click()
    page.wait_for_load_state()
    assert page.url == f"{server}/sign-in"
    assert "You have signed out." in page.locator(".flash-success").inner_text()
    _shoot(page, "sign-in-en")
    page.goto(f"{server}/items")
    assert page.url == f"{server}/sign-in?next=%2Fitems"
