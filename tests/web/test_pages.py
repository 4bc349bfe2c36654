"""The web pages through FastAPI's TestClient: every page in both languages, the forms and what
they write, translated errors, escaping and double submits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cangku.db.uow import Database
from cangku.queries.items import get_item
from cangku.queries.partners import get_partner
from cangku.queries.sites import get_location, get_warehouse
from cangku.queries.stock import HistoryFilter, StockFilter, history, on_hand
from cangku.services.partners import PartnerInput, create_partner
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.settings import Settings
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, inline_scripts, key_of, sign_in_as

TestClient = Browser


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator, signed in."""
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        yield test_client


def use(client: TestClient, lang: str) -> TestClient:
    client.cookies.set("lang", lang)
    return client


def stock_of(db: Database, item: str, location: str | None = None) -> Decimal:
    with db.read() as conn:
        rows = on_hand(conn, StockFilter(item=item, location=location)).items
    return sum((row.on_hand for row in rows), Decimal(0))


def move_count(db: Database) -> int:
    with db.read() as conn:
        return history(conn, HistoryFilter(until=datetime(9999, 1, 1, tzinfo=UTC))).total


def receive(db: Database, item: str = "BOLT", quantity: str = "10", **extra: object) -> int:
    command = Receive(item, quantity, "WH1-A", unit_cost="1.5", **extra)  # type: ignore[arg-type]
    return receive_stock(db, CTX, command).moves[0].id


# ------------------------------------------------------------------ every page, both languages

PAGES = [
    ("/", "概览", "Dashboard"),
    ("/items", "新建物料", "New item"),
    ("/items?q=bolt&type=spare_part&page=1", "Hex bolt M8", "Hex bolt M8"),
    ("/items/new", "创建物料", "Create item"),
    ("/items/BOLT", "各库位库存", "Stock by location"),
    ("/items/BOLT/edit", "编辑物料 BOLT", "Edit item BOLT"),
    ("/items/BOLT/history", "BOLT 的历史", "History of BOLT"),
    ("/items/BOLT/history?as_of=2020-01-01T00:00", "截至该时间的移动", "Moves up to that time"),
    ("/locations", "显示虚拟库位", "Show virtual locations"),
    ("/locations?virtual=1", "隐藏虚拟库位", "Hide virtual locations"),
    ("/locations/WH1-A", "本库位及下级库位的库存", "Stock here and below"),
    ("/locations/WH1/SUPPLIER", "本库位及下级库位的库存", "Stock here and below"),
    ("/locations/new", "创建库位", "Create location"),
    ("/warehouses", "创建仓库", "Create warehouse"),
    ("/lots", "在此日期前过期", "Expiring before"),
    ("/lots?item=GLUE&status=available", "G1", "G1"),
    ("/lots/GLUE/G1", "该批次的库存", "Stock of this lot"),
    ("/partners", "新建业务伙伴", "New partner"),
    ("/partners/new", "创建业务伙伴", "Create partner"),
    ("/partners/ACME", "供应物料", "Supplied items"),
    ("/stock", "现有库存合计", "Total on hand"),
    ("/stock?item=BOLT&warehouse=WH1&location=WH1-A&q=bolt", "现有库存合计", "Total on hand"),
    ("/stock/operations", "收货入库", "Receive goods"),
    ("/stock/operations/receive", "目标库位", "To location"),
    ("/stock/operations/issue", "出库去向", "Issue to"),
    ("/stock/operations/transfer", "来源库位", "From location"),
    ("/stock/operations/adjust", "盘点差异", "Difference found by a stock count"),
    ("/stock/operations/scrap", "不合格 / 检验未通过", "Defective / failed inspection"),
    ("/stock/operations/reverse", "移动编号", "Move number"),
    ("/moves/1", "冲销此移动", "Reverse this move"),
]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize(("url", "zh", "en"), PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_in_both_languages(
    client: TestClient, db: Database, lang: str, url: str, zh: str, en: str
) -> None:
    # given stock of BOLT and a lot of GLUE, and a supplier
    receive(db)
    receive(db, "GLUE", "5", lot="G1")
    create_partner(db, CTX, PartnerInput("ACME", "Acme Ltd", is_supplier=True))
    # when
    response = use(client, lang).get(url)
    # then
    assert response.status_code == 200
    wanted, other = (zh, en) if lang == "zh_CN" else (en, zh)
    assert wanted in response.text
    if wanted != other:
        assert other not in response.text
    assert f'lang="{"zh-CN" if lang == "zh_CN" else "en"}"' in response.text
    assert inline_scripts(response.text) == []
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_language_comes_from_accept_language_without_a_cookie(client: TestClient) -> None:
    response = client.get("/items", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert "New item" in response.text


def test_default_language_is_simplified_chinese(client: TestClient) -> None:
    response = client.get("/items")
    assert "新建物料" in response.text


def test_language_switch_sets_the_cookie_and_goes_back(client: TestClient) -> None:
    response = client.get("/lang/en?next=/items/BOLT", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/items/BOLT"
    assert client.get("/items/BOLT").text.count("Stock by location") == 1


def test_language_switch_never_redirects_off_site(client: TestClient) -> None:
    response = client.get("/lang/en?next=//evil.example/x", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_unknown_item_page_is_404_with_a_translated_message(client: TestClient) -> None:
    response = use(client, "zh_CN").get("/items/NOPE")
    assert response.status_code == 404
    assert "物料 NOPE 不存在。" in response.text
    assert "Item NOPE does not exist." in use(client, "en").get("/items/NOPE").text


def test_numbers_are_formatted_for_the_locale(client: TestClient, db: Database) -> None:
    receive(db, "FLOUR", "12345.5", lot="F1")
    response = use(client, "en").get("/stock?item=FLOUR")
    assert "12,345.5" in response.text


# ------------------------------------------------------------------ stock operations


def test_receive_form_posts_and_the_stock_page_shows_it(client: TestClient, db: Database) -> None:
    # given
    form = use(client, "en").get("/stock/operations/receive")
    data = {
        "item": "BOLT",
        "quantity": "10",
        "to_location": "WH1-A",
        "unit_cost": "1.5",
        "idempotency_key": key_of(form.text),
    }
    # when
    response = client.post("/stock/operations/receive", data=data)
    # then
    assert response.status_code == 200  # after the redirect
    assert "Posted: Receive 10 pcs BOLT: WH1/SUPPLIER → WH1-A." in response.text
    assert stock_of(db, "BOLT", "WH1-A") == Decimal("10")
    assert move_count(db) == 1
    page = client.get("/stock?item=BOLT")
    assert re.search(r'id="total-on-hand">10<', page.text)


def test_double_submit_with_the_same_key_posts_once(client: TestClient, db: Database) -> None:
    form = use(client, "en").get("/stock/operations/receive")
    data = {
        "item": "BOLT",
        "quantity": "10",
        "to_location": "WH1-A",
        "idempotency_key": key_of(form.text),
    }
    client.post("/stock/operations/receive", data=data)
    second = client.post("/stock/operations/receive", data=data)
    assert "nothing was posted again" in second.text
    assert stock_of(db, "BOLT") == Decimal("10")
    assert move_count(db) == 1


def test_each_shown_form_has_a_new_key(client: TestClient) -> None:
    first = key_of(client.get("/stock/operations/receive").text)
    second = key_of(client.get("/stock/operations/receive").text)
    assert first != second


def test_refused_issue_shows_a_translated_error_keeps_input_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    # given 3 BOLT on hand
    receive(db, quantity="3")
    data = {
        "item": "BOLT",
        "quantity": "5",
        "from_location": "WH1-A",
        "to": "customer",
        "note": "rush order",
        "idempotency_key": "k-issue-1",
    }
    # when
    response = use(client, "zh_CN").post("/stock/operations/issue", data=data)
    # then
    assert response.status_code == 422
    assert "WH1-A 的 BOLT 库存不足：需要 5，可用 3。" in response.text
    assert 'value="5"' in response.text and "rush order" in response.text
    assert 'value="k-issue-1"' in response.text
    assert stock_of(db, "BOLT") == Decimal("3")
    assert move_count(db) == 1
    english = use(client, "en").post("/stock/operations/issue", data=data)
    assert "Not enough stock of BOLT at WH1-A: 5 requested, 3 available." in english.text


def test_unknown_location_error_is_translated(client: TestClient, db: Database) -> None:
    data = {"item": "BOLT", "quantity": "1", "to_location": "NOWHERE", "idempotency_key": "k"}
    response = use(client, "zh_CN").post("/stock/operations/receive", data=data)
    assert response.status_code == 422
    assert "库位 NOWHERE 不存在。" in response.text
    assert move_count(db) == 0


def test_bad_quantity_is_refused(client: TestClient, db: Database) -> None:
    data = {"item": "BOLT", "quantity": "ten", "to_location": "WH1-A", "idempotency_key": "k"}
    response = use(client, "en").post("/stock/operations/receive", data=data)
    assert response.status_code == 422
    assert "Enter a number." in response.text
    assert move_count(db) == 0


def test_issue_transfer_adjust_scrap_change_the_stock_exactly(
    client: TestClient, db: Database
) -> None:
    receive(db, quantity="20")
    use(client, "en")
    posts = [
        ("issue", {"item": "BOLT", "quantity": "4", "from_location": "WH1-A", "to": "customer"}),
        (
            "transfer",
            {"item": "BOLT", "quantity": "6", "from_location": "WH1-A", "to_location": "WH1-B"},
        ),
        ("adjust", {"item": "BOLT", "quantity": "-2", "location": "WH1-A", "reason_code": "lost"}),
        (
            "scrap",
            {"item": "BOLT", "quantity": "1", "from_location": "WH1-B", "reason_code": "damaged"},
        ),
    ]
    for number, (name, data) in enumerate(posts):
        response = client.post(
            f"/stock/operations/{name}", data={**data, "idempotency_key": f"k{number}"}
        )
        assert "Posted:" in response.text, name
    assert stock_of(db, "BOLT", "WH1-A") == Decimal("8")
    assert stock_of(db, "BOLT", "WH1-B") == Decimal("5")
    assert move_count(db) == 5


def test_adjust_without_a_reason_is_refused(client: TestClient, db: Database) -> None:
    data = {"item": "BOLT", "quantity": "2", "location": "WH1-A", "idempotency_key": "k"}
    response = use(client, "zh_CN").post("/stock/operations/adjust", data=data)
    assert response.status_code == 422
    assert "请选择原因。" in response.text
    assert move_count(db) == 0


def test_reverse_from_the_move_page(client: TestClient, db: Database) -> None:
    move_id = receive(db)
    page = use(client, "en").get(f"/moves/{move_id}")
    response = client.post(f"/moves/{move_id}/reverse", data={"idempotency_key": key_of(page.text)})
    assert response.status_code == 200
    assert f"(#{move_id})" in response.text or f"/moves/{move_id}" in response.text
    assert stock_of(db, "BOLT") == Decimal("0")
    again = client.post(f"/moves/{move_id}/reverse", data={"idempotency_key": "other"})
    assert "This move is already reversed." in again.text
    assert move_count(db) == 2


def test_reverse_form_by_move_number(client: TestClient, db: Database) -> None:
    move_id = receive(db)
    data = {"move_id": str(move_id), "idempotency_key": "k-rev"}
    use(client, "en").post("/stock/operations/reverse", data=data)
    assert stock_of(db, "BOLT") == Decimal("0")


def test_unknown_move_page_is_404(client: TestClient) -> None:
    assert use(client, "en").get("/moves/999").status_code == 404
    assert use(client, "en").get("/moves/abc").status_code == 404


# ------------------------------------------------------------------ history as of a time


def test_item_history_shows_stock_and_value_as_of_a_time(client: TestClient, db: Database) -> None:
    receive(db, effective_at=datetime(2024, 1, 1, 10, tzinfo=UTC))
    issue_stock(
        db, CTX, Issue("BOLT", "4", "WH1-A", effective_at=datetime(2024, 1, 2, 10, tzinfo=UTC))
    )
    before = use(client, "en").get("/items/BOLT/history?as_of=2024-01-01T12:00")
    after = client.get("/items/BOLT/history?as_of=2024-01-03T00:00")
    assert re.search(r"<th class=\"num\">10 <span class=\"unit\">pcs", before.text)
    assert "15.00" in before.text
    assert "/moves/2" not in before.text and "/moves/1" in before.text
    assert re.search(r"<th class=\"num\">6 <span class=\"unit\">pcs", after.text)
    assert "9.00" in after.text


def test_item_history_with_a_bad_time_shows_the_error(client: TestClient) -> None:
    response = use(client, "zh_CN").get("/items/BOLT/history?as_of=yesterday")
    assert response.status_code == 422
    assert "请按 YYYY-MM-DD HH:MM 格式输入日期和时间。" in response.text


# ------------------------------------------------------------------ items


def test_create_item_form(client: TestClient, db: Database) -> None:
    data = {
        "code": "NUT",
        "name": "Hex nut M8",
        "item_type": "spare_part",
        "base_unit": "pcs",
        "tracking": "none",
        "costing_method": "fifo",
        "units": "box = 100",
        "barcodes": "6900000000017",
        "safety_stock": "10",
        "reorder_point": "20",
    }
    response = use(client, "en").post("/items/new", data=data)
    assert response.status_code == 200
    assert "Item NUT created." in response.text
    item = get_item(db, "NUT")
    assert item.name == "Hex nut M8"
    assert [(u.unit, u.factor) for u in item.units] == [("box", Decimal("100"))]
    assert [b.barcode for b in item.barcodes] == ["6900000000017"]
    assert item.reorder_point == Decimal("20")


def test_duplicate_item_code_is_refused_with_input_kept(client: TestClient, db: Database) -> None:
    data = {"code": "BOLT", "name": "Another bolt", "item_type": "spare_part"}
    response = use(client, "zh_CN").post("/items/new", data=data)
    assert response.status_code == 422
    assert "编码为 BOLT 的物料已存在。" in response.text
    assert 'value="Another bolt"' in response.text
    assert get_item(db, "BOLT").name == "Hex bolt M8"


def test_html_in_an_item_name_is_escaped(client: TestClient, db: Database) -> None:
    name = "<script>alert(1)</script> & co"
    data = {"code": "X1", "name": name, "item_type": "consumable"}
    use(client, "en").post("/items/new", data=data)
    assert get_item(db, "X1").name == name  # stored verbatim
    receive(db, "X1", "1")
    for url in ("/items/X1", "/items", "/stock", "/", "/items/X1/edit"):
        text = client.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text, url
        assert "<script>" not in text, url


def test_edit_item_changes_the_name_and_units(client: TestClient, db: Database) -> None:
    page = use(client, "en").get("/items/BOLT/edit")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    data = {
        "name": "Hex bolt M8x40",
        "item_type": "spare_part",
        "base_unit": "pcs",
        "tracking": "none",
        "costing_method": "fifo",
        "version": version.group(1),
        "units": "box = 12\ncarton = 144",
        "barcodes": "6901234567892",
    }
    response = client.post("/items/BOLT/edit", data=data)
    assert "Item BOLT saved." in response.text
    item = get_item(db, "BOLT")
    assert item.name == "Hex bolt M8x40"
    assert [(u.unit, u.factor) for u in item.units] == [
        ("box", Decimal("12")),
        ("carton", Decimal("144")),
    ]


def test_edit_item_saves_nothing_when_one_part_is_refused(client: TestClient, db: Database) -> None:
    """Name, units and barcodes are one transaction: a unit conversion that cannot be saved
    (a barcode still needs the unit being removed) keeps the new name out as well."""
    page = use(client, "en").get("/items/BOLT/edit")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    before = get_item(db, "BOLT")
    data = {
        "name": "Renamed bolt",
        "item_type": "spare_part",
        "base_unit": "pcs",
        "tracking": "none",
        "costing_method": "fifo",
        "version": version.group(1),
        "units": "",  # drops "box" ...
        "barcodes": "6901234567892\n6901234567885 box",  # ... while a barcode needs it
    }
    response = client.post("/items/BOLT/edit", data=data)
    assert response.status_code == 422
    after = get_item(db, "BOLT")
    assert after.name == "Hex bolt M8"
    assert after.version == before.version
    assert [(u.unit, u.factor) for u in after.units] == [(u.unit, u.factor) for u in before.units]
    assert [(b.barcode, b.unit) for b in after.barcodes] == [
        (b.barcode, b.unit) for b in before.barcodes
    ]


def test_edit_with_a_stale_version_is_refused(client: TestClient, db: Database) -> None:
    data = {"name": "Changed", "item_type": "spare_part", "version": "999"}
    response = use(client, "en").post("/items/BOLT/edit", data=data)
    assert response.status_code == 422
    assert "Someone else changed this record meanwhile" in response.text
    assert get_item(db, "BOLT").name == "Hex bolt M8"


def test_deactivate_and_reactivate_an_item(client: TestClient, db: Database) -> None:
    use(client, "en").post("/items/BOLT/deactivate")
    assert get_item(db, "BOLT").active is False
    response = client.post("/items/BOLT/reactivate")
    assert "Item BOLT reactivated." in response.text
    assert get_item(db, "BOLT").active is True


# ------------------------------------------------------------------ sites, lots, partners


def test_create_warehouse_and_location(client: TestClient, db: Database) -> None:
    use(client, "en").post("/warehouses", data={"code": "WH3", "name": "Third"})
    assert get_warehouse(db, "WH3").name == "Third"
    response = client.post(
        "/locations/new",
        data={
            "code": "WH3-A",
            "name": "Aisle A",
            "kind": "internal",
            "warehouse": "WH3",
            "allowed_item_types": ["spare_part", "consumable"],
        },
    )
    assert "Location WH3-A created." in response.text
    location = get_location(db, "WH3-A")
    assert location.warehouse == "WH3"
    assert sorted(location.allowed_item_types) == ["consumable", "spare_part"]


def test_duplicate_warehouse_is_refused(client: TestClient) -> None:
    response = use(client, "zh_CN").post("/warehouses", data={"code": "WH1", "name": "Again"})
    assert response.status_code == 422
    assert "仓库编码 WH1 已被使用。" in response.text


def test_location_without_warehouse_or_parent_is_refused(client: TestClient, db: Database) -> None:
    response = use(client, "en").post("/locations/new", data={"code": "Z", "name": "Z"})
    assert response.status_code == 422
    assert "Choose the warehouse or the parent location." in response.text


def test_locations_tree_counts_stock_lines(client: TestClient, db: Database) -> None:
    receive(db)
    receive(db, "GLUE", "5", lot="G1")
    response = use(client, "en").get("/locations")
    row = re.search(
        r'href="/locations/WH1-A">WH1-A</a>.*?<td class="num">(\d+)</td>', response.text, re.S
    )
    assert row is not None and row.group(1) == "2"


def test_lot_status_change(client: TestClient, db: Database) -> None:
    receive(db, "GLUE", "5", lot="G1")
    response = use(client, "en").post(
        "/lots/GLUE/G1/status", data={"status": "hold", "reason": "check"}
    )
    assert "Lot G1 is now: On hold." in response.text


def test_create_partner_with_a_contact(client: TestClient, db: Database) -> None:
    data = {
        "code": "ACME",
        "name": "Acme Ltd",
        "is_supplier": "1",
        "contact_name": "Li Lei",
        "contact_email": "li@acme.example",
    }
    response = use(client, "en").post("/partners/new", data=data)
    assert "Partner ACME created." in response.text
    partner = get_partner(db, "ACME")
    assert partner.is_supplier and not partner.is_customer
    assert [c.name for c in partner.contacts] == ["Li Lei"]


def test_partner_without_a_role_is_refused(client: TestClient) -> None:
    response = use(client, "zh_CN").post("/partners/new", data={"code": "P", "name": "P"})
    assert response.status_code == 422
    assert "业务伙伴须为供应商、客户或两者兼是。" in response.text


def test_pagination_links_keep_the_filters(client: TestClient, db: Database) -> None:
    settings = Settings(database_url="sqlite://", page_size=2)
    client.app.state.settings = settings  # type: ignore[attr-defined]
    response = use(client, "en").get("/items?status=active")
    assert 'href="/items?status=active&amp;page=2"' in response.text
    second = client.get("/items?status=active&page=2")
    assert "3–4 of 4" in second.text


def test_an_unknown_page_is_an_html_404_and_the_api_stays_json(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.json()["code"] == "route_not_found"


def test_the_item_page_says_what_is_on_order(client: Browser, db: Database) -> None:
    from cangku.services.inbound.orders import (
        NewPurchaseOrder,
        OrderLineInput,
        confirm_order,
        create_purchase_order,
    )

    create_partner(db, CTX, PartnerInput("ACME", "Acme", is_supplier=True))
    order = create_purchase_order(
        db, CTX, NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "2", unit="box")])
    )
    assert "<dt>在途采购</dt><dd>0 pcs</dd>" in client.get("/items/BOLT").text
    confirm_order(db, CTX, order.number)
    assert "<dt>在途采购</dt><dd>24 pcs · <a" in client.get("/items/BOLT").text
    client.get("/lang/en?next=/items/BOLT")
    assert "<dt>On order</dt><dd>24 pcs ·" in client.get("/items/BOLT").text
