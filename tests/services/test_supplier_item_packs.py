"""A supplier's pack size and the preferred supplier of an item (migration 0017, ADR 0033):
set with the other terms (service and import), one preferred supplier per item (setting one
takes it from the others), bad values refused writing nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from cangku.db.tables import partners, supplier_items
from cangku.db.uow import Database
from cangku.domain.errors import InvalidInput
from cangku.queries.partners import supplier_items_of
from cangku.services.imports import ImportRejected, import_file
from cangku.services.partners import PartnerInput, SupplierItemInput, create_partner
from cangku.services.partners import set_supplier_item as set_terms
from tests.factories import CTX, build_company
from tests.importing import csv_file as csv
from tests.snapshot import state


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    for code in ("SUP", "ALT"):
        create_partner(db, CTX, PartnerInput(code, f"{code} Co.", is_supplier=True))
    return db


def _packs(db: Database) -> list[tuple[str, str, D | None, bool]]:
    with db.read() as conn:
        rows = conn.execute(
            select(
                partners.c.code,
                supplier_items.c.item_id,
                supplier_items.c.pack_size,
                supplier_items.c.preferred,
            )  # fmt: skip
            .join(partners, partners.c.id == supplier_items.c.partner_id)
            .order_by(supplier_items.c.item_id, partners.c.code)
        )
        return [
            (r[0], str(r[1]), None if r[2] is None else D(r[2]) / 10**6, bool(r[3])) for r in rows
        ]


def test_pack_size_and_preferred_are_set_and_read_back(company: Database) -> None:
    found = set_terms(
        company, CTX, SupplierItemInput("SUP", "BOLT", pack_size=D(12), preferred=True)
    )
    assert (found.pack_size, found.preferred) == (D(12), True)
    set_terms(company, CTX, SupplierItemInput("ALT", "BOLT", pack_size=D(24)))
    assert [(t.partner, t.pack_size, t.preferred) for t in supplier_items_of(company, "SUP")] == [
        ("SUP", D(12), True)
    ]  # fmt: skip
    # making ALT preferred takes it from SUP
    set_terms(company, CTX, SupplierItemInput("ALT", "BOLT", pack_size=D(24), preferred=True))
    assert [(p, pack, pref) for p, _, pack, pref in _packs(company)] == [
        ("ALT", D(24), True), ("SUP", D(12), False)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("pack", "code"),
    [(D(0), "invalid_pack_size"), (D(-1), "negative_value"), (D("1.5"), "too_many_decimals")],
)
def test_a_bad_pack_size_is_refused(company: Database, pack: D, code: str) -> None:
    before = state(company)
    with pytest.raises(InvalidInput) as refused:
        set_terms(company, CTX, SupplierItemInput("SUP", "BOLT", pack_size=pack))
    assert refused.value.code == code
    assert state(company) == before


TERMS = "partner,item,pack_size,preferred"


def test_the_import_sets_them_one_preferred_per_item(company: Database) -> None:
    set_terms(company, CTX, SupplierItemInput("SUP", "BOLT", preferred=True))
    summary = import_file(
        company, CTX, "supplier_items", csv(TERMS, "ALT,BOLT,24,yes", "SUP,FLOUR,2.5,")
    )
    assert (summary.created, summary.updated) == (2, 0)
    assert [(p, pack, pref) for p, _, pack, pref in _packs(company)] == [
        ("ALT", D(24), True), ("SUP", None, False), ("SUP", D("2.5"), False)
    ]  # fmt: skip
    # a file without the columns keeps them
    again = import_file(
        company, CTX, "supplier_items", csv("partner,item,price,currency", "ALT,BOLT,1,CNY")
    )
    assert again.updated == 1
    assert _packs(company)[0][2:] == (D(24), True)


@pytest.mark.parametrize(
    ("lines", "column", "code"),
    [
        (["SUP,BOLT,0,"], "pack_size", "invalid_pack_size"),
        (["SUP,BOLT,x,"], "pack_size", "invalid_number"),
        (["SUP,BOLT,,maybe"], "preferred", "invalid_boolean"),
        (["SUP,BOLT,,yes", "ALT,BOLT,,yes"], "preferred", "preferred_twice"),
    ],
)
def test_bad_rows_refuse_the_file(
    company: Database, lines: list[str], column: str, code: str
) -> None:
    before = state(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "supplier_items", csv(TERMS, *lines))
    assert [(e.column, e.code) for e in refused.value.errors] == [(column, code)]
    assert state(company) == before


def test_the_export_has_them_in_the_import_columns(company: Database) -> None:
    from cangku.domain.imports.specs import SUPPLIER_ITEMS
    from cangku.queries.exports import export_rows

    set_terms(company, CTX, SupplierItemInput("SUP", "BOLT", pack_size=D(12), preferred=True))
    with company.read() as conn:
        rows = export_rows(conn, "supplier_items")
    names = [c.name for c in SUPPLIER_ITEMS.columns]
    assert names[-2:] == ["pack_size", "preferred"]
    assert [dict(zip(names, row, strict=True)) for row in rows] == [
        {"partner": "SUP", "item": "BOLT", "supplier_code": None, "price": None,
         "currency": None, "min_order_qty": None, "lead_time_days": None,
         "pack_size": D(12), "preferred": True}
    ]  # fmt: skip
