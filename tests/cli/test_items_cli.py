"""``cangku items|categories|units|partners`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.tables import items, partners, supplier_items
from cangku.db.uow import Database
from cangku.services.setup import initialize
from cangku.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    initialize(db)
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    yield db
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


BOLT = (
    "items",
    "create",
    "BOLT",
    "Hex bolt",
    "--type",
    "spare_part",
    "--unit",
    "box=12",
    "--barcode",
    "6901234567892",
    "--barcode",
    "6901234567908=box",
    "--safety-stock",
    "10",
)


def test_items_create_show_and_list(cli: Database) -> None:
    created = run(*BOLT)
    shown = run("items", "show", "6901234567908")
    listed = run("items", "list", "--q", "hex")

    assert created["code"] == "BOLT"
    assert created["units"] == [{"unit": "box", "factor": "12"}]
    assert created["barcodes"] == [
        {"barcode": "6901234567892", "unit": None},
        {"barcode": "6901234567908", "unit": "box"},
    ]
    assert created["safety_stock"] == "10"
    assert shown == created
    assert (listed["total"], [i["code"] for i in listed["items"]]) == (1, ["BOLT"])


def test_items_create_refusals_exit_non_zero_with_the_code(cli: Database) -> None:
    run(*BOLT)

    taken = run(*BOLT, code=6)
    bad_type = run("items", "create", "NUT", "Nut", "--type", "gizmo", code=4)
    bad_unit = run("items", "create", "NUT", "Nut", "--type", "spare_part", "--unit", "box", code=4)
    missing = run("items", "show", "NOPE", code=3)

    assert taken["error"]["code"] == "item_code_taken"
    assert bad_type["error"]["code"] == "invalid_item_type"
    assert bad_unit["error"]["code"] == "invalid_unit_option"
    assert missing["error"]["code"] == "item_not_found"
    assert count(cli, items) == 1


def test_items_update_units_barcodes_and_activation(cli: Database) -> None:
    run(*BOLT)

    updated = run(
        "items", "update", "BOLT", "--name", "Bolt M8", "--clear", "safety_stock", "--version", "1"
    )
    stale = run("items", "update", "BOLT", "--name", "late", "--version", "1", code=6)
    units = run("items", "units", "BOLT", "--unit", "box=12", "--unit", "carton=144")
    barcodes = run("items", "barcodes", "BOLT", "--barcode", "X1=carton")
    off = run("items", "deactivate", "BOLT")
    on = run("items", "reactivate", "BOLT")

    assert (updated["name"], updated["safety_stock"], updated["version"]) == ("Bolt M8", None, 2)
    assert stale["error"]["code"] == "version_conflict"
    assert [u["unit"] for u in units["units"]] == ["box", "carton"]
    assert barcodes["barcodes"] == [{"barcode": "X1", "unit": "carton"}]
    assert (off["active"], on["active"], on["version"]) == (False, True, 6)


def test_items_allocation_strategy_is_set_shown_and_reset(cli: Database) -> None:
    created = run(*BOLT, "--allocation-strategy", "fefo")
    shown = run("items", "show", "BOLT")
    listed = run("items", "list")
    fifo = run("items", "update", "BOLT", "--allocation-strategy", "fifo", "--version", "1")
    reset = run("items", "update", "BOLT", "--allocation-strategy", "default")
    lot = run("items", "update", "BOLT", "--tracking", "lot", "--shelf-life-days", "30")
    fefo = run("items", "update", "BOLT", "--allocation-strategy", "fefo")
    cleared = run("items", "update", "BOLT", "--clear", "allocation-strategy")

    strategies = [
        (r["allocation_strategy"], r["effective_allocation_strategy"], r["version"])
        for r in (created, fifo, reset, lot, fefo, cleared)
    ]
    assert strategies == [
        ("fefo", "fefo", 1),
        ("fifo", "fifo", 2),
        (None, "fifo", 3),
        (None, "fefo", 4),
        ("fefo", "fefo", 5),
        (None, "fefo", 6),
    ]
    assert shown == created
    assert [
        (i["code"], i["allocation_strategy"], i["effective_allocation_strategy"])
        for i in listed["items"]
    ] == [("BOLT", "fefo", "fefo")]
    keys = list(shown)
    assert keys[keys.index("allocation_strategy") + 1] == "effective_allocation_strategy"


def test_items_refuse_an_unknown_allocation_strategy_with_its_code(cli: Database) -> None:
    run(*BOLT)

    created = run(
        "items", "create", "NUT", "Nut", "--type", "spare_part", "--allocation-strategy", "lifo",
        code=4,
    )  # fmt: skip
    updated = run("items", "update", "BOLT", "--name", "x", "--allocation-strategy", "lifo", code=4)

    assert created["error"]["code"] == "invalid_allocation_strategy"
    assert created["error"]["data"]["allowed"] == ["fifo", "fefo"]
    assert updated["error"]["code"] == "invalid_allocation_strategy"
    assert count(cli, items) == 1
    bolt = run("items", "show", "BOLT")
    assert (bolt["name"], bolt["allocation_strategy"], bolt["version"]) == ("Hex bolt", None, 1)


def test_items_text_output_shows_the_allocation_strategy(cli: Database) -> None:
    run(*BOLT, "--allocation-strategy", "fefo")

    result = runner.invoke(app, ["items", "show", "BOLT"])

    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["allocation_strategy", "fefo"] in lines
    assert ["effective_allocation_strategy", "fefo"] in lines


def test_items_create_with_idempotency_key(cli: Database) -> None:
    first = run(*BOLT, "--idempotency-key", "k1")
    again = run(*BOLT, "--idempotency-key", "k1")
    other = run(
        "items", "create", "NUT", "Nut", "--type", "spare_part", "--idempotency-key", "k1", code=6
    )

    assert again == first
    assert other["error"]["code"] == "idempotency_key_reused"
    assert count(cli, items) == 1


def test_items_text_output_has_no_traceback(cli: Database) -> None:
    result = runner.invoke(app, ["items", "show", "NOPE"])

    assert result.exit_code == 3
    assert "item_not_found" in result.output
    assert "Traceback" not in result.output


def test_categories_and_units_commands(cli: Database) -> None:
    run("categories", "create", "HW", "Hardware")
    child = run("categories", "create", "FAST", "Fasteners", "--parent", "HW")
    cycle = run("categories", "update", "HW", "--parent", "FAST", code=4)
    tree = run("categories", "list", "--tree")
    moved = run("categories", "update", "FAST", "--root")
    unit = run("units", "create", "drum", "Drum", "--decimals", "0")
    listed = run("units", "list")

    assert child["path"] == "HW/FAST"
    assert cycle["error"]["code"] == "category_cycle"
    assert [(n["code"], [c["code"] for c in n["children"]]) for n in tree] == [("HW", ["FAST"])]
    assert moved["path"] == "FAST"
    assert unit == {"code": "drum", "name": "Drum", "decimals": 0}
    assert "drum" in [u["code"] for u in listed]


def test_partners_commands(cli: Database) -> None:
    run(*BOLT)
    created = run("partners", "create", "ACME", "Acme", "--supplier", "--email", "a@acme.cn")
    contact = run("partners", "contact-add", "ACME", "Li Wei", "--role", "sales")
    terms = run(
        "partners",
        "supplier-item-set",
        "ACME",
        "BOLT",
        "--price",
        "0.35",
        "--currency",
        "CNY",
        "--min-order-qty",
        "100",
    )
    listed = run("partners", "supplier-items", "ACME")
    by_item = run("items", "suppliers", "BOLT")
    shown = run("partners", "show", "ACME")
    no_role = run("partners", "create", "X", "X", code=4)
    run("partners", "create", "SHOP", "Shop", "--customer")
    not_supplier = run("partners", "supplier-item-set", "SHOP", "BOLT", code=5)
    updated = run("partners", "update", "ACME", "--customer", "--clear", "email")
    customers = run("partners", "list", "--role", "customer")

    assert (created["code"], created["is_supplier"]) == ("ACME", True)
    assert contact["name"] == "Li Wei"
    assert (terms["price"], terms["min_order_qty"], terms["currency"]) == ("0.35", "100", "CNY")
    assert [t["item"] for t in listed] == ["BOLT"]
    assert [t["partner"] for t in by_item] == ["ACME"]
    assert [c["name"] for c in shown["contacts"]] == ["Li Wei"]
    assert no_role["error"]["code"] == "partner_needs_role"
    assert not_supplier["error"]["code"] == "partner_not_supplier"
    assert (updated["is_customer"], updated["email"]) == (True, None)
    assert [p["code"] for p in customers["items"]] == ["ACME", "SHOP"]
    assert count(cli, partners) == 2
    assert count(cli, supplier_items) == 1
    run("partners", "supplier-item-remove", "ACME", "BOLT")
    assert count(cli, supplier_items) == 0


def test_items_list_sorts_as_told(cli: Database) -> None:
    for code, name in [("B-2", "Zinc plate"), ("A-1", "Washer")]:
        run("items", "create", code, name, "--type", "spare_part")
    assert [i["code"] for i in run("items", "list", "--sort=-name")["items"]] == ["B-2", "A-1"]
    refused = run("items", "list", "--sort", "price", code=4)
    assert refused["error"]["code"] == "invalid_sort"
