"""``cangku partners ...``: suppliers and customers, contacts, supplier-item terms."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cangku.cli.common import (
    IdemOpt,
    JsonOpt,
    SortOpt,
    context,
    database,
    emit,
    handled,
    reader,
    table,
)
from cangku.domain.quantities import parse_decimal
from cangku.queries import partners as queries
from cangku.services import partners as service

NAME = "partners"
HELP = "Partners: suppliers and customers."
app = typer.Typer(no_args_is_help=True)

COLUMNS = ["code", "name", "is_supplier", "is_customer", "email", "active", "version"]
TERMS = [
    "partner", "item", "supplier_code", "price", "currency", "min_order_qty", "lead_time_days",
    "pack_size", "preferred",
]  # fmt: skip
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="Refuse if the partner changed since this version.")
]
TextOpt = Annotated[str | None, typer.Option()]
INSPECTION_HELP = "A supplier's goods go through inspection before put-away."
TOLERANCE_HELP = (
    "Percent (0-100, two decimals) a confirmed over-receipt may exceed the quantity ordered."
)
ToleranceOpt = Annotated[str | None, typer.Option("--over-receipt-tolerance", help=TOLERANCE_HELP)]


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option("--q", help="Search code, name and email.")] = None,
    role: Annotated[str | None, typer.Option(help="supplier or customer.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    limit: int = 50,
    offset: int = 0,
    sort: SortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List partners (by code, or in the order --sort names)."""
    with handled(as_json):
        reader(service.PARTNER_VIEW)
        page = queries.list_partners(
            database(), q, role=role, active=active, limit=limit, offset=offset, sort=sort
        )
        if as_json:
            emit(page, True)
        else:
            table(page.items, COLUMNS)
            typer.echo(f"({len(page.items)} of {page.total})")


@app.command()
def show(code: str, as_json: JsonOpt = False) -> None:
    """Show one partner with its contacts."""
    with handled(as_json):
        reader(service.PARTNER_VIEW)
        emit(queries.get_partner(database(), code), as_json)


@app.command()
def create(
    code: str,
    name: str,
    supplier: Annotated[bool, typer.Option("--supplier", help="We buy from it.")] = False,
    customer: Annotated[bool, typer.Option("--customer", help="We sell to it.")] = False,
    email: TextOpt = None,
    phone: TextOpt = None,
    address: TextOpt = None,
    tax_id: TextOpt = None,
    notes: TextOpt = None,
    inspection: Annotated[bool, typer.Option("--inspection", help=INSPECTION_HELP)] = False,
    over_receipt_tolerance: ToleranceOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a partner: a supplier, a customer or both.

    Give at least one of --supplier and --customer."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.PartnerInput(
            code, name, supplier, customer, email, phone, address, tax_id, notes,
            inspection_required=inspection,
            over_receipt_tolerance=over_receipt_tolerance or "0",
        )  # fmt: skip
        emit(service.create_partner(database(), ctx, data), as_json)


@app.command()
def update(
    code: str,
    name: TextOpt = None,
    supplier: Annotated[bool | None, typer.Option("--supplier/--not-supplier")] = None,
    customer: Annotated[bool | None, typer.Option("--customer/--not-customer")] = None,
    email: TextOpt = None,
    phone: TextOpt = None,
    address: TextOpt = None,
    tax_id: TextOpt = None,
    notes: TextOpt = None,
    inspection: Annotated[
        bool | None, typer.Option("--inspection/--no-inspection", help=INSPECTION_HELP)
    ] = None,
    over_receipt_tolerance: ToleranceOpt = None,
    clear: Annotated[
        list[str] | None, typer.Option("--clear", help="Empty this field (repeatable).")
    ] = None,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change fields of a partner (only the options given)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        given: dict[str, Any] = {
            "name": name,
            "is_supplier": supplier,
            "is_customer": customer,
            "email": email,
            "phone": phone,
            "address": address,
            "tax_id": tax_id,
            "notes": notes,
            "inspection_required": inspection,
            "over_receipt_tolerance": over_receipt_tolerance,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        changes.update({field.replace("-", "_"): None for field in clear or []})
        emit(service.update_partner(database(), ctx, code, changes, version), as_json)


@app.command()
def deactivate(
    code: str,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate a partner (kept for history)."""
    with handled(as_json):
        ctx = context(idempotency_key)
        emit(service.deactivate_partner(database(), ctx, code, version), as_json)


@app.command()
def reactivate(
    code: str,
    version: VersionOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reactivate a partner."""
    with handled(as_json):
        ctx = context(idempotency_key)
        emit(service.reactivate_partner(database(), ctx, code, version), as_json)


@app.command("contact-add")
def contact_add(
    code: str,
    name: str,
    role: TextOpt = None,
    email: TextOpt = None,
    phone: TextOpt = None,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a contact person to a partner."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.ContactInput(name, role, email, phone)
        emit(service.add_contact(database(), ctx, code, data), as_json)


@app.command("contact-remove")
def contact_remove(
    code: str,
    contact_id: int,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a contact person (by id) from a partner."""
    with handled(as_json):
        service.remove_contact(database(), context(idempotency_key), code, contact_id)
        emit({"removed": contact_id}, as_json)


@app.command("supplier-item-set")
def supplier_item_set(
    partner: str,
    item: str,
    supplier_code: TextOpt = None,
    price: TextOpt = None,
    currency: TextOpt = None,
    min_order_qty: TextOpt = None,
    lead_time_days: Annotated[int | None, typer.Option()] = None,
    pack_size: Annotated[
        str | None, typer.Option(help="orders in whole packs of this many base units")
    ] = None,
    preferred: Annotated[
        bool, typer.Option("--preferred", help="the supplier replenishment orders from")
    ] = False,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record or replace a supplier's terms for an item."""
    with handled(as_json):
        ctx = context(idempotency_key)
        data = service.SupplierItemInput(
            partner,
            item,
            supplier_code,
            None if price is None else parse_decimal(price, "price"),
            currency,
            None if min_order_qty is None else parse_decimal(min_order_qty, "min_order_qty"),
            lead_time_days,
            None if pack_size is None else parse_decimal(pack_size, "pack_size"),
            preferred,
        )
        emit(service.set_supplier_item(database(), ctx, data), as_json)


@app.command("supplier-item-remove")
def supplier_item_remove(
    partner: str,
    item: str,
    idempotency_key: IdemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forget a supplier's terms for an item."""
    with handled(as_json):
        service.remove_supplier_item(database(), context(idempotency_key), partner, item)
        emit({"removed": {"partner": partner, "item": item}}, as_json)


@app.command("supplier-items")
def supplier_items(partner: str, as_json: JsonOpt = False) -> None:
    """Everything a supplier sells us."""
    with handled(as_json):
        reader(service.PARTNER_VIEW)
        found = queries.supplier_items_of(database(), partner)
        if as_json:
            emit(found, True)
        else:
            table(found, TERMS)
