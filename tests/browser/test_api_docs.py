"""``/docs`` in a real headless Chromium: Swagger UI from the installed ``fastapi-swagger``
package, started by ``/docs/docs.js``, under the app's strict Content-Security-Policy (no
inline script, nothing from elsewhere), with no network beyond the app itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, Request, sync_playwright

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(db: Database, database_url: str) -> Iterator[str]:
    """The whole app on a free port, in a background thread, on the test database."""
    port = _free_port()
    app = create_app(Settings(database_url=database_url), db)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser_page(server: str) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        yield page
        browser.close()


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
