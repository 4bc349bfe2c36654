"""The analysis reports over the API (issue 15): ``GET /reports`` lists them, ``GET
/reports/{name}`` answers each with the exact figures of a small ledger whose costs are known
(now, as of a past day, over a period), as JSON or as a CSV, XLSX or PDF file; every refusal
has its status and code, and none is a 500.

The ledger (the company's zone is UTC; days counted back from today):

- day -10: BOLT (FIFO) 10 pcs at 2 into WH1-A;
- day -8: BOLT 10 pcs at 4 into WH2-A;
- day -7: FLOUR (moving average) 10 kg at 3 into WH1-B (lot F1);
- day -5: BOLT 5 pcs issued from WH1-A to a customer (FIFO: 5 at 2 = 10);
- day -3: FLOUR 4 kg issued from WH1-B to production (at 3 = 12).

Now BOLT is 15 pcs worth 50 (WH1 5, WH2 10: the value shared by quantity), FLOUR 6 kg worth 18.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.app import create_app
from cangku.db.tables import audit_log, moves
from cangku.db.uow import Database
from cangku.queries.reports import REPORTS
from cangku.services.partners import (
    PartnerInput,
    SupplierItemInput,
    create_partner,
    set_supplier_item,
)
from cangku.services.stock import issue_stock, receive_stock
from cangku.services.stock_commands import Issue, Receive
from cangku.services.users import create_role
from cangku.settings import Settings
from tests.api.routes import API
from tests.auth import token_headers, user_with_roles
from tests.factories import CTX, build_company

with warnings.catch_warnings():  # starlette warns about httpx vs httpx2 on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = datetime.now(UTC)
TODAY = NOW.date()
NAMES = list(REPORTS)
FILES = [(name, fmt) for name, spec in REPORTS.items() for fmt in spec.formats]
WITHOUT_PDF = [name for name, spec in REPORTS.items() if "pdf" not in spec.formats]
#: an unknown value of each filter, and what it answers
UNKNOWN = {
    "warehouse": (404, "warehouse_not_found"),
    "category": (404, "category_not_found"),
    "type": (422, "invalid_item_type"),
    "item": (404, "item_not_found"),
    "supplier": (404, "supplier_not_found"),
}
FILTERED = [(name, f) for name, spec in REPORTS.items() for f in spec.filters]


def day(n: int) -> str:
    """The day ``n`` days before today, as the API writes it."""
    return (TODAY - timedelta(days=n)).isoformat()


def days_ago(n: int, hour: int = 10) -> datetime:
    moment = TODAY - timedelta(days=n)
    return datetime(moment.year, moment.month, moment.day, hour, tzinfo=UTC)


def seed(db: Database) -> None:
    """The company and the ledger above (the CLI's report tests read it too)."""
    build_company(db)
    receive_stock(db, CTX, Receive("BOLT", "10", "WH1-A", unit_cost="2", effective_at=days_ago(10)))
    receive_stock(db, CTX, Receive("BOLT", "10", "WH2-A", unit_cost="4", effective_at=days_ago(8)))
    receive_stock(
        db,
        CTX,
        Receive("FLOUR", "10", "WH1-B", lot="F1", unit_cost="3", effective_at=days_ago(7)),
    )
    issue_stock(db, CTX, Issue("BOLT", "5", "WH1-A", effective_at=days_ago(5)))
    issue_stock(
        db, CTX, Issue("FLOUR", "4", "WH1-B", lot="F1", to="production", effective_at=days_ago(3))
    )


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[TestClient]:
    seed(db)
    app = create_app(Settings(database_url=database_url), db)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def manager(db: Database) -> dict[str, str]:
    return token_headers(user_with_roles(db, "manager", ("warehouse_manager", None)))


def get(client: TestClient, headers: dict[str, str], name: str, **params: str) -> Any:
    response = client.get(f"{API}/reports/{name}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def cells(body: Any, *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[k] for k in keys) for row in body["rows"]]


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# ------------------------------------------------------------------ the list
def test_the_list_names_every_report_with_what_it_takes(client: TestClient, db: Database) -> None:
    viewer = token_headers(user_with_roles(db, "vic", ("viewer", None)))
    listed = client.get(f"{API}/reports", headers=viewer)
    assert listed.status_code == 200
    body = {r["name"]: r for r in listed.json()}
    assert list(body) == NAMES
    for name, spec in REPORTS.items():
        info = body[name]
        assert (info["time"], info["permission"], info["filters"]) == (
            spec.time,
            spec.permission,
            list(spec.filters),
        )
        assert info["formats"] == ["json", *spec.formats]
        assert info["options"] == [
            {"name": o.name, "choices": list(o.choices)}
            | ({"low": None, "high": None} if o.choices else {"low": o.low, "high": o.high})
            for o in spec.options
        ]
    assert body["stock-value"]["options"] == [
        {
            "name": "group",
            "choices": ["item", "category", "type", "warehouse", "location"],
            "low": None,
            "high": None,
        }
    ]


def test_the_list_needs_a_sign_in(client: TestClient) -> None:
    refused = client.get(f"{API}/reports")
    assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")


# ------------------------------------------------------------------ stock value
def test_stock_value_by_item_now(client: TestClient, manager: dict[str, str]) -> None:
    body = get(client, manager, "stock-value")
    assert (body["name"], body["at"], body["start"], body["end"]) == (
        "stock-value",
        None,
        None,
        None,
    )
    assert [c["key"] for c in body["columns"]] == [
        "item",
        "name",
        "unit",
        "quantity",
        "unit_cost",
        "value",
        "share",
    ]
    assert cells(body, "item", "quantity", "unit_cost", "value", "share") == [
        ("BOLT", "15", "3.333333", "50", "73.53"),
        ("FLOUR", "6", "3", "18", "26.47"),
    ]
    assert (body["totals"]["value"], body["totals"]["share"]) == ("68", "100.00")
    assert body["definitions"] and body["notes"] == []


def test_stock_value_by_warehouse_shares_each_items_value_by_quantity(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "stock-value", group="warehouse")
    # BOLT's 50 over WH1's 5 and WH2's 10 pcs: 16.666667 and 33.333333 (the odd millionth to
    # the larger remainder), FLOUR's 18 all in WH1
    assert cells(body, "warehouse", "items", "value", "share") == [
        ("WH1", 2, "34.666667", "50.98"),
        ("WH2", 1, "33.333333", "49.02"),
    ]
    assert sum(Decimal(v) for (v,) in cells(body, "value")) == Decimal(body["totals"]["value"])
    assert body["totals"]["value"] == "68"


def test_stock_value_by_location_adds_up_to_the_warehouses(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "stock-value", group="location")
    assert sorted(cells(body, "location", "quantity", "value")) == [
        ("WH1-A", "5", "16.666667"),
        ("WH1-B", "6", "18"),
        ("WH2-A", "10", "33.333333"),
    ]


def test_stock_value_as_of_a_past_day(client: TestClient, manager: dict[str, str]) -> None:
    body = get(client, manager, "stock-value", at=day(6))
    assert body["at"] == day(6)
    assert cells(body, "item", "quantity", "unit_cost", "value") == [
        ("BOLT", "20", "3", "60"),
        ("FLOUR", "10", "3", "30"),
    ]
    assert body["totals"]["value"] == "90"
    before = get(client, manager, "stock-value", at=day(9), group="type")
    assert cells(before, "type", "items", "value", "share") == [("spare_part", 1, "20", "100.00")]


def test_stock_value_filters_narrow_the_items_and_warehouses(
    client: TestClient, db: Database, manager: dict[str, str]
) -> None:
    create_partner(db, CTX, PartnerInput("SUP1", "Supplier", is_supplier=True))
    set_supplier_item(db, CTX, SupplierItemInput("SUP1", "FLOUR"))
    supplied = get(client, manager, "stock-value", supplier="SUP1")
    assert cells(supplied, "item", "value") == [("FLOUR", "18")]
    by_barcode = get(client, manager, "stock-value", item="6901234567892", warehouse="WH2")
    assert cells(by_barcode, "item", "quantity", "value", "share") == [
        ("BOLT", "10", "33.333333", "100.00")
    ]
    raw = get(client, manager, "stock-value", type="raw_material")
    assert cells(raw, "item", "value") == [("FLOUR", "18")]


def test_a_user_of_one_warehouse_sees_its_share_only(client: TestClient, db: Database) -> None:
    one = token_headers(user_with_roles(db, "wh1", ("warehouse_manager", "WH1")))
    body = get(client, one, "stock-value")
    assert cells(body, "item", "quantity", "value") == [
        ("FLOUR", "6", "18"),
        ("BOLT", "5", "16.666667"),
    ]
    hidden = client.get(f"{API}/reports/stock-value", params={"warehouse": "WH2"}, headers=one)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "warehouse_not_found")


# ------------------------------------------------------------------ value movement
def test_value_movement_opening_plus_flows_is_closing(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "value-movement", start=day(9), end=day(2))
    assert (body["start"], body["end"], body["at"]) == (day(9), day(2), None)
    keys = ("item", "opening", "received", "issued", "revaluation", "closing", "cogs")
    assert cells(body, *keys) == [
        ("BOLT", "20", "40", "10", "0", "50", "10"),
        ("FLOUR", "0", "30", "12", "0", "18", "12"),
    ]
    totals = {k: Decimal(v) for k, v in body["totals"].items() if v is not None}
    assert [totals[k] for k in keys[1:]] == [20, 70, 22, 0, 68, 22]
    added = ("opening", "received", "produced", "returned", "adjusted", "revaluation")
    taken = ("supplier_return", "issued")
    assert sum(totals[k] for k in added) - sum(totals[k] for k in taken) == totals["closing"]


def test_value_movement_by_warehouse_adds_up_company_wide(
    client: TestClient, manager: dict[str, str]
) -> None:
    """WH2's 10 pcs came in at 4 but hold BOLT's value shared by quantity: the part no move
    carried is revaluation, and it is zero for the company."""
    body = get(client, manager, "value-movement", start=day(9), end=day(2), group="warehouse")
    assert cells(body, "warehouse", "opening", "received", "issued", "revaluation", "closing") == [
        ("WH1", "20", "30", "22", "6.666667", "34.666667"),
        ("WH2", "0", "40", "0", "-6.666667", "33.333333"),
    ]
    totals = body["totals"]
    assert (Decimal(totals["closing"]), Decimal(totals["revaluation"])) == (Decimal(68), Decimal(0))


# ------------------------------------------------------------------ turnover
def test_turnover_is_cogs_over_the_average_of_daily_values(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "turnover", start=day(9), end=day(2))
    # nine points: the opening, each day's end from day -9 to -3, the closing; BOLT's values
    # 20 20 60 60 60 50 50 50 50 (sum 420), FLOUR's 0 0 0 30 30 30 30 18 18 (sum 156)
    assert body["notes"] == ["Average of 9 points, method: daily"]
    keys = ("item", "cogs", "opening", "closing", "average", "turnover")
    assert cells(body, *keys, "days_of_inventory", "days_of_supply") == [
        ("FLOUR", "12", "0", "18", "17.333333", "0.69", "11.6", "12.0"),
        ("BOLT", "10", "20", "50", "46.666667", "0.21", "37.3", "40.0"),
    ]
    assert [body["totals"][k] for k in keys[1:]] == ["22", "20", "68", "64", "0.34"]


# ------------------------------------------------------------------ trends
def test_trends_per_day_with_the_stock_at_each_end(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "trends", start=day(9), end=day(5), interval="day")
    assert cells(body, "from", "to", "in_value", "out_value", "value") == [
        (day(9), day(9), "0", "0", "20"),
        (day(8), day(8), "40", "0", "60"),
        (day(7), day(7), "30", "0", "90"),
        (day(6), day(6), "0", "0", "90"),
        (day(5), day(5), "0", "10", "80"),
    ]
    assert (body["totals"]["in_value"], body["totals"]["out_value"]) == ("70", "10")
    assert body["notes"] == ["Opening value 20"]


def test_trends_of_one_item_show_quantities(client: TestClient, manager: dict[str, str]) -> None:
    body = get(client, manager, "trends", start=day(6), end=day(4), interval="day", item="BOLT")
    keys = ("to", "in_quantity", "out_quantity", "quantity", "value")
    assert cells(body, *keys) == [
        (day(6), "0", "0", "20", "60"),
        (day(5), "0", "5", "15", "50"),
        (day(4), "0", "0", "15", "50"),
    ]
    assert body["notes"] == ["Opening value 60", "Opening quantity 20"]


# ------------------------------------------------------------------ structure
def test_structure_shares_now_against_an_earlier_day(
    client: TestClient, manager: dict[str, str]
) -> None:
    body = get(client, manager, "structure", compare=day(6))
    keys = ("type", "quantity", "quantity_share", "value_then", "share_then", "value", "share")
    assert cells(body, *keys, "change", "share_change") == [
        ("spare_part", "15", "71.43", "60", "66.67", "50", "73.53", "-10", "6.86"),
        ("raw_material", "6", "28.57", "30", "33.33", "18", "26.47", "-12", "-6.86"),
    ]
    assert [body["totals"][k] for k in keys[1:]] == ["21", "100.00", "90", "100.00", "68", "100.00"]
    assert body["notes"] == [f"Compared with {day(6)}"]


# ------------------------------------------------------------------ every report
@pytest.mark.parametrize("name", NAMES)
def test_every_report_answers_json_with_its_columns(
    client: TestClient, manager: dict[str, str], name: str
) -> None:
    body = get(client, manager, name)
    keys = [c["key"] for c in body["columns"]]
    assert body["name"] == name
    assert all(list(row) == keys for row in body["rows"])
    assert body["totals"] is None or list(body["totals"]) == keys


@pytest.mark.parametrize("name", NAMES)
def test_every_report_is_refused_to_a_role_without_its_permission(
    client: TestClient, db: Database, name: str
) -> None:
    assert REPORTS[name].permission != "item.view"
    create_role(db, CTX, "reader", "Reads items only", ["item.view"])
    without = token_headers(user_with_roles(db, "nobody", ("reader", None)))
    refused = client.get(f"{API}/reports/{name}", headers=without)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    anonymous = client.get(f"{API}/reports/{name}")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize(("name", "fmt"), FILES, ids=[f"{n}.{f}" for n, f in FILES])
def test_every_report_is_written_in_each_format_it_offers(
    client: TestClient, manager: dict[str, str], name: str, fmt: str
) -> None:
    response = client.get(f"{API}/reports/{name}", params={"format": fmt}, headers=manager)
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{name}-') and f'.{fmt}"' in disposition
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")
    elif fmt == "pdf":
        assert (response.content[:5], response.headers["content-type"]) == (
            b"%PDF-",
            "application/pdf",
        )
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames[0] == name


@pytest.mark.parametrize("name", WITHOUT_PDF)
def test_a_report_without_pdf_refuses_format_pdf(
    client: TestClient, manager: dict[str, str], name: str
) -> None:
    refused = client.get(f"{API}/reports/{name}", params={"format": "pdf"}, headers=manager)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input")
    assert refused.json()["data"]["errors"][0]["field"] == "query.format"


def test_the_csv_holds_the_exact_figures(client: TestClient, manager: dict[str, str]) -> None:
    response = client.get(
        f"{API}/reports/stock-value", params={"format": "csv", "at": day(6)}, headers=manager
    )
    assert response.headers["content-disposition"] == (
        f'attachment; filename="stock-value-{day(6)}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Item", "Name", "Unit", "Quantity", "Unit cost", "Value", "Share"],
        [f"# Stock value ({day(6)})"],
        ["BOLT", "Hex bolt M8", "pcs", "20", "3", "60", "66.67"],
        ["FLOUR", "Wheat flour", "kg", "10", "3", "30", "33.33"],
        ["Total", "", "", "", "", "90", "100.00"],
    ]


def test_the_xlsx_holds_the_exact_figures_and_the_definitions(
    client: TestClient, manager: dict[str, str]
) -> None:
    from openpyxl import load_workbook

    response = client.get(
        f"{API}/reports/value-movement",
        params={"format": "xlsx", "start": day(9), "end": day(2)},
        headers=manager,
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["value-movement"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    at = {key: header.index(key) for key in ("Item", "Opening value", "Closing value")}
    figures = [
        (row[at["Item"]], row[at["Opening value"]], row[at["Closing value"]]) for row in values[1:]
    ]
    assert [(i, Decimal(str(o)), Decimal(str(c))) for i, o, c in figures] == [
        ("BOLT", Decimal(20), Decimal(50)),
        ("FLOUR", Decimal(0), Decimal(18)),
        ("Total", Decimal(20), Decimal(68)),
    ]
    about = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert about[0] == "Value movement" and REPORTS["value-movement"].title in about


# ------------------------------------------------------------------ refusals
def refused(client: TestClient, headers: dict[str, str], name: str, **params: str) -> Any:
    response = client.get(f"{API}/reports/{name}", params=params, headers=headers)
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, response.json()["code"]


def test_each_refusal_has_its_status_and_code_and_writes_nothing(
    client: TestClient, db: Database, manager: dict[str, str]
) -> None:
    written = (count(db, moves), count(db, audit_log))
    period = {"start": day(2), "end": day(9)}
    assert refused(client, manager, "value-movement", **period) == (422, "period_reversed")
    long = {"start": "2000-01-01", "end": "2010-12-31"}
    assert refused(client, manager, "turnover", **long) == (422, "period_too_long")
    many = {"start": day(500), "end": day(0), "interval": "day"}
    assert refused(client, manager, "trends", **many) == (422, "too_many_intervals")
    assert refused(client, manager, "trends", start=day(400), interval="day") == (
        422,
        "too_many_intervals",
    )
    assert refused(client, manager, "structure", compare=day(0)) == (422, "compare_not_before")
    later = {"at": day(6), "compare": day(5)}
    assert refused(client, manager, "structure", **later) == (422, "compare_not_before")
    assert refused(client, manager, "stock-value", type="gadget") == (422, "invalid_item_type")
    assert (count(db, moves), count(db, audit_log)) == written


@pytest.mark.parametrize("value", ["2026-02-30", "5567", "0", "2026-01-01T00:00", "yesterday"])
def test_a_day_that_is_not_one_is_invalid_input(
    client: TestClient, manager: dict[str, str], value: str
) -> None:
    """A day is typed: the API refuses it before the report reads it (the CLI and the web page
    answer ``invalid_report_date``); a Unix time is not a day."""
    for name, field in (("stock-value", "at"), ("turnover", "start"), ("structure", "compare")):
        response = client.get(f"{API}/reports/{name}", params={field: value}, headers=manager)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
        assert response.json()["data"]["errors"][0]["field"] == f"query.{field}"


def test_a_day_beyond_the_calendars_reach_is_invalid_input(
    client: TestClient, manager: dict[str, str]
) -> None:
    for params in ({"at": "0001-01-01"}, {"end": "9999-12-31"}):
        name = "structure" if "at" in params else "trends"
        assert refused(client, manager, name, **params) == (422, "invalid_input")
    edge = get(client, manager, "trends", start="9998-12-01", end="9998-12-31", interval="week")
    assert edge["totals"]["in_value"] == "0"


OPTIONS = [(name, o) for name, spec in REPORTS.items() for o in spec.options]


@pytest.mark.parametrize(("name", "option"), OPTIONS, ids=[f"{n} {o.name}" for n, o in OPTIONS])
def test_an_option_outside_its_choices_or_range_is_invalid_input(
    client: TestClient, manager: dict[str, str], name: str, option: Any
) -> None:
    """Choices and ranges are in the schema, so the API refuses them itself (the CLI and the
    web page answer ``invalid_report_option``)."""
    wrong = ["nonsense", "1"] if option.choices else [str(option.high + 1), str(option.low - 1)]
    for value in wrong:
        assert refused(client, manager, name, **{option.name: value}) == (422, "invalid_input")
    right = option.choices[-1] if option.choices else str(option.high)
    assert (
        client.get(
            f"{API}/reports/{name}", params={option.name: right}, headers=manager
        ).status_code
        == 200
    )


BUCKETED = [name for name, spec in REPORTS.items() if "buckets" in spec.extras]


@pytest.mark.parametrize("name", BUCKETED)
def test_bands_that_are_not_ascending_days_are_refused(
    client: TestClient, manager: dict[str, str], name: str
) -> None:
    for value in ("abc", "90,30", "30,,90", "-5"):
        assert refused(client, manager, name, buckets=value) == (422, "invalid_buckets")


@pytest.mark.parametrize(("name", "key"), FILTERED, ids=[f"{n} {f}" for n, f in FILTERED])
def test_an_unknown_filter_value_is_refused_with_its_code(
    client: TestClient, manager: dict[str, str], name: str, key: str
) -> None:
    assert refused(client, manager, name, **{key: "NOPE"}) == UNKNOWN[key]


def test_every_report_names_its_refusals_in_the_openapi_document(client: TestClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    for name, spec in REPORTS.items():
        operation = document["paths"][f"{API}/reports/{name}"]["get"]
        said = operation["responses"]["422"]["description"]
        codes = ["period_reversed", "too_many_intervals", "compare_not_before"]
        assert all(f"`{code}`" in said for code in codes), name
        assert set(operation["responses"]["200"]["content"]) >= {
            "application/json",
            *(media(fmt) for fmt in spec.formats),
        }


def media(fmt: str) -> str:
    from cangku.services.report_files import MEDIA_TYPES

    return MEDIA_TYPES[fmt]
