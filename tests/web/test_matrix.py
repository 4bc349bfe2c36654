"""The role x web route matrix: every page and form action of the web face, for every built-in
role, without a session, and with a missing or wrong CSRF token.

The routes come from the app (``tests.web.routes``) and each one's action from its
``page(...)`` / ``signed_in_page()`` / ``public_page()`` dependency, so a new page is covered
the moment it exists and a page that declares nothing fails here. For each role (a user holding
it in every warehouse): a route whose action the role holds answers its page (200) or does its
work (not 403); any other route answers exactly the 403 page and writes nothing. Without a
session every route but the sign-in page and the language switch goes to the sign-in page
(303) and writes nothing. Every form action refuses a missing, forged or another session's
CSRF token (403) and writes nothing, and every form on every page carries the session's token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES, Action
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from cangku.services.users import create_role, create_user
from cangku.settings import Settings
from cangku.web.access import PUBLIC
from tests.auth import PASSWORD, session_of
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import WebRoute, seed_documents, state, web_routes

ROUTES = web_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
#: the one form that ends the session goes last
ORDERED = sorted(ROUTES, key=lambda r: r.id == "POST /sign-out")
POSTS = [r for r in ORDERED if r.method == "POST" and not r.public]

#: a plausible form for each action: were a check missing, the request would write something
FORMS: dict[str, dict[str, Any]] = {
    "POST /items/new": {"code": "NEW1", "name": "New item", "item_type": "consumable"},
    "POST /items/{code:path}/edit": {
        "name": "Renamed",
        "item_type": "spare_part",
        "base_unit": "pcs",
        "tracking": "none",
        "costing_method": "fifo",
    },
    "POST /warehouses": {"code": "WH9", "name": "Ninth"},
    "POST /warehouses/{code:path}/edit": {"name": "Renamed", "allow_expired_issue": "1"},
    "POST /locations/new": {"code": "WH1-Z", "name": "Zone Z", "warehouse": "WH1"},
    "POST /lots/{item}/{code:path}/status": {"status": "hold", "reason": "check"},
    "POST /lots/{item}/{code:path}/hold": {"reason": "check"},
    "POST /lots/{item}/{code:path}/quarantine": {"reason": "check"},
    "POST /lots/{item}/{code:path}/recall": {"reason": "check"},
    "POST /lots/{item}/{code:path}/release": {"reason": "check"},
    "POST /partners/new": {"code": "NEWP", "name": "New partner", "is_supplier": "1"},
    "POST /partners/{code:path}/contacts": {"contact_name": "Li Lei"},
    "POST /stock/operations/receive": {"item": "BOLT", "quantity": "1", "to_location": "WH1-A"},
    "POST /stock/operations/issue": {
        "item": "BOLT",
        "quantity": "1",
        "from_location": "WH1-A",
        "to": "customer",
    },
    "POST /stock/operations/transfer": {
        "item": "BOLT",
        "quantity": "1",
        "from_location": "WH1-A",
        "to_location": "WH1-B",
    },
    "POST /stock/operations/adjust": {
        "item": "BOLT",
        "quantity": "1",
        "location": "WH1-A",
        "reason_code": "found",
    },
    "POST /stock/operations/scrap": {
        "item": "BOLT",
        "quantity": "1",
        "from_location": "WH1-A",
        "reason_code": "damaged",
    },
    "POST /stock/operations/reverse": {"move_id": "1"},
    "POST /users/new": {"username": "newbie", "display_name": "Newbie", "password": PASSWORD},
    "POST /users/{username:path}/grant": {"role": "auditor"},
    "POST /users/{username:path}/revoke": {"role": "viewer", "warehouse": "WH1"},
    "POST /users/{username:path}/password": {"password": "another good secret"},
    "POST /roles/new": {"code": "newrole", "name": "New role", "permissions": ["item.view"]},
    "POST /roles/{code:path}/edit": {"name": "Changed", "permissions": ["lot.view"]},
    "POST /account/password": {
        "current_password": PASSWORD,
        "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
    },
    "POST /account/tokens": {"name": "script"},
    "POST /account/time-zone": {"time_zone": "Asia/Shanghai"},
    "POST /users/{username:path}/time-zone": {"time_zone": "Asia/Tokyo"},
    "POST /settings/company": {
        "currency": "USD",
        "time_zone": "Asia/Shanghai",
        "unit_cost_places": "2",
        "expiring_soon_days": "10",
    },
    "POST /counts/new": {"warehouse": "WH1", "zones": "WH1-A", "start": "1"},
    "POST /counts/{number}/scan": {"location": "WH1-A", "item": "BOLT", "quantity": "3"},
    "POST /counts/plan/count": {"warehouse": "WH1", "limit": "1"},
    "POST /counts/plan/abc": {"warehouse": "WH1", "months": "12"},
    "POST /counts/plan/frequencies": {
        "warehouse": "WH1",
        "location": "WH1-A",
        "location_days": "7",
    },
}
UPLOADS = {
    "POST /stock/import": {
        "file": ("moves.csv", b"item,quantity,from_location,to_location\nBOLT,1,WH1-A,WH1-B\n")
    }
}


def world(db: Database) -> dict[str, str]:
    """A company with stock in both warehouses (move 1: 10 BOLT into WH1-A), lot G1 of GLUE, a
    supplier, a user ``target`` and a custom role ``custom``; the values of the URLs."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="1.5"))
    receive_stock(db, CTX, Receive("GLUE", "5", "WH1-A", lot="G1", unit_cost="2"))
    receive_stock(db, CTX, Receive("BOLT", "4", "WH2-A", unit_cost="1.5"))
    create_partner(db, CTX, PartnerInput("ACME", "Acme Ltd", is_supplier=True))
    create_user(db, CTX, "target", "Target", PASSWORD, [("viewer", "WH1")])
    create_role(db, CTX, "custom", "Custom role", ["item.view"])
    number = seed_documents(db)  # a draft purchase order: the document pages and their steps
    return {"item": "GLUE", "move_id": "1", "username": "target", "code": "?", "token_id": "?",
            "number": number}  # fmt: skip


def url_of(route: WebRoute, values: dict[str, str]) -> str:
    """A concrete URL: the path parameters named after what the path is about."""
    section = route.path.split("/")[1]
    codes = {
        "items": "BOLT",
        "partners": "ACME",
        "locations": "WH1-A",
        "lots": "G1",
        "roles": "custom",
        "warehouses": "WH1",
        "lang": "en",
    }
    url = route.url({**values, "code": codes.get(section, values["code"])})
    assert "{" not in url, route.id
    return url


def call(client: Browser, route: WebRoute, values: dict[str, str], **form: Any) -> Any:
    url = url_of(route, values)
    if route.method == "GET":
        return client.get(url, follow_redirects=False)
    data = {**FORMS.get(route.id, {}), **form}
    return client.post(url, data=data, files=UPLOADS.get(route.id), follow_redirects=False)


def allowed(route: WebRoute, role: str) -> bool:
    action = route.action
    return action is None or (isinstance(action, Action) and role in action.roles)


@pytest.fixture
def world_client(db: Database, database_url: str) -> Iterator[tuple[Browser, dict[str, str]]]:
    values = world(db)
    with browser(db, database_url) as client:
        client.cookies.set("lang", "en")
        yield client, values


# ------------------------------------------------------------------ the routes themselves


def test_every_web_route_declares_exactly_one_action() -> None:
    undeclared = [r.id for r in ROUTES if len(r.declared) != 1]
    assert undeclared == []
    assert len(ROUTES) >= 60


def test_only_the_sign_in_page_and_the_language_switch_are_public() -> None:
    public = sorted(r.id for r in ROUTES if r.action == PUBLIC)
    assert public == ["GET /lang/{code}", "GET /sign-in", "POST /sign-in"]


def test_only_the_own_account_dashboard_and_operations_menu_need_no_permission() -> None:
    open_to_all = sorted(r.id for r in ROUTES if r.action is None)
    assert open_to_all == [
        "GET /",
        "GET /account",
        "GET /reports",
        "GET /stock/operations",
        "POST /account/password",
        "POST /account/time-zone",
        "POST /account/tokens",
        "POST /account/tokens/{token_id}/revoke",
        "POST /sign-out",
    ]


def test_user_and_role_administration_needs_the_user_and_role_permissions() -> None:
    administration = {
        r.id: r.action.code if isinstance(r.action, Action) else r.action
        for r in ROUTES
        if r.path.startswith(("/users", "/roles"))
    }
    reading = {k for k, v in administration.items() if v == "user.view"}
    assert reading == {
        "GET /users",
        "GET /users/{username:path}",
        "GET /roles",
        "GET /roles/{code:path}",
    }
    assert set(administration.values()) == {"user.view", "user.manage", "role.manage"}
    assert all(v == "role.manage" for k, v in administration.items() if k.startswith("POST /roles"))
    assert all(v == "user.manage" for k, v in administration.items() if k.startswith("POST /users"))


def test_every_form_action_of_a_page_is_a_route_of_the_matrix() -> None:
    actions = {r.id for r in POSTS} | {"POST /sign-in"}
    assert set(FORMS) | set(UPLOADS) <= actions


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", BUILTIN_ROLES)
def test_every_web_route_permits_or_refuses_the_role_exactly(
    world_client: tuple[Browser, dict[str, str]], db: Database, role: str
) -> None:
    # given a user holding only ``role``, in every warehouse, signed in
    client, values = world_client
    username = f"holder_{role}"
    create_user(db, CTX, username, role.title(), PASSWORD, [(role, None)])
    values["token_id"] = str(create_token(db, Context(username), "mine").id)
    sign_in_as(client, db, username)
    refused = []
    for route in ORDERED:
        if route.public:
            continue
        before = state(db)
        # when
        response = call(client, route, values)
        # then
        if allowed(route, role):
            assert response.status_code != 403, route.id
            assert response.status_code < 500, route.id
            if route.method == "GET":
                assert response.status_code == 200, route.id
            if route.id != "POST /sign-out" and response.status_code == 303:
                assert not response.headers["location"].startswith("/sign-in"), route.id
        else:
            refused.append(route.id)
            assert response.status_code == 403, route.id
            # the refusal names the permission (issue 10, defect 11)
            assert "You are not allowed to do this" in response.text, route.id
            assert "it needs the permission " in response.text, route.id
            assert "permission_denied" in response.text, route.id
            assert state(db) == before, route.id
    # the administrator is refused nothing; the others at least every user administration
    if role == "administrator":
        assert refused == []
    else:
        assert "GET /users/new" in refused and "POST /roles/new" in refused


def test_without_a_session_every_route_goes_to_the_sign_in_page_and_writes_nothing(
    world_client: tuple[Browser, dict[str, str]], db: Database
) -> None:
    client, values = world_client
    values["token_id"] = str(create_token(db, Context("target"), "mine").id)
    for route in ORDERED:
        if route.public:
            continue
        before = state(db)
        response = call(client, route, values, csrf_token="anything")
        assert response.status_code == 303, route.id
        location = response.headers["location"]
        url = url_of(route, values)
        if route.method == "GET" and url != "/":
            assert location == f"/sign-in?next={quote(url, safe='')}", route.id
        else:
            assert location == "/sign-in", route.id
        assert state(db) == before, route.id


def test_an_ended_or_unknown_session_cookie_goes_to_the_sign_in_page(
    world_client: tuple[Browser, dict[str, str]],
) -> None:
    client, _ = world_client
    client.cookies.set("cangku_session", "not-a-session")
    response = client.get("/items/BOLT?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fitems%2FBOLT%3Fx%3D1"
    page = client.get(response.headers["location"])
    assert "Your session has ended; please sign in again." in page.text


# ------------------------------------------------------------------ CSRF


def test_every_form_action_refuses_a_missing_forged_or_foreign_csrf_token(
    world_client: tuple[Browser, dict[str, str]], db: Database
) -> None:
    # given the administrator (who may do everything) signed in, and another user's session
    client, values = world_client
    values["token_id"] = str(create_token(db, Context("admin"), "mine").id)
    own = sign_in_as(client, db)
    _, foreign = session_of(db, "target")
    forged = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    for route in POSTS:
        for token in (None, "", forged, foreign, own + "x", "令牌"):
            before = state(db)
            response = call(client, route, values, csrf_token=token)
            assert response.status_code == 403, (route.id, token)
            assert "csrf_failed" in response.text, (route.id, token)
            assert state(db) == before, (route.id, token)


def test_every_post_form_on_every_page_carries_the_session_csrf_token(
    world_client: tuple[Browser, dict[str, str]], db: Database
) -> None:
    client, values = world_client
    values["token_id"] = "1"
    csrf = sign_in_as(client, db)
    forms_seen = 0
    for route in ROUTES:
        if route.method != "GET" or route.public:
            continue
        page = call(client, route, values)
        assert page.status_code == 200, route.id
        for form in re.findall(r"<form\b([^>]*)>(.*?)</form>", page.text, re.S):
            attributes, body = form
            if 'method="post"' not in attributes:
                continue
            forms_seen += 1
            assert f'name="csrf_token" value="{csrf}"' in body, (route.id, attributes)
    assert forms_seen >= 40
