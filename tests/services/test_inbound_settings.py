"""What inbound needs of the master data, set through the services: items, categories and
suppliers marked for inspection, a supplier's over-receipt tolerance, the company's purchase
approval threshold, a warehouse's receiving, quality and rejection locations and its put-away
rules. Each is read back exactly, audited, refused with its code when wrong (nothing written),
and takes effect on orders and receipts."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.inbound import warehouse_inbound
from cangku.db.tables import audit_log, categories, company, items, partners, putaway_rules
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.domain.errors import (
    CangkuError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from cangku.queries.exports import export_rows
from cangku.queries.putaway_rules import list_putaway_rules
from cangku.services.categories import create_category, update_category
from cangku.services.common import Context
from cangku.services.company import CompanyChanges, get_company, update_company
from cangku.services.imports import ImportRejected, import_file
from cangku.services.inbound.orders import (
    NewPurchaseOrder,
    OrderLineInput,
    confirm_order,
    create_purchase_order,
)
from cangku.services.inbound.putaways import put_away
from cangku.services.inbound.receipts import NewReceipt, ReceiptLineInput, create_receipt
from cangku.services.items import ItemInput, create_item, update_item
from cangku.services.locations import LocationInput, create_location
from cangku.services.partners import PartnerInput, create_partner, update_partner
from cangku.services.putaway_rules import add_putaway_rule, remove_putaway_rule
from cangku.services.users import create_user
from cangku.services.warehouses import WarehouseChanges, update_warehouse
from tests.factories import CTX, build_company
from tests.importing import csv_file, last_audit_entries

BUYER = Context(username="buyer")
CLERK = Context(username="clerk")


@pytest.fixture
def ready(db: Database) -> Database:
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme Supplies", is_supplier=True))
    for code, kind in [("WH1-RCV2", "receiving"), ("WH1-QC2", "quality")]:
        create_location(db, CTX, LocationInput(code, code, kind=kind, warehouse="WH1"))
    create_category(db, CTX, "HW", "Hardware")
    create_category(db, CTX, "FAST", "Fasteners", "HW")
    for name, role in [("buyer", "purchaser"), ("clerk", "receiving_clerk")]:
        create_user(db, CTX, name, name.title(), roles=[(role, "WH1")])
    return db


def _audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def _column(db: Database, column: Any, where: Any) -> Any:
    with db.read() as conn:
        return conn.execute(select(column).where(where)).scalar_one()


def _tolerance(db: Database, code: str) -> int:
    return int(_column(db, partners.c.over_receipt_tolerance, partners.c.code == code))


def _threshold(db: Database, value: object) -> Decimal | None:
    """Set the approval threshold; answer it as the service reads it back."""
    return update_company(
        db, CTX, CompanyChanges(po_approval_threshold=value)
    ).po_approval_threshold


def _refused(db: Database, error: type[CangkuError], code: str, call: Any) -> None:
    """``call()`` is refused with ``code`` and writes nothing (not even an audit entry)."""
    before = _audits(db)
    with pytest.raises(error) as refused:
        call()
    assert refused.value.code == code
    assert _audits(db) == before


# ---------------------------------------------------------------- items and categories


def test_an_item_is_marked_for_inspection_when_created_and_changed(ready: Database) -> None:
    created = create_item(ready, CTX, ItemInput("NUT", "Nut M8", "spare_part",
                                                inspection_required=True))  # fmt: skip
    assert created.inspection_required is True
    assert _column(ready, items.c.inspection_required, items.c.code == "NUT") is True
    changed = update_item(ready, CTX, "NUT", {"inspection_required": False})
    assert (changed.inspection_required, changed.version) == (False, 2)
    assert _column(ready, items.c.inspection_required, items.c.code == "NUT") is False
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert target == "NUT"
    assert json.loads(details)["changes"] == {
        "inspection_required": {"before": True, "after": False},
        "version": {"before": 1, "after": 2},
    }


@pytest.mark.parametrize("value", [None, "yes", 1], ids=["null", "text", "number"])
def test_an_item_inspection_mark_is_true_or_false(ready: Database, value: object) -> None:
    _refused(ready, InvalidInput, "invalid_flag",
             lambda: update_item(ready, CTX, "BOLT", {"inspection_required": value}))  # fmt: skip
    assert _column(ready, items.c.inspection_required, items.c.code == "BOLT") is False
    assert _column(ready, items.c.version, items.c.code == "BOLT") == 1


def test_a_category_is_marked_for_inspection_and_unmarked(ready: Database) -> None:
    created = create_category(ready, CTX, "FOOD", "Food", inspection_required=True)
    assert created.inspection_required is True
    assert update_category(ready, CTX, "HW", {"inspection_required": True}).inspection_required
    assert _column(ready, categories.c.inspection_required, categories.c.code == "HW") is True
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert (target, json.loads(details)["changes"]) == (
        "HW",
        {"inspection_required": {"before": False, "after": True}},
    )
    unmarked = update_category(ready, CTX, "HW", {"inspection_required": False})
    assert unmarked.inspection_required is False
    _refused(ready, InvalidInput, "invalid_flag",
             lambda: update_category(ready, CTX, "HW", {"inspection_required": None}))  # fmt: skip
    _refused(ready, InvalidInput, "invalid_flag",
             lambda: create_category(ready, CTX, "X", "X", inspection_required="y"))  # type: ignore[arg-type]  # fmt: skip
    assert _column(ready, func.count(), categories.c.code == "X") == 0


# ---------------------------------------------------------------- suppliers


def test_a_supplier_gets_inspection_and_an_over_receipt_tolerance(ready: Database) -> None:
    created = create_partner(
        ready,
        CTX,
        PartnerInput("BETA", "Beta", is_supplier=True, inspection_required=True,
                     over_receipt_tolerance=Decimal("12.5")),
    )  # fmt: skip
    assert (created.inspection_required, created.over_receipt_tolerance) == (True, Decimal("12.5"))
    assert _tolerance(ready, "BETA") == 12_500_000
    changed = update_partner(
        ready, CTX, "ACME", {"inspection_required": True, "over_receipt_tolerance": "10"}
    )
    assert (changed.inspection_required, changed.over_receipt_tolerance) == (True, Decimal(10))
    assert _tolerance(ready, "ACME") == 10_000_000
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert (target, json.loads(details)["changes"]) == (
        "ACME",
        {
            "inspection_required": {"before": False, "after": True},
            "over_receipt_tolerance": {"before": "0", "after": "10"},
            "version": {"before": 1, "after": 2},
        },
    )
    cleared = update_partner(ready, CTX, "ACME", {"over_receipt_tolerance": 0})
    assert (cleared.over_receipt_tolerance, _tolerance(ready, "ACME")) == (0, 0)


@pytest.mark.parametrize(
    "value",
    ["-1", "100.01", "1.234", "ten", None, True],
    ids=["negative", "above_100", "three_decimals", "text", "null", "bool"],
)
def test_a_tolerance_is_a_percentage_from_0_to_100_with_two_decimals(
    ready: Database, value: object
) -> None:
    changes = {"over_receipt_tolerance": value}
    _refused(ready, InvalidInput, "invalid_over_receipt_tolerance",
             lambda: update_partner(ready, CTX, "ACME", changes))  # fmt: skip
    assert _tolerance(ready, "ACME") == 0
    assert _column(ready, partners.c.version, partners.c.code == "ACME") == 1


def test_the_highest_tolerance_is_100_percent(ready: Database) -> None:
    changed = update_partner(ready, CTX, "ACME", {"over_receipt_tolerance": "100.00"})
    assert changed.over_receipt_tolerance == Decimal(100)
    assert _tolerance(ready, "ACME") == 100_000_000


# ---------------------------------------------------------------- company


def test_the_approval_threshold_is_set_changed_and_cleared(ready: Database) -> None:
    assert get_company(ready).po_approval_threshold is None
    changed = update_company(ready, CTX, CompanyChanges(po_approval_threshold="250.50"))
    assert changed.po_approval_threshold == Decimal("250.5")
    assert _column(ready, company.c.po_approval_threshold, company.c.id == 1) == 250_500_000
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert json.loads(details)["changes"] == {
        "po_approval_threshold": {"before": None, "after": "250.5"}
    }
    assert _threshold(ready, "") is None
    assert _threshold(ready, 0) == 0
    assert _threshold(ready, None) is None
    assert _column(ready, company.c.po_approval_threshold, company.c.id == 1) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [("-1", "negative_value"), ("1.234", "too_many_decimals"), ("lots", "invalid_number")],
    ids=["negative", "beyond_the_cents", "text"],
)
def test_the_approval_threshold_is_money_of_the_currency(
    ready: Database, value: str, code: str
) -> None:
    _refused(ready, InvalidInput, code, lambda: _threshold(ready, value))
    assert _column(ready, company.c.po_approval_threshold, company.c.id == 1) is None
    assert _column(ready, company.c.version, company.c.id == 1) == 1


def test_the_threshold_follows_a_currency_changed_with_it(ready: Database) -> None:
    # JPY has no minor unit: 1.5 yen is refused, 1500 taken
    changes = CompanyChanges(currency="JPY", po_approval_threshold="1.5")
    _refused(ready, InvalidInput, "too_many_decimals",
             lambda: update_company(ready, CTX, changes))  # fmt: skip
    changed = update_company(
        ready, CTX, CompanyChanges(currency="JPY", po_approval_threshold="1500")
    )
    assert (changed.currency, changed.po_approval_threshold) == ("JPY", Decimal(1500))


# ---------------------------------------------------------------- warehouses


def test_a_warehouse_names_its_receiving_quality_and_rejection_locations(ready: Database) -> None:
    with ready.read() as conn:
        default = warehouse_inbound(conn, "WH1")
    changed = update_warehouse(
        ready,
        CTX,
        "WH1",
        WarehouseChanges(receiving_location="WH1-RCV2", quality_location="WH1-QC2",
                         rejection_location="WH1-QC"),
    )  # fmt: skip
    assert (changed.receiving_location, changed.quality_location, changed.rejection_location) == (
        "WH1-RCV2",
        "WH1-QC2",
        "WH1-QC",
    )
    with ready.read() as conn:
        chosen = warehouse_inbound(conn, "WH1")
    assert chosen.receiving_id != default.receiving_id
    assert (chosen.receiving_id, chosen.quality_id, chosen.rejection_id) == tuple(
        _location_id(ready, code) for code in ("WH1-RCV2", "WH1-QC2", "WH1-QC")
    )
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert (target, json.loads(details)["changes"]) == (
        "WH1",
        {
            "quality_location": {"before": None, "after": "WH1-QC2"},
            "receiving_location": {"before": None, "after": "WH1-RCV2"},
            "rejection_location": {"before": None, "after": "WH1-QC"},
            "version": {"before": 1, "after": 2},
        },
    )
    back = WarehouseChanges(receiving_location=None, rejection_location="")
    cleared = update_warehouse(ready, CTX, "WH1", back)
    assert (cleared.receiving_location, cleared.quality_location, cleared.rejection_location) == (
        None,
        "WH1-QC2",
        None,
    )


def _location_id(db: Database, code: str) -> int:
    from cangku.db.tables import locations

    return int(_column(db, locations.c.id, locations.c.code == code))


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        (WarehouseChanges(receiving_location="WH2-A"), InvalidInput, "location_not_in_warehouse"),
        (WarehouseChanges(receiving_location="WH1-A"), RuleViolation, "wrong_location_kind"),
        (WarehouseChanges(quality_location="WH1-RCV"), RuleViolation, "wrong_location_kind"),
        (WarehouseChanges(rejection_location="WH1-B"), RuleViolation, "wrong_location_kind"),
        (WarehouseChanges(quality_location="NOPE"), NotFound, "location_not_found"),
    ],
    ids=["other_warehouse", "receiving_not_receiving", "quality_not_quality",
         "rejection_not_quality", "unknown"],
)  # fmt: skip
def test_a_warehouse_location_must_be_its_own_and_of_the_right_kind(
    ready: Database, changes: WarehouseChanges, error: type[CangkuError], code: str
) -> None:
    _refused(ready, error, code, lambda: update_warehouse(ready, CTX, "WH1", changes))
    row = (warehouse_table.c.receiving_location_id, warehouse_table.c.quality_location_id,
           warehouse_table.c.rejection_location_id, warehouse_table.c.version)  # fmt: skip
    with ready.read() as conn:
        found = conn.execute(select(*row).where(warehouse_table.c.code == "WH1")).one()
    assert tuple(found) == (None, None, None, 1)


# ---------------------------------------------------------------- put-away rules


def test_put_away_rules_are_added_listed_and_removed(ready: Database) -> None:
    by_item = add_putaway_rule(ready, CTX, "WH1", "WH1-A-01", item="BOLT", priority=10)
    by_category = add_putaway_rule(ready, CTX, "WH1", "WH1-B", category="FAST")
    by_type = add_putaway_rule(ready, CTX, "WH1", "WH1-A", item_type="raw_material", priority=5)
    listed = [
        (r.id, r.warehouse, r.location, r.item, r.category, r.item_type, r.priority)
        for r in list_putaway_rules(ready, "WH1")
    ]
    assert listed == [
        (by_type.id, "WH1", "WH1-A", None, None, "raw_material", 5),
        (by_item.id, "WH1", "WH1-A-01", "BOLT", None, None, 10),
        (by_category.id, "WH1", "WH1-B", None, "FAST", None, 100),
    ]
    _action, target, details = last_audit_entries(ready, 1)[0]
    assert (target, json.loads(details)["changes"]) == (
        "WH1",
        {
            f"putaway_rules.{by_type.id}.item_type": {"before": None, "after": "raw_material"},
            f"putaway_rules.{by_type.id}.location": {"before": None, "after": "WH1-A"},
            f"putaway_rules.{by_type.id}.priority": {"before": None, "after": 5},
        },
    )
    removed = remove_putaway_rule(ready, CTX, by_item.id, warehouse="WH1")
    assert (removed.id, removed.item, removed.location) == (by_item.id, "BOLT", "WH1-A-01")
    assert [r.id for r in list_putaway_rules(ready, "WH1")] == [by_type.id, by_category.id]
    assert list_putaway_rules(ready, "WH2") == []


@pytest.mark.parametrize(
    ("arguments", "error", "code"),
    [
        ({"location": "WH1-A", "item": "BOLT", "category": "HW"}, InvalidInput,
         "putaway_rule_subject"),
        ({"location": "WH1-A"}, InvalidInput, "putaway_rule_subject"),
        ({"location": "WH2-A", "item": "BOLT"}, InvalidInput, "location_not_in_warehouse"),
        ({"location": "WH1-RCV", "item": "BOLT"}, RuleViolation, "putaway_location_not_storage"),
        ({"location": "WH1-A", "item_type": "gadget"}, InvalidInput, "invalid_item_type"),
        ({"location": "WH1-A", "item": "NOPE"}, NotFound, "item_not_found"),
        ({"location": "WH1-A", "category": "NOPE"}, NotFound, "category_not_found"),
        ({"location": "WH1-A", "item": "BOLT", "priority": -1}, InvalidInput, "invalid_priority"),
        ({"location": "WH1-A", "item": "BOLT", "priority": "1"}, InvalidInput, "invalid_priority"),
    ],
    ids=["two_subjects", "no_subject", "other_warehouse", "not_storage", "unknown_type",
         "unknown_item", "unknown_category", "negative_priority", "text_priority"],
)  # fmt: skip
def test_a_put_away_rule_is_refused_when_wrong(
    ready: Database, arguments: dict[str, Any], error: type[CangkuError], code: str
) -> None:
    _refused(ready, error, code, lambda: add_putaway_rule(ready, CTX, "WH1", **arguments))
    assert _column(ready, func.count(), putaway_rules.c.id.is_not(None)) == 0


def test_the_same_rule_twice_is_refused_and_removing_needs_the_warehouse(
    ready: Database,
) -> None:
    rule = add_putaway_rule(ready, CTX, "WH1", "WH1-A", item="BOLT")
    again = {"location": "WH1-A", "item": "BOLT", "priority": 3}
    _refused(ready, Conflict, "putaway_rule_exists",
             lambda: add_putaway_rule(ready, CTX, "WH1", **again))  # fmt: skip
    _refused(ready, NotFound, "putaway_rule_not_found",
             lambda: remove_putaway_rule(ready, CTX, rule.id, warehouse="WH2"))  # fmt: skip
    _refused(ready, NotFound, "putaway_rule_not_found",
             lambda: remove_putaway_rule(ready, CTX, rule.id + 1000))  # fmt: skip
    _refused(ready, NotFound, "putaway_rule_not_found",
             lambda: remove_putaway_rule(ready, CTX, 2**64))  # fmt: skip
    _refused(ready, PermissionDenied, "permission_denied",
             lambda: remove_putaway_rule(ready, CLERK, rule.id))  # fmt: skip
    _refused(ready, PermissionDenied, "permission_denied",
             lambda: add_putaway_rule(ready, BUYER, "WH1", "WH1-B", item="BOLT"))  # fmt: skip
    assert [r.id for r in list_putaway_rules(ready, "WH1")] == [rule.id]


# ---------------------------------------------------------------- the settings take effect


def test_the_settings_set_through_the_services_drive_orders_and_receipts(ready: Database) -> None:
    db = ready
    # given a threshold of 100.00, ACME marked for inspection, and bolts put away to WH1-A-01
    update_company(db, CTX, CompanyChanges(po_approval_threshold="100"))
    update_partner(db, CTX, "ACME", {"inspection_required": True})
    add_putaway_rule(db, CTX, "WH1", "WH1-A-01", item="BOLT")
    beta = PartnerInput("BETA", "Beta", is_supplier=True)
    create_partner(db, CTX, beta)

    # when orders above and below the threshold are confirmed
    above = create_purchase_order(db, BUYER, NewPurchaseOrder("ACME", "WH1", [
        OrderLineInput("BOLT", "201", unit_price="0.5")])).number  # fmt: skip
    below = create_purchase_order(db, BUYER, NewPurchaseOrder("ACME", "WH1", [
        OrderLineInput("BOLT", "200", unit_price="0.5")])).number  # fmt: skip
    # then the one worth 100.50 waits for approval, the one worth 100.00 does not
    assert confirm_order(db, BUYER, above).state == "awaiting_approval"
    assert confirm_order(db, BUYER, below).state == "confirmed"

    # when ACME's bolts arrive they go to the quality location to be inspected
    from_acme = create_receipt(db, CLERK, NewReceipt(
        lines=[ReceiptLineInput("BOLT", "5")], warehouse="WH1", supplier="ACME"))  # fmt: skip
    assert from_acme.data["inspection"] is not None and from_acme.data["putaway"] is None
    assert _on_hand(db, "WH1-QC") == Decimal(5)

    # and Beta's bolts go to receiving, with WH1-A-01 (the rule's bin) suggested
    from_beta = create_receipt(db, CLERK, NewReceipt(
        lines=[ReceiptLineInput("BOLT", "7")], warehouse="WH1", supplier="BETA"))  # fmt: skip
    assert from_beta.data["inspection"] is None
    assert _on_hand(db, "WH1-RCV") == Decimal(7)
    put_away(db, CLERK, from_beta.data["putaway"], None)
    assert (_on_hand(db, "WH1-RCV"), _on_hand(db, "WH1-A-01")) == (Decimal(0), Decimal(7))


def _on_hand(db: Database, location: str) -> Decimal:
    from cangku.db.tables import balances, locations

    with db.read() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.code == location, balances.c.item_id == select(items.c.id)
                   .where(items.c.code == "BOLT").scalar_subquery())
        ).scalar_one()  # fmt: skip
    return Decimal(int(total)) / 10**6


# ---------------------------------------------------------------- imports and exports


def test_imports_set_the_inspection_marks_and_the_tolerance_and_exports_show_them(
    ready: Database,
) -> None:
    # given files with the new columns (and files without them, which keep what is stored)
    import_file(ready, CTX, "categories",
                csv_file("code,name,inspection_required", "HW,Hardware,true"))  # fmt: skip
    import_file(ready, CTX, "items", csv_file("code,name,item_type,inspection_required",
                                              "NUT,Nut,spare_part,yes"))  # fmt: skip
    import_file(ready, CTX, "partners",
                csv_file("code,name,is_supplier,inspection_required,over_receipt_tolerance",
                         "ACME,Acme Supplies,true,true,12.5"))  # fmt: skip
    again = import_file(ready, CTX, "partners", csv_file("code,name,is_supplier",
                                                         "ACME,Acme Supplies,true"))  # fmt: skip
    assert (again.updated, again.unchanged) == (0, 1)
    # then the marks are stored and the exports list them in their last columns
    assert _tolerance(ready, "ACME") == 12_500_000
    with ready.read() as conn:
        assert export_rows(conn, "categories")[0][-1] is True
        # inspection_required, then allocation_strategy (issue 13) last
        by_item = {row[0]: row[-2] for row in export_rows(conn, "items")}
        assert (by_item["NUT"], by_item["BOLT"]) == (True, False)
        acme = next(row for row in export_rows(conn, "partners") if row[0] == "ACME")
        assert acme[-2:] == [True, Decimal("12.5")]


def test_an_import_with_a_bad_tolerance_is_refused_against_its_column(ready: Database) -> None:
    before = _audits(ready)
    with pytest.raises(ImportRejected) as refused:
        import_file(ready, CTX, "partners",
                    csv_file("code,name,is_supplier,over_receipt_tolerance",
                             "ACME,Acme Supplies,true,101"))  # fmt: skip
    assert [(e.column, e.code) for e in refused.value.errors] == [
        ("over_receipt_tolerance", "invalid_over_receipt_tolerance")
    ]
    assert (_tolerance(ready, "ACME"), _audits(ready)) == (0, before)
