"""Read side of partners: suppliers, customers, contacts and supplier-item terms."""

from __future__ import annotations

from sqlalchemy import func

from cangku.db import catalog
from cangku.db import partners as store
from cangku.db.partners import Contact, Partner, SupplierItem
from cangku.db.tables import partners, supplier_items
from cangku.db.uow import Database
from cangku.domain.enums import PartnerRole
from cangku.domain.errors import InvalidInput
from cangku.queries.common import Page, Sorting, paginate, text_filter

__all__ = [
    "PARTNER_SORTING",
    "Contact",
    "Partner",
    "SupplierItem",
    "get_partner",
    "list_partners",
    "suppliers_of_item",
    "supplier_items_of",
]


#: the orders the partner list may be read in (``sort=``); ``role``: suppliers first, then
#: customers
PARTNER_SORTING = Sorting(
    {
        "code": partners.c.code,
        "name": partners.c.name,
        "role": (partners.c.is_customer, partners.c.is_supplier.is_(False)),
        "email": func.coalesce(partners.c.email, ""),
        "phone": func.coalesce(partners.c.phone, ""),
        "active": partners.c.active,
    },
    default="code",
    tiebreak=[partners.c.id],
)


def get_partner(db: Database, code: str) -> Partner:
    """One partner with its contacts; NotFound ``partner_not_found``."""
    with db.read() as conn:
        return store.partner_by_code(conn, code)


def list_partners(
    db: Database,
    q: str | None = None,
    *,
    role: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str | None = None,
) -> Page[Partner]:
    """Partners in the order ``sort`` names (``PARTNER_SORTING``; by code by default); ``q``
    over code, name and email; ``role`` is ``supplier`` or ``customer`` (InvalidInput
    ``invalid_role`` otherwise; ``invalid_sort`` for an unknown sort)."""
    order = PARTNER_SORTING.parse(sort)
    stmt = partners.select().order_by(*PARTNER_SORTING.order_by(order))
    needle = text_filter(q, partners.c.code, partners.c.name, partners.c.email)
    if needle is not None:
        stmt = stmt.where(needle)
    if role is not None:
        if role not in {str(r) for r in PartnerRole}:
            raise InvalidInput("role must be supplier or customer", code="invalid_role")
        flag = partners.c.is_supplier if role == PartnerRole.SUPPLIER else partners.c.is_customer
        stmt = stmt.where(flag.is_(True))
    if active is not None:
        stmt = stmt.where(partners.c.active == active)
    with db.read() as conn:
        rows, total = paginate(conn, stmt, limit, offset)
        return Page(store.load_partners(conn, rows), total, limit, offset)


def supplier_items_of(db: Database, partner: str) -> list[SupplierItem]:
    """Everything a supplier sells us, by item code; NotFound ``partner_not_found``."""
    with db.read() as conn:
        partner_id = store.partner_by_code(conn, partner).id
        stmt = store.supplier_item_select().where(supplier_items.c.partner_id == partner_id)
        return store.load_supplier_items(list(conn.execute(stmt.order_by("item_code"))))


def suppliers_of_item(db: Database, item: str) -> list[SupplierItem]:
    """Every supplier of an item (by code), by partner code; NotFound ``item_not_found``."""
    with db.read() as conn:
        item_id = catalog.item_id_by_code(conn, item)
        stmt = store.supplier_item_select().where(supplier_items.c.item_id == item_id)
        return store.load_supplier_items(list(conn.execute(stmt.order_by("partner_code"))))
