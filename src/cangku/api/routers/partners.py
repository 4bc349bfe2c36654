"""Partners (suppliers and customers), their contacts and supplier-item terms."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.filters import PartnerRoleFilter, PartnerSort
from cangku.api.schemas_items import (
    ContactIn,
    ContactOut,
    ContactPatch,
    PartnerCreate,
    PartnerOut,
    PartnerPage,
    PartnerPatch,
    SupplierItemIn,
    SupplierItemOut,
    VersionIn,
)
from cangku.queries import partners as queries
from cangku.routing import SegmentRouter
from cangku.services import partners as services
from cangku.services.partners import (
    PARTNER_CREATE,
    PARTNER_UPDATE,
    PARTNER_VIEW,
    SUPPLIER_ITEM_MANAGE,
)

router = SegmentRouter(prefix="/partners", tags=["partners"])


@router.get("", dependencies=[permit(PARTNER_VIEW)])
def list_partners(
    db: DbDep,
    q: str | None = None,
    role: PartnerRoleFilter = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: PartnerSort = None,
) -> PartnerPage:
    """Partners by code (or as ``sort`` says); ``q`` over code, name and email; ``role``:
    supplier or customer."""
    page = queries.list_partners(
        db, q, role=role, active=active, limit=limit, offset=offset, sort=sort
    )
    return PartnerPage.model_validate(page)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[permit(PARTNER_CREATE)])
def create_partner(body: PartnerCreate, db: DbDep, ctx: ContextDep) -> PartnerOut:
    fields: dict[str, Any] = body.model_dump(exclude={"contacts"})
    data = services.PartnerInput(
        **fields, contacts=[services.ContactInput(**c.model_dump()) for c in body.contacts]
    )
    return PartnerOut.model_validate(services.create_partner(db, ctx, data))


@router.get("/{code}", dependencies=[permit(PARTNER_VIEW)])
def get_partner(code: str, db: DbDep) -> PartnerOut:
    return PartnerOut.model_validate(queries.get_partner(db, code))


@router.patch("/{code}", dependencies=[permit(PARTNER_UPDATE)])
def update_partner(code: str, body: PartnerPatch, db: DbDep, ctx: ContextDep) -> PartnerOut:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return PartnerOut.model_validate(services.update_partner(db, ctx, code, changes, body.version))


@router.post("/{code}/deactivate", dependencies=[permit(PARTNER_UPDATE)])
def deactivate_partner(
    code: str, db: DbDep, ctx: ContextDep, body: VersionIn | None = None
) -> PartnerOut:
    version = body.version if body else None
    return PartnerOut.model_validate(services.deactivate_partner(db, ctx, code, version))


@router.post("/{code}/reactivate", dependencies=[permit(PARTNER_UPDATE)])
def reactivate_partner(
    code: str, db: DbDep, ctx: ContextDep, body: VersionIn | None = None
) -> PartnerOut:
    version = body.version if body else None
    return PartnerOut.model_validate(services.reactivate_partner(db, ctx, code, version))


# ---------------------------------------------------------------- contacts


@router.get("/{code}/contacts", dependencies=[permit(PARTNER_VIEW)])
def list_contacts(code: str, db: DbDep) -> list[ContactOut]:
    return [ContactOut.model_validate(c) for c in queries.get_partner(db, code).contacts]


@router.post(
    "/{code}/contacts", status_code=status.HTTP_201_CREATED, dependencies=[permit(PARTNER_UPDATE)]
)
def add_contact(code: str, body: ContactIn, db: DbDep, ctx: ContextDep) -> ContactOut:
    contact = services.add_contact(db, ctx, code, services.ContactInput(**body.model_dump()))
    return ContactOut.model_validate(contact)


@router.patch("/{code}/contacts/{contact_id}", dependencies=[permit(PARTNER_UPDATE)])
def update_contact(
    code: str, contact_id: int, body: ContactPatch, db: DbDep, ctx: ContextDep
) -> ContactOut:
    changes = body.model_dump(exclude_unset=True)
    return ContactOut.model_validate(services.update_contact(db, ctx, code, contact_id, changes))


@router.delete(
    "/{code}/contacts/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(PARTNER_UPDATE)],
)
def remove_contact(code: str, contact_id: int, db: DbDep, ctx: ContextDep) -> Response:
    services.remove_contact(db, ctx, code, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- supplier items


@router.get("/{code}/supplier-items", dependencies=[permit(PARTNER_VIEW)])
def list_supplier_items(code: str, db: DbDep) -> list[SupplierItemOut]:
    return [SupplierItemOut.model_validate(s) for s in queries.supplier_items_of(db, code)]


@router.put("/{code}/supplier-items/{item:path}", dependencies=[permit(SUPPLIER_ITEM_MANAGE)])
def set_supplier_item(
    code: str, item: str, body: SupplierItemIn, db: DbDep, ctx: ContextDep
) -> SupplierItemOut:
    """Record or replace this supplier's terms for an item (upsert)."""
    data = services.SupplierItemInput(partner=code, item=item, **body.model_dump())
    return SupplierItemOut.model_validate(services.set_supplier_item(db, ctx, data))


@router.delete(
    "/{code}/supplier-items/{item:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(SUPPLIER_ITEM_MANAGE)],
)
def remove_supplier_item(code: str, item: str, db: DbDep, ctx: ContextDep) -> Response:
    services.remove_supplier_item(db, ctx, code, item)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
