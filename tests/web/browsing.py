"""Driving the pages like a browser: a TestClient over https (the session cookie is Secure) that
sends the session's CSRF token with every form, as the pages' forms do."""

from __future__ import annotations

import re
import warnings
from typing import Any

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import Settings
from cangku.web.access import SESSION_COOKIE
from tests.auth import PASSWORD, session_of

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


class Browser(TestClient):
    """A TestClient whose POSTs carry ``csrf_token`` (the signed-in session's) unless the test
    gives its own (or ``csrf_token=None`` in ``data`` to send none)."""

    csrf_token: str = ""

    def post(self, url: Any, *, data: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if data is None or isinstance(data, dict):
            fields = dict(data or {})
            if "csrf_token" not in fields and self.csrf_token:
                fields["csrf_token"] = self.csrf_token
            if fields.get("csrf_token", "") is None:
                del fields["csrf_token"]
            data = fields
        return super().post(url, data=data, **kwargs)


def browser(db: Database, database_url: str, **settings: Any) -> Browser:
    """A client of the whole app on the test database (not yet signed in)."""
    initialize(db, admin_password=PASSWORD)
    app = create_app(Settings(database_url=database_url, **settings), db)
    return Browser(app, base_url="https://testserver")


def sign_in_as(client: Browser, db: Database, username: str = "admin") -> str:
    """Open a session for ``username`` (password ``PASSWORD``) in ``client``; its CSRF token."""
    session_id, csrf = session_of(db, username, PASSWORD)
    client.cookies.set(SESSION_COOKIE, session_id)
    client.csrf_token = csrf
    return csrf


def key_of(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None
    return found.group(1)


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    """Every ``<script>`` of ``html`` that is not an empty tag loading a file from /static/
    (the CSP allows only those: ``script-src 'self'``)."""
    tags = _SCRIPT.findall(html)
    wrong = [
        f"<script{attrs}>{body}</script>"
        for attrs, body in tags
        if body.strip() or re.search(r'\ssrc="/static/[\w.-]+\.js"', attrs) is None
    ]
    unclosed = html.lower().count("<script") - len(tags)
    return wrong + ["<script without </script>"] * unclosed
