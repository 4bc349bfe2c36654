"""The security headers docs/security.md promises "on every response": API JSON, problem+json
errors (401, 404, 405, 413, 422, 500), pages, their 404s, static files and the API docs."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.headers import SECURITY_HEADERS, SECURITY_POLICY
from cangku.settings import Settings
from tests.auth import admin_headers
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    build_company(db)
    app = create_app(Settings(database_url=database_url, max_request_bytes=512), db)

    def boom() -> None:
        raise RuntimeError("nobody expected this")

    app.add_api_route(f"{API}/test-boom", boom, methods=["GET"], include_in_schema=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (name, response)


@pytest.mark.parametrize(
    ("method", "path", "status", "content_type"),
    [
        ("GET", f"{API}/health", 200, "application/json"),
        ("GET", f"{API}/openapi.json", 200, "application/json"),
        ("GET", f"{API}/items", 401, "application/problem+json"),
        ("GET", f"{API}/no-such-route", 404, "application/problem+json"),
        ("DELETE", f"{API}/health", 405, "application/problem+json"),
        ("GET", f"{API}/test-boom", 500, "application/problem+json"),
        ("GET", "/no-such-page", 404, "text/html"),
        ("GET", "/sign-in", 200, "text/html"),
        ("GET", "/", 303, None),
        ("GET", "/static/cangku.css", 200, "text/css"),
        ("GET", "/favicon.ico", 200, "image/svg+xml"),
        ("GET", "/docs", 200, "text/html"),
        ("GET", "/docs/docs.js", 200, "text/javascript"),
        ("GET", "/docs/no-such-file.js", 404, "text/html"),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int, content_type: str | None
) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status
    if content_type is not None:
        assert response.headers["content-type"].startswith(content_type)
    _assert_secured(response)


def test_json_errors_and_refused_bodies_carry_the_headers(db: Database, client: TestClient) -> None:
    headers = admin_headers(db)
    invalid = client.post(f"{API}/items", json={"code": ""}, headers=headers)
    assert invalid.status_code == 422
    _assert_secured(invalid)
    too_large = client.post(
        f"{API}/items", content=b"x" * 2048, headers={**headers, "content-type": "application/json"}
    )
    assert too_large.status_code == 413
    _assert_secured(too_large)
    ok = client.get(f"{API}/items", headers=headers)
    assert ok.status_code == 200
    _assert_secured(ok)


def test_the_policy_allows_no_inline_script_and_nothing_from_elsewhere() -> None:
    assert "script-src 'self';" in SECURITY_POLICY
    assert "unsafe" not in SECURITY_POLICY
    assert "http" not in SECURITY_POLICY


def test_the_docs_page_runs_no_inline_script_and_loads_only_its_own_files(
    client: TestClient,
) -> None:
    page = client.get("/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts
    assert all('src="/docs/' in attributes and not body.strip() for attributes, body in scripts)
    assert "http" not in page
    for asset in re.findall(r'(?:src|href)="(/docs/[^"]+)"', page):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content
    assert 'data-openapi-url="/api/v1/openapi.json"' in page
    assert "SwaggerUIBundle(" in client.get("/docs/docs.js").text
