"""Use cases of partners: suppliers and customers, their contacts, supplier-item terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cangku.db import catalog
from cangku.db import partners as store
from cangku.db.lookups import unit_decimals
from cangku.db.partners import Contact, Partner, SupplierItem
from cangku.db.uow import Database, UnitOfWork
from cangku.domain.catalog import check_bool, check_tolerance
from cangku.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from cangku.domain.operations import short_text
from cangku.domain.permissions import EVERYONE, PURCHASER, WAREHOUSE_MANAGER, Action, Actor, action
from cangku.domain.quantities import SCALE_DIGITS
from cangku.queries.snapshots import partner_fields
from cangku.services.common import Context, Subject, run_write
from cangku.services.items import check_code, check_days, check_name, non_negative, plain

__all__ = [
    "UPDATABLE_FIELDS",
    "Contact",
    "ContactInput",
    "Partner",
    "PartnerInput",
    "SupplierItem",
    "SupplierItemInput",
    "add_contact",
    "create_partner",
    "deactivate_partner",
    "reactivate_partner",
    "remove_contact",
    "remove_supplier_item",
    "set_supplier_item",
    "update_contact",
    "update_partner",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

PARTNER_VIEW = action("partner.view", roles=EVERYONE)
PARTNER_CREATE = action("partner.create", roles={WAREHOUSE_MANAGER, PURCHASER})
#: change, deactivate and reactivate partners and their contacts
PARTNER_UPDATE = action("partner.update", roles={WAREHOUSE_MANAGER, PURCHASER})
#: a supplier's code, price, minimum order and lead time for an item
SUPPLIER_ITEM_MANAGE = action("supplier_item.manage", roles={PURCHASER})


@dataclass
class ContactInput:
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass
class PartnerInput:
    code: str
    name: str
    is_supplier: bool = False
    is_customer: bool = False
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    tax_id: str | None = None
    notes: str | None = None
    contacts: Sequence[ContactInput] = field(default_factory=list)
    #: a supplier's goods go through inspection
    inspection_required: bool = False
    #: percent (0 to 100, two decimals) a confirmed over-receipt may exceed the order by
    over_receipt_tolerance: Decimal | str | int = Decimal(0)


@dataclass
class SupplierItemInput:
    partner: str
    item: str
    supplier_code: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    min_order_qty: Decimal | None = None
    lead_time_days: int | None = None
    #: orders are in whole packs of this many base units (None: any quantity)
    pack_size: Decimal | None = None
    #: the supplier replenishment suggestions order the item from (one per item: setting it
    #: takes it from the item's other suppliers)
    preferred: bool = False


#: what ``update_partner`` may change (the code never changes; contacts have their own)
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "is_supplier",
        "is_customer",
        "email",
        "phone",
        "address",
        "tax_id",
        "notes",
        "inspection_required",
        "over_receipt_tolerance",
    }
)


# ---------------------------------------------------------------- validation (pure)


def check_email(email: str | None) -> str | None:
    """Loosely: something@domain.tld, at most 200 characters, no spaces."""
    if email is None:
        return None
    if not isinstance(email, str) or len(email) > 200 or not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address", code="invalid_email")
    return email


def _contact_values(data: ContactInput) -> dict[str, Any]:
    return {
        "name": check_name(data.name, 200),
        "role": short_text(data.role, "role", 100),
        "email": check_email(data.email),
        "phone": short_text(data.phone, "phone", 64),
    }


def _partner_values(data: PartnerInput) -> dict[str, Any]:
    check_code(data.code)
    if not (data.is_supplier or data.is_customer):
        raise InvalidInput("a partner is a supplier, a customer or both", code="partner_needs_role")
    return {
        "code": data.code,
        "name": check_name(data.name),
        "is_supplier": bool(data.is_supplier),
        "is_customer": bool(data.is_customer),
        "email": check_email(data.email),
        "phone": short_text(data.phone, "phone", 64),
        "address": data.address,
        "tax_id": short_text(data.tax_id, "tax_id", 64),
        "notes": data.notes,
        "inspection_required": check_bool(data.inspection_required, "inspection_required"),
        "over_receipt_tolerance": check_tolerance(data.over_receipt_tolerance),
    }


def _subject(code: str) -> Subject:
    """The partner ``code`` as the audit trail sees it (with contacts and supplier terms)."""
    return Subject("partner", code, lambda conn: partner_fields(conn, code))


def _read_partner(db: Database, code: str) -> Partner:
    with db.read() as conn:
        return store.partner_by_code(conn, code)


# ---------------------------------------------------------------- partners


def create_partner(db: Database, ctx: Context, data: PartnerInput) -> Partner:
    """Create a supplier and/or customer with its contacts.

    Raises InvalidInput ``invalid_code`` / ``invalid_name`` / ``partner_needs_role`` /
    ``invalid_email`` / ``invalid_phone`` / ``invalid_tax_id`` / ``invalid_flag``
    (``inspection_required``) / ``invalid_over_receipt_tolerance`` (not a percentage from 0 to
    100 with at most two decimals), Conflict ``partner_code_taken``.
    Writes: one ``partners`` row and its ``partner_contacts`` rows.
    """

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> str:
        values = _partner_values(data)
        contacts = [_contact_values(c) for c in data.contacts]
        if store.code_taken(uow.conn, data.code):
            raise Conflict(
                f"a partner with code {data.code!r} already exists",
                code="partner_code_taken",
                partner=data.code,
            )
        partner_id = store.insert_partner(uow.conn, values, now)
        for contact in contacts:
            store.insert_contact(uow.conn, partner_id, contact)
        return data.code

    run_write(db, ctx, PARTNER_CREATE, plain(data), work, subject=_subject(data.code))
    return _read_partner(db, data.code)


def _input_of(partner: Partner) -> PartnerInput:
    kept = {f.name: getattr(partner, f.name) for f in fields(PartnerInput) if f.name != "contacts"}
    return PartnerInput(**kept)


def _change_partner(
    db: Database,
    ctx: Context,
    operation: Action,
    payload: dict[str, Any],
    code: str,
    change: Callable[[Connection, Partner, datetime], Any],
) -> Any:
    """Run ``change(conn, partner, now)`` on the partner ``code`` in one write transaction."""

    def work(uow: UnitOfWork, _actor: Actor, now: datetime) -> Any:
        return change(uow.conn, store.partner_by_code(uow.conn, code), now)

    result, _ = run_write(
        db, ctx, operation, {"code": code, **payload}, work, subject=_subject(code)
    )
    return result


def update_partner(
    db: Database, ctx: Context, code: str, changes: Mapping[str, Any], version: int | None = None
) -> Partner:
    """Change fields of a partner (any of ``UPDATABLE_FIELDS``) and bump its version.

    Raises NotFound ``partner_not_found``, InvalidInput (as ``create_partner``, and
    ``unknown_field``), Conflict ``version_conflict``. Writes: the ``partners`` row.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code="unknown_field",
            fields=unknown,
        )

    def change(conn: Connection, current: Partner, now: datetime) -> None:
        values = _partner_values(replace(_input_of(current), **changes))
        del values["code"]
        store.update_partner(conn, current.id, values, version, now)

    payload = {"changes": plain(dict(changes)), "version": version}
    _change_partner(db, ctx, PARTNER_UPDATE, payload, code, change)
    return _read_partner(db, code)


def _set_active(
    db: Database, ctx: Context, code: str, active: bool, version: int | None
) -> Partner:
    def change(conn: Connection, current: Partner, now: datetime) -> None:
        store.update_partner(conn, current.id, {"active": active}, version, now)

    payload = {"version": version, "active": active}
    _change_partner(db, ctx, PARTNER_UPDATE, payload, code, change)
    return _read_partner(db, code)


def deactivate_partner(
    db: Database, ctx: Context, code: str, version: int | None = None
) -> Partner:
    """Mark a partner inactive (kept for history; nothing is deleted).

    Raises NotFound ``partner_not_found``, Conflict ``version_conflict``.
    Writes: the ``partners`` row (active=false, version+1).
    """
    return _set_active(db, ctx, code, False, version)


def reactivate_partner(
    db: Database, ctx: Context, code: str, version: int | None = None
) -> Partner:
    """Mark an inactive partner active again.

    Raises NotFound ``partner_not_found``, Conflict ``version_conflict``.
    Writes: the ``partners`` row (active=true, version+1).
    """
    return _set_active(db, ctx, code, True, version)


# ---------------------------------------------------------------- contacts


def _read_contact(db: Database, code: str, contact_id: int) -> Contact:
    with db.read() as conn:
        return store.contact_by_id(conn, store.partner_by_code(conn, code).id, contact_id)


def add_contact(db: Database, ctx: Context, code: str, data: ContactInput) -> Contact:
    """Add a contact person to a partner.

    Raises NotFound ``partner_not_found``, InvalidInput ``invalid_name`` / ``invalid_email`` /
    ``invalid_phone`` / ``invalid_role``. Writes: one ``partner_contacts`` row.
    """

    def change(conn: Connection, partner: Partner, _now: datetime) -> int:
        return store.insert_contact(conn, partner.id, _contact_values(data))

    contact_id = _change_partner(db, ctx, PARTNER_UPDATE, {"contact": plain(data)}, code, change)
    return _read_contact(db, code, int(contact_id))


def update_contact(
    db: Database, ctx: Context, code: str, contact_id: int, changes: Mapping[str, Any]
) -> Contact:
    """Change fields (name, role, email, phone) of one contact of a partner.

    Raises NotFound ``partner_not_found`` / ``contact_not_found``, InvalidInput as
    ``add_contact`` and ``unknown_field``. Writes: the ``partner_contacts`` row.
    """
    unknown = sorted(set(changes) - {"name", "role", "email", "phone"})
    if unknown:
        raise InvalidInput(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code="unknown_field",
            fields=unknown,
        )

    def change(conn: Connection, partner: Partner, _now: datetime) -> int:
        current = store.contact_by_id(conn, partner.id, contact_id)
        merged = ContactInput(current.name, current.role, current.email, current.phone)
        store.update_contact(conn, contact_id, _contact_values(replace(merged, **changes)))
        return contact_id

    payload = {"contact_id": contact_id, "changes": plain(dict(changes))}
    _change_partner(db, ctx, PARTNER_UPDATE, payload, code, change)
    return _read_contact(db, code, contact_id)


def remove_contact(db: Database, ctx: Context, code: str, contact_id: int) -> None:
    """Delete one contact of a partner (contacts are not referenced by the ledger).

    Raises NotFound ``partner_not_found`` / ``contact_not_found``.
    Writes: deletes the ``partner_contacts`` row.
    """

    def change(conn: Connection, partner: Partner, _now: datetime) -> int:
        store.contact_by_id(conn, partner.id, contact_id)
        store.delete_contact(conn, contact_id)
        return contact_id

    _change_partner(db, ctx, PARTNER_UPDATE, {"contact_id": contact_id}, code, change)


# ---------------------------------------------------------------- supplier items


def _supplier_item_values(
    conn: Connection, data: SupplierItemInput, base_unit: str
) -> dict[str, Any]:
    currency = data.currency
    if currency is not None and not _CURRENCY.match(currency):
        raise InvalidInput(
            "currency must be a three-letter ISO 4217 code such as CNY or USD",
            code="invalid_currency",
        )
    if data.price is not None and currency is None:
        raise InvalidInput("a price needs its currency", code="currency_required")
    return {
        "supplier_code": short_text(data.supplier_code, "supplier_code", 100),
        "price": non_negative(data.price, "price", SCALE_DIGITS, "money"),
        "currency": currency,
        "min_order_qty": non_negative(
            data.min_order_qty, "min_order_qty", unit_decimals(conn, base_unit), base_unit
        ),
        "lead_time_days": check_days(data.lead_time_days, "lead_time_days"),
        "pack_size": _pack_size(conn, data.pack_size, base_unit),
        "preferred": bool(data.preferred),
    }


def _pack_size(conn: Connection, value: Decimal | None, base_unit: str) -> int | None:
    """A pack size: positive, in the base unit's decimals (InvalidInput ``invalid_pack_size``)."""
    scaled = non_negative(value, "pack_size", unit_decimals(conn, base_unit), base_unit)
    if scaled == 0:
        raise InvalidInput("a pack size is positive", code="invalid_pack_size", field="pack_size")
    return scaled


def set_supplier_item(db: Database, ctx: Context, data: SupplierItemInput) -> SupplierItem:
    """Record (or replace) what a supplier calls an item, its price, minimum order and lead time.

    Raises NotFound ``partner_not_found`` / ``item_not_found``, RuleViolation
    ``partner_not_supplier``, InvalidInput ``invalid_currency`` / ``currency_required`` /
    ``negative_value`` / ``too_many_decimals`` / ``invalid_days`` / ``invalid_pack_size``.
    Writes: one ``supplier_items`` row (inserted or updated); when it is made the preferred
    supplier, the item's other suppliers are not preferred any more.
    """

    def change(conn: Connection, partner: Partner, _now: datetime) -> str:
        if not partner.is_supplier:
            raise RuleViolation(
                f"partner {partner.code} is not a supplier",
                code="partner_not_supplier",
                partner=partner.code,
            )
        item = catalog.load_item(conn, catalog.item_id_by_code(conn, data.item))
        values = _supplier_item_values(conn, data, item.base_unit)
        if values["preferred"]:
            store.clear_preferred(conn, item.id, partner.id)
        store.save_supplier_item(conn, partner.id, item.id, values)
        return data.item

    _change_partner(db, ctx, SUPPLIER_ITEM_MANAGE, plain(data), data.partner, change)
    with db.read() as conn:
        partner_id = store.partner_by_code(conn, data.partner).id
        found = store.supplier_item(conn, partner_id, catalog.item_id_by_code(conn, data.item))
    if found is None:  # pragma: no cover - removed between the write and the read
        raise NotFound("supplier_item", f"{data.partner}/{data.item}")
    return found


def remove_supplier_item(db: Database, ctx: Context, partner: str, item: str) -> None:
    """Forget a supplier's terms for an item.

    Raises NotFound ``partner_not_found`` / ``item_not_found`` / ``supplier_item_not_found``.
    Writes: deletes the ``supplier_items`` row.
    """

    def change(conn: Connection, found: Partner, _now: datetime) -> str:
        if not store.delete_supplier_item(conn, found.id, catalog.item_id_by_code(conn, item)):
            raise NotFound("supplier_item", f"{partner}/{item}")
        return item

    _change_partner(db, ctx, SUPPLIER_ITEM_MANAGE, {"item": item}, partner, change)
