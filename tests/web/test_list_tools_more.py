"""Every list page but items and stock: sortable columns (both ways), filters and sort kept in
the links, and the list as it is filtered and sorted exported to CSV and XLSX
(``web.listing``); lots, partners, warehouses, locations, users, roles and the audit trail."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from openpyxl import load_workbook

from cangku.db.uow import Database
from cangku.domain.permissions import BUILTIN_ROLES
from tests.list_data import build_lists
from tests.web.browsing import Browser, browser, sign_in_as

LOTS = r'<a href="/lots/([^"]+)">'
PARTNERS = r'<td><a href="/partners/([^"]+)">'
WAREHOUSES = r"<td><strong>([^<]+)</strong></td>"
LOCATIONS = r'<td><a href="/locations/([^"]+)">'
USERS = r'<td><a href="/users/([^"]+)">'
ROLES = r'<td translate="no"><a href="/roles/([^"]+)">'
AUDIT = r'<span class="code">([^<]*)</span>'
#: every role in the order the role list shows them by default: built-in ones first
ROLE_CODES = [*BUILTIN_ROLES, "night_shift"]


@pytest.fixture
def client(db: Database, database_url: str) -> Iterator[Browser]:
    build_lists(db)
    with browser(db, database_url) as test_client:
        sign_in_as(test_client, db)
        test_client.cookies.set("lang", "en")
        yield test_client


def shown(client: Browser, url: str, pattern: str) -> list[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return re.findall(pattern, answer.text)


def csv_rows(client: Browser, url: str) -> list[list[str]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))


# ------------------------------------------------------------------ sorted both ways


@pytest.mark.parametrize(
    ("url", "pattern", "expected"),
    [
        ("/lots", LOTS, ["FLOUR/F-1", "FLOUR/F-2", "GLUE/G-1", "PUMP/SN-1"]),
        ("/lots?sort=-item", LOTS, ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-2", "FLOUR/F-1"]),
        ("/lots?sort=expires_on", LOTS, ["FLOUR/F-2", "FLOUR/F-1", "GLUE/G-1", "PUMP/SN-1"]),
        ("/lots?sort=-expires_on", LOTS, ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-1", "FLOUR/F-2"]),
        ("/lots?sort=-kind", LOTS, ["PUMP/SN-1", "GLUE/G-1", "FLOUR/F-1", "FLOUR/F-2"]),
        ("/partners", PARTNERS, ["ACME", "BETA", "CORE"]),
        ("/partners?sort=role", PARTNERS, ["ACME", "CORE", "BETA"]),
        ("/partners?sort=-role", PARTNERS, ["BETA", "CORE", "ACME"]),
        ("/partners?sort=-email", PARTNERS, ["ACME", "CORE", "BETA"]),
        ("/partners?sort=phone", PARTNERS, ["ACME", "CORE", "BETA"]),
        ("/warehouses", WAREHOUSES, ["WH1", "WH2"]),
        ("/warehouses?sort=-name", WAREHOUSES, ["WH2", "WH1"]),
        ("/warehouses?sort=name", WAREHOUSES, ["WH1", "WH2"]),
        (
            "/locations?sort=code",
            LOCATIONS,
            ["WH1-A", "WH1-A-01", "WH1-B", "WH1-QC", "WH1-RCV", "WH1-SHIP", "WH2-A"],
        ),
        (
            "/locations?sort=-warehouse",
            LOCATIONS,
            ["WH2-A", "WH1-SHIP", "WH1-RCV", "WH1-QC", "WH1-B", "WH1-A-01", "WH1-A"],
        ),
        (
            "/locations?sort=kind",
            LOCATIONS,
            ["WH1-A", "WH1-A-01", "WH1-B", "WH2-A", "WH1-QC", "WH1-RCV", "WH1-SHIP"],
        ),
        ("/users", USERS, ["admin", "bo", "li.wei"]),
        ("/users?sort=-username", USERS, ["li.wei", "bo", "admin"]),
        ("/users?sort=display_name", USERS, ["admin", "bo", "li.wei"]),
        ("/roles", ROLES, ROLE_CODES),
        ("/roles?sort=-kind", ROLES, ["night_shift", *reversed(BUILTIN_ROLES)]),
        ("/roles?sort=code", ROLES, sorted(ROLE_CODES)),
        ("/roles?sort=-code", ROLES, sorted(ROLE_CODES, reverse=True)),
        ("/audit?target_type=partner", AUDIT, ["CORE", "BETA", "ACME"]),
        ("/audit?target_type=partner&sort=target", AUDIT, ["ACME", "BETA", "CORE"]),
        ("/audit?target_type=partner&sort=-target", AUDIT, ["CORE", "BETA", "ACME"]),
        ("/audit?target_type=partner&sort=seq", AUDIT, ["ACME", "BETA", "CORE"]),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("/") else "",
)
def test_a_list_reads_in_the_order_asked(
    client: Browser, url: str, pattern: str, expected: list[str]
) -> None:
    assert shown(client, url, pattern) == expected


def test_lots_filtered_by_expiry_come_by_expiry_date_first(client: Browser) -> None:
    assert shown(client, "/lots?expiry=ok", LOTS) == ["FLOUR/F-2", "FLOUR/F-1"]
    assert shown(client, "/lots?expiry=ok&sort=code", LOTS) == ["FLOUR/F-1", "FLOUR/F-2"]


def test_column_titles_sort_and_the_filter_form_keeps_sort_and_size(client: Browser) -> None:
    page = client.get("/partners?role=supplier&sort=-name&size=25").text
    assert re.findall(PARTNERS, page) == ["CORE", "ACME"]
    assert (
        '<th aria-sort="descending"><a class="sort" '
        'href="/partners?role=supplier&amp;size=25&amp;sort=name">Name ▼</a></th>'
    ) in page
    assert '<a href="/partners?role=supplier&amp;sort=-name&amp;size=100">100</a>' in page
    assert 'href="/partners?role=supplier&amp;sort=-name&amp;size=25&amp;export=csv"' in page
    assert (
        '<input type="hidden" name="sort" value="-name"><input type="hidden" name="size" '
        'value="25">'
    ) in page


def test_the_location_tree_titles_sort_into_a_flat_list(client: Browser) -> None:
    tree = client.get("/locations").text
    assert '<a class="sort" href="/locations?sort=code">Location</a>' in tree
    assert 'href="/locations?export=xlsx"' in tree
    flat = client.get("/locations?sort=-code&size=25").text
    assert '<a class="button" href="/locations">Show as a tree</a>' in flat
    assert "Rows per page" in flat


# ------------------------------------------------------------------ files


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/lots?sort=expires_on&export=csv",
            [
                [
                    "Item",
                    "Lot",
                    "Kind",
                    "Manufactured",
                    "Expires",
                    "Expiry",
                    "Supplier lot",
                    "Status",
                ],
                [
                    "FLOUR",
                    "F-2",
                    "Lot",
                    "2029-03-01",
                    "2030-03-01",
                    "Not expiring soon",
                    "S-9",
                    "Available",
                ],
                ["FLOUR", "F-1", "Lot", "", "2031-01-01", "Not expiring soon", "", "Available"],
                ["GLUE", "G-1", "Lot", "", "", "No expiry date", "", "Quarantine"],
                ["PUMP", "SN-1", "Serial number", "", "", "No expiry date", "", "Available"],
            ],
        ),
        (
            "/partners?sort=-code&export=csv",
            [
                ["Code", "Name", "Role", "Email", "Phone", "Status"],
                ["CORE", "Core Parts", "Supplier, Customer", "", "", "Active"],
                ["BETA", "Beta Foods", "Customer", "", "555-0100", "Active"],
                ["ACME", "Acme Tools", "Supplier", "sales@acme.test", "", "Active"],
            ],
        ),
        (
            "/warehouses?export=csv",
            [
                ["Code", "Name", "Address", "Negative stock", "Expired lots", "Status"],
                ["WH1", "Main warehouse", "", "Not allowed", "Not issued", "Active"],
                ["WH2", "Second warehouse", "", "Not allowed", "Not issued", "Active"],
            ],
        ),
        (
            "/locations?sort=-code&export=csv",
            [
                ["Location", "Name", "Warehouse", "Kind", "Level", "Parent", "Status"],
                ["WH2-A", "Location WH2-A", "WH2", "Internal storage", "", "", "Active"],
                ["WH1-SHIP", "Location WH1-SHIP", "WH1", "Shipping", "", "", "Active"],
                ["WH1-RCV", "Location WH1-RCV", "WH1", "Receiving", "", "", "Active"],
                ["WH1-QC", "Location WH1-QC", "WH1", "Quality / quarantine", "", "", "Active"],
                ["WH1-B", "Location WH1-B", "WH1", "Internal storage", "", "", "Active"],
                ["WH1-A-01", "Location WH1-A-01", "WH1", "Internal storage", "", "WH1-A", "Active"],
                ["WH1-A", "Location WH1-A", "WH1", "Internal storage", "", "", "Active"],
            ],
        ),
        (
            "/users?sort=-username&export=csv",
            [
                ["User name", "Name", "Roles", "Last sign-in (UTC)", "Password", "Status"],
                ["li.wei", "Li Wei", "", "", "Not set", "Active"],
                ["bo", "Bo Zhang", "", "", "Not set", "Active"],
            ],
        ),
        (
            "/roles?sort=-kind&export=csv",
            [
                ["Code", "Name", "Description", "Kind", "Permissions", "Status"],
                ["night_shift", "Night shift", "", "Custom", "1", "Active"],
            ],
        ),
    ],
    ids=["lots", "partners", "warehouses", "locations", "users", "roles"],
)
def test_a_list_exports_what_it_shows_as_csv(
    client: Browser, url: str, expected: list[list[str]]
) -> None:
    rows = csv_rows(client, url)
    assert rows[: len(expected)] == expected


def test_the_audit_trail_exports_the_entries_it_shows(client: Browser) -> None:
    rows = csv_rows(client, "/audit?target_type=partner&sort=target&export=csv")
    assert rows[0] == [
        "#",
        "Time (UTC)",
        "User",
        "Action",
        "Record type",
        "Record",
        "Warehouse",
        "From where",
        "What changed",
    ]
    assert [r[2:7] for r in rows[1:]] == [
        ["admin", "Partner created", "Partner", code, ""] for code in ("ACME", "BETA", "CORE")
    ]
    numbers = [int(r[0]) for r in rows[1:]]
    assert numbers == sorted(numbers)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[1][1])


def test_a_list_exports_to_xlsx_with_dates_as_dates(client: Browser) -> None:
    answer = client.get("/lots?export=xlsx&sort=-expires_on&item=FLOUR")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="lots.xlsx"'
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [
        ["Item", "Lot", "Kind", "Manufactured", "Expires", "Expiry", "Supplier lot", "Status"],
        ["FLOUR", "F-1", "Lot", None, datetime(2031, 1, 1), "Not expiring soon", None, "Available"],
        [
            "FLOUR",
            "F-2",
            "Lot",
            datetime(2029, 3, 1),
            datetime(2030, 3, 1),
            "Not expiring soon",
            "S-9",
            "Available",
        ],
    ]


def test_a_list_exports_in_the_readers_language(client: Browser) -> None:
    client.cookies.set("lang", "zh_CN")
    rows = csv_rows(client, "/partners?export=csv&role=customer")
    assert rows == [
        ["编码", "名称", "角色", "电子邮箱", "电话", "状态"],
        ["BETA", "Beta Foods", "客户", "", "555-0100", "启用"],
        ["CORE", "Core Parts", "供应商, 客户", "", "", "启用"],
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/lots?sort=price",
        "/partners?sort=-tax_id",
        "/warehouses?sort=stock",
        "/locations?sort=capacity",
        "/users?sort=password",
        "/roles?sort=permissions",
        "/audit?sort=details",
        "/audit?sort=hash&export=csv",
    ],
)
def test_a_sort_the_list_does_not_offer_is_a_clear_422(client: Browser, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 422
    assert "invalid_sort" in answer.text
    assert "This list cannot be sorted by" in answer.text
