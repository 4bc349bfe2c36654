"""The item form and page: the allocation strategy (issue 13) is chosen, saved and shown, in
English and Chinese; a value the form never offers is refused and nothing is written."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from cangku.db.uow import Database
from cangku.domain.errors import NotFound
from cangku.queries.items import get_item
from tests.factories import build_company
from tests.web.browsing import Browser, browser, sign_in_as

NEW_NUT = {"code": "NUT", "name": "Hex nut M8", "item_type": "spare_part"}


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator, signed in, in English."""
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def options(page: str) -> list[tuple[str, str, bool]]:
    """The allocation select's options: (value, text, selected)."""
    select = re.search(r'<select name="allocation_strategy">(.*?)</select>', page, re.DOTALL)
    assert select is not None
    return [
        (value, html.unescape(text), bool(selected))
        for value, selected, text in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1)
        )
    ]


def shown(page: str) -> str:
    """What the item page says under "Allocation" (tags removed)."""
    found = re.search(r"<dt>(?:Allocation|出库分配)</dt><dd>(.*?)</dd>", page, re.DOTALL)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(found.group(1)))).strip()


def filled_form(page: str) -> dict[str, str]:
    """Every field of the page's item form as the page fills it (what a browser would send)."""
    form = re.search(r'<form method="post" class="form".*?</form>', page, re.DOTALL)
    assert form is not None
    text = form.group(0)
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", text):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', text, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected>', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(
        r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', text, re.DOTALL
    ):
        values[name] = html.unescape(body)
    return values


def test_the_new_item_form_offers_the_default_fifo_and_fefo(client: Browser) -> None:
    english = client.get("/items/new").text
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/items/new").text

    assert options(english) == [
        ("", "Default (by tracking)", True),
        ("fifo", "FIFO (oldest receipt first)", False),
        ("fefo", "FEFO (earliest expiry first)", False),
    ]
    assert "Default: FEFO for lot- or serial-tracked items with a shelf life, else FIFO" in english
    assert options(chinese) == [
        ("", "默认（按追踪方式）", True),
        ("fifo", "先进先出（最早收货先出）", False),
        ("fefo", "先到期先出（最早到期先出）", False),
    ]
    assert "出库分配" in chinese


@pytest.mark.parametrize(
    ("posted", "stored", "page_says"),
    [
        ({"allocation_strategy": "fefo"}, "fefo", "FEFO (earliest expiry first)"),
        ({"allocation_strategy": "fifo"}, "fifo", "FIFO (oldest receipt first)"),
        ({"allocation_strategy": ""}, None, "FIFO (oldest receipt first) default by tracking"),
        (
            {"allocation_strategy": "", "tracking": "lot", "shelf_life_days": "90"},
            None,
            "FEFO (earliest expiry first) default by tracking",
        ),
    ],
    ids=["fefo", "fifo", "default-untracked", "default-lot-with-shelf-life"],
)
def test_creating_an_item_saves_the_chosen_strategy_and_its_page_shows_it(
    client: Browser, db: Database, posted: dict[str, str], stored: str | None, page_says: str
) -> None:
    response = client.post("/items/new", data={**NEW_NUT, **posted})

    assert response.status_code == 200
    assert "Item NUT created." in response.text
    assert get_item(db, "NUT").allocation_strategy == stored
    assert shown(response.text) == page_says


def test_the_item_page_shows_the_strategy_in_chinese(client: Browser, db: Database) -> None:
    client.post("/items/new", data={**NEW_NUT, "allocation_strategy": "fefo"})
    client.cookies.set("lang", "zh_CN")

    assert shown(client.get("/items/NUT").text) == "先到期先出（最早到期先出）"
    assert shown(client.get("/items/FLOUR").text) == "先到期先出（最早到期先出） 按追踪方式默认"
    assert shown(client.get("/items/GLUE").text) == "先进先出（最早收货先出） 按追踪方式默认"


def test_the_edit_form_shows_the_stored_strategy_and_saves_a_change(
    client: Browser, db: Database
) -> None:
    client.post("/items/new", data={**NEW_NUT, "allocation_strategy": "fefo"})
    page = client.get("/items/NUT/edit").text
    assert [value for value, _, selected in options(page) if selected] == ["fefo"]

    to_fifo = client.post(
        "/items/NUT/edit", data={**filled_form(page), "allocation_strategy": "fifo"}
    )
    assert "Item NUT saved." in to_fifo.text
    assert shown(to_fifo.text) == "FIFO (oldest receipt first)"
    page = client.get("/items/NUT/edit").text
    assert [value for value, _, selected in options(page) if selected] == ["fifo"]

    to_default = client.post(
        "/items/NUT/edit", data={**filled_form(page), "allocation_strategy": ""}
    )
    assert "Item NUT saved." in to_default.text
    item = get_item(db, "NUT")
    assert (item.allocation_strategy, item.effective_allocation_strategy, item.version) == (
        None,
        "fifo",
        3,
    )


def test_saving_the_form_unchanged_keeps_the_strategy(client: Browser, db: Database) -> None:
    client.post("/items/new", data={**NEW_NUT, "allocation_strategy": "fefo"})

    response = client.post("/items/NUT/edit", data=filled_form(client.get("/items/NUT/edit").text))

    assert "Item NUT saved." in response.text
    assert get_item(db, "NUT").allocation_strategy == "fefo"


def test_a_strategy_the_form_never_offers_is_refused_and_nothing_is_written(
    client: Browser, db: Database
) -> None:
    refused_new = client.post("/items/new", data={**NEW_NUT, "allocation_strategy": "lifo"})
    before = get_item(db, "BOLT")
    form = filled_form(client.get("/items/BOLT/edit").text)
    refused_edit = client.post(
        "/items/BOLT/edit", data={**form, "name": "Renamed", "allocation_strategy": "lifo"}
    )

    assert refused_new.status_code == 422
    assert "allocation_strategy must be one of fifo, fefo" in refused_new.text
    assert 'value="Hex nut M8"' in refused_new.text  # the input is kept
    assert refused_edit.status_code == 422
    after = get_item(db, "BOLT")
    assert (after.name, after.allocation_strategy, after.version) == (
        before.name,
        None,
        before.version,
    )
    with pytest.raises(NotFound) as missing:
        get_item(db, "NUT")
    assert missing.value.code == "item_not_found"
