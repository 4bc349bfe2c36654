"""Signing in and out through the pages: the cookie, where the user goes afterwards, refusals
that reveal nothing, login CSRF, throttling, session expiry, disabled users and the security
headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import func, select, update

from cangku.api.deps import SESSION_COOKIE as API_SESSION_COOKIE
from cangku.db.tables import sessions, sign_in_attempts
from cangku.db.uow import Database
from cangku.services.users import create_user, grant_role, revoke_role, set_user_active
from cangku.web.access import PRE_SESSION_COOKIE, SESSION_COOKIE
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, csrf_of, inline_scripts, sign_in_as


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """Nobody signed in yet; a clerk of WH1 exists (password ``PASSWORD``)."""
    build_company(db)
    create_user(db, CTX, "clerk", "Clerk", PASSWORD, [("receiving_clerk", "WH1")])
    with browser(db, database_url) as test_client:
        test_client.cookies.set("lang", "en")
        yield test_client


def count(db: Database, table: object, *where: object) -> int:
    with db.read() as conn:
        stmt = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int(conn.execute(stmt.where(*where)).scalar_one())  # type: ignore[arg-type]


def set_cookies(response: object) -> dict[str, SimpleCookie]:
    """The response's Set-Cookie headers by cookie name."""
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def submit(
    client: Browser, username: str, password: str, next_page: str = "", fresh: bool = True
) -> object:
    """Fill in and post the sign-in form as a browser would (the form's own token)."""
    form = client.get(f"/sign-in?next={next_page}" if next_page else "/sign-in")
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    if next_page:
        data["next"] = next_page
    return client.post("/sign-in", data=data, follow_redirects=False)


# ------------------------------------------------------------------ signing in


def test_the_session_cookie_is_named_as_the_api_reads_it() -> None:
    assert SESSION_COOKIE == API_SESSION_COOKIE == "cangku_session"


def test_signing_in_sets_a_secure_httponly_samesite_cookie_and_goes_on(
    client: Browser, db: Database
) -> None:
    # when
    response = submit(client, "clerk", PASSWORD, "/stock?item=BOLT")
    # then
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/stock?item=BOLT"  # type: ignore[attr-defined]
    cookie = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["path"] == "/"
    assert count(db, sessions) == 1
    # and the next page is the clerk's
    page = client.get("/stock?item=BOLT")
    assert page.status_code == 200
    assert 'href="/account"' in page.text and ">clerk</a>" in page.text


def test_signing_in_again_ends_the_browsers_earlier_session(client: Browser, db: Database) -> None:
    form = client.get("/sign-in")  # e.g. in a second tab, before the first one signed in
    sign_in_as(client, db, "admin")
    earlier = client.cookies[SESSION_COOKIE]
    data = {"username": "clerk", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    response = client.post("/sign-in", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert count(db, sessions, sessions.c.revoked_at.is_(None)) == 1
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, earlier)
    assert client.get("/stock", follow_redirects=False).status_code == 303


def test_with_secure_cookies_off_the_cookie_is_not_secure(db: Database, database_url: str) -> None:
    build_company(db)
    with browser(db, database_url, secure_cookies=False) as client:
        response = submit(client, "admin", PASSWORD)
    cookie = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert cookie["secure"] == ""
    assert cookie["httponly"] is True


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("//evil.example/x", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
        ("/items\r\nSet-Cookie: x=1", "/"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),  # a path here, still encoded
        ("/lots?item=GLUE", "/lots?item=GLUE"),
    ],
)
def test_signing_in_goes_on_only_to_a_page_of_this_site(
    client: Browser, target: str, location: str
) -> None:
    form = client.get("/sign-in")
    data = {
        "username": "clerk",
        "password": PASSWORD,
        "csrf_token": csrf_of(form.text),
        "next": target,
    }
    response = client.post("/sign-in", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == location


def test_wrong_password_and_unknown_user_read_the_same_and_open_no_session(
    client: Browser, db: Database
) -> None:
    wrong = submit(client, "clerk", "not the password at all")
    unknown = submit(client, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401  # type: ignore[attr-defined]
    for response in (wrong, unknown):
        assert "Wrong user name or password." in response.text  # type: ignore[attr-defined]
        assert SESSION_COOKIE not in set_cookies(response)
    assert count(db, sessions) == 0
    assert count(db, sign_in_attempts, sign_in_attempts.c.succeeded.is_(False)) == 2


def test_a_disabled_user_cannot_sign_in_and_reads_the_same(client: Browser, db: Database) -> None:
    set_user_active(db, CTX, "clerk", False)
    response = submit(client, "clerk", PASSWORD)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong user name or password." in response.text  # type: ignore[attr-defined]
    assert count(db, sessions) == 0


def test_the_sign_in_page_is_translated(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert "请使用用户名和密码登录。" in page.text
    refused = submit(client, "clerk", "not the password at all")
    assert "用户名或密码错误。" in refused.text  # type: ignore[attr-defined]


def test_the_sign_in_page_shows_no_navigation(client: Browser) -> None:
    page = client.get("/sign-in")
    assert 'class="mainnav"' in page.text
    assert 'href="/items"' not in page.text and "/sign-out" not in page.text


def test_a_signed_in_user_visiting_the_sign_in_page_goes_on(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    response = client.get("/sign-in?next=/lots", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/lots"


# ------------------------------------------------------------------ login CSRF


@pytest.mark.parametrize("case", ["no cookie", "no field", "other value"])
def test_a_sign_in_form_not_shown_by_this_site_is_refused(
    client: Browser, db: Database, case: str
) -> None:
    form = client.get("/sign-in")
    token = csrf_of(form.text)
    data = {"username": "clerk", "password": PASSWORD, "csrf_token": token}
    if case == "no cookie":
        client.cookies.delete(PRE_SESSION_COOKIE)
    elif case == "no field":
        data["csrf_token"] = None  # type: ignore[assignment]
    else:
        data["csrf_token"] = token[::-1]
    response = client.post("/sign-in", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "The sign-in form has expired; please try again." in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert count(db, sessions) == 0
    assert count(db, sign_in_attempts) == 0


def test_the_form_token_cookie_is_httponly_and_scoped_to_the_sign_in_page(client: Browser) -> None:
    response = client.get("/sign-in")
    cookie = set_cookies(response)[PRE_SESSION_COOKIE][PRE_SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["path"] == "/sign-in"
    assert csrf_of(response.text) == cookie.value


# ------------------------------------------------------------------ throttling


def test_the_sixth_attempt_is_refused_even_with_the_right_password(
    client: Browser, db: Database
) -> None:
    for _ in range(5):
        assert submit(client, "clerk", "not the password at all").status_code == 401  # type: ignore[attr-defined]
    response = submit(client, "clerk", PASSWORD)
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed sign-ins. Wait 15 minutes and try again." in response.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in set_cookies(response)
    assert count(db, sessions) == 0
    client.cookies.set("lang", "zh_CN")
    assert "登录失败次数过多" in submit(client, "clerk", PASSWORD).text  # type: ignore[attr-defined]


# ------------------------------------------------------------------ signing out, expiry


def test_signing_out_ends_the_session(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    session_id = client.cookies[SESSION_COOKIE]
    response = client.post("/sign-out", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    deleted = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert (deleted.value, deleted["max-age"], deleted["secure"]) == ("", "0", True)
    assert count(db, sessions, sessions.c.revoked_at.is_not(None)) == 1
    assert "You have signed out." in client.get("/sign-in").text
    # the old cookie, replayed, no longer works
    client.cookies.set(SESSION_COOKIE, session_id)
    assert client.get("/stock", follow_redirects=False).status_code == 303


def test_signing_out_without_the_csrf_token_is_refused(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    response = client.post("/sign-out", data={"csrf_token": None}, follow_redirects=False)
    assert response.status_code == 403
    assert count(db, sessions, sessions.c.revoked_at.is_(None)) == 1
    assert client.get("/stock").status_code == 200


def test_an_idle_session_expires(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    assert client.get("/stock").status_code == 200
    with db.write() as uow:
        past = datetime.now(UTC) - timedelta(seconds=1)
        uow.conn.execute(update(sessions).values(last_seen_at=past, expires_at=past))
        uow.commit()
    response = client.get("/stock", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fstock"
    assert set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]["max-age"] == "0"


def test_a_session_ends_at_its_maximum_age_even_while_in_use(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    with db.write() as uow:
        now = datetime.now(UTC)
        uow.conn.execute(
            update(sessions).values(
                created_at=now - timedelta(hours=12, seconds=1),
                last_seen_at=now - timedelta(minutes=2),
                expires_at=now + timedelta(minutes=58),
            )
        )
        uow.commit()
    response = client.get("/stock", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_a_used_session_is_extended(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    with db.write() as uow:
        now = datetime.now(UTC)
        uow.conn.execute(
            update(sessions).values(
                last_seen_at=now - timedelta(minutes=59), expires_at=now + timedelta(minutes=1)
            )
        )
        uow.commit()
    assert client.get("/stock").status_code == 200
    with db.read() as conn:
        expires = conn.execute(select(sessions.c.expires_at)).scalar_one()
    assert expires > datetime.now(UTC) + timedelta(minutes=58)


def test_a_disabled_user_is_signed_out_at_once(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    assert client.get("/stock").status_code == 200
    set_user_active(db, CTX, "clerk", False)
    response = client.get("/stock", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    refused = client.post("/stock/operations/receive", data={}, follow_redirects=False)
    assert refused.status_code == 303


def test_a_revoked_role_stops_working_at_once(client: Browser, db: Database) -> None:
    sign_in_as(client, db, "clerk")
    assert client.get("/stock/operations/receive").status_code == 200
    revoke_role(db, CTX, "clerk", "receiving_clerk", "WH1")
    assert client.get("/stock/operations/receive").status_code == 403
    assert client.get("/stock").status_code == 403
    grant_role(db, CTX, "clerk", "viewer", "WH1")
    assert client.get("/stock").status_code == 200


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize("signed_in", [True, False])
def test_pages_send_the_security_headers(client: Browser, db: Database, signed_in: bool) -> None:
    if signed_in:
        sign_in_as(client, db, "clerk")
    for url in ("/sign-in", "/stock", "/no-such-page", "/items/NOPE"):
        response = client.get(url, follow_redirects=False)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp, url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "same-origin", url
        assert headers["cache-control"] == "no-store", url


def test_pages_carry_no_inline_script_or_style(client: Browser, db: Database) -> None:
    sign_in_as(client, db)
    for url in ("/sign-in", "/", "/users", "/roles", "/account", "/stock/operations/receive"):
        text = client.get(url).text
        assert inline_scripts(text) == [], url
        assert " style=" not in text and "<style" not in text, url
        assert re.search(r"\son[a-z]+\s*=", text) is None, url
