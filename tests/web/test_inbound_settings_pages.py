"""The pages where inbound's master data is set and shown: an item's and a supplier's
inspection mark, a supplier's over-receipt tolerance, the company's purchase approval
threshold, a warehouse's receiving, quality and rejection locations and its put-away rules.
Each is saved and shown again; a bad value shows its message and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from cangku.db.tables import audit_log, company, items, partners, putaway_rules
from cangku.db.tables import warehouses as warehouse_table
from cangku.db.uow import Database
from cangku.services.locations import LocationInput, create_location
from cangku.services.partners import PartnerInput, create_partner
from tests.factories import CTX, build_company
from tests.web.browsing import Browser, browser, sign_in_as


@pytest.fixture
def site(db: Database, database_url: str) -> Iterator[Browser]:
    client = browser(db, database_url)
    build_company(db)
    create_partner(db, CTX, PartnerInput("ACME", "Acme", is_supplier=True))
    create_location(db, CTX, LocationInput("WH1-QC2", "QC 2", kind="quality", warehouse="WH1"))
    client.cookies.set("lang", "en")
    with client:
        sign_in_as(client, db)
        yield client


def _value(db: Database, column: Any, where: Any) -> Any:
    with db.read() as conn:
        return conn.execute(select(column).where(where)).scalar_one()


def _audits(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def _saved(response: Any) -> None:
    assert response.status_code == 303, response.text[:2000]


def test_an_item_is_marked_for_inspection_on_its_form(site: Browser, db: Database) -> None:
    form = {"name": "Hex bolt M8", "item_type": "spare_part", "base_unit": "pcs",
            "tracking": "none", "costing_method": "fifo", "units": "box = 12",
            "barcodes": "6901234567892", "version": "1", "inspection_required": "1"}  # fmt: skip
    _saved(site.post("/items/BOLT/edit", data=form, follow_redirects=False))
    assert _value(db, items.c.inspection_required, items.c.code == "BOLT") is True
    page = site.get("/items/BOLT").text
    assert "<dt>Inspection on receipt</dt><dd>Yes</dd>" in page
    assert 'name="inspection_required" value="1" checked' in site.get("/items/BOLT/edit").text


def test_a_supplier_gets_its_receiving_terms(site: Browser, db: Database) -> None:
    terms = {"inspection_required": "1", "over_receipt_tolerance": "7.5", "version": "1"}
    _saved(site.post("/partners/ACME/receiving", data=terms, follow_redirects=False))
    assert _value(db, partners.c.inspection_required, partners.c.code == "ACME") is True
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 7_500_000
    page = site.get("/partners/ACME").text
    assert "<dt>Inspection on receipt</dt><dd>Yes</dd>" in page
    assert "<dt>Over-receipt tolerance</dt><dd>7.5 %</dd>" in page


def test_a_tolerance_above_100_is_refused_on_the_page(site: Browser, db: Database) -> None:
    before = _audits(db)
    refused = site.post("/partners/ACME/receiving", data={"over_receipt_tolerance": "150"})
    assert refused.status_code == 422
    assert "The over-receipt tolerance is a percentage from 0 to 100" in refused.text
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "ACME") == 0
    assert _audits(db) == before


def test_a_new_supplier_is_created_with_its_receiving_terms(site: Browser, db: Database) -> None:
    form = {"code": "BETA", "name": "Beta", "is_supplier": "1", "inspection_required": "1",
            "over_receipt_tolerance": "2.25"}  # fmt: skip
    _saved(site.post("/partners/new", data=form, follow_redirects=False))
    assert _value(db, partners.c.over_receipt_tolerance, partners.c.code == "BETA") == 2_250_000
    assert _value(db, partners.c.inspection_required, partners.c.code == "BETA") is True


def _company_form(threshold: str) -> dict[str, str]:
    return {"name": "", "currency": "CNY", "time_zone": "UTC", "unit_cost_places": "4",
            "expiring_soon_days": "30", "po_approval_threshold": threshold}  # fmt: skip


def test_the_approval_threshold_is_set_and_cleared_on_the_company_page(
    site: Browser, db: Database
) -> None:
    _saved(site.post("/settings/company", data=_company_form("800.25"), follow_redirects=False))
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) == 800_250_000
    assert (
        'name="po_approval_threshold" inputmode="decimal" value="800.25"'
        in site.get("/settings/company").text
    )
    before = _audits(db)
    refused = site.post("/settings/company", data=_company_form("-1"))
    assert refused.status_code == 422
    assert "The value must not be negative." in refused.text
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) == 800_250_000
    assert _audits(db) == before
    _saved(site.post("/settings/company", data=_company_form(""), follow_redirects=False))
    assert _value(db, company.c.po_approval_threshold, company.c.id == 1) is None


def test_a_warehouse_names_its_inbound_locations_on_its_form(site: Browser, db: Database) -> None:
    form = {"name": "Main warehouse", "version": "1", "receiving_location": "WH1-RCV",
            "quality_location": "WH1-QC2", "rejection_location": "WH1-QC"}  # fmt: skip
    _saved(site.post("/warehouses/WH1/edit", data=form, follow_redirects=False))
    page = site.get("/warehouses/WH1/edit").text
    assert '<option value="WH1-RCV" selected>WH1-RCV</option>' in page
    assert '<option value="WH1-QC2" selected>WH1-QC2</option>' in page
    with db.read() as conn:
        row = conn.execute(
            select(warehouse_table.c.quality_location_id).where(warehouse_table.c.code == "WH1")
        ).scalar_one()
    assert row is not None
    before = _audits(db)
    wrong = {**form, "version": "2", "quality_location": "WH1-RCV"}
    refused = site.post("/warehouses/WH1/edit", data=wrong)
    assert refused.status_code == 422
    assert "WH1-RCV is a receiving location; a quality one is needed." in refused.text
    assert _value(db, warehouse_table.c.version, warehouse_table.c.code == "WH1") == 2
    assert _audits(db) == before


def test_put_away_rules_are_added_and_removed_on_the_warehouse_page(
    site: Browser, db: Database
) -> None:
    rule = {"location": "WH1-A-01", "item": "BOLT", "priority": "10"}
    _saved(site.post("/warehouses/WH1/putaway-rules", data=rule, follow_redirects=False))
    page = site.get("/warehouses/WH1/edit").text
    assert '<td><a href="/locations/WH1-A-01">WH1-A-01</a></td>' in page
    assert '<td><a href="/items/BOLT">BOLT</a></td>' in page
    rule_id = _value(db, putaway_rules.c.id, putaway_rules.c.item_id.is_not(None))
    assert f'<input type="hidden" name="rule_id" value="{rule_id}">' in page
    before = _audits(db)
    two = {"location": "WH1-A", "item": "BOLT", "item_type": "consumable"}
    refused = site.post("/warehouses/WH1/putaway-rules", data=two)
    assert refused.status_code == 422
    assert "A put-away rule names exactly one of: an item, a category" in refused.text
    assert _audits(db) == before
    _saved(
        site.post(
            "/warehouses/WH1/putaway-rules/remove",
            data={"rule_id": str(rule_id)},
            follow_redirects=False,
        )
    )
    assert _value(db, func.count(), putaway_rules.c.id.is_not(None)) == 0
    assert "No put-away rules yet" in site.get("/warehouses/WH1/edit").text
