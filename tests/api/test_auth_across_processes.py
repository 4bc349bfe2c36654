"""Authentication is decided per request from the database, never from what one app process
remembers: a token revoked, a role taken away or a user disabled through one app process is
refused at once by another (ADR 0021). Two real ``uvicorn`` processes serve one database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from cangku.db.uow import Database
from cangku.services.auth import create_token
from cangku.services.common import Context
from tests.auth import PASSWORD, session_of, token_headers, user_with_roles
from tests.factories import build_company


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "cangku.app:asgi", "--factory", "--host",
               "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "CANGKU_DATABASE_URL": url, "CANGKU_SECURE_COOKIES": "false"}
    return subprocess.Popen(command, env=env), f"http://127.0.0.1:{port}"


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


@pytest.fixture
def two_apps(db: Database, database_url: str) -> Iterator[tuple[str, str]]:
    """Two app processes on the test's database (the company built, admin's password set)."""
    build_company(db)
    user_with_roles(db, "admin2", ("administrator", None))  # admin's password: PASSWORD
    servers = [_serve(database_url) for _ in range(2)]
    try:
        for _, base in servers:
            _wait(base)
        yield servers[0][1], servers[1][1]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)


def _receive(base: str, token: str) -> httpx.Response:
    body = {"item": "BOLT", "quantity": "1", "to_location": "WH1-A", "unit_cost": "1.00"}
    return httpx.post(f"{base}/api/v1/stock/receive", json=body, headers=token_headers(token))


def _admin(base: str, db: Database) -> httpx.Client:
    """A client of ``base`` signed in as ``admin2`` with a web session (tokens cannot revoke)."""
    session_id, csrf = session_of(db, "admin2", PASSWORD)
    client = httpx.Client(base_url=base, headers={"X-CSRF-Token": csrf})
    client.cookies.set("cangku_session", session_id)
    return client


def test_a_token_revoked_through_one_process_is_refused_by_the_other_at_once(
    db: Database, two_apps: tuple[str, str]
) -> None:
    # given a clerk's token that process B has just accepted
    first, second = two_apps
    token = user_with_roles(db, "clerk", ("receiving_clerk", "WH1"))
    assert _receive(second, token).status_code == 201
    token_id = httpx.get(f"{second}/api/v1/tokens", headers=token_headers(token)).json()[0]["id"]
    # when the administrator revokes it through process A
    with _admin(first, db) as admin:
        assert admin.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    # then process B refuses the very next request, and nothing was received by it
    refused = _receive(second, token)
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
    moves = httpx.get(
        f"{first}/api/v1/stock?item=BOLT&location=WH1-A",
        headers=token_headers(create_token(db, Context("admin2"), "check").token),
    ).json()
    assert moves["items"][0]["on_hand"] == "1"


def test_a_role_taken_away_or_a_user_disabled_through_one_process_ends_at_once_in_the_other(
    db: Database, two_apps: tuple[str, str]
) -> None:
    first, second = two_apps
    token = user_with_roles(db, "clerk", ("receiving_clerk", "WH1"))
    assert _receive(second, token).status_code == 201
    with _admin(first, db) as admin:
        # the role in WH1 taken away through A: B refuses the receipt in WH1
        taken = admin.delete("/api/v1/users/clerk/roles?role=receiving_clerk&warehouse=WH1")
        assert taken.status_code == 200
        refused = _receive(second, token)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
        # given back through A: B accepts again
        given = admin.post("/api/v1/users/clerk/roles", json={"role": "receiving_clerk",
                                                               "warehouse": "WH1"})  # fmt: skip
        assert given.status_code == 200
        assert _receive(second, token).status_code == 201
        # the user disabled through A: B refuses their token
        assert admin.post("/api/v1/users/clerk/disable").status_code == 200
    refused = _receive(second, token)
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
