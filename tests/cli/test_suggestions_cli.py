"""``cangku suggestions`` and ``cangku budgets`` (ADR 0033): the suggestions worked out by
hand (``tests.suggestion_factory``) as JSON and as a table, ``suggestions order`` making the
draft documents once per idempotency key, budgets set, listed and deleted, ``partners
supplier-item-set --pack-size --preferred``; each refusal prints its code, exits with its
status and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import Result

from cangku.db import tables
from cangku.db.uow import Database
from tests.auth import user_with_roles
from tests.cli.tree import Invoke
from tests.factories import build_company
from tests.snapshot import WATCHED, state
from tests.suggestion_factory import create_suggestion_story

WRITTEN = [*WATCHED, tables.documents, tables.document_lines, tables.purchase_budgets]


@pytest.fixture
def as_user(cangku: Invoke, db: Database, signed_in: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The suggestion story; boss (warehouse manager in WH1), clerk (receiving clerk in WH1);
    ``as_user(name, *args)`` runs ``cangku args`` signed in as one of them (or admin)."""
    build_company(db)
    create_suggestion_story(db)
    tokens = {
        "admin": signed_in,
        "boss": user_with_roles(db, "boss", ("warehouse_manager", "WH1")),
        "clerk": user_with_roles(db, "clerk", ("receiving_clerk", "WH1")),
    }

    def run(username: str, *args: str) -> Result:
        monkeypatch.setenv("CANGKU_TOKEN", tokens[username])
        return cangku(*args)

    return run


def _json(result: Result, code: int = 0) -> Any:
    assert result.exit_code == code, result.output
    return json.loads(result.output)


def test_suggestions_as_json_and_as_a_table(as_user: Any) -> None:
    found = _json(as_user("admin", "suggestions", "--json"))
    assert [
        (ln["item"], ln["source"], ln["supplier"] or ln["from_warehouse"], ln["quantity"],
         ln["reason"])
        for ln in found["lines"]
    ] == [
        ("WASHER", "supplier", "ACME", "48", None),
        ("NUT", "transfer", "WH2", "97", None),
        ("GASKET", "supplier", "ZETA", "0", "below_minimum"),
        ("SPRING", "supplier", None, "0", "no_supplier"),
    ]  # fmt: skip
    shown = as_user("admin", "suggestions", "--supplier", "ACME")
    assert shown.exit_code == 0, shown.output
    assert "WASHER" in shown.output and "GASKET" not in shown.output
    refused = _json(as_user("clerk", "suggestions", "--json"), 8)
    assert refused["error"]["code"] == "permission_denied"
    unknown = _json(as_user("admin", "suggestions", "--item", "NOPE", "--json"), 3)
    assert unknown["error"]["code"] == "item_not_found"


def test_order_picked_then_replayed(as_user: Any, db: Database) -> None:
    args = ("suggestions", "order", "WASHER@WH1", "NUT@WH1<WH2", "--idempotency-key", "c-1")
    made = _json(as_user("admin", *args, "--json"))
    assert [(d["kind"], d["warehouse"], d["source"], d["lines"]) for d in made["documents"]] == [
        ("purchase_order", "WH1", "ACME", 1), ("transfer", "WH1", "WH2", 1)
    ]  # fmt: skip
    before = state(db, WRITTEN)
    again = _json(as_user("admin", *args, "--json"))
    assert again == {**made, "replayed": True}
    assert state(db, WRITTEN) == before
    table = as_user("admin", *args)
    assert "replayed" in table.output and made["documents"][0]["number"] in table.output


def test_order_refusals_write_nothing(as_user: Any, db: Database) -> None:
    before = state(db, WRITTEN)
    cases = [
        (("suggestions", "order"), 4, "choose_suggestions"),
        (("suggestions", "order", "WASHER"), 4, "invalid_pick"),
        (("suggestions", "order", "GASKET@WH1"), 6, "suggestion_gone"),
        (("suggestions", "order", "--all", "--warehouse", "WH2"), 5, "nothing_to_order"),
    ]
    for args, code, error in cases:
        assert _json(as_user("admin", *args, "--json"), code)["error"]["code"] == error, args
    assert _json(as_user("clerk", "suggestions", "order", "--all", "--json"), 8)
    assert state(db, WRITTEN) == before


def test_budgets_set_listed_and_deleted(as_user: Any, db: Database) -> None:
    period = ("--from", "2026-01-01", "--to", "2026-03-31")
    made = _json(as_user("boss", "budgets", "set", *period, "--amount", "500", "--warehouse",
                         "WH1", "--note", "Q1", "--json"))  # fmt: skip
    assert {k: made[k] for k in ("warehouse", "amount", "committed", "left", "note")} == {
        "warehouse": "WH1", "amount": "500", "committed": "0", "left": "500", "note": "Q1"
    }  # fmt: skip
    changed = _json(as_user("boss", "budgets", "set", "--id", str(made["id"]), "--from",
                            "2026-01-01", "--to", "2026-03-31", "--amount", "600", "--warehouse",
                            "WH1", "--json"))  # fmt: skip
    assert (changed["id"], changed["amount"], changed["note"]) == (made["id"], "600", None)
    assert [b["id"] for b in _json(as_user("admin", "budgets", "--json"))] == [made["id"]]
    before = state(db, WRITTEN)
    bad = ("budgets", "set", "--from", "2026-04-01", "--to", "2026-03-31", "--amount", "1")
    assert _json(as_user("admin", *bad, "--json"), 4)["error"]["code"] == "invalid_budget_period"
    day = ("budgets", "set", "--from", "soon", "--to", "2026-03-31", "--amount", "1")
    assert _json(as_user("admin", *day, "--json"), 4)["error"]["code"] == "invalid_date"
    everywhere = ("budgets", "set", "--from", "2026-01-01", "--to", "2026-03-31", "--amount", "1")
    assert _json(as_user("boss", *everywhere, "--json"), 8)["error"]["code"] == "permission_denied"
    assert _json(as_user("admin", "budgets", "delete", "999", "--json"), 3)
    assert state(db, WRITTEN) == before
    assert _json(as_user("boss", "budgets", "delete", str(made["id"]), "--json")) == {
        "deleted": made["id"]
    }  # fmt: skip
    assert _json(as_user("admin", "budgets", "--json")) == []


def test_supplier_item_set_takes_pack_size_and_preferred(as_user: Any) -> None:
    args = ("partners", "supplier-item-set", "BETA", "GASKET", "--pack-size", "10", "--preferred")
    found = _json(as_user("admin", *args, "--json"))
    assert (found["pack_size"], found["preferred"]) == ("10", True)
    lines = _json(as_user("admin", "suggestions", "--item", "GASKET", "--json"))["lines"]
    assert [(ln["supplier"], ln["quantity"]) for ln in lines] == [("BETA", "20")]
    bad = ("partners", "supplier-item-set", "BETA", "GASKET", "--pack-size", "0", "--json")
    assert _json(as_user("admin", *bad), 4)["error"]["code"] == "invalid_pack_size"
