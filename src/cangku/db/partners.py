"""The partner store: suppliers and customers, their contacts, and supplier-item terms.

Nothing here commits: the service that opened the unit of work does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update

from cangku.db.statements import upsert
from cangku.db.tables import items, partner_contacts, partners, supplier_items
from cangku.domain.errors import Conflict, NotFound
from cangku.domain.quantities import from_scaled


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    role: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Partner:
    id: int
    code: str
    name: str
    is_supplier: bool
    is_customer: bool
    email: str | None
    phone: str | None
    address: str | None
    tax_id: str | None
    notes: str | None
    contacts: list[Contact]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    #: goods from this supplier go through inspection
    inspection_required: bool = False
    #: how far (percent) a confirmed over-receipt may go past the quantity ordered
    over_receipt_tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class SupplierItem:
    id: int
    partner: str
    partner_name: str
    item: str
    item_name: str
    supplier_code: str | None
    price: Decimal | None
    currency: str | None
    min_order_qty: Decimal | None
    lead_time_days: int | None
    pack_size: Decimal | None = None
    preferred: bool = False


# ---------------------------------------------------------------- reads


def load_partners(conn: Connection, rows: Sequence[Any]) -> list[Partner]:
    """Rows of ``partners`` as ``Partner``s, with their contacts (one more query)."""
    ids = [row.id for row in rows]
    contacts: dict[int, list[Contact]] = defaultdict(list)
    if ids:
        for c in conn.execute(
            select(partner_contacts)
            .where(partner_contacts.c.partner_id.in_(ids))
            .order_by(partner_contacts.c.id)
        ):
            contacts[c.partner_id].append(Contact(c.id, c.name, c.role, c.email, c.phone))
    return [
        Partner(
            id=r.id,
            code=r.code,
            name=r.name,
            is_supplier=r.is_supplier,
            is_customer=r.is_customer,
            email=r.email,
            phone=r.phone,
            address=r.address,
            tax_id=r.tax_id,
            notes=r.notes,
            contacts=contacts[r.id],
            active=r.active,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            inspection_required=bool(r.inspection_required),
            over_receipt_tolerance=from_scaled(r.over_receipt_tolerance),
        )
        for r in rows
    ]


def partner_by_code(conn: Connection, code: str) -> Partner:
    row = conn.execute(select(partners).where(partners.c.code == code)).first()
    if row is None:
        raise NotFound("partner", code)
    return load_partners(conn, [row])[0]


def contact_by_id(conn: Connection, partner_id: int, contact_id: int) -> Contact:
    row = conn.execute(
        select(partner_contacts).where(
            partner_contacts.c.id == contact_id, partner_contacts.c.partner_id == partner_id
        )
    ).first()
    if row is None:
        raise NotFound("contact", contact_id)
    return Contact(row.id, row.name, row.role, row.email, row.phone)


def supplier_item_select() -> Any:
    return (
        select(
            supplier_items,
            partners.c.code.label("partner_code"),
            partners.c.name.label("partner_name"),
            items.c.code.label("item_code"),
            items.c.name.label("item_name"),
        )
        .join(partners, partners.c.id == supplier_items.c.partner_id)
        .join(items, items.c.id == supplier_items.c.item_id)
    )


def load_supplier_items(rows: Sequence[Any]) -> list[SupplierItem]:
    return [
        SupplierItem(
            id=r.id,
            partner=r.partner_code,
            partner_name=r.partner_name,
            item=r.item_code,
            item_name=r.item_name,
            supplier_code=r.supplier_code,
            price=None if r.price is None else from_scaled(r.price),
            currency=r.currency,
            min_order_qty=None if r.min_order_qty is None else from_scaled(r.min_order_qty),
            lead_time_days=r.lead_time_days,
            pack_size=None if r.pack_size is None else from_scaled(r.pack_size),
            preferred=bool(r.preferred),
        )
        for r in rows
    ]


def supplier_item(conn: Connection, partner_id: int, item_id: int) -> SupplierItem | None:
    row = conn.execute(
        supplier_item_select().where(
            supplier_items.c.partner_id == partner_id, supplier_items.c.item_id == item_id
        )
    ).first()
    return load_supplier_items([row])[0] if row else None


def has_supplier_items(conn: Connection, partner_id: int) -> bool:
    stmt = select(exists().where(supplier_items.c.partner_id == partner_id))
    return conn.execute(stmt).scalar() is True


# ---------------------------------------------------------------- writes


def code_taken(conn: Connection, code: str) -> bool:
    return conn.execute(select(exists().where(partners.c.code == code))).scalar() is True


def insert_partner(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    result = conn.execute(
        insert(partners)
        .values(**values, active=True, version=1, created_at=now, updated_at=now)
        .returning(partners.c.id)
    )
    return int(result.scalar_one())


def update_partner(
    conn: Connection, partner_id: int, values: dict[str, Any], version: int | None, now: datetime
) -> None:
    """Change columns of a partner and bump its version; Conflict ``version_conflict`` when
    ``version`` is given and is not the stored one (checked in the same statement)."""
    stmt = update(partners).where(partners.c.id == partner_id)
    if version is not None:
        stmt = stmt.where(partners.c.version == version)
    done = conn.execute(
        stmt.values(**values, version=partners.c.version + 1, updated_at=now)
    ).rowcount
    if done == 0:
        current = conn.execute(
            select(partners.c.version).where(partners.c.id == partner_id)
        ).scalar()
        if current is None:
            raise NotFound("partner", partner_id)
        raise Conflict(
            "the partner was changed by someone else; reload and try again",
            code="version_conflict",
            expected=version,
            current=int(current),
        )


def insert_contact(conn: Connection, partner_id: int, values: dict[str, Any]) -> int:
    result = conn.execute(
        insert(partner_contacts)
        .values(partner_id=partner_id, **values)
        .returning(partner_contacts.c.id)
    )
    return int(result.scalar_one())


def update_contact(conn: Connection, contact_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        update(partner_contacts).where(partner_contacts.c.id == contact_id).values(**values)
    )


def delete_contact(conn: Connection, contact_id: int) -> None:
    conn.execute(delete(partner_contacts).where(partner_contacts.c.id == contact_id))


def save_supplier_item(
    conn: Connection, partner_id: int, item_id: int, values: dict[str, Any]
) -> None:
    """Insert or replace the terms of one (supplier, item) pair (one atomic upsert)."""
    stmt = upsert(conn)(supplier_items).values(partner_id=partner_id, item_id=item_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["partner_id", "item_id"], set_=values))


def clear_preferred(conn: Connection, item_id: int, keep_partner_id: int) -> None:
    """The item's other suppliers are not preferred (one preferred supplier per item)."""
    conn.execute(
        update(supplier_items)
        .where(
            supplier_items.c.item_id == item_id,
            supplier_items.c.partner_id != keep_partner_id,
            supplier_items.c.preferred,
        )
        .values(preferred=False)
    )


def clear_preferred_of(conn: Connection, item_ids: list[int]) -> None:
    """None of the suppliers of these items is preferred (before a file marks them anew)."""
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 5000):
        conn.execute(
            update(supplier_items)
            .where(
                supplier_items.c.item_id.in_(ids[start : start + 5000]), supplier_items.c.preferred
            )
            .values(preferred=False)
        )


def delete_supplier_item(conn: Connection, partner_id: int, item_id: int) -> bool:
    done = conn.execute(
        delete(supplier_items).where(
            supplier_items.c.partner_id == partner_id, supplier_items.c.item_id == item_id
        )
    ).rowcount
    return bool(done)
