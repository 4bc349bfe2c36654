"""Negative numbers on the command line (issue 10, defect 11): ``-2`` is a quantity wherever it
stands, never an unknown option; where a sign is not allowed the command's own rule refuses it
(exit 4, nothing written); a misspelt option is still refused as one."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cangku.db.tables import moves
from cangku.db.uow import Database
from tests.cli.tree import Invoke
from tests.factories import build_company

ADJUST = ("stock", "adjust", "BOLT")
WHERE = ("--location", "WH1-A", "--reason")


@pytest.fixture
def stocked(db: Database, cangku: Invoke) -> Invoke:
    build_company(db)
    received = cangku("stock", "receive", "BOLT", "10", "--to", "WH1-A", "--unit-cost", "1")
    assert received.exit_code == 0, received.output
    return cangku


def _moves(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(moves)).scalar_one())


@pytest.mark.parametrize(
    ("args", "quantity"),
    [
        ((*ADJUST, "-2", *WHERE, "lost"), "2"),
        ((*ADJUST, *WHERE, "lost", "-2"), "2"),
        (("stock", "adjust", *WHERE, "lost", "BOLT", "-1.0"), "1"),
        ((*ADJUST, *WHERE, "lost", "--json", "--", "-3"), "3"),
    ],
    ids=["after-the-item", "after-the-options", "all-options-first", "after-double-dash"],
)
def test_a_negative_adjustment_is_a_loss_wherever_it_stands(
    stocked: Invoke, args: tuple[str, ...], quantity: str
) -> None:
    result = stocked(*args) if "--json" in args else stocked(*args, "--json")
    assert result.exit_code == 0, result.output
    [move] = json.loads(result.stdout)["moves"]
    assert (move["quantity"], move["from_location"], move["to_location"]) == (
        quantity,
        "WH1-A",
        "WH1/ADJUSTMENT",
    )


@pytest.mark.parametrize(
    "args",
    [
        ("stock", "receive", "BOLT", "-5", "--to", "WH1-A"),
        ("stock", "issue", "BOLT", "--from", "WH1-A", "-1"),
        ("stock", "move", "BOLT", "-1", "--from", "WH1-A", "--to", "WH1-B"),
        ("stock", "scrap", "BOLT", "-1", "--from", "WH1-A"),
        ("stock", "reserve", "BOLT", "-1", "--location", "WH1-A"),
        ("stock", "release", "BOLT", "-1", "--location", "WH1-A"),
    ],
    ids=["receive", "issue", "move", "scrap", "reserve", "release"],
)
def test_a_negative_quantity_where_no_sign_is_allowed_is_refused_by_its_rule(
    stocked: Invoke, db: Database, args: tuple[str, ...]
) -> None:
    before = _moves(db)
    result = stocked(*args)
    assert result.exit_code == 4, result.output
    assert "error [quantity_not_positive]: quantity must be greater than zero" in result.output
    assert "No such option" not in result.output
    assert _moves(db) == before


def test_a_misspelt_option_is_still_refused_as_an_option(stocked: Invoke, db: Database) -> None:
    before = _moves(db)
    result = stocked(*ADJUST, "-2", "--locaton", "WH1-A", "--reason", "lost")
    assert result.exit_code == 2
    assert "No such option: --locaton" in result.output
    assert _moves(db) == before


def test_an_option_value_may_be_negative_and_is_judged_by_its_rule(stocked: Invoke) -> None:
    result = stocked("stock", "receive", "BOLT", "1", "--to", "WH1-A", "--unit-cost", "-1")
    assert result.exit_code == 4
    assert "error [negative_cost]" in result.output
