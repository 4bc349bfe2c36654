"""The signed-in user, API tokens, sessions with CSRF, and user and role administration over
HTTP: every refusal says why with a stable code and writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cangku.api.deps import SESSION_COOKIE
from cangku.app import create_app
from cangku.db.tables import api_tokens, audit_log, items, sessions, user_roles, users
from cangku.db.uow import Database
from cangku.domain.errors import NotAuthenticated
from cangku.services.setup import initialize
from cangku.settings import Settings
from tests.auth import PASSWORD, admin_token, session_of, token_headers, user_with_roles
from tests.factories import build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
NEW_PASSWORD = "another fine passphrase"


@pytest.fixture
def app_client(db: Database, database_url: str) -> Iterator[TestClient]:
    """A client without credentials (each test says who it is)."""
    build_company(db)
    with TestClient(create_app(Settings(database_url=database_url), db)) as client:
        yield client


def count(db: Database, table: Any, *where: Any) -> int:
    with db.read() as conn:
        stmt = select(func.count()).select_from(table).where(*where)
        return int(conn.execute(stmt).scalar_one())


def refused(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def with_session(client: TestClient, db: Database, username: str) -> dict[str, str]:
    """Put ``username``'s session cookie on the client; returns the CSRF header to send."""
    session_id, csrf = session_of(db, username, PASSWORD)
    client.cookies.set(SESSION_COOKIE, session_id)
    return {"X-CSRF-Token": csrf}


def clerk(db: Database) -> str:
    return user_with_roles(db, "clerk", ("receiving_clerk", "WH1"))


def set_admin_password(db: Database) -> None:
    initialize(db, admin_password=PASSWORD)


# ------------------------------------------------------------------ me


def test_me_shows_roles_and_permissions_by_warehouse(app_client: TestClient, db: Database) -> None:
    token = clerk(db)
    body = app_client.get(f"{API}/me", headers=token_headers(token)).json()
    assert body["username"] == "clerk"
    assert body["display_name"] == "Clerk"
    assert [(r["role"], r["warehouse"]) for r in body["roles"]] == [("receiving_clerk", "WH1")]
    permissions = {p["code"]: (p["scoped"], p["warehouses"]) for p in body["permissions"]}
    assert permissions["stock.receive"] == (True, ["WH1"])
    assert permissions["stock.view"] == (True, ["WH1"])
    assert permissions["item.view"] == (False, None)
    assert "stock.issue" not in permissions
    assert "user.view" not in permissions
    assert body["token_scopes"] == ["*"]


def test_me_through_a_scoped_token_shows_only_what_the_scope_allows(
    app_client: TestClient, db: Database
) -> None:
    token = admin_token(db, ["*.view"])
    body = app_client.get(f"{API}/me", headers=token_headers(token)).json()
    codes = [p["code"] for p in body["permissions"]]
    assert codes == sorted(codes)
    assert "stock.view" in codes and "user.view" in codes
    assert all(code.endswith(".view") for code in codes)
    assert body["token_scopes"] == ["*.view"]
    assert [(r["role"], r["warehouse"]) for r in body["roles"]] == [("administrator", None)]


def test_without_credentials_me_is_refused(app_client: TestClient) -> None:
    assert refused(app_client.get(f"{API}/me")) == (401, "not_authenticated")
    bad = {"Authorization": "Bearer ck_not_a_real_token"}
    assert refused(app_client.get(f"{API}/me", headers=bad)) == (401, "not_authenticated")
    basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert refused(app_client.get(f"{API}/me", headers=basic)) == (401, "not_authenticated")


# ------------------------------------------------------------------ tokens


def test_a_session_creates_a_token_shown_once_and_stored_hashed(
    app_client: TestClient, db: Database
) -> None:
    clerk(db)
    csrf = with_session(app_client, db, "clerk")
    response = app_client.post(
        f"{API}/tokens", json={"name": "scanner", "scopes": ["stock.*"], "days": 30}, headers=csrf
    )
    assert response.status_code == 201, response.text
    created = response.json()
    token = created["token"]
    assert token.startswith("ck_") and created["prefix"] == token[:10]
    assert created["scopes"] == ["stock.*"]
    app_client.cookies.clear()
    me = app_client.get(f"{API}/me", headers=token_headers(token)).json()
    assert me["token_scopes"] == ["stock.*"]
    assert {p["code"] for p in me["permissions"]} == {
        "stock.view",
        "stock.receive",
        "stock.transfer",
    }
    listed = app_client.get(f"{API}/tokens", headers=token_headers(token)).json()
    assert [(t["name"], t["scopes"], t["revoked_at"]) for t in listed] == [
        ("tests", ["*"], None),
        ("scanner", ["stock.*"], None),
    ]
    assert all("token" not in t for t in listed)
    with db.read() as conn:
        stored = list(conn.execute(select(api_tokens)).mappings())
    assert all(token not in [str(v) for v in row.values()] for row in stored)


def test_a_token_cannot_mint_tokens(app_client: TestClient, db: Database) -> None:
    token = clerk(db)
    before = count(db, api_tokens)
    response = app_client.post(f"{API}/tokens", json={"name": "more"}, headers=token_headers(token))
    assert refused(response) == (403, "token_cannot_mint")
    # refused before the body is looked at
    response = app_client.post(f"{API}/tokens", json={}, headers=token_headers(token))
    assert refused(response) == (403, "token_cannot_mint")
    assert count(db, api_tokens) == before


def test_a_token_cannot_revoke_tokens_or_change_the_password(
    app_client: TestClient, db: Database
) -> None:
    token = clerk(db)
    own = app_client.get(f"{API}/tokens", headers=token_headers(token)).json()[0]["id"]
    response = app_client.delete(f"{API}/tokens/{own}", headers=token_headers(token))
    assert refused(response) == (403, "session_required")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = app_client.post(f"{API}/me/password", json=body, headers=token_headers(token))
    assert refused(response) == (403, "session_required")
    assert count(db, api_tokens, api_tokens.c.revoked_at.is_not(None)) == 0
    assert app_client.get(f"{API}/me", headers=token_headers(token)).status_code == 200
    session_of(db, "clerk", PASSWORD)  # the password is unchanged


def test_a_revoked_token_stops_working_at_once(app_client: TestClient, db: Database) -> None:
    token = clerk(db)
    own = app_client.get(f"{API}/tokens", headers=token_headers(token)).json()[0]["id"]
    csrf = with_session(app_client, db, "clerk")
    assert app_client.delete(f"{API}/tokens/{own}", headers=csrf).status_code == 204
    app_client.cookies.clear()
    response = app_client.get(f"{API}/items", headers=token_headers(token))
    assert refused(response) == (401, "not_authenticated")


def test_someone_elses_token_is_not_found(app_client: TestClient, db: Database) -> None:
    admins = admin_token(db)
    theirs = app_client.get(f"{API}/tokens", headers=token_headers(admins)).json()[0]["id"]
    clerk(db)
    csrf = with_session(app_client, db, "clerk")
    response = app_client.delete(f"{API}/tokens/{theirs}", headers=csrf)
    assert refused(response) == (404, "token_not_found")
    response = app_client.delete(f"{API}/tokens/999999", headers=csrf)
    assert refused(response) == (404, "token_not_found")
    app_client.cookies.clear()
    assert app_client.get(f"{API}/me", headers=token_headers(admins)).status_code == 200


def test_everyones_tokens_need_user_view(app_client: TestClient, db: Database) -> None:
    admins = admin_token(db)
    token = clerk(db)
    response = app_client.get(f"{API}/tokens?everyone=true", headers=token_headers(token))
    assert refused(response) == (403, "permission_denied")
    listed = app_client.get(f"{API}/tokens?everyone=true", headers=token_headers(admins)).json()
    assert sorted(t["username"] for t in listed) == ["admin", "clerk"]


def test_an_expired_token_is_refused(app_client: TestClient, db: Database) -> None:
    token = clerk(db)
    assert app_client.get(f"{API}/me", headers=token_headers(token)).status_code == 200
    with db.write() as uow:
        uow.conn.execute(
            update(api_tokens).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    response = app_client.get(f"{API}/me", headers=token_headers(token))
    assert refused(response) == (401, "not_authenticated")
    assert response.json()["message"] == "invalid, expired or revoked token"


@pytest.mark.parametrize("days", [0, 367, -1], ids=["zero days", "more than a year", "negative"])
def test_a_token_lives_one_day_to_a_year(app_client: TestClient, db: Database, days: int) -> None:
    clerk(db)
    csrf = with_session(app_client, db, "clerk")
    before = count(db, api_tokens)
    response = app_client.post(f"{API}/tokens", json={"name": "x", "days": days}, headers=csrf)
    assert refused(response) == (422, "invalid_days")
    assert count(db, api_tokens) == before


def test_a_scope_must_match_some_permission(app_client: TestClient, db: Database) -> None:
    clerk(db)
    csrf = with_session(app_client, db, "clerk")
    before = count(db, api_tokens)
    response = app_client.post(
        f"{API}/tokens", json={"name": "x", "scopes": ["nothing.*"]}, headers=csrf
    )
    assert refused(response) == (422, "invalid_scope")
    assert count(db, api_tokens) == before


def test_a_view_scoped_token_reads_but_never_writes(app_client: TestClient, db: Database) -> None:
    headers = token_headers(admin_token(db, ["*.view"]))
    assert app_client.get(f"{API}/items", headers=headers).status_code == 200
    before = count(db, items)
    body = {"code": "NEW", "name": "New", "item_type": "consumable"}
    response = app_client.post(f"{API}/items", json=body, headers=headers)
    assert refused(response) == (403, "permission_denied")
    assert response.json()["data"] == {"permission": "item.create"}
    assert count(db, items) == before


# ------------------------------------------------------------------ sessions and CSRF


@pytest.mark.parametrize(
    "sent",
    [None, "", "forged-token", "x" * 500],
    ids=["absent", "empty", "forged", "long"],
)
def test_a_cookie_authenticated_write_needs_the_csrf_token(
    app_client: TestClient, db: Database, sent: str | None
) -> None:
    set_admin_password(db)
    with_session(app_client, db, "admin")
    before = count(db, items)
    headers = {} if sent is None else {"X-CSRF-Token": sent}
    body = {"code": "NEW", "name": "New", "item_type": "consumable"}
    response = app_client.post(f"{API}/items", json=body, headers=headers)
    assert refused(response) == (403, "csrf_failed")
    assert count(db, items) == before


def test_a_cookie_authenticated_request_works_with_its_csrf_token(
    app_client: TestClient, db: Database
) -> None:
    set_admin_password(db)
    csrf = with_session(app_client, db, "admin")
    assert app_client.get(f"{API}/items").status_code == 200  # reads need no CSRF token
    body = {"code": "NEW", "name": "New", "item_type": "consumable"}
    assert app_client.post(f"{API}/items", json=body, headers=csrf).status_code == 201
    assert count(db, items, items.c.code == "NEW") == 1


def test_another_sessions_csrf_token_is_refused(app_client: TestClient, db: Database) -> None:
    set_admin_password(db)
    clerk(db)
    _, other_csrf = session_of(db, "clerk", PASSWORD)
    with_session(app_client, db, "admin")
    before = count(db, items)
    body = {"code": "NEW", "name": "New", "item_type": "consumable"}
    response = app_client.post(f"{API}/items", json=body, headers={"X-CSRF-Token": other_csrf})
    assert refused(response) == (403, "csrf_failed")
    assert count(db, items) == before


def test_an_ended_session_is_refused(app_client: TestClient, db: Database) -> None:
    clerk(db)
    with_session(app_client, db, "clerk")
    assert app_client.get(f"{API}/me").status_code == 200
    with db.write() as uow:
        uow.conn.execute(
            update(sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    assert refused(app_client.get(f"{API}/me")) == (401, "not_authenticated")


# ------------------------------------------------------------------ users


def admin_client(app_client: TestClient, db: Database) -> TestClient:
    app_client.headers.update(token_headers(admin_token(db)))
    return app_client


def test_an_administrator_creates_a_user_with_roles(app_client: TestClient, db: Database) -> None:
    client = admin_client(app_client, db)
    body = {
        "username": "li.wei",
        "display_name": "Li Wei",
        "password": NEW_PASSWORD,
        "roles": [{"role": "picker_shipper", "warehouse": "WH2"}, {"role": "viewer"}],
    }
    response = client.post(f"{API}/users", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["username"], created["display_name"], created["active"]) == (
        "li.wei",
        "Li Wei",
        True,
    )
    assert created["has_password"] is True
    assert "password" not in created and "password_hash" not in created
    assert sorted((g["role"], g["warehouse"]) for g in created["grants"]) == [
        ("picker_shipper", "WH2"),
        ("viewer", None),
    ]
    assert client.get(f"{API}/users/li.wei").json() == created
    listed = client.get(f"{API}/users").json()
    assert listed["total"] == 2
    assert [u["username"] for u in listed["items"]] == ["admin", "li.wei"]
    session_of(db, "li.wei", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "admin", "display_name": "Again"}, 409, "username_taken"),
        ({"username": "x y", "display_name": "Space"}, 422, "invalid_username"),
        ({"username": "a/b", "display_name": "Slash"}, 422, "invalid_username"),
        ({"username": "weak", "display_name": "Weak", "password": "123"}, 422, "weak_password"),
        (
            {"username": "r", "display_name": "R", "roles": [{"role": "king"}]},
            404,
            "role_not_found",
        ),
        (
            {"username": "w", "display_name": "W", "roles": [{"role": "viewer", "warehouse": "X"}]},
            404,
            "warehouse_not_found",
        ),
    ],
    ids=["taken", "space", "slash", "weak password", "unknown role", "unknown warehouse"],
)
def test_a_bad_new_user_is_refused(
    app_client: TestClient, db: Database, body: dict[str, Any], status: int, code: str
) -> None:
    client = admin_client(app_client, db)
    before = count(db, users)
    assert refused(client.post(f"{API}/users", json=body)) == (status, code)
    assert count(db, users) == before


def test_an_unknown_user_is_not_found(app_client: TestClient, db: Database) -> None:
    client = admin_client(app_client, db)
    assert refused(client.get(f"{API}/users/nobody")) == (404, "user_not_found")
    assert refused(client.post(f"{API}/users/nobody/disable")) == (404, "user_not_found")


def test_roles_are_granted_and_revoked_per_warehouse(app_client: TestClient, db: Database) -> None:
    client = admin_client(app_client, db)
    token = clerk(db)
    response = client.post(
        f"{API}/users/clerk/roles", json={"role": "stock_counter", "warehouse": "WH2"}
    )
    assert response.status_code == 200, response.text
    assert sorted((g["role"], g["warehouse"]) for g in response.json()["grants"]) == [
        ("receiving_clerk", "WH1"),
        ("stock_counter", "WH2"),
    ]
    me = app_client.get(f"{API}/me", headers=token_headers(token)).json()
    permissions = {p["code"]: p["warehouses"] for p in me["permissions"]}
    assert permissions["stock.adjust"] == ["WH2"]
    assert permissions["stock.view"] == ["WH1", "WH2"]
    response = client.delete(
        f"{API}/users/clerk/roles", params={"role": "stock_counter", "warehouse": "WH2"}
    )
    assert [(g["role"], g["warehouse"]) for g in response.json()["grants"]] == [
        ("receiving_clerk", "WH1")
    ]
    response = client.delete(f"{API}/users/clerk/roles", params={"role": "stock_counter"})
    assert refused(response) == (404, "grant_not_found")


def test_an_administrator_cannot_grant_themselves_a_role(
    app_client: TestClient, db: Database
) -> None:
    client = admin_client(app_client, db)
    before = count(db, user_roles)
    response = client.post(f"{API}/users/admin/roles", json={"role": "auditor"})
    assert refused(response) == (403, "separation_of_duties")
    response = client.delete(f"{API}/users/admin/roles", params={"role": "administrator"})
    assert refused(response) == (403, "separation_of_duties")
    assert refused(client.post(f"{API}/users/admin/disable")) == (403, "separation_of_duties")
    response = client.put(f"{API}/users/admin/password", json={"password": NEW_PASSWORD})
    assert refused(response) == (403, "separation_of_duties")
    assert count(db, user_roles) == before


def test_the_last_administrator_is_kept(app_client: TestClient, db: Database) -> None:
    client = admin_client(app_client, db)
    role = {"code": "user_admin", "name": "User admin", "permissions": ["user.manage", "user.view"]}
    assert client.post(f"{API}/roles", json=role).status_code == 201
    helper = user_with_roles(db, "helper", ("user_admin", None))
    headers = token_headers(helper)
    response = app_client.delete(
        f"{API}/users/admin/roles", params={"role": "administrator"}, headers=headers
    )
    assert refused(response) == (409, "last_administrator")
    response = app_client.post(f"{API}/users/admin/disable", headers=headers)
    assert refused(response) == (409, "last_administrator")
    admin = client.get(f"{API}/users/admin").json()
    assert admin["active"] is True
    assert [(g["role"], g["warehouse"]) for g in admin["grants"]] == [("administrator", None)]


def test_a_disabled_users_tokens_and_sessions_stop_at_once(
    app_client: TestClient, db: Database
) -> None:
    token = clerk(db)
    session_id, _ = session_of(db, "clerk", PASSWORD)
    admins = token_headers(admin_token(db))
    response = app_client.post(f"{API}/users/clerk/disable", headers=admins)
    assert response.status_code == 200 and response.json()["active"] is False
    assert refused(app_client.get(f"{API}/me", headers=token_headers(token))) == (
        401,
        "not_authenticated",
    )
    app_client.cookies.set(SESSION_COOKIE, session_id)
    assert refused(app_client.get(f"{API}/me")) == (401, "not_authenticated")
    app_client.cookies.clear()
    # enabling again does not bring the old credentials back
    assert app_client.post(f"{API}/users/clerk/enable", headers=admins).json()["active"] is True
    assert app_client.get(f"{API}/me", headers=token_headers(token)).status_code == 401
    clerk_id = select(users.c.id).where(users.c.username == "clerk").scalar_subquery()
    assert (
        count(db, api_tokens, api_tokens.c.user_id == clerk_id, api_tokens.c.revoked_at.is_(None))
        == 0
    )


def test_a_password_is_set_by_an_administrator_and_changed_by_its_user(
    app_client: TestClient, db: Database
) -> None:
    clerk(db)
    admins = token_headers(admin_token(db))
    response = app_client.put(
        f"{API}/users/clerk/password", json={"password": "123"}, headers=admins
    )
    assert refused(response) == (422, "weak_password")
    response = app_client.put(
        f"{API}/users/clerk/password", json={"password": NEW_PASSWORD}, headers=admins
    )
    assert response.status_code == 200
    with pytest.raises(NotAuthenticated):
        session_of(db, "clerk", PASSWORD)
    session_id, csrf_token = session_of(db, "clerk", NEW_PASSWORD)
    app_client.cookies.set(SESSION_COOKIE, session_id)
    csrf_header = {"X-CSRF-Token": csrf_token}
    wrong = {"current_password": PASSWORD, "new_password": "yet another passphrase"}
    response = app_client.post(f"{API}/me/password", json=wrong, headers=csrf_header)
    assert refused(response) == (403, "wrong_password")
    weak = {"current_password": NEW_PASSWORD, "new_password": "clerk12345678"}
    response = app_client.post(f"{API}/me/password", json=weak, headers=csrf_header)
    assert refused(response) == (422, "weak_password")
    right = {"current_password": NEW_PASSWORD, "new_password": "yet another passphrase"}
    assert app_client.post(f"{API}/me/password", json=right, headers=csrf_header).status_code == 204
    session_of(db, "clerk", "yet another passphrase")


def test_passwords_never_come_back_nor_reach_the_audit_trail(
    app_client: TestClient, db: Database
) -> None:
    client = admin_client(app_client, db)
    body = {"username": "li.wei", "display_name": "Li Wei", "password": NEW_PASSWORD}
    created = client.post(f"{API}/users", json=body)
    client.put(f"{API}/users/li.wei/password", json={"password": "a second passphrase"})
    assert NEW_PASSWORD not in created.text
    with db.read() as conn:
        trail = " ".join(str(v) for row in conn.execute(select(audit_log)) for v in row)
    assert NEW_PASSWORD not in trail and "a second passphrase" not in trail


# ------------------------------------------------------------------ roles and permissions


def test_the_built_in_roles_and_the_permission_catalogue(
    app_client: TestClient, db: Database
) -> None:
    client = admin_client(app_client, db)
    roles = client.get(f"{API}/roles").json()
    assert [r["code"] for r in roles if r["builtin"]] == [
        "administrator",
        "warehouse_manager",
        "purchaser",
        "receiving_clerk",
        "quality_inspector",
        "picker_shipper",
        "stock_counter",
        "auditor",
        "viewer",
    ]
    clerk_role = client.get(f"{API}/roles/receiving_clerk").json()
    assert "stock.receive" in clerk_role["permissions"]
    assert "stock.issue" not in clerk_role["permissions"]
    catalogue = {p["code"]: p for p in client.get(f"{API}/permissions").json()}
    assert catalogue["stock.receive"]["scoped"] is True
    assert catalogue["stock.receive"]["roles"] == [
        "administrator",
        "receiving_clerk",
        "warehouse_manager",
    ]
    assert catalogue["user.manage"]["roles"] == ["administrator"]
    assert refused(client.get(f"{API}/roles/king")) == (404, "role_not_found")


def test_a_custom_role_is_created_and_changed(app_client: TestClient, db: Database) -> None:
    client = admin_client(app_client, db)
    body = {
        "code": "counter_plus",
        "name": "Counter+",
        "permissions": ["stock.adjust", "stock.view"],
    }
    response = client.post(f"{API}/roles", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "code": "counter_plus",
        "name": "Counter+",
        "description": None,
        "builtin": False,
        "active": True,
        "permissions": ["stock.adjust", "stock.view"],
    }
    patch = {"permissions": ["stock.view"], "description": "reads only", "name": None}
    changed = client.patch(f"{API}/roles/counter_plus", json=patch).json()
    assert (changed["name"], changed["description"], changed["permissions"]) == (
        "Counter+",
        "reads only",
        ["stock.view"],
    )
    assert refused(client.post(f"{API}/roles", json=body)) == (409, "role_code_taken")
    bad = {**body, "code": "bad", "permissions": ["stock.fly"]}
    assert refused(client.post(f"{API}/roles", json=bad)) == (422, "unknown_permission")
    response = client.patch(f"{API}/roles/viewer", json={"name": "Looker"})
    assert refused(response) == (409, "builtin_role")
    assert client.get(f"{API}/roles/viewer").json()["name"] != "Looker"


def test_only_user_viewers_read_users_and_roles(app_client: TestClient, db: Database) -> None:
    token = clerk(db)
    for path in ("/users", "/users/admin", "/roles", "/roles/viewer", "/permissions"):
        response = app_client.get(f"{API}{path}", headers=token_headers(token))
        assert refused(response) == (403, "permission_denied"), path
    auditor = user_with_roles(db, "auditor1", ("auditor", None))
    assert app_client.get(f"{API}/users", headers=token_headers(auditor)).json()["total"] == 3
    before = count(db, users)
    body = {"username": "sneaky", "display_name": "Sneaky"}
    response = app_client.post(f"{API}/users", json=body, headers=token_headers(auditor))
    assert refused(response) == (403, "permission_denied")
    assert count(db, users) == before
