"""``cangku stock receive <barcode>`` (issue 10): a box barcode receives boxes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner, Result

from cangku.cli.common import database
from cangku.cli.main import app
from cangku.db.uow import Database
from cangku.services.items import set_item_barcodes
from cangku.settings import get_settings
from tests.factories import CTX, build_company

Invoke = Callable[..., Result]
BOX = "6901234567908"


@pytest.fixture
def cli(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    build_company(db)
    set_item_barcodes(db, CTX, "BOLT", [("6901234567892", None), (BOX, "box")])
    monkeypatch.setenv("CANGKU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    database.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["stock", *args], env={"CANGKU_DATABASE_URL": database_url})

    yield invoke
    database().dispose()
    database.cache_clear()
    get_settings.cache_clear()


def test_receive_by_box_barcode_receives_a_box(cli: Invoke) -> None:
    result = cli("receive", BOX, "1", "--to", "WH1-A", "--json")
    assert result.exit_code == 0, result.output
    [move] = json.loads(result.stdout)["moves"]
    assert (move["item"], move["quantity"]) == ("BOLT", "12")
    on_hand = cli("on-hand", "--item", BOX, "--json")
    assert on_hand.exit_code == 0, on_hand.output
    assert json.loads(on_hand.stdout)["totals"]["on_hand"] == "12"


def test_another_unit_than_the_barcode_s_is_refused(cli: Invoke) -> None:
    result = cli("receive", BOX, "1", "--to", "WH1-A", "--unit", "pcs")
    assert result.exit_code != 0
    assert "unit_conflicts_with_barcode" in result.output


def test_on_hand_of_one_item_says_what_is_on_order(cli: Invoke, db: Database) -> None:
    from cangku.services.inbound.orders import (
        NewPurchaseOrder,
        OrderLineInput,
        confirm_order,
        create_purchase_order,
    )
    from cangku.services.partners import PartnerInput, create_partner

    create_partner(db, CTX, PartnerInput("ACME", "Acme", is_supplier=True))
    order = create_purchase_order(
        db, CTX, NewPurchaseOrder("ACME", "WH1", [OrderLineInput("BOLT", "2", unit="box")])
    )
    confirm_order(db, CTX, order.number)

    answer = cli("on-hand", "--item", "BOLT", "--json")
    shown = cli("on-hand", "--item", BOX)

    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout)["on_order"] == "24"
    assert "on order 24" in shown.stdout
    assert "on_order" not in json.loads(cli("on-hand", "--json").stdout)
