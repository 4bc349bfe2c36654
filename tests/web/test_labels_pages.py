"""Labels from the pages (issue 10): a Labels menu on each item, lot and location page, ticks
and a bulk form on the lists, PDFs from ``/labels/...``; a refusal is the error page in the
user's language and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest

from cangku.db.uow import Database
from cangku.domain.labels import LAYOUTS
from cangku.queries.lots import get_lot
from cangku.services.lots import LotInput, create_lot
from cangku.services.users import create_user
from tests.auth import PASSWORD
from tests.factories import CTX, build_company
from tests.labels import Decoded, decoded, pages_of
from tests.web.browsing import Browser, browser, sign_in_as
from tests.web.routes import state


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_company(db)
    create_lot(db, CTX, LotInput("FLOUR", "F1", expires_on=date(2027, 3, 1)))
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def labels_forms(html: str) -> list[str]:
    return re.findall(r'<form[^>]*class="labels-form".*?</form>', html, flags=re.S)


@pytest.mark.parametrize(
    ("page", "action", "field"),
    [
        ("/items/BOLT", "/labels/items", '<input type="hidden" name="code" value="BOLT">'),
        (
            "/locations/WH1-A",
            "/labels/locations",
            '<input type="hidden" name="code" value="WH1-A">',
        ),
        ("/lots/FLOUR/F1", "/labels/lots", '<input type="hidden" name="id" value="{lot_id}">'),
    ],
)
def test_each_detail_page_has_a_labels_menu_with_layout_and_copies(
    client: Browser, db: Database, page: str, action: str, field: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    [form] = labels_forms(response.text)
    assert f'action="{action}"' in form
    assert field.format(lot_id=get_lot(db, "FLOUR", "F1").id) in form
    assert re.findall(r'<option value="([^"]+)"', form) == list(LAYOUTS)
    assert 'name="copies" value="1" min="1" max="100"' in form


@pytest.mark.parametrize(
    ("page", "action", "tick"),
    [
        ("/items?type=spare_part", "/labels/items", 'name="code" value="BOLT"'),
        ("/lots?item=FLOUR", "/labels/lots", 'name="id" value="{lot_id}"'),
        ("/locations", "/labels/locations", 'name="code" value="WH1-A-01"'),
    ],
)
def test_each_list_has_ticks_and_a_bulk_form_keeping_its_filter(
    client: Browser, db: Database, page: str, action: str, tick: str
) -> None:
    html = client.get(page).text
    [form] = labels_forms(html)
    assert f'id="labels-form" method="get" action="{action}"' in form
    assert 'name="scope" value="selected"' in form and 'name="scope" value="filter"' in form
    wanted = tick.format(lot_id=get_lot(db, "FLOUR", "F1").id)
    assert re.search(
        rf'<input type="checkbox" class="label-tick" {wanted} form="labels-form"', html
    )
    if "?" in page:
        name, value = page.split("?")[1].split("=")
        assert f'<input type="hidden" name="{name}" value="{value}">' in form


def test_the_labels_of_one_item_are_a_pdf(client: Browser) -> None:
    response = client.get("/labels/items", params={"code": "BOLT", "layout": "62x29"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert decoded(response.content) == [
        [Decoded("Code128", "]C0", b"BOLT"), Decoded("DataMatrix", "]d2", b"0106901234567892")]
    ]


def test_the_ticked_rows_or_the_whole_filter(client: Browser, db: Database) -> None:
    lot_id = get_lot(db, "FLOUR", "F1").id
    ticked = client.get(
        "/labels/lots", params={"scope": "selected", "id": lot_id, "layout": "62x29"}
    )
    assert [p[0].content for p in decoded(ticked.content)] == [b"F1"]
    found = client.get(
        "/labels/items",
        params={"scope": "filter", "code": "BOLT", "type": "consumable", "layout": "62x29"},
    )
    assert [p[0].content for p in decoded(found.content)] == [b"GLUE"]


def test_a_clerk_prints_only_the_locations_of_their_warehouse(
    client: Browser, db: Database
) -> None:
    create_user(db, CTX, "clerk", "Clerk", PASSWORD, [("receiving_clerk", "WH1")])
    sign_in_as(client, db, "clerk")
    response = client.get("/labels/locations", params={"scope": "filter", "layout": "62x29"})
    assert len(pages_of(response.content)) == 6  # WH1's storage locations, not WH2-A
    other = client.get("/labels/locations", params={"code": "WH2-A"})
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        (
            {"scope": "selected"},
            422,
            "没有可打印的标签：请先勾选要打印的行，或打印全部查到的记录。",
        ),
        ({"code": "BOLT", "copies": "zwei"}, 422, "份数必须是 1 到 100 之间的整数。"),
        ({"code": "BOLT", "layout": "a5"}, 422, "请选择标签版式。"),
        ({"code": "NOPE"}, 404, "NOPE"),
    ],
)
def test_a_refusal_is_the_error_page_in_the_user_s_language(
    client: Browser, db: Database, params: dict[str, str], status: int, message: str
) -> None:
    client.cookies.set("lang", "zh_CN")
    before = state(db)
    response = client.get("/labels/items", params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert state(db) == before
