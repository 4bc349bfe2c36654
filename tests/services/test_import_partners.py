"""Importing partners, their contacts and supplier-item terms: create, update, unchanged, every
refusal against its column, Chinese headers; one bad row refuses the whole file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cangku.db.tables import audit_log, items, partner_contacts, partners, supplier_items
from cangku.db.uow import Database
from cangku.domain.errors import PermissionDenied
from cangku.services.common import Context
from cangku.services.imports import ImportRejected, import_file
from tests.auth import user_with_roles
from tests.factories import CTX, build_company
from tests.importing import count, last_audit_entries
from tests.importing import csv_file as csv

PARTNERS = "code,name,is_supplier,is_customer,email,phone,address,tax_id,notes"
CONTACTS = "partner,name,role,email,phone"
TERMS = "partner,item,supplier_code,price,currency,min_order_qty,lead_time_days"


def written(db: Database) -> tuple[int, int, int, int]:
    return (
        count(db, partners),
        count(db, partner_contacts),
        count(db, supplier_items),
        count(db, audit_log),
    )


def partner(db: Database, code: str) -> tuple[object, ...]:
    with db.read() as conn:
        row = conn.execute(
            select(
                partners.c.name,
                partners.c.is_supplier,
                partners.c.is_customer,
                partners.c.email,
                partners.c.phone,
                partners.c.address,
                partners.c.tax_id,
                partners.c.notes,
                partners.c.version,
            ).where(partners.c.code == code)
        ).one()
    return (row[0], bool(row[1]), bool(row[2]), *row[3:])


def contacts(db: Database) -> list[tuple[object, ...]]:
    with db.read() as conn:
        rows = conn.execute(
            select(
                partners.c.code,
                partner_contacts.c.name,
                partner_contacts.c.role,
                partner_contacts.c.email,
                partner_contacts.c.phone,
            )
            .join(partners, partners.c.id == partner_contacts.c.partner_id)
            .order_by(partners.c.code, partner_contacts.c.name)
        ).all()
    return [tuple(r) for r in rows]


def terms(db: Database) -> list[tuple[object, ...]]:
    with db.read() as conn:
        rows = conn.execute(
            select(
                partners.c.code,
                items.c.code,
                supplier_items.c.supplier_code,
                supplier_items.c.price,
                supplier_items.c.currency,
                supplier_items.c.min_order_qty,
                supplier_items.c.lead_time_days,
            )
            .join(partners, partners.c.id == supplier_items.c.partner_id)
            .join(items, items.c.id == supplier_items.c.item_id)
            .order_by(partners.c.code, items.c.code)
        ).all()
    return [tuple(r) for r in rows]


@pytest.fixture
def company(db: Database) -> Database:
    build_company(db)
    import_file(
        db,
        CTX,
        "partners",
        csv(PARTNERS, "SUP,Supplier Co.,true,false,,,,,", "CUS,Customer Co.,false,true,,,,,"),
    )
    return db


def test_partners_are_created_with_every_field(company: Database) -> None:
    data = csv(PARTNERS, "SF,Shanghai Fasteners,yes,是,s@sf.cn,+86 21 5555,Pudong,9131,VIP")
    summary = import_file(company, CTX, "partners", data)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 0)
    assert partner(company, "SF") == (
        "Shanghai Fasteners",
        True,
        True,
        "s@sf.cn",
        "+86 21 5555",
        "Pudong",
        "9131",
        "VIP",
        1,
    )


def test_partners_again_are_unchanged_and_a_changed_row_is_updated(company: Database) -> None:
    again = import_file(
        company,
        CTX,
        "partners",
        csv(PARTNERS, "SUP,Supplier Co.,true,false,,,,,", "CUS,Customer Co.,0,1,,,,,"),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = csv(PARTNERS, "SUP,Supplier Co.,true,true,a@b.cn,,,,", "CUS,Customer Co.,no,yes,,,,,")
    summary = import_file(company, CTX, "partners", changed)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert partner(company, "SUP") == (
        "Supplier Co.",
        True,
        True,
        "a@b.cn",
        None,
        None,
        None,
        None,
        2,
    )


def test_a_partner_keeps_the_fields_the_file_leaves_out(company: Database) -> None:
    import_file(company, CTX, "partners", csv(PARTNERS, "SUP,Supplier Co.,true,true,a@b.cn,1,,,"))
    summary = import_file(company, CTX, "partners", csv("code,name", "SUP,Supplier Co."))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    summary = import_file(company, CTX, "partners", csv("code,name", "SUP,Supplier Ltd."))
    assert summary.updated == 1
    assert partner(company, "SUP") == (
        "Supplier Ltd.",
        True,
        True,
        "a@b.cn",
        "1",
        None,
        None,
        None,
        3,
    )


def test_partners_and_contacts_take_chinese_headers(company: Database) -> None:
    data = "伙伴编码,名称,供应商,客户,邮箱\nBJ,北京五金,是,否,bj@example.cn\n"
    assert import_file(company, CTX, "partners", data.encode()).created == 1
    data = "伙伴编码,联系人,职务,电话\nBJ,李伟,销售,138\n"
    assert import_file(company, CTX, "contacts", data.encode()).created == 1
    data = "供应商编码,物料编码,供应商物料编码,价格,币种\nBJ,BOLT,M8,0.5,CNY\n"
    assert import_file(company, CTX, "supplier_items", data.encode()).created == 1
    assert partner(company, "BJ")[:4] == ("北京五金", True, False, "bj@example.cn")
    assert contacts(company) == [("BJ", "李伟", "销售", None, "138")]
    assert terms(company) == [("BJ", "BOLT", "M8", 500_000, "CNY", None, None)]


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("X\tY,Name,true,,,,,,", "code", "invalid_code", id="code-control"),
        pytest.param("X" * 65 + ",Name,true,,,,,,", "code", "invalid_code", id="code-long"),
        pytest.param("X,,true,,,,,,", "name", "import_cell_required", id="name-empty"),
        pytest.param("X," + "n" * 301 + ",true,,,,,,", "name", "invalid_name", id="name-long"),
        pytest.param("X,Name,false,false,,,,,", "is_supplier", "partner_needs_role", id="role"),
        pytest.param("X,Name,,,,,,,", "is_supplier", "partner_needs_role", id="no-flags"),
        pytest.param("X,Name,perhaps,,,,,,", "is_supplier", "invalid_boolean", id="supplier"),
        pytest.param("X,Name,true,2,,,,,", "is_customer", "invalid_boolean", id="customer"),
        pytest.param("X,Name,true,,no-at-sign,,,,", "email", "invalid_email", id="email"),
        pytest.param("X,Name,true,,," + "1" * 65 + ",,,", "phone", "invalid_phone", id="phone"),
        pytest.param("X,Name,true,,,,," + "1" * 65 + ",", "tax_id", "invalid_tax_id", id="tax"),
        pytest.param("GOOD,Again,true,,,,,,", "code", "import_duplicate_row", id="duplicate"),
    ],
)
def test_a_bad_partner_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "partners", csv(PARTNERS, "GOOD,Good,true,,,,,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert refused.value.code == "import_rows_invalid"
    assert written(company) == before


def test_contacts_are_keyed_by_partner_and_name(company: Database) -> None:
    first = csv(CONTACTS, "SUP,Li Wei,Sales,li@sup.cn,138", "SUP,Wang Fang,,,", "CUS,Li Wei,,,")
    summary = import_file(company, CTX, "contacts", first)
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    again = import_file(company, CTX, "contacts", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = csv(CONTACTS, "SUP,Li Wei,Manager,li@sup.cn,", "CUS,Zhao Lei,Buyer,,")
    summary = import_file(company, CTX, "contacts", changed)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    assert contacts(company) == [
        ("CUS", "Li Wei", None, None, None),
        ("CUS", "Zhao Lei", "Buyer", None, None),
        ("SUP", "Li Wei", "Manager", "li@sup.cn", None),
        ("SUP", "Wang Fang", None, None, None),
    ]
    kept = import_file(company, CTX, "contacts", csv("partner,name", "SUP,Li Wei"))
    assert (kept.created, kept.updated, kept.unchanged) == (0, 0, 1)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("NOPE,Li,,,", "partner", "partner_not_found", id="partner"),
        pytest.param("SUP,,,,", "name", "import_cell_required", id="name-empty"),
        pytest.param("SUP," + "n" * 201 + ",,,", "name", "invalid_name", id="name-long"),
        pytest.param("SUP,Li," + "r" * 101 + ",,", "role", "invalid_role", id="role"),
        pytest.param("SUP,Li,,li@,", "email", "invalid_email", id="email"),
        pytest.param("SUP,Li,,," + "1" * 65, "phone", "invalid_phone", id="phone"),
        pytest.param("SUP,Good,,,", "partner", "import_duplicate_row", id="duplicate"),
    ],
)
def test_a_bad_contact_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "contacts", csv(CONTACTS, "SUP,Good,,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert written(company) == before


def test_supplier_items_are_created_updated_and_unchanged(company: Database) -> None:
    first = csv(TERMS, "SUP,BOLT,SB-8,0.32,CNY,1000,5", "SUP,FLOUR,,,,2.5,")
    summary = import_file(company, CTX, "supplier_items", first)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert terms(company) == [
        ("SUP", "BOLT", "SB-8", 320_000, "CNY", 1_000_000_000, 5),
        ("SUP", "FLOUR", None, None, None, 2_500_000, None),
    ]
    again = import_file(company, CTX, "supplier_items", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = csv(TERMS, "SUP,BOLT,SB-8,0.30,USD,1000,5", "SUP,FLOUR,,,,2.5,")
    summary = import_file(company, CTX, "supplier_items", changed)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    kept = import_file(
        company, CTX, "supplier_items", csv("partner,item,price,currency", "SUP,BOLT,0.3,USD")
    )
    assert (kept.created, kept.updated, kept.unchanged) == (0, 0, 1)
    assert terms(company)[0] == ("SUP", "BOLT", "SB-8", 300_000, "USD", 1_000_000_000, 5)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param("NOPE,BOLT,,,,,", "partner", "partner_not_found", id="partner"),
        pytest.param("CUS,BOLT,,,,,", "partner", "partner_not_supplier", id="customer"),
        pytest.param("SUP,NOPE,,,,,", "item", "item_not_found", id="item"),
        pytest.param("SUP,BOLT,,1,cny,,", "currency", "invalid_currency", id="currency"),
        pytest.param("SUP,BOLT,,1,,,", "currency", "currency_required", id="no-currency"),
        pytest.param("SUP,BOLT,,x,CNY,,", "price", "invalid_number", id="price-text"),
        pytest.param("SUP,BOLT,,-1,CNY,,", "price", "negative_value", id="price-negative"),
        pytest.param("SUP,BOLT,,0.0000001,CNY,,", "price", "too_many_decimals", id="price-digits"),
        pytest.param("SUP,BOLT,,,,1.5,", "min_order_qty", "too_many_decimals", id="moq-pcs"),
        pytest.param("SUP,BOLT,,,,-3,", "min_order_qty", "negative_value", id="moq-negative"),
        pytest.param("SUP,BOLT,,,,,two", "lead_time_days", "invalid_days", id="days"),
        pytest.param(
            "SUP,BOLT," + "s" * 101 + ",,,,", "supplier_code", "invalid_supplier_code", id="code"
        ),
        pytest.param("SUP,GLUE,,,,,", "partner", "import_duplicate_row", id="duplicate"),
    ],
)
def test_a_bad_supplier_item_row_refuses_the_whole_file(
    company: Database, line: str, column: str, code: str
) -> None:
    before = written(company)
    with pytest.raises(ImportRejected) as refused:
        import_file(company, CTX, "supplier_items", csv(TERMS, "SUP,GLUE,,,,,", line))
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(3, column, code)]
    assert written(company) == before


def test_one_audit_entry_summarises_each_import(company: Database) -> None:
    before = count(company, audit_log)
    import_file(company, CTX, "contacts", csv(CONTACTS, "SUP,Li,,,", "SUP,Wang,,,"))
    import_file(company, CTX, "supplier_items", csv(TERMS, "SUP,BOLT,,,,,"))
    entries = last_audit_entries(company, 2)
    assert count(company, audit_log) == before + 2
    assert [(e.action, e.target) for e in entries] == [
        ("supplier_item.import", "supplier_items"),
        ("partner.import", "contacts"),
    ]
    assert '"created":2' in entries[1].details.replace(" ", "")


def test_the_dry_run_reports_and_writes_nothing(company: Database) -> None:
    before = written(company)
    summary = import_file(
        company,
        CTX,
        "partners",
        csv(PARTNERS, "NEW,New,true,,,,,,", "SUP,Sup,true,,,,,,"),
        dry_run=True,
    )
    assert (summary.dry_run, summary.created, summary.updated, summary.errors) == (True, 1, 1, [])
    assert written(company) == before


def test_a_viewer_may_not_import_partners(company: Database) -> None:
    user_with_roles(company, "viewer1", ("viewer", None))
    for kind, data in [
        ("partners", csv(PARTNERS, "NEW,New,true,,,,,,")),
        ("contacts", csv(CONTACTS, "SUP,Li,,,")),
        ("supplier_items", csv(TERMS, "SUP,BOLT,,,,,")),
    ]:
        with pytest.raises(PermissionDenied):
            import_file(company, Context("viewer1"), kind, data, dry_run=True)
