"""One app server and one headless Chromium (Debian's) for all the browser tests of a test
process: starting them costs seconds, a fresh browser context per test costs milliseconds.

The server runs the whole app in a background thread on a database of its own, built once: the
test company of ``tests.factories.build_company`` (the administrator's password is
``tests.auth.PASSWORD``) and a little history that the pages show (``tests.showcase``). Tests
share that database, so each one writes only records no other browser test reads: the receipt
flow receives BOLT (which the history leaves alone), the import flow creates its own items.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import PASSWORD
from tests.databases import ENGINE, RUN_ID, create_pg_database, drop_pg_database, pg_url
from tests.factories import build_company
from tests.showcase import sample_history

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Site:
    url: str
    db: Database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def site_url(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this process's browser tests (dropped at the end)."""
    if ENGINE == "postgresql":
        name = f"cangku_browser_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        create_pg_database(name, template)
        yield pg_url(name)
        drop_pg_database(name)
    else:
        path = tmp_path_factory.mktemp("browser") / "cangku.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def site(site_url: str) -> Iterator[Site]:
    """The whole app on a free port, in a background thread, on the shared browser database."""
    db = Database(site_url)
    build_company(db)
    initialize(db, admin_password=PASSWORD)
    sample_history(db)
    port = _free_port()
    app = create_app(Settings(database_url=site_url), db)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", db)
    instance.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture
def server(site: Site) -> str:
    """The shared app's base URL."""
    return site.url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A fresh page (its own cookies) that asks for Chinese, 1360 px wide."""
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$CANGKU_SCREENSHOTS`` if set (to look at them), else a temp dir."""
    wanted = os.environ.get("CANGKU_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def admin_page(chromium: Browser, site: Site) -> Iterator[Page]:
    """A page signed in as the administrator, 1400 px wide."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{site.url}/sign-in")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()
    yield page
    context.close()
