"""Partner pages: suppliers and customers, one partner with contacts and supplier terms, the
create form, adding a contact, deactivating and reactivating."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from cangku.domain.errors import CangkuError
from cangku.queries.common import Page
from cangku.queries.partners import Partner, get_partner, list_partners, supplier_items_of
from cangku.routing import SegmentRouter
from cangku.services import partners as partner_service
from cangku.services.partners import (
    PARTNER_CREATE,
    PARTNER_UPDATE,
    PARTNER_VIEW,
    ContactInput,
    PartnerInput,
)
from cangku.web.access import WebUser, acting, page
from cangku.web.forms import Fields, FormDep
from cangku.web.i18n import N_, error_message
from cangku.web.listing import Column, Listing, exported
from cangku.web.render import (
    Flash,
    PageRoute,
    db_of,
    form_status,
    gettext_for,
    language,
    pager,
    path_part,
    redirect,
    render,
)

router = SegmentRouter(route_class=PageRoute)


def partner_list(gettext: Callable[[str], str]) -> Listing:
    """The partner list as a file, in the reader's language: what the page shows."""

    def role(partner: Partner) -> str:
        names = [(partner.is_supplier, N_("Supplier")), (partner.is_customer, N_("Customer"))]
        return ", ".join(gettext(name) for held, name in names if held)

    return Listing(
        "partners",
        [
            Column(N_("Code"), attrgetter("code")),
            Column(N_("Name"), attrgetter("name")),
            Column(N_("Role"), role),
            Column(N_("Email"), attrgetter("email")),
            Column(N_("Phone"), attrgetter("phone")),
            Column(N_("Status"), lambda p: "active" if p.active else "inactive", "label"),
        ],
    )


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, user: Annotated[WebUser, page(PARTNER_VIEW)]) -> Response:
    q = request.query_params.get("q", "")
    role = request.query_params.get("role", "")
    pages = pager(request)

    def fetch(limit: int, offset: int, cursor: str | None = None) -> Page[Partner]:
        return list_partners(
            db_of(request),
            q or None,
            role=role or None,
            limit=limit,
            offset=offset,
            sort=pages.sort,
        )

    listing = partner_list(gettext_for(request))
    if (file := exported(request, listing, fetch)) is not None:
        return file
    found = fetch(pages.size, pages.offset)
    return render(
        request,
        "partners.html",
        partners=found.items,
        q=q,
        role=role,
        pager=replace(pages, total=found.total),
    )


def _contact(fields: Fields, prefix: str = "contact_") -> ContactInput | None:
    name = fields.raw(f"{prefix}name")
    if name is None:
        return None
    return ContactInput(
        name=name,
        role=fields.raw(f"{prefix}role"),
        email=fields.optional(f"{prefix}email"),
        phone=fields.optional(f"{prefix}phone"),
    )


def _form(request: Request, status: int = 200, **context: Any) -> Response:
    context.setdefault("values", {"is_supplier": "1"})
    context.setdefault("error", None)
    return render(request, "partner_form.html", status=status, **context)


@router.get("/partners/new", response_class=HTMLResponse)
def new_partner_page(request: Request, user: Annotated[WebUser, page(PARTNER_CREATE)]) -> Response:
    return _form(request)


@router.post("/partners/new", response_class=HTMLResponse)
def create_partner(
    request: Request, user: Annotated[WebUser, page(PARTNER_CREATE)], fields: FormDep
) -> Response:
    contact = _contact(fields)
    data = PartnerInput(
        code=fields.text("code"),
        name=fields.raw("name") or "",
        is_supplier=fields.flag("is_supplier"),
        is_customer=fields.flag("is_customer"),
        email=fields.optional("email"),
        phone=fields.optional("phone"),
        address=fields.raw("address"),
        tax_id=fields.optional("tax_id"),
        notes=fields.raw("notes"),
        contacts=[contact] if contact else [],
        inspection_required=fields.flag("inspection_required"),
        over_receipt_tolerance=fields.text("over_receipt_tolerance") or "0",
    )
    try:
        partner = partner_service.create_partner(db_of(request), acting(request), data)
    except CangkuError as error:
        return _form(
            request,
            form_status(error),
            values=fields.values,
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Partner %(code)s created.")) % {"code": partner.code}
    return redirect(f"/partners/{path_part(partner.code)}", Flash("success", text))


def _partner_page(request: Request, code: str, status: int = 200, **context: Any) -> Response:
    db = db_of(request)
    partner = get_partner(db, code)
    terms = supplier_items_of(db, partner.code) if partner.is_supplier else []
    context.setdefault("values", {})
    context.setdefault("error", None)
    return render(
        request, "partner_detail.html", status=status, partner=partner, terms=terms, **context
    )


@router.post("/partners/{code:path}/contacts", response_class=HTMLResponse)
def add_contact(
    request: Request, code: str, user: Annotated[WebUser, page(PARTNER_UPDATE)], fields: FormDep
) -> Response:
    contact = _contact(fields) or ContactInput(name="")
    try:
        partner_service.add_contact(db_of(request), acting(request), code, contact)
    except CangkuError as error:
        return _partner_page(
            request,
            code,
            form_status(error),
            values=fields.values,
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Contact %(name)s added.")) % {"name": contact.name}
    return redirect(f"/partners/{path_part(code)}", Flash("success", text))


@router.post("/partners/{code:path}/receiving", response_class=HTMLResponse)
def set_receiving_terms(
    request: Request, code: str, user: Annotated[WebUser, page(PARTNER_UPDATE)], fields: FormDep
) -> Response:
    """A supplier's inspection mark and over-receipt tolerance (empty: 0 %)."""
    changes = {
        "inspection_required": fields.flag("inspection_required"),
        "over_receipt_tolerance": fields.text("over_receipt_tolerance") or "0",
    }
    try:
        version = fields.integer("version")
        partner_service.update_partner(db_of(request), acting(request), code, changes, version)
    except CangkuError as error:
        return _partner_page(
            request,
            code,
            form_status(error),
            values=fields.values,
            error=error_message(error, language(request)),
        )
    text = gettext_for(request)(N_("Receiving terms of %(code)s saved.")) % {"code": code}
    return redirect(f"/partners/{path_part(code)}", Flash("success", text))


@router.post("/partners/{code:path}/deactivate")
def deactivate_partner(
    request: Request, code: str, user: Annotated[WebUser, page(PARTNER_UPDATE)]
) -> Response:
    partner = partner_service.deactivate_partner(db_of(request), acting(request), code)
    text = gettext_for(request)(N_("Partner %(code)s deactivated.")) % {"code": partner.code}
    return redirect(f"/partners/{path_part(partner.code)}", Flash("success", text))


@router.post("/partners/{code:path}/reactivate")
def reactivate_partner(
    request: Request, code: str, user: Annotated[WebUser, page(PARTNER_UPDATE)]
) -> Response:
    partner = partner_service.reactivate_partner(db_of(request), acting(request), code)
    text = gettext_for(request)(N_("Partner %(code)s reactivated.")) % {"code": partner.code}
    return redirect(f"/partners/{path_part(partner.code)}", Flash("success", text))


@router.get("/partners/{code:path}", response_class=HTMLResponse)
def partner_page(
    request: Request, code: str, user: Annotated[WebUser, page(PARTNER_VIEW)]
) -> Response:
    return _partner_page(request, code)
