"""What inbound needs of the master data from the command line: ``items``, ``categories`` and
``partners`` with ``--inspection``, ``partners --over-receipt-tolerance``, ``company set
--po-approval-threshold``, ``warehouses update --receiving-location/--quality-location/
--rejection-location`` and ``warehouses putaway-rules list|add|remove``. Each is set and read
back exactly; each bad value exits 4 (5: a rule) with its code and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, company, partners, putaway_rules
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.services.partners import PartnerInput, create_partner
from tests.cli.tree import Invoke
from tests.factories import CTX, build_company


@pytest.fixture(autouse=True)
def ready(db: Database) -> Database:
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme", is_supplier=True))
    return db


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def _value(db: Database, column: Any, where: Any) -> Any:
    with db.read() as conn:
        return conn.execute(select(column).where(where)).scalar_one()


#: the exit codes of the refusals: invalid input 4, a rule of the business 5
EXIT = {"wrong_location_kind": 5, "putaway_location_not_storage": 5}


def _refused(cangku: Invoke, db: Database, code: str, *args: str) -> None:
    before = _audits(db)
    result = cangku(*args, "--json")
    assert result.exit_code == EXIT.get(code, 4), result.output
    assert json.loads(result.stdout)["error"]["code"] == code
    assert _audits(db) == before


def test_items_and_categories_are_marked_for_inspection(cangku: Invoke) -> None:
    created = ok(cangku("items", "create", "NUT", "Nut", "--type", "spare_part", "--inspection",
                        "--json"))  # fmt: skip
    assert created["inspection_required"] is True
    changed = ok(cangku("items", "update", "NUT", "--no-inspection", "--json"))
    assert (changed["inspection_required"], changed["version"]) == (False, 2)
    assert ok(cangku("items", "show", "BOLT", "--json"))["inspection_required"] is False
    category = ok(cangku("categories", "create", "FOOD", "Food", "--inspection", "--json"))
    assert category["inspection_required"] is True
    unmarked = ok(cangku("categories", "update", "FOOD", "--no-inspection", "--json"))
    assert unmarked["inspection_required"] is False
    assert ok(cangku("categories", "show", "FOOD", "--json"))["inspection_required"] is False


def test_a_supplier_gets_inspection_and_a_tolerance(cangku: Invoke, db: Database) -> None:
    created = ok(cangku("partners", "create", "BETA", "Beta", "--supplier", "--inspection",
                        "--over-receipt-tolerance", "5.5", "--json"))  # fmt: skip
    assert (created["inspection_required"], created["over_receipt_tolerance"]) == (True, "5.5")
    changed = ok(cangku("partners", "update", "ACME", "--inspection",
                        "--over-receipt-tolerance", "10", "--json"))  # fmt: skip
    assert (changed["inspection_required"], changed["over_receipt_tolerance"]) == (True, "10")
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 10_000_000
    _refused(cangku, db, "invalid_over_receipt_tolerance",
             "partners", "update", "ACME", "--over-receipt-tolerance", "100.001")  # fmt: skip
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 10_000_000


def test_the_approval_threshold_is_set_and_cleared(cangku: Invoke, db: Database) -> None:
    shown = ok(cangku("company", "set", "--po-approval-threshold", "1200.5", "--json"))
    assert shown["po_approval_threshold"] == "1200.5"
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) == 1_200_500_000
    _refused(cangku, db, "too_many_decimals", "company", "set", "--po-approval-threshold", "0.001")
    _refused(cangku, db, "negative_value", "company", "set", "--po-approval-threshold", "-1")
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) == 1_200_500_000
    cleared = ok(cangku("company", "set", "--po-approval-threshold", "", "--json"))
    assert cleared["po_approval_threshold"] is None
    assert ok(cangku("company", "show", "--json"))["po_approval_threshold"] is None


def test_a_warehouse_names_its_inbound_locations(cangku: Invoke, db: Database) -> None:
    changed = ok(cangku("warehouses", "update", "WH1", "--receiving-location", "WH1-RCV",
                        "--quality-location", "WH1-QC", "--rejection-location", "WH1-QC",
                        "--json"))  # fmt: skip
    assert (changed["receiving_location"], changed["quality_location"],
            changed["rejection_location"]) == ("WH1-RCV", "WH1-QC", "WH1-QC")  # fmt: skip
    back = ok(cangku("warehouses", "update", "WH1", "--rejection-location", "", "--json"))
    assert (back["quality_location"], back["rejection_location"]) == ("WH1-QC", None)
    _refused(cangku, db, "wrong_location_kind",
             "warehouses", "update", "WH1", "--receiving-location", "WH1-A")  # fmt: skip
    _refused(cangku, db, "location_not_in_warehouse",
             "warehouses", "update", "WH1", "--quality-location", "WH2-A")  # fmt: skip
    assert _value(db, warehouse_table.c.version, warehouse_table.c.code == "WH1") == 3


def test_put_away_rules_are_added_listed_and_removed(cangku: Invoke, db: Database) -> None:
    rule = ok(cangku("warehouses", "putaway-rules", "add", "WH1", "WH1-A-01", "--item", "BOLT",
                     "--priority", "7", "--json"))  # fmt: skip
    assert rule == {"id": rule["id"], "warehouse": "WH1", "location": "WH1-A-01", "item": "BOLT",
                    "category": None, "item_type": None, "priority": 7,
                    "warehouse_id": rule["warehouse_id"]}  # fmt: skip
    by_type = ok(cangku("warehouses", "putaway-rules", "add", "WH1", "WH1-B", "--item-type",
                        "consumable", "--json"))  # fmt: skip
    listed = ok(cangku("warehouses", "putaway-rules", "list", "WH1", "--json"))
    assert [(r["id"], r["location"], r["priority"]) for r in listed] == [
        (rule["id"], "WH1-A-01", 7),
        (by_type["id"], "WH1-B", 100),
    ]
    text = cangku("warehouses", "putaway-rules", "list", "WH1")
    assert text.exit_code == 0 and "WH1-A-01" in text.stdout and "consumable" in text.stdout
    _refused(cangku, db, "putaway_rule_subject",
             "warehouses", "putaway-rules", "add", "WH1", "WH1-A")  # fmt: skip
    _refused(cangku, db, "putaway_location_not_storage",
             "warehouses", "putaway-rules", "add", "WH1", "WH1-QC", "--item", "GLUE")  # fmt: skip
    removed = ok(cangku("warehouses", "putaway-rules", "remove", "WH1", str(rule["id"]), "--json"))
    assert removed["id"] == rule["id"]
    assert _value(db, func.count(), putaway_rules.c.id.is_not(None)) == 1
    gone = cangku("warehouses", "putaway-rules", "remove", "WH1", str(rule["id"]), "--json")
    assert json.loads(gone.stdout)["error"]["code"] == "putaway_rule_not_found"
