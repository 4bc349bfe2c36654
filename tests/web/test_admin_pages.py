"""The administration pages (users, roles) and the user's own account page, through the forms:
what they write, what they refuse (separation of duties, weak passwords, built-in roles) and
that a refusal writes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from cangku.db.tables import api_tokens, audit_log
from cangku.db.uow import Database
from cangku.domain.errors import NotAuthenticated
from cangku.services.auth import authenticate_token, sign_in
from cangku.services.users import create_user, get_role, get_user
from cangku.web.access import SESSION_COOKIE
from tests.auth import PASSWORD, session_of
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import state

NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator signed in (English); a clerk of WH1 exists."""
    build_company(db)
    create_user(db, CTX, "clerk", "Clerk Li", PASSWORD, [("receiving_clerk", "WH1")])
    with browser(db, database_url) as test_client:
        test_client.cookies.set("lang", "en")
        sign_in_as(test_client, db)
        yield test_client


def grants(db: Database, username: str) -> list[tuple[str, str | None]]:
    return sorted((g.role, g.warehouse) for g in get_user(db, username).grants)


# ------------------------------------------------------------------ users


def test_the_users_page_lists_users_with_their_roles(client: Browser) -> None:
    page = client.get("/users")
    assert page.status_code == 200
    assert '<a href="/users/clerk">clerk</a>' in page.text
    assert "Receiving clerk" in page.text and "WH1" in page.text
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/users")
    assert "收货员" in chinese.text and "全部仓库" in chinese.text


def test_creating_a_user_with_a_role_in_one_warehouse(client: Browser, db: Database) -> None:
    data = {
        "username": "picker",
        "display_name": "Picker Wang",
        "password": PASSWORD,
        "role": "picker_shipper",
        "warehouse": "WH2",
    }
    response = client.post("/users/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/users/picker"
    assert "User picker created." in client.get("/users/picker").text
    assert grants(db, "picker") == [("picker_shipper", "WH2")]
    assert sign_in(db, "picker", PASSWORD).username == "picker"


def test_a_weak_password_is_refused_with_the_input_kept(client: Browser, db: Database) -> None:
    before = state(db)
    data = {"username": "picker", "display_name": "Picker Wang", "password": "short"}
    page = client.post("/users/new", data=data)
    assert page.status_code == 422
    assert "The password is too weak" in page.text
    assert 'value="Picker Wang"' in page.text
    assert 'value="short"' not in page.text  # a password is never shown again
    assert state(db) == before


def test_granting_and_revoking_a_role(client: Browser, db: Database) -> None:
    client.post("/users/clerk/grant", data={"role": "stock_counter", "warehouse": ""})
    assert grants(db, "clerk") == [("receiving_clerk", "WH1"), ("stock_counter", None)]
    page = client.post("/users/clerk/revoke", data={"role": "receiving_clerk", "warehouse": "WH1"})
    assert "The role was taken from clerk." in page.text
    assert grants(db, "clerk") == [("stock_counter", None)]


def test_nobody_changes_their_own_roles_or_account(client: Browser, db: Database) -> None:
    before = state(db)
    for url, data in [
        ("/users/admin/revoke", {"role": "administrator", "warehouse": ""}),
        ("/users/admin/grant", {"role": "auditor"}),
        ("/users/admin/disable", {}),
        ("/users/admin/password", {"password": NEW_PASSWORD}),
    ]:
        page = client.post(url, data=data)
        assert page.status_code == 403, url
        assert "Separation of duties" in page.text, url
    assert state(db) == before


def test_disabling_a_user_ends_their_session_at_once(
    client: Browser, db: Database, database_url: str
) -> None:
    clerk_session, _ = session_of(db, "clerk")
    page = client.post("/users/clerk/disable")
    assert "clerk is disabled; their sessions and tokens have ended." in page.text
    assert get_user(db, "clerk").active is False
    with browser(db, database_url) as other:
        other.cookies.set(SESSION_COOKIE, clerk_session)
        assert other.get("/stock", follow_redirects=False).status_code == 303
    client.post("/users/clerk/enable")
    assert get_user(db, "clerk").active is True


def test_resetting_a_password(client: Browser, db: Database) -> None:
    page = client.post("/users/clerk/password", data={"password": NEW_PASSWORD})
    assert "The password of clerk was set; their sessions have ended." in page.text
    assert sign_in(db, "clerk", NEW_PASSWORD).username == "clerk"
    with pytest.raises(NotAuthenticated):
        sign_in(db, "clerk", PASSWORD)


def test_an_unknown_user_is_a_404(client: Browser) -> None:
    assert client.get("/users/nobody").status_code == 404


# ------------------------------------------------------------------ roles


def test_the_roles_page_shows_built_in_roles_translated(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    page = client.get("/roles")
    assert page.status_code == 200
    for name in ("管理员", "仓库经理", "采购员", "收货员", "质检员", "拣货 / 发货员", "盘点员"):
        assert name in page.text
    detail = client.get("/roles/receiving_clerk").text
    assert '<code translate="no">stock.receive</code>' in detail
    assert ">stock.issue</code>" not in detail
    assert "/roles/receiving_clerk/edit" not in detail  # built-in: not editable


def test_creating_and_changing_a_custom_role(client: Browser, db: Database) -> None:
    new = client.get("/roles/new")
    assert 'name="permissions" value="stock.receive"' in new.text
    data = {
        "code": "night_shift",
        "name": "Night shift",
        "description": "Receives at night",
        "permissions": ["stock.view", "stock.receive"],
    }
    response = client.post("/roles/new", data=data, follow_redirects=False)
    assert response.headers["location"] == "/roles/night_shift"
    role = get_role(db, "night_shift")
    assert (role.name, role.permissions, role.builtin) == (
        "Night shift",
        ["stock.receive", "stock.view"],
        False,
    )
    edit = client.get("/roles/night_shift/edit")
    assert 'value="stock.receive" checked' in edit.text
    client.post(
        "/roles/night_shift/edit",
        data={"name": "Night", "permissions": ["stock.view"], "active": "1"},
    )
    assert get_role(db, "night_shift").permissions == ["stock.view"]
    # and the role can be given to a user
    client.post("/users/clerk/grant", data={"role": "night_shift", "warehouse": "WH1"})
    assert ("night_shift", "WH1") in grants(db, "clerk")


def test_an_unknown_permission_is_refused(client: Browser, db: Database) -> None:
    before = state(db)
    data = {"code": "odd", "name": "Odd", "permissions": ["stock.fly"]}
    page = client.post("/roles/new", data=data)
    assert page.status_code == 422
    assert "Unknown permission stock.fly." in page.text
    assert state(db) == before


def test_a_built_in_role_cannot_be_changed(client: Browser, db: Database) -> None:
    before = state(db)
    page = client.post("/roles/viewer/edit", data={"name": "Everyone", "permissions": []})
    assert page.status_code == 422
    assert "Built-in roles cannot be changed." in page.text
    assert state(db) == before


# ------------------------------------------------------------------ my account


def test_changing_ones_own_password(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    differ = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "!",
        },
    )
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    done = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert "Your password has been changed." in done.text
    assert sign_in(db, "clerk", NEW_PASSWORD).username == "clerk"


def test_a_new_token_is_shown_once_and_works(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    page = client.post(
        "/account/tokens", data={"name": "scanner", "days": "30", "scopes": "stock.*"}
    )
    assert page.status_code == 200
    shown = re.search(r'<code class="token" id="new-token">(ck_[^<]+)</code>', page.text)
    assert shown is not None
    token = shown.group(1)
    assert authenticate_token(db, token).scopes == ("stock.*",)
    # never again
    assert token not in client.get("/account").text
    with db.read() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash, api_tokens.c.id)).one()
    assert token not in stored.token_hash
    # revoked from the page
    client.post(f"/account/tokens/{stored.id}/revoke")
    with pytest.raises(NotAuthenticated):
        authenticate_token(db, token)


def test_another_users_token_cannot_be_revoked_by_id(client: Browser, db: Database) -> None:
    client.post("/account/tokens", data={"name": "admin script"})
    sign_in_as(client, db, "clerk")
    before = state(db)
    page = client.post("/account/tokens/1/revoke")
    assert page.status_code == 404
    assert state(db) == before


def test_the_account_page_shows_the_users_roles(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    client.cookies.set("lang", "zh_CN")
    page = client.get("/account")
    assert page.status_code == 200
    assert "我的账户" in page.text and "Clerk Li" in page.text and "收货员" in page.text


def test_changes_through_the_pages_act_as_the_signed_in_user_from_the_client(
    client: Browser, db: Database
) -> None:
    sign_in_as(client, db, "clerk")
    client.post("/account/tokens", data={"name": "scanner"})
    with db.read() as conn:
        entry = conn.execute(
            select(audit_log.c.username, audit_log.c.action, audit_log.c.origin)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).one()
    assert tuple(entry) == ("clerk", "token.create", "testclient")
