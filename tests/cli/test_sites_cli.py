"""Warehouses, locations and lots through the ``cangku`` command."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.tables import lots, warehouses
from cangku.db.uow import Database
from cangku.services.items import ItemInput, create_item
from cangku.services.setup import initialize
from cangku.settings import get_settings
from tests.factories import CTX

Invoke = Callable[..., Result]


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    initialize(db)
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"CANGKU_DATABASE_URL": database_url})

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_create_and_show_warehouse(cli: Invoke) -> None:
    created = cli("warehouses", "create", "WH1", "Main", "--address", "1 Road", "--json")
    shown = cli("warehouses", "show", "WH1", "--json")

    assert created.exit_code == 0, created.output
    assert as_json(created)["code"] == "WH1"
    assert as_json(shown)["address"] == "1 Road"


def test_duplicate_warehouse_fails_with_code(cli: Invoke, db: Database) -> None:
    cli("warehouses", "create", "WH1", "Main", "--json")

    result = cli("warehouses", "create", "WH1", "Again", "--json")

    assert result.exit_code == 6
    assert as_json(result)["error"]["code"] == "warehouse_code_taken"
    assert count(db, warehouses) == 1


def test_missing_warehouse_fails_with_not_found(cli: Invoke) -> None:
    result = cli("warehouses", "show", "NOPE", "--json")

    assert result.exit_code == 3
    assert as_json(result)["error"]["code"] == "warehouse_not_found"


def test_warehouse_update_list_deactivate(cli: Invoke) -> None:
    cli("warehouses", "create", "WH1", "Main", "--json")
    cli("warehouses", "create", "WH2", "Second", "--json")

    updated = cli("warehouses", "update", "WH1", "--name", "Central", "--allow-negative", "--json")
    off = cli("warehouses", "deactivate", "WH2", "--json")
    active = cli("warehouses", "list", "--active", "--json")
    on = cli("warehouses", "reactivate", "WH2", "--json")

    assert (as_json(updated)["name"], as_json(updated)["allow_negative_stock"]) == ("Central", True)
    assert as_json(off)["active"] is False
    assert [w["code"] for w in as_json(active)["items"]] == ["WH1"]
    assert as_json(active)["total"] == 1
    assert as_json(on)["active"] is True


def test_idempotency_key_replays(cli: Invoke, db: Database) -> None:
    first = cli("warehouses", "create", "WH1", "Main", "--idempotency-key", "k1", "--json")
    again = cli("warehouses", "create", "WH1", "Main", "--idempotency-key", "k1", "--json")
    other = cli("warehouses", "create", "WH2", "Main", "--idempotency-key", "k1", "--json")

    assert as_json(again) == as_json(first)
    assert other.exit_code == 6
    assert as_json(other)["error"]["code"] == "idempotency_key_reused"
    assert count(db, warehouses) == 1


def test_an_unknown_token_is_refused(
    cli: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANGKU_TOKEN", "ck_not-a-token-anyone-made")
    result = cli("warehouses", "create", "WH1", "Main", "--json")

    assert result.exit_code == 9
    assert as_json(result)["error"]["code"] == "not_authenticated"
    assert count(db, warehouses) == 0


def test_locations_create_tree_and_move(cli: Invoke) -> None:
    cli("warehouses", "create", "WH1", "Main")
    cli("locations", "create", "A", "Zone A", "--warehouse", "WH1", "--level", "zone")
    created = cli(
        "locations",
        "create",
        "A-01",
        "Bin",
        "--parent",
        "A",
        "--capacity",
        "10",
        "--allowed-type",
        "spare_part",
        "--json",
    )
    cli("locations", "create", "B", "Zone B", "--warehouse", "WH1")

    tree = cli("locations", "tree", "WH1")
    moved = cli("locations", "update", "A-01", "--parent", "B", "--json")
    children = cli("locations", "children", "B", "--json")

    assert created.exit_code == 0, created.output
    assert (as_json(created)["capacity"], as_json(created)["allowed_item_types"]) == (
        "10",
        ["spare_part"],
    )
    assert tree.stdout.splitlines() == [
        "A  Zone A  [internal]",
        "  A-01  Bin  [internal]",
        "B  Zone B  [internal]",
    ]
    assert as_json(moved)["parent"] == "B"
    assert [loc["code"] for loc in as_json(children)["items"]] == ["A-01"]


def test_location_errors_are_json(cli: Invoke) -> None:
    cli("warehouses", "create", "WH1", "Main")

    virtual = cli(
        "locations", "create", "X", "x", "--warehouse", "WH1", "--kind", "scrap", "--json"
    )
    fixed = cli("locations", "deactivate", "WH1/SCRAP", "--json")
    shown = cli("locations", "show", "WH1/SCRAP", "--json")
    listed = cli("locations", "list", "--warehouse", "WH1", "--include-virtual", "--json")

    assert virtual.exit_code == 5
    assert as_json(virtual)["error"]["code"] == "virtual_kind_reserved"
    assert as_json(fixed)["error"]["code"] == "virtual_location_fixed"
    assert as_json(shown)["is_virtual"] is True
    assert as_json(listed)["total"] == 6


def test_location_deactivate_and_reactivate(cli: Invoke) -> None:
    cli("warehouses", "create", "WH1", "Main")
    cli("locations", "create", "A", "Zone A", "--warehouse", "WH1")

    off = cli("locations", "deactivate", "A", "--json")
    on = cli("locations", "reactivate", "A", "--json")

    assert as_json(off)["active"] is False
    assert as_json(on)["active"] is True


@pytest.fixture
def items(cli: Invoke, db: Database) -> Invoke:
    create_item(
        db, CTX, ItemInput("GLUE", "Glue", "consumable", tracking="lot", shelf_life_days=30)
    )
    create_item(db, CTX, ItemInput("PUMP", "Pump", "finished_good", tracking="serial"))
    return cli


def test_lots_create_show_update_status(items: Invoke) -> None:
    created = items("lots", "create", "GLUE", "G1", "--manufactured-on", "2024-01-01", "--json")
    updated = items("lots", "update", "GLUE", "G1", "--supplier-lot", "S-9", "--json")
    held = items("lots", "status", "GLUE", "G1", "hold", "--reason", "QA", "--json")
    shown = items("lots", "show", "GLUE", "G1", "--json")
    listed = items("lots", "list", "--status", "hold", "--json")

    assert created.exit_code == 0, created.output
    assert as_json(created)["expires_on"] == "2024-01-31"
    assert as_json(updated)["supplier_lot"] == "S-9"
    assert as_json(held)["status"] == "hold"
    assert as_json(shown)["version"] == 3
    assert [lot["code"] for lot in as_json(listed)["items"]] == ["G1"]


def test_lot_errors_are_json(items: Invoke, db: Database) -> None:
    bad_date = items("lots", "create", "GLUE", "G1", "--expires-on", "tomorrow", "--json")
    serial_item = items("lots", "create", "PUMP", "P1", "--json")
    missing = items("lots", "show", "GLUE", "NOPE", "--json")

    assert bad_date.exit_code == 4
    assert as_json(bad_date)["error"]["code"] == "invalid_date"
    assert serial_item.exit_code == 5
    assert as_json(serial_item)["error"]["code"] == "item_is_serial_tracked"
    assert as_json(missing)["error"]["code"] == "lot_not_found"
    assert count(db, lots) == 0


def test_serials(items: Invoke) -> None:
    created = items("lots", "serial-create", "PUMP", "SN-1", "--json")
    listed = items("lots", "serials", "--json")
    table = items("lots", "list")

    assert as_json(created)["is_serial"] is True
    assert [s["code"] for s in as_json(listed)["items"]] == ["SN-1"]
    assert "SN-1" in table.stdout
    assert "(1 of 1)" in table.stdout
