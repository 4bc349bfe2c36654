"""``/docs`` in a real headless Chromium: Swagger UI from the installed ``fastapi-swagger``
package, started by ``/docs/docs.js``, under the app's strict Content-Security-Policy (no
inline script, nothing from elsewhere), with no network beyond the app itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

pytestmark = pytest.mark.browser


def test_the_api_docs_show_the_operations_under_the_strict_policy(
    server: str, browser_page: Page
) -> None:
    page = browser_page
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    def outside(request: Request) -> None:
        if not request.url.startswith((server, "data:")):
            elsewhere.append(request.url)

    page.on("request", outside)

    response = page.goto(f"{server}/docs")
    assert response is not None and response.ok
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    # Swagger UI breaks a path's text with zero-width spaces: its data-path has it whole
    operation = page.locator(
        ".opblock-post", has=page.locator("[data-path='/api/v1/stock/receive']")
    ).first
    page.locator(".opblock-tag").first.wait_for(timeout=20_000)
    assert "cangku" in page.locator(".information-container .info").first.inner_text()
    # Swagger UI renders the tags as they scroll into view
    for _ in range(200):
        if operation.count():
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(100)
    operation.scroll_into_view_if_needed()
    assert operation.is_visible()
    assert operation.locator(".opblock-summary-method").inner_text() == "POST"
    assert "Receive goods into a location" in operation.inner_text()

    assert [p for p in problems if "Content Security Policy" in p] == []
    assert problems == []
    assert elsewhere == []
