"""Money, units and times on the pages (issue 10, defects 5, 6 and 7; ADR 0014): amounts in the
company currency rounded to its places, unit costs to the company's places, totals only per
unit, a litre shown as L, times shown and read in the user's time zone, the footer naming it;
the company settings page and the account's time zone form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cangku.db.tables import api_tokens, company, moves, users
from cangku.db.uow import Database
from cangku.services.auth import create_token
from cangku.services.common import Context
from cangku.services.company import CompanyChanges, set_user_time_zone, update_company
from cangku.services.items import ItemInput, create_item
from cangku.services.stock import receive_stock
from cangku.services.stock_commands import Receive
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, key_of, sign_in_as

RECEIVED_AT = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
ZONE_SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    """The administrator, signed in, English pages."""
    build_company(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def receive(db: Database, item: str, quantity: str, cost: str, **extra: object) -> int:
    command = Receive(item, quantity, "WH1-A", unit_cost=cost, effective_at=RECEIVED_AT, **extra)  # type: ignore[arg-type]
    return receive_stock(db, CTX, command).moves[0].id


def shanghai(db: Database) -> None:
    update_company(db, CTX, CompanyChanges(time_zone="Asia/Shanghai"))


# ------------------------------------------------------------------ money


@pytest.mark.parametrize(("lang", "total"), [("zh_CN", "¥1,311,817.39"), ("en", "CN¥1,311,817.39")])
def test_the_dashboard_total_is_rounded_to_the_currency_with_its_symbol(
    client: Browser, db: Database, lang: str, total: str
) -> None:
    receive(db, "BOLT", "1", "1311817.387279")
    client.cookies.set("lang", lang)
    page = client.get("/")
    assert f'<span class="card-value">{total}</span>' in page.text
    assert "1,311,817.387279" not in page.text


def test_move_values_use_the_currency_places_and_unit_costs_the_company_s(
    client: Browser, db: Database
) -> None:
    move = receive(db, "BOLT", "3", "0.123456")
    page = client.get(f"/moves/{move}")
    assert "<dt>Unit cost</dt><dd>CN¥0.1235</dd>" in page.text
    assert "<dt>Value</dt><dd>CN¥0.37</dd>" in page.text
    update_company(db, CTX, CompanyChanges(currency="USD", unit_cost_places=6))
    page = client.get(f"/moves/{move}")
    assert "<dt>Unit cost</dt><dd>$0.123456</dd>" in page.text
    assert "<dt>Value</dt><dd>$0.37</dd>" in page.text
    listed = client.get("/items/BOLT")
    assert '<td class="num">$0.37</td>' in listed.text


def test_a_currency_without_decimals_shows_none(client: Browser, db: Database) -> None:
    receive(db, "BOLT", "1", "1311817.5")
    update_company(db, CTX, CompanyChanges(currency="JPY"))
    assert '<span class="card-value">¥1,311,818</span>' in client.get("/").text


# ------------------------------------------------------------------ units


def test_the_unfiltered_stock_total_is_per_unit_never_pcs_plus_kg(
    client: Browser, db: Database
) -> None:
    receive(db, "BOLT", "10", "1")
    receive(db, "FLOUR", "2.5", "1", lot="F1")
    page = client.get("/stock")
    assert 'id="total-on-hand"' not in page.text
    assert "12.5" not in page.text
    rows = re.findall(
        r'<tr data-unit="(\w+)"><td class="unit">(\w+)</td><td class="num strong">([\d.,]+)<',
        page.text,
    )
    assert rows == [("kg", "kg", "2.5"), ("pcs", "pcs", "10")]
    one_item = client.get("/stock?item=BOLT")
    assert re.search(r'id="total-on-hand">10</strong> <span class="unit">pcs</span>', one_item.text)


def test_a_litre_shows_as_capital_l(client: Browser, db: Database) -> None:
    create_item(db, CTX, ItemInput("OIL", "Machine oil", "consumable", base_unit="l"))
    receive(db, "OIL", "4.5", "2")
    page = client.get("/stock?item=OIL")
    assert '<td class="unit">L</td>' in page.text
    assert '<td class="unit">l</td>' not in page.text
    assert "<dt>Base unit</dt><dd>L</dd>" in client.get("/items/OIL").text


# ------------------------------------------------------------------ times


@pytest.mark.parametrize(
    ("zone", "shown"), [("Asia/Shanghai", "2026-03-01 10:30"), (None, "2026-03-01 02:30")]
)
def test_a_receipt_shows_in_the_user_s_time_zone(
    client: Browser, db: Database, zone: str | None, shown: str
) -> None:
    move = receive(db, "BOLT", "1", "1")
    if zone:
        set_user_time_zone(db, CTX, "admin", zone)
    assert f'<td class="nowrap">{shown}</td>' in client.get("/").text
    assert f"<dt>Effective</dt><dd>{shown}:00</dd>" in client.get(f"/moves/{move}").text


def test_the_company_zone_applies_unless_the_user_chose_one(client: Browser, db: Database) -> None:
    receive(db, "BOLT", "1", "1")
    shanghai(db)
    page = client.get("/")
    assert '<td class="nowrap">2026-03-01 10:30</td>' in page.text
    assert "Times are shown in Asia/Shanghai (UTC+08:00)." in page.text
    set_user_time_zone(db, CTX, "admin", "UTC")
    page = client.get("/")
    assert '<td class="nowrap">2026-03-01 02:30</td>' in page.text
    assert "Times are shown in UTC (UTC+00:00)." in page.text


def test_the_footer_names_the_zone_in_chinese(client: Browser, db: Database) -> None:
    shanghai(db)
    client.cookies.set("lang", "zh_CN")
    assert "时间按 Asia/Shanghai (UTC+08:00) 显示。" in client.get("/").text


def test_a_time_typed_on_the_receive_form_is_read_in_the_user_s_zone(
    client: Browser, db: Database
) -> None:
    shanghai(db)
    form = client.get("/stock/operations/receive")
    data = {
        "item": "BOLT",
        "quantity": "1",
        "to_location": "WH1-A",
        "unit_cost": "1",
        "effective_at": "2026-03-01T10:30",
        "idempotency_key": key_of(form.text),
    }
    assert client.post("/stock/operations/receive", data=data).status_code == 200
    with db.read() as conn:
        stored = conn.execute(select(moves.c.effective_at)).scalar_one()
    assert stored == RECEIVED_AT


def test_the_as_of_time_is_read_in_the_user_s_zone(client: Browser, db: Database) -> None:
    receive(db, "BOLT", "7", "1")
    shanghai(db)
    before = client.get("/items/BOLT/history?as_of=2026-03-01T10:29")
    assert '<th class="num">0 <span class="unit">pcs</span></th>' in before.text
    after = client.get("/items/BOLT/history?as_of=2026-03-01T10:30")
    assert '<th class="num">7 <span class="unit">pcs</span></th>' in after.text
    stood = "Stock as it stood at 2026-03-01 10:30:00, time zone Asia/Shanghai (UTC+08:00)."
    assert stood in after.text


def test_the_audit_trail_shows_stored_iso_times_in_the_user_s_zone(
    client: Browser, db: Database
) -> None:
    shanghai(db)
    create_token(db, Context("admin"), "script", ["*"], 30)
    with db.read() as conn:
        expires = conn.execute(
            select(api_tokens.c.expires_at).where(api_tokens.c.name == "script")
        ).scalar_one()
    local = expires.astimezone(ZONE_SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    page = client.get("/audit")
    assert f"<dd>{local}</dd>" in page.text
    assert expires.isoformat() not in page.text


# ------------------------------------------------------------------ settings pages


def stored_company(db: Database) -> dict[str, object]:
    with db.read() as conn:
        return dict(conn.execute(select(company)).mappings().one())


def test_the_administrator_changes_the_company_settings_on_their_page(
    client: Browser, db: Database
) -> None:
    page = client.get("/settings/company")
    assert page.status_code == 200
    data = {
        "name": "Acme",
        "currency": "USD",
        "time_zone": "Asia/Shanghai",
        "unit_cost_places": "2",
        "expiring_soon_days": "45",
        "version": "1",
    }
    answer = client.post("/settings/company", data=data)
    assert answer.status_code == 200
    assert "The company settings have been saved." in answer.text
    saved = stored_company(db)
    assert (saved["currency"], saved["time_zone"], saved["expiring_soon_days"]) == (
        "USD",
        "Asia/Shanghai",
        45,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Asia/Beijing", "Asia/Beijing is not a known time zone"),
        ("currency", "RMB", "A currency is a three-letter ISO 4217 code"),
        ("unit_cost_places", "x", "Unit cost decimals are a whole number from 0 to 6."),
        ("expiring_soon_days", "4000", "Expiring soon is a whole number of days from 0 to 3650."),
        ("version", "0", "Someone else changed this record meanwhile"),
    ],
)
def test_invalid_company_settings_show_the_message_and_write_nothing(
    client: Browser, db: Database, field: str, value: str, message: str
) -> None:
    before = stored_company(db)
    data = {
        "name": "",
        "currency": "CNY",
        "time_zone": "UTC",
        "unit_cost_places": "4",
        "expiring_soon_days": "30",
        "version": "1",
        field: value,
    }
    answer = client.post("/settings/company", data=data)
    assert answer.status_code in (409, 422)
    assert message in answer.text
    assert stored_company(db) == before


def test_a_clerk_may_not_open_the_company_settings(db: Database, database_url: str) -> None:
    build_company(db)
    with browser(db, database_url) as other:
        user_with_roles(db, "lin", ("receiving_clerk", "WH1"))
        sign_in_as(other, db, "lin")
        assert other.get("/settings/company").status_code == 403
        assert "Company settings" not in other.get("/").text


def test_a_user_chooses_their_time_zone_on_the_account_page(client: Browser, db: Database) -> None:
    page = client.get("/account")
    assert '<option value="" selected>The company\'s (UTC)</option>' in page.text
    answer = client.post("/account/time-zone", data={"time_zone": "Asia/Shanghai"})
    assert "Your time zone has been saved." in answer.text
    assert "Times are shown in Asia/Shanghai (UTC+08:00)." in answer.text
    refused = client.post("/account/time-zone", data={"time_zone": "Asia/Nowhere"})
    assert refused.status_code == 422
    with db.read() as conn:
        zone = conn.execute(select(users.c.time_zone).where(users.c.username == "admin"))
        assert zone.scalar_one() == "Asia/Shanghai"


def test_an_administrator_sets_a_user_s_time_zone_on_their_page(
    client: Browser, db: Database
) -> None:
    user_with_roles(db, "lin", ("viewer", None))
    page = client.get("/users/lin")
    assert '<dd id="user-time-zone">The company\'s (UTC)</dd>' in page.text
    answer = client.post("/users/lin/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert "The time zone of lin was saved." in answer.text
    assert '<dd id="user-time-zone">Asia/Tokyo</dd>' in answer.text
    refused = client.post("/users/lin/time-zone", data={"time_zone": "Tokyo"})
    assert refused.status_code == 422
    assert "Tokyo is not a known time zone" in refused.text
    with db.read() as conn:
        zone = conn.execute(select(users.c.time_zone).where(users.c.username == "lin"))
        assert zone.scalar_one() == "Asia/Tokyo"
