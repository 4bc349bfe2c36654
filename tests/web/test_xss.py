"""Output escaping: script payloads in every free-text field (and in codes, filters, forms
shown again, flash messages and error messages) never reach a page unescaped, and a template
expression typed by a user is shown, never evaluated."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from markupsafe import escape

from cangku.app import create_app
from cangku.db.uow import Database
from cangku.services.auth import create_token
from cangku.services.categories import create_category
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.lots import LotInput, create_lot
from cangku.services.partners import (
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive, Reference
from cangku.services.units import create_unit
from cangku.services.users import create_role, create_user
from cangku.services.warehouses import (
    LocationInput,
    WarehouseInput,
    create_location,
    create_warehouse,
)
from cangku.settings import Settings
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import WebRoute, web_routes
from tests.web.test_matrix import FORMS

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
#: every free-text field gets all three
PAYLOAD = SCRIPT + ATTRIBUTE + TEMPLATE
ESCAPED = str(escape(PAYLOAD))
#: codes may hold them too (no spaces at the ends; a slash only where the URL allows it)
ITEM = ATTRIBUTE
PARTNER = SCRIPT
LOCATION = '"><b>L</b>'
LOT = "<i>L1</i>"
RAW = (SCRIPT, ATTRIBUTE, "<img src=x", LOT, "<b>L</b>", "alert(1)>49")

ROUTES = web_routes(create_app(Settings(database_url="sqlite://"), Database("sqlite://")))
PAGES = [r for r in ROUTES if r.method == "GET" and r.path != "/lang/{code}"]
FORM_ACTIONS = [r for r in ROUTES if r.method == "POST" and r.path != "/sign-out"]
#: every filter any page reads from its query string
FILTERS = ("q", "item", "location", "warehouse", "lot", "status", "type", "role", "next")


def seed(db: Database) -> dict[str, str]:
    """The payload in every free-text field the pages show; the URL values of its records."""
    build_company(db)
    create_unit(db, CTX, "ux", PAYLOAD, 0)
    create_category(db, CTX, "catx", PAYLOAD)
    create_item(
        db,
        CTX,
        ItemInput(
            ITEM, PAYLOAD, "consumable", category="catx", tracking="lot", description=PAYLOAD
        ),
    )
    create_warehouse(db, CTX, WarehouseInput("WHX", PAYLOAD, address=PAYLOAD))
    create_location(db, CTX, LocationInput(LOCATION, PAYLOAD, warehouse="WHX"))
    create_lot(db, CTX, LotInput(ITEM, LOT, supplier_lot=PAYLOAD, notes=PAYLOAD))
    create_partner(
        db,
        CTX,
        PartnerInput(
            PARTNER,
            PAYLOAD,
            is_supplier=True,
            address=PAYLOAD,
            notes=PAYLOAD,
            contacts=[ContactInput(PAYLOAD, role=PAYLOAD)],
        ),
    )
    set_supplier_item(db, CTX, SupplierItemInput(PARTNER, ITEM, supplier_code=PAYLOAD))
    move = receive_stock(
        db,
        CTX,
        Receive(
            ITEM,
            "5",
            LOCATION,
            lot=LOT,
            unit_cost="1",
            supplier=PARTNER,
            note=PAYLOAD,
            reference=Reference(PAYLOAD[:40], PAYLOAD),
        ),
    ).moves[0]
    create_user(db, CTX, "xss", PAYLOAD, PASSWORD, [("viewer", "WHX")])
    create_role(db, CTX, "xssrole", PAYLOAD, ["item.view"], description=PAYLOAD)
    token = create_token(db, Context("admin"), PAYLOAD)
    return {
        "move_id": str(move.id),
        "username": "xss",
        "item": quote(ITEM, safe=""),
        "token_id": str(token.id),
    }


def url_of(route: WebRoute, values: dict[str, str]) -> str:
    section = route.path.split("/")[1]
    codes = {
        "items": ITEM,
        "partners": PARTNER,
        "locations": LOCATION,
        "lots": LOT,
        "roles": "xssrole",
    }
    return route.url({**values, "code": quote(codes.get(section, ""), safe="/")})


def assert_escaped(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, (where, raw)


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[tuple[Browser, dict[str, str]]]:
    values = seed(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client, values


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_page_shows_a_payload_unescaped(
    client: tuple[Browser, dict[str, str]], lang: str
) -> None:
    browser_, values = client
    browser_.cookies.set("lang", lang)
    shown = []
    for route in PAGES:
        url = url_of(route, values)
        for query in ("", "?" + urlencode(dict.fromkeys(FILTERS, PAYLOAD))):
            page = browser_.get(url + query)
            assert page.status_code in (200, 404, 422), (url, query)
            if page.headers.get("content-disposition", "").startswith("attachment"):
                # a download (a report's CSV) holds the data as it is: never shown as a page
                assert not page.headers["content-type"].startswith("text/html"), url
                assert page.headers["x-content-type-options"] == "nosniff", url
                continue
            assert_escaped(page.text, url + query)
            if ESCAPED in page.text:
                shown.append(route.path)
    # and the payload was really shown (escaped, the template expression as typed)
    for path in (
        "/",
        "/items",
        "/items/{code:path}",
        "/items/{code:path}/edit",
        "/items/new",
        "/locations",
        "/locations/{code:path}",
        "/warehouses",
        "/lots/{item}/{code:path}",
        "/moves/{move_id}",
        "/partners",
        "/partners/{code:path}",
        "/users",
        "/users/{username:path}",
        "/roles",
        "/roles/{code:path}",
        "/roles/{code:path}/edit",
        "/account",
        "/stock",
    ):
        assert path in shown, path


def test_error_pages_escape_what_the_url_named(client: tuple[Browser, dict[str, str]]) -> None:
    browser_, _ = client
    browser_.cookies.set("lang", "en")
    for url in (
        f"/items/{quote(SCRIPT + 'x', safe='')}",
        f"/partners/{quote(ATTRIBUTE + 'x', safe='')}",
        f"/locations/{quote(PAYLOAD, safe='')}",
        f"/lots/{quote(PAYLOAD, safe='')}/{quote(PAYLOAD, safe='')}",
        f"/users/{quote(PAYLOAD, safe='')}",
        f"/roles/{quote(PAYLOAD, safe='')}",
        f"/stock?item={quote(PAYLOAD)}",
        f"/items/{quote(ITEM, safe='')}/history?as_of={quote(PAYLOAD)}",
        f"/{quote(PAYLOAD, safe='')}",
    ):
        page = browser_.get(url)
        assert page.status_code in (404, 422), url
        assert_escaped(page.text, url)


def test_forms_shown_again_and_flash_messages_escape_what_was_typed(
    client: tuple[Browser, dict[str, str]], db: Database
) -> None:
    browser_, values = client
    browser_.cookies.set("lang", "en")
    for route in FORM_ACTIONS:
        fields = {
            name: [PAYLOAD] if isinstance(value, list) else PAYLOAD
            for name, value in FORMS.get(route.id, {"note": ""}).items()
        }
        fields |= {"username": PAYLOAD, "name": PAYLOAD, "note": PAYLOAD, "reason": PAYLOAD}
        if route.path == "/sign-in":
            page = browser_.get("/sign-in")
            fields["csrf_token"] = page.cookies.get("cangku_sign_in") or ""
        response = browser_.post(url_of(route, values), data=fields)
        assert response.status_code < 500, route.id
        if response.headers["content-type"].startswith("application/json"):
            # a scan's answer: data for the page's script (set as field values, never as
            # HTML) and one server-rendered fragment, which must be escaped
            assert response.headers["x-content-type-options"] == "nosniff", route.id
            assert_escaped(response.json().get("resolved") or "", route.id)
        else:
            assert_escaped(response.text, route.id)


def test_the_sign_in_page_escapes_the_user_name_and_the_next_page(
    db: Database, database_url: str
) -> None:
    build_company(db)
    with browser(db, database_url) as client:
        page = client.get("/sign-in", params={"next": "/" + PAYLOAD})
        assert_escaped(page.text, "sign-in")
        form_token = client.cookies.get("cangku_sign_in")
        refused = client.post(
            "/sign-in",
            data={"username": PAYLOAD, "password": "x", "csrf_token": form_token, "next": PAYLOAD},
        )
    assert refused.status_code == 401
    assert_escaped(refused.text, "sign-in refused")
    assert escape(PAYLOAD) in refused.text
