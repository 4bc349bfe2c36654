"""Partners: suppliers and customers, contacts, supplier-item terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cangku.db.tables import partner_contacts, partners, supplier_items
from cangku.db.uow import Database
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.queries.partners import get_partner, list_partners, supplier_items_of, suppliers_of_item
from cangku.services.common import Context
from cangku.services.items import ItemInput, create_item
from cangku.services.partners import (
    ContactInput,
    PartnerInput,
    SupplierItemInput,
    add_contact,
    create_partner,
    deactivate_partner,
    reactivate_partner,
    remove_contact,
    remove_supplier_item,
    set_supplier_item,
    update_contact,
    update_partner,
)
from cangku.services.setup import initialize

CTX = Context()


@pytest.fixture
def pdb(db: Database) -> Database:
    initialize(db)
    create_item(db, CTX, ItemInput(code="BOLT", name="Bolt", item_type="spare_part"))
    create_item(db, CTX, ItemInput(code="OIL", name="Oil", item_type="consumable", base_unit="l"))
    return db


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _acme(**changes: object) -> PartnerInput:
    data = PartnerInput(
        code="ACME",
        name="Acme Supplies",
        is_supplier=True,
        email="sales@acme.example",
        phone="+86 21 5555 0100",
        contacts=[ContactInput("Li Wei", role="sales", email="li@acme.example")],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_create_partner_with_contacts(pdb: Database) -> None:
    partner = create_partner(pdb, CTX, _acme(tax_id="91310000MA1", address="Shanghai"))

    assert (partner.code, partner.name, partner.is_supplier, partner.is_customer) == (
        "ACME",
        "Acme Supplies",
        True,
        False,
    )
    assert (partner.email, partner.tax_id, partner.address) == (
        "sales@acme.example",
        "91310000MA1",
        "Shanghai",
    )
    assert [(c.name, c.role, c.email) for c in partner.contacts] == [
        ("Li Wei", "sales", "li@acme.example")
    ]
    assert (partner.active, partner.version) == (True, 1)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"code": ""}, "invalid_code"),
        ({"name": ""}, "invalid_name"),
        ({"is_supplier": False}, "partner_needs_role"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"email": "a b@c.de"}, "invalid_email"),
        ({"phone": "1" * 65}, "invalid_phone"),
        ({"contacts": [ContactInput("Li", email="li@")]}, "invalid_email"),
        ({"contacts": [ContactInput(" ")]}, "invalid_name"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_create_partner_refuses_invalid_input(
    pdb: Database, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        create_partner(pdb, CTX, _acme(**changes))

    assert err.value.code == code
    assert _count(pdb, partners) == 0
    assert _count(pdb, partner_contacts) == 0


def test_create_partner_refuses_a_taken_code(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())

    with pytest.raises(Conflict) as err:
        create_partner(pdb, CTX, _acme(name="Other"))

    assert err.value.code == "partner_code_taken"
    assert _count(pdb, partners) == 1
    assert _count(pdb, partner_contacts) == 1


def test_sql_and_html_in_partner_fields_round_trip(pdb: Database) -> None:
    text = "Robert'); DROP TABLE partners;--<script>alert(1)</script>"

    create_partner(pdb, CTX, _acme(name=text, notes=text, address=text))

    partner = get_partner(pdb, "ACME")
    assert (partner.name, partner.notes, partner.address) == (text, text, text)


def test_update_partner_and_version_check(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())

    updated = update_partner(pdb, CTX, "ACME", {"is_customer": True, "email": None}, version=1)

    assert (updated.is_customer, updated.email, updated.version) == (True, None, 2)
    with pytest.raises(Conflict) as err:
        update_partner(pdb, CTX, "ACME", {"name": "Late"}, version=1)
    assert err.value.code == "version_conflict"
    assert get_partner(pdb, "ACME").name == "Acme Supplies"


def test_update_partner_refuses_dropping_every_role(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())

    with pytest.raises(InvalidInput) as err:
        update_partner(pdb, CTX, "ACME", {"is_supplier": False})

    assert err.value.code == "partner_needs_role"
    assert get_partner(pdb, "ACME").version == 1


def test_update_partner_refuses_the_code(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())

    with pytest.raises(InvalidInput) as err:
        update_partner(pdb, CTX, "ACME", {"code": "NEW"})

    assert err.value.code == "unknown_field"


def test_deactivate_and_reactivate_partner(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())

    off = deactivate_partner(pdb, CTX, "ACME")
    on = reactivate_partner(pdb, CTX, "ACME")

    assert (off.active, on.active, on.version) == (False, True, 3)
    with pytest.raises(NotFound) as err:
        deactivate_partner(pdb, CTX, "NOPE")
    assert err.value.code == "partner_not_found"


def test_list_partners_search_role_and_pages(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())
    create_partner(
        pdb,
        CTX,
        _acme(
            code="BETA",
            name="Beta Retail",
            is_supplier=False,
            is_customer=True,
            email="buy@beta.example",
            contacts=[],
        ),
    )
    create_partner(
        pdb, CTX, _acme(code="GAMMA", name="Gamma", is_customer=True, email=None, contacts=[])
    )

    assert [p.code for p in list_partners(pdb, "beta.example").items] == ["BETA"]
    assert [p.code for p in list_partners(pdb, role="supplier").items] == ["ACME", "GAMMA"]
    assert [p.code for p in list_partners(pdb, role="customer").items] == ["BETA", "GAMMA"]
    page = list_partners(pdb, limit=1, offset=1)
    assert (page.total, [p.code for p in page.items]) == (3, ["BETA"])
    with pytest.raises(InvalidInput) as err:
        list_partners(pdb, role="owner")
    assert err.value.code == "invalid_role"


def test_contacts_add_update_remove(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme(contacts=[]))

    added = add_contact(pdb, CTX, "ACME", ContactInput("Wang Fang", role="accounts"))
    changed = update_contact(pdb, CTX, "ACME", added.id, {"phone": "+86 10 1234"})
    remove_contact(pdb, CTX, "ACME", added.id)

    assert (changed.name, changed.role, changed.phone) == ("Wang Fang", "accounts", "+86 10 1234")
    assert get_partner(pdb, "ACME").contacts == []
    with pytest.raises(NotFound) as err:
        remove_contact(pdb, CTX, "ACME", added.id)
    assert err.value.code == "contact_not_found"


def test_contact_of_another_partner_is_not_found(pdb: Database) -> None:
    acme = create_partner(pdb, CTX, _acme())
    create_partner(pdb, CTX, _acme(code="BETA", contacts=[]))

    with pytest.raises(NotFound) as err:
        update_contact(pdb, CTX, "BETA", acme.contacts[0].id, {"name": "Hijack"})

    assert err.value.code == "contact_not_found"
    assert get_partner(pdb, "ACME").contacts[0].name == "Li Wei"


def test_supplier_item_upsert_and_lists(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())
    create_partner(pdb, CTX, _acme(code="BETA", contacts=[]))
    terms = SupplierItemInput("ACME", "BOLT", "AC-77", Decimal("0.35"), "CNY", Decimal("100"), 5)

    first = set_supplier_item(pdb, CTX, terms)
    second = set_supplier_item(
        pdb, CTX, SupplierItemInput("ACME", "BOLT", "AC-78", Decimal("0.30"), "CNY")
    )
    set_supplier_item(
        pdb, CTX, SupplierItemInput("BETA", "BOLT", price=Decimal("0.4"), currency="USD")
    )
    set_supplier_item(pdb, CTX, SupplierItemInput("ACME", "OIL", min_order_qty=Decimal("0.5")))

    assert (first.supplier_code, first.price, first.min_order_qty, first.lead_time_days) == (
        "AC-77",
        Decimal("0.35"),
        Decimal("100"),
        5,
    )
    assert (second.supplier_code, second.price, second.min_order_qty) == (
        "AC-78",
        Decimal("0.3"),
        None,
    )
    assert _count(pdb, supplier_items) == 3
    assert [s.item for s in supplier_items_of(pdb, "ACME")] == ["BOLT", "OIL"]
    assert [(s.partner, s.price) for s in suppliers_of_item(pdb, "BOLT")] == [
        ("ACME", Decimal("0.3")),
        ("BETA", Decimal("0.4")),
    ]


@pytest.mark.parametrize(
    ("terms", "error", "code"),
    [
        (SupplierItemInput("CUST", "BOLT"), RuleViolation, "partner_not_supplier"),
        (SupplierItemInput("NOPE", "BOLT"), NotFound, "partner_not_found"),
        (SupplierItemInput("ACME", "NOPE"), NotFound, "item_not_found"),
        (
            SupplierItemInput("ACME", "BOLT", price=Decimal("-1"), currency="CNY"),
            InvalidInput,
            "negative_value",
        ),
        (SupplierItemInput("ACME", "BOLT", price=Decimal("1")), InvalidInput, "currency_required"),
        (SupplierItemInput("ACME", "BOLT", currency="yuan"), InvalidInput, "invalid_currency"),
        (
            SupplierItemInput("ACME", "BOLT", min_order_qty=Decimal("0.5")),
            InvalidInput,
            "too_many_decimals",
        ),
        (SupplierItemInput("ACME", "BOLT", lead_time_days=-2), InvalidInput, "invalid_days"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_set_supplier_item_refusals(
    pdb: Database, terms: SupplierItemInput, error: type[Exception], code: str
) -> None:
    create_partner(pdb, CTX, _acme())
    create_partner(pdb, CTX, _acme(code="CUST", is_supplier=False, is_customer=True, contacts=[]))

    with pytest.raises(error) as err:
        set_supplier_item(pdb, CTX, terms)

    assert err.value.code == code  # type: ignore[attr-defined]
    assert _count(pdb, supplier_items) == 0


def test_remove_supplier_item(pdb: Database) -> None:
    create_partner(pdb, CTX, _acme())
    set_supplier_item(pdb, CTX, SupplierItemInput("ACME", "BOLT"))

    remove_supplier_item(pdb, CTX, "ACME", "BOLT")

    assert supplier_items_of(pdb, "ACME") == []
    with pytest.raises(NotFound) as err:
        remove_supplier_item(pdb, CTX, "ACME", "BOLT")
    assert err.value.code == "supplier_item_not_found"
